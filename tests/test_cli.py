"""The `timeline` command through click's CliRunner, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from tests.conftest import BACKENDS, drop_postgresql_schemas, new_postgresql_schema
from timeline import database
from timeline.cli import main
from timeline.documents import CSV_COLUMNS
from timeline.events import stable_id

Invoke = Callable[..., Result]

DEFINITIONS = (Path(__file__).parent / "fixtures" / "libya-definitions.yaml").read_text(
    encoding="utf-8"
)

JSON_FIELDS = {
    "id",
    "seq",
    "timeline",
    "kind",
    "date",
    "title",
    "fields",
    "sources",
    "origin",
    "recorded_at",
}
CSV_HEADER = ",".join(CSV_COLUMNS)


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        shown = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"the command raised instead of reporting:\n{shown}")


@pytest.fixture(params=["memory"])
def backend(request: pytest.FixtureRequest) -> str:
    """The commands' logic runs on the in-memory store; the tests marked `ON_EVERY_STORE` run
    on SQLite and PostgreSQL too, and so do the bad-input cases (each on a database of its
    backend, which it must leave as it was)."""
    return str(request.param)


ON_EVERY_STORE = pytest.mark.parametrize("backend", ["memory", *BACKENDS])
ON_THE_DATABASES = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def cli(db_url: str) -> Invoke:
    """Run `timeline --db URL ARGS...` (or `timeline ARGS` when ARGS start with --db)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        full = list(args) if args and args[0] == "--db" else ["--db", db_url, *args]
        result = runner.invoke(main, full, input=input)
        no_traceback(result)
        return result

    return invoke


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def events_json(cli: Invoke, *args: str) -> list[dict[str, Any]]:
    records = json.loads(ok(cli("events", "--format", "json", *args)))
    assert isinstance(records, list)
    return records


@pytest.fixture
def libya(cli: Invoke, tmp_path: Path) -> Invoke:
    """A database with the `libya` timeline, three entities and one offensive."""
    ok(cli("create", "libya", "--zone", "Africa/Tripoli", "--title", "Libyan civil war"))
    path = tmp_path / "definitions.yaml"
    path.write_text(DEFINITIONS, encoding="utf-8")
    assert len(ok(cli("add", "--from-file", str(path))).split()) == 4
    return cli


def snapshot(cli: Invoke) -> tuple[str, str]:
    """What a user can see of the database: its timelines and every event of `libya`."""
    return ok(cli("timelines", "--format", "json")), ok(
        cli("events", "--timeline", "libya", "--format", "json")
    )


# -- create, add -------------------------------------------------------------------------------


def test_create(cli: Invoke) -> None:
    out = ok(cli("create", "libya", "--zone", "Africa/Tripoli", "--title", "Libyan civil war"))
    assert out == "created timeline libya (Africa/Tripoli)\n"
    assert json.loads(ok(cli("timelines", "--format", "json"))) == [
        {
            "name": "libya",
            "zone": "Africa/Tripoli",
            "events": 0,
            "first": None,
            "last": None,
            "title": "Libyan civil war",
        }
    ]


def test_add_with_options(libya: Invoke) -> None:
    args = [
        "add",
        "control",
        "2020-05-18",
        "GNA captures Al Watiya",
        "--field",
        "place=watiya",
        "-f",
        "by=GNA forces",
        "-f",
        "from=haftar FORCES",
        "--source",
        "Daily Sabah, 2020-05-18, https://www.dailysabah.com/x",
        "--source",
        "Reuters",
        "--confidence",
        "confirmed",
        "--id",
        "watiya-captured",
    ]
    result = libya(*args)
    expected_id = stable_id("libya", "slug:watiya-captured")
    assert ok(result) == expected_id + "\n"
    assert result.stderr == ""

    [record] = events_json(libya, "--kind", "control")
    assert record["id"] == expected_id
    assert record["fields"] == {"place": "al-watiya", "by": "gna", "from": "lna"}
    assert record["sources"] == [
        {"name": "Daily Sabah", "url": "https://www.dailysabah.com/x", "published": "2020-05-18"},
        {"name": "Reuters"},
    ]
    assert record["confidence"] == "confirmed"
    assert record["date"] == "2020-05-18"
    assert record["valid_from"] == "2020-05-17T22:00:00Z"  # the day in Tripoli
    assert record["title"] == "GNA captures Al Watiya"

    before = snapshot(libya)
    again = libya(*args)
    assert ok(again) == ""
    assert "1 already stored, unchanged" in again.stderr
    assert snapshot(libya) == before


def test_the_same_event_typed_twice_is_stored_once(libya: Invoke) -> None:
    first = ok(libya("add", "note", "2020-01", "Sirte shelled", "-f", "place=Watiya"))
    assert len(first.strip()) == 36
    again = libya("add", "note", "2020-01", "Sirte shelled", "-f", "place=Watiya")
    assert ok(again) == ""
    assert "unchanged" in again.stderr
    assert len(events_json(libya, "--kind", "note")) == 1


@ON_EVERY_STORE
def test_add_from_yaml(libya: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "watiya.yaml"
    path.write_text(
        """\
- kind: actor.defined
  actor: turkey
  name: Turkey
  aliases: [Türkiye]
- kind: support.started
  date: 2019-12
  title: Turkey sends drones to the GNA
  backer: Türkiye
  backed: GNA
  kinds: [drones, advisers]
- kind: control
  id: watiya-captured
  date: 2020-05-18
  title: GNA forces capture Al Watiya air base
  place: Al Watiya Air Base
  by: gna forces
  from: LNA
  sources: [{name: Daily Sabah, published: 2020-05-18}]
- kind: claim
  date: 2020-05-19
  title: LNA says it withdrew in good order
  by: lna
  text: tactical withdrawal
  asserts: watiya-captured
""",
        encoding="utf-8",
    )
    out = ok(libya("add", "--from-file", str(path)))
    assert len(out.split()) == 4
    by_kind = {r["kind"]: r for r in events_json(libya)}
    assert by_kind["support.started"]["fields"] == {
        "backer": "turkey",
        "backed": "gna",
        "kinds": ["drones", "advisers"],
    }
    assert by_kind["control"]["id"] == stable_id("libya", "slug:watiya-captured")
    assert by_kind["claim"]["fields"]["asserts"] == by_kind["control"]["id"]
    assert by_kind["control"]["sources"] == [{"name": "Daily Sabah", "published": "2020-05-18"}]

    again = libya("add", "--from-file", str(path))
    assert ok(again) == ""
    assert "4 already stored, unchanged" in again.stderr


def test_add_from_json_lines(libya: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "clashes.jsonl"
    lines = [
        {"kind": "clash", "date": "2020-02-03", "title": "Clashes at Watiya", "actors": "gna,lna"},
        {
            "kind": "strike",
            "date": "2020-02",
            "title": "Drone strike",
            "by": "GNA",
            "place": "watiya",
            "fatalities": "3",
            "origin": "acled:LBY1",
        },
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    ids = ok(libya("add", "--from-file", str(path))).split()
    assert len(ids) == 2
    assert ids[1] == stable_id("libya", "acled:LBY1")
    strike = events_json(libya, "--kind", "strike")[0]
    assert strike["fields"] == {"by": "gna", "place": "al-watiya", "fatalities": 3}
    assert strike["origin"] == "acled:LBY1"
    assert events_json(libya, "--kind", "clash")[0]["fields"]["actors"] == ["gna", "lna"]


def test_add_from_stdin(libya: Invoke) -> None:
    document = '{"kind": "note", "date": "2021", "title": "from a pipe"}\n'
    out = ok(libya("add", "--from-file", "-", input=document))
    assert len(out.split()) == 1
    assert [r["title"] for r in events_json(libya, "--kind", "note")] == ["from a pipe"]


# -- events ------------------------------------------------------------------------------------


@ON_EVERY_STORE
def test_events_in_every_format(libya: Invoke) -> None:
    records = events_json(libya)
    assert len(records) == 4
    for record in records:
        assert set(record) >= JSON_FIELDS
        assert record["timeline"] == "libya"
    assert [r["seq"] for r in records] == [1, 2, 3, 4]
    offensive = records[3]
    assert offensive["kind"] == "offensive.started"
    assert offensive["date"] == "2019-04-04"
    assert offensive["fields"] == {"actor": "lna", "name": "Flood of Dignity"}
    assert offensive["sources"] == [
        {"name": "Reuters", "url": "https://www.reuters.com/a", "published": "2019-04-04"}
    ]
    assert offensive["origin"] is None
    assert offensive["recorded_at"].endswith("Z")

    lines = ok(libya("events", "--format", "jsonl")).splitlines()
    assert [json.loads(line) for line in lines] == records

    text = ok(libya("events", "--format", "csv"))
    assert text.splitlines()[0] == CSV_HEADER
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["id"] for row in rows] == [r["id"] for r in records]
    assert (rows[3]["actor"], rows[3]["name"]) == ("lna", "Flood of Dignity")
    assert rows[3]["sources"] == "Reuters 2019-04-04 https://www.reuters.com/a"

    table = libya("events")
    assert ok(table)
    assert "4 events" in table.stderr


def test_events_filters(libya: Invoke) -> None:
    ok(libya("add", "control", "2020-05-18", "Watiya falls", "-f", "place=watiya", "-f", "by=gna"))
    ok(libya("add", "note", "2020-05", "May", "-f", "about=lna"))
    ok(libya("add", "note", "2020-06-01", "June"))

    def titles(*args: str) -> list[str]:
        return [r["title"] for r in events_json(libya, *args)]

    assert titles("--kind", "control") == ["Watiya falls"]
    assert titles("-k", "control", "-k", "offensive.started") == [
        "LNA launches offensive on Tripoli",
        "Watiya falls",
    ]
    assert titles("--between", "2020-05", "2020-05") == ["May", "Watiya falls"]
    assert titles("--between", "2020-05-18", "2020-06-01") == ["Watiya falls", "June"]
    assert titles("--between", "2019", "2019", "--kind", "offensive.started") == [
        "LNA launches offensive on Tripoli"
    ]
    assert titles("--entity", "haftar FORCES") == [
        "Libyan National Army defined",
        "LNA launches offensive on Tripoli",
        "May",
    ]
    assert titles("-e", "Watiya", "--kind", "control") == ["Watiya falls"]


def test_events_as_known(libya: Invoke) -> None:
    first_id = ok(libya("add", "note", "2020-05-10", "first report")).strip()
    time.sleep(0.01)
    ok(libya("add", "note", "2019-01-01", "a late arrival about 2019"))
    time.sleep(0.01)
    ok(libya("correct", first_id, "--title", "first report, corrected"))
    known = {r["id"]: r for r in events_json(libya)}[first_id]["recorded_at"]

    then = events_json(libya, "--as-known", known, "--kind", "note", "--kind", "correction")
    assert [r["title"] for r in then] == ["first report"]
    now = events_json(libya, "--kind", "note", "--kind", "correction")
    assert len(now) == 3


def test_show(libya: Invoke) -> None:
    event_id = stable_id("libya", "slug:tripoli-offensive")
    text = ok(libya("show", event_id))
    assert f"id:          {event_id}" in text
    assert "title:       LNA launches offensive on Tripoli" in text
    assert "kind:        offensive.started" in text
    assert 'name: "Flood of Dignity"' in text
    assert "source:      Reuters" in text
    record = json.loads(ok(libya("show", event_id[:8], "--format", "json")))
    assert record["id"] == event_id
    assert record["revisions"] == []


@ON_EVERY_STORE
def test_correct(libya: Invoke) -> None:
    event_id = stable_id("libya", "slug:tripoli-offensive")
    out = ok(
        libya(
            "correct",
            event_id[:10],
            "--date",
            "2019-04-03",
            "-f",
            "name=Operation Flood of Dignity",
            "--source",
            "Al Jazeera, https://aljazeera.com/b",
        )
    )
    correction_id = out.strip()
    assert len(correction_id) == 36

    [record] = events_json(libya, "--kind", "correction")
    assert record["id"] == correction_id
    assert record["date"] == "2019-04-03"
    assert record["title"] == "LNA launches offensive on Tripoli"
    assert record["fields"] == {
        "target": event_id,
        "fields": {"name": "Operation Flood of Dignity"},
    }
    assert record["sources"] == [{"name": "Al Jazeera", "url": "https://aljazeera.com/b"}]
    # The original stays in the log as it was written.
    original = next(r for r in events_json(libya) if r["id"] == event_id)
    assert original["date"] == "2019-04-04"

    assert f"correction: {correction_id}" in ok(libya("show", event_id))
    shown = json.loads(ok(libya("show", event_id, "--format", "json")))
    assert [r["id"] for r in shown["revisions"]] == [correction_id]

    again = libya(
        "correct",
        event_id,
        "--date",
        "2019-04-03",
        "-f",
        "name=Operation Flood of Dignity",
        "--source",
        "Al Jazeera, https://aljazeera.com/b",
    )
    assert ok(again) == ""
    assert "unchanged" in again.stderr


def test_correcting_the_target_place_of_an_offensive(libya: Invoke) -> None:
    offensive = stable_id("libya", "slug:tripoli-offensive")
    correction_id = ok(libya("correct", offensive, "-f", "target=Watiya")).strip()
    shown = json.loads(ok(libya("show", offensive, "--format", "json")))
    assert [r["id"] for r in shown["revisions"]] == [correction_id]


@ON_EVERY_STORE
def test_retract(libya: Invoke) -> None:
    event_id = stable_id("libya", "slug:tripoli-offensive")
    retraction_id = ok(libya("retract", event_id, "--reason", "duplicate")).strip()
    [record] = events_json(libya, "--kind", "retraction")
    assert record["id"] == retraction_id
    assert record["fields"] == {"target": event_id, "reason": "duplicate"}
    assert f"retraction: {retraction_id}" in ok(libya("show", event_id))

    again = libya("retract", event_id, "--reason", "duplicate")
    assert ok(again) == ""
    assert "unchanged" in again.stderr


def test_retracting_a_corrected_event_twice_stores_one_retraction(libya: Invoke) -> None:
    event_id = stable_id("libya", "slug:tripoli-offensive")
    ok(libya("correct", event_id, "--date", "2019-04-05"))
    ok(libya("retract", event_id, "--reason", "duplicate"))
    again = libya("retract", event_id, "--reason", "duplicate")
    assert ok(again) == ""
    assert len(events_json(libya, "--kind", "retraction")) == 1


@ON_THE_DATABASES
def test_verify(libya: Invoke, db_url: str) -> None:
    assert ok(libya("verify")) == "ok: 4 events, hash chain intact\n"

    engine = database.create(db_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(sa.text("DROP TRIGGER events_no_update"))
        else:
            conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER USER"))
        conn.execute(sa.text("UPDATE events SET title = 'forged' WHERE seq = 2"))
    engine.dispose()

    result = libya("verify")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: seq 2: content does not match its hash\n"


@ON_THE_DATABASES
def test_verify_prints_a_head_and_checks_it_later(libya: Invoke, db_url: str) -> None:
    kept = ok(libya("verify", "--print-head"))
    seq, digest = kept.split()
    assert (int(seq), len(digest)) == (4, 64)
    # A later event: the kept head is still in the log, and so is the new one.
    ok(libya("add", "note", "2020-01-01", "later", "--field", "text=x"))
    assert ok(libya("verify", "--expect-head", kept.strip())) == (
        "ok: 5 events, hash chain intact, the expected head among them\n"
    )
    assert ok(libya("verify", "--expect-head", digest)).startswith("ok: 5 events")

    # Cut back to before the kept head, recorded heads and all: only the kept head tells.
    engine = database.create(db_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            for trigger in ("events_no_delete", "heads_no_delete"):
                conn.execute(sa.text(f"DROP TRIGGER {trigger}"))
        else:
            conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER USER"))
            conn.execute(sa.text("ALTER TABLE heads DISABLE TRIGGER USER"))
        conn.execute(sa.text("DELETE FROM events WHERE seq > 3"))
        conn.execute(sa.text("DELETE FROM heads WHERE seq > 3"))
    engine.dispose()
    assert ok(libya("verify")) == "ok: 3 events, hash chain intact\n"
    result = libya("verify", "--expect-head", digest)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: seq 3: no row has the expected head {digest}: the log was cut back before "
        "it, or re-hashed\n"
    )


@ON_THE_DATABASES
def test_verify_each_timeline_or_all(libya: Invoke, db_url: str) -> None:
    ok(libya("create", "syria", "--zone", "Asia/Damascus"))
    ok(libya("add", "note", "2012-03-15", "Protests", "--field", "text=x", "--timeline", "syria"))
    assert ok(libya("verify")) == "ok: 5 events, hash chain intact\n"
    assert ok(libya("verify", "--timeline", "syria")) == "ok: syria: 1 events, hash chain intact\n"
    # Each timeline's seqs are its own: its first event is seq 1 of its chain.
    [syria_head] = ok(libya("verify", "--timeline", "syria", "--print-head")).splitlines()
    assert syria_head.split()[0] == "1"
    heads = ok(libya("verify", "--print-head")).splitlines()
    assert [line.split()[:2] for line in heads] == [["libya", "4"], ["syria", "1"]]
    # A line of either form is a head to expect.
    assert ok(libya("verify", "--expect-head", heads[1])).startswith("ok: 5 events")
    assert ok(libya("verify", "--timeline", "syria", "--expect-head", syria_head))

    unknown = libya("verify", "--timeline", "iraq")
    assert unknown.exit_code == 2
    assert unknown.stderr == "Error: --timeline: no timeline 'iraq' (timelines: libya, syria)\n"

    engine = database.create(db_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(sa.text("DROP TRIGGER events_no_update"))
        else:
            conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER USER"))
        conn.execute(sa.text("UPDATE events SET title = 'forged' WHERE timeline = 'syria'"))
    engine.dispose()
    result = libya("verify")
    assert result.exit_code == 1
    assert result.stderr == "Error: syria: seq 1: content does not match its hash\n"
    assert ok(libya("verify", "--timeline", "libya")) == "ok: libya: 4 events, hash chain intact\n"


@ON_EVERY_STORE
def test_timelines(libya: Invoke) -> None:
    ok(libya("create", "syria", "--zone", "Asia/Damascus"))
    ok(libya("add", "-t", "libya", "note", "2020-05-18~", "late"))
    rows = json.loads(ok(libya("timelines", "--format", "json")))
    assert [(r["name"], r["events"], r["first"], r["last"]) for r in rows] == [
        ("libya", 2, "2019-04-04", "2020-05-18~"),
        ("syria", 0, None, None),
    ]
    table = ok(libya("timelines"))
    assert "libya" in table
    assert "Asia/Damascus" in table


def test_the_timeline_option(cli: Invoke, tmp_path: Path) -> None:
    none = cli("add", "note", "2020", "x")
    assert none.exit_code == 2
    assert "no timeline yet" in none.stderr
    assert "timeline create" in none.stderr

    ok(cli("create", "libya", "--zone", "Africa/Tripoli"))
    ok(cli("add", "note", "2020", "only one"))  # the only timeline is the default
    ok(cli("create", "syria", "--zone", "Asia/Damascus"))

    several = cli("events")
    assert several.exit_code == 2
    assert several.stderr == "Error: --timeline: required, the database has several: libya, syria\n"
    assert ok(cli("add", "--timeline", "syria", "note", "2021", "in syria")).strip()
    assert [r["title"] for r in events_json(cli, "-t", "syria")] == ["in syria"]
    assert [r["title"] for r in events_json(cli, "--timeline", "libya")] == ["only one"]

    # A document's header names its timeline.
    path = tmp_path / "syria.yaml"
    path.write_text(
        "- {timeline: syria, zone: Asia/Damascus}\n- {kind: note, date: 2022, title: header}\n",
        encoding="utf-8",
    )
    ok(cli("add", "--from-file", str(path)))
    assert [r["title"] for r in events_json(cli, "-t", "syria")] == ["in syria", "header"]


@ON_THE_DATABASES
def test_db_commands(cli: Invoke, empty_db_url: str) -> None:
    from timeline.schema import SCHEMA_REVISION as HEAD

    def on_new(*args: str, input: str | None = None) -> Result:
        # A new database, with no schema yet (not one at the head, as `cli`'s is).
        return cli("--db", empty_db_url, *args, input=input)

    assert ok(on_new("db", "current")) == f"base (empty) (head is {HEAD})\n"
    assert ok(on_new("db", "upgrade")) == f"at revision {HEAD}\n"
    assert ok(on_new("db", "current")) == f"{HEAD} (head)\n"
    ok(on_new("create", "libya", "--zone", "UTC"))
    ok(on_new("add", "note", "2020", "x"))
    assert ok(on_new("db", "downgrade", "0001")) == "at revision 0001\n"
    assert ok(on_new("db", "current")) == f"0001 (head is {HEAD})\n"
    assert ok(on_new("db", "upgrade")) == f"at revision {HEAD}\n"
    assert [r["title"] for r in events_json(on_new)] == ["x"]
    assert ok(on_new("db", "downgrade", "base")) == "at revision base\n"
    assert ok(on_new("db", "current")) == f"base (empty) (head is {HEAD})\n"
    # The next command brings the schema back to head, empty.
    assert json.loads(ok(on_new("timelines", "--format", "json"))) == []
    assert ok(on_new("db", "current")) == f"{HEAD} (head)\n"


# -- bad input ---------------------------------------------------------------------------------

MIDDLE = """\
- kind: note
  date: 2020-01-01
  title: first, fine
- kind: deployment
  date: 2020-01-02
  title: second, bad
  actor: gna
  strength: many
- kind: note
  date: 2020-01-03
  title: third, fine
"""
UNKNOWN = "deadbeef-0000-4000-8000-000000000000"
# A billion laughs: nine levels of nine aliases, a few hundred bytes.
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9) if previous else '1, 2, 3'}]\n"
    for previous, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def bad(args: list[str], code: int, needle: str, id: str, marks: Any = ()) -> Any:
    return pytest.param(args, code, needle, id=id, marks=marks)


BAD_INPUT = [
    bad(["add", "note", "2019-13", "t"], 2, "'2019-13'", "month-13"),
    bad(["add", "note", "2019-02-30", "t"], 2, "'2019-02-30'", "february-30"),
    bad(["add", "note", "yesterday-ish", "t"], 2, "'yesterday-ish'", "relative-date"),
    bad(["add", "note", "", "t"], 2, "date: required", "empty-date"),
    bad(["add", "note", "early May 2020", "t"], 2, "'early May 2020'", "vague-date"),
    bad(["add", "skirmish", "2020", "t"], 2, "'skirmish'", "unknown-kind"),
    bad(["add", "note", "2020", "t", "-f", "winner=gna"], 2, "winner", "unknown-field"),
    bad(["add", "control", "2020", "t", "-f", "by=gna"], 2, "place: required", "missing-field"),
    bad(
        ["add", "deployment", "2020", "t", "-f", "actor=gna", "-f", "strength=many"],
        2,
        "strength: 'many'",
        "strength-many",
    ),
    bad(
        ["add", "control", "2020", "t", "-f", "place=watiya", "-f", "by=Wagner"],
        2,
        "'Wagner'",
        "unknown-entity",
    ),
    bad(
        ["add", "clash", "2020", "t", "-f", "fatalities=3", "-f", "fatalities_low=5"],
        2,
        "fatalities_low: 5 is more than fatalities (3)",
        "fatality-estimates-out-of-order",
    ),
    bad(
        ["add", "clash", "2020", "t", "-f", "fatalities=3", "-f", "fatalities_civilians=4"],
        2,
        "fatalities: 3 is fewer than the dead it breaks down into (4",
        "fatality-breakdown-over-total",
    ),
    bad(["add", "note", "2020", "t", "-f", "place"], 2, "'place'", "field-syntax"),
    bad(["add", "note", "2020", "t", "--source", "AP, htp://x"], 2, "'htp://x'", "source-url"),
    bad(["add", "--from-file", "{tmp}/broken.yaml"], 2, "broken.yaml:3", "malformed-yaml"),
    bad(["add", "--from-file", "{tmp}/middle.yaml"], 2, "middle.yaml:item 2", "bad-in-middle"),
    bad(["add", "--from-file", "{tmp}/missing.yaml"], 2, "missing.yaml", "missing-file"),
    bad(["add", "--from-file", "{tmp}/leap.yaml"], 2, "'2019-02-29'", "yaml-impossible-date"),
    bad(["add", "--from-file", "{tmp}/hour.yaml"], 2, "25:00", "yaml-impossible-hour"),
    bad(["add", "--from-file", "{tmp}/bomb.yaml"], 2, "bomb.yaml: its aliases", "yaml-bomb"),
    bad(["events", "--between", "2020", "2019"], 2, "--between", "between-reversed"),
    bad(["events", "--between", "2019", "someday"], 2, "'someday'", "between-bad-date"),
    bad(["events", "--as-known", "2019-13"], 2, "'2019-13'", "as-known-bad-date"),
    bad(["events", "--kind", "skirmish"], 2, "'skirmish'", "events-unknown-kind"),
    bad(["events", "--entity", "Wagner"], 2, "'Wagner'", "events-unknown-entity"),
    bad(["events", "--timeline", "yemen"], 2, "'yemen'", "unknown-timeline"),
    bad(["--db", "nosuchdb://x", "events"], 2, "nosuchdb", "bad-db-url"),
    bad(["--db", "postgresql://postgres@127.0.0.1:1/x", "events"], 1, ":1/x", "unreachable"),
    bad(["correct", UNKNOWN, "--title", "x"], 2, UNKNOWN, "correct-unknown"),
    bad(["retract", UNKNOWN, "--reason", "x"], 2, UNKNOWN, "retract-unknown"),
    bad(["show", UNKNOWN], 2, UNKNOWN, "show-unknown"),
    bad(["show", "deadbee"], 2, "'deadbee'", "show-short-prefix"),
    # A GLOB or LIKE wildcard in an id prefix is a character: it finds no event.
    bad(["show", "a*******"], 2, "'a*******'", "show-wildcard-prefix"),
    bad(["show", "a%______"], 2, "'a%______'", "show-like-wildcard-prefix"),
    bad(["export", "--output", "{tmp}/no-such-folder/out.csv"], 1, "out.csv", "output-nowhere"),
    bad(["correct", "{offensive}", "-f", "strength=3"], 2, "strength", "correct-bad-field"),
    bad(["create", "mars", "--zone", "Mars/Olympus"], 2, "Mars/Olympus", "bad-zone"),
    bad(["create", "libya", "--zone", "UTC"], 2, "'libya'", "timeline-exists"),
    bad(["db", "upgrade", "9999"], 2, "9999", "unknown-revision"),
]


@pytest.fixture(scope="module", params=BACKENDS)
def libya_once(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Invoke]:
    """The `libya` database of `libya`, made once per backend for the bad-input cases: each
    of them asserts that it leaves the database as it was, so they can share one."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bad-input') / 'libya.sqlite'}"
    else:
        base = request.getfixturevalue("postgresql_database")
        url = new_postgresql_schema(base)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        full = list(args) if args and args[0] == "--db" else ["--db", url, *args]
        result = runner.invoke(main, full, input=input)
        no_traceback(result)
        return result

    ok(invoke("create", "libya", "--zone", "Africa/Tripoli", "--title", "Libyan civil war"))
    path = tmp_path_factory.mktemp("definitions") / "definitions.yaml"
    path.write_text(DEFINITIONS, encoding="utf-8")
    assert len(ok(invoke("add", "--from-file", str(path))).split()) == 4
    yield invoke
    if request.param == "postgresql":
        drop_postgresql_schemas(base, [url])


@pytest.mark.parametrize(("args", "code", "needle"), BAD_INPUT)
def test_bad_input(
    libya_once: Invoke, tmp_path: Path, args: list[str], code: int, needle: str
) -> None:
    libya = libya_once
    (tmp_path / "broken.yaml").write_text("- kind: note\n  title: [unclosed\n", encoding="utf-8")
    (tmp_path / "middle.yaml").write_text(MIDDLE, encoding="utf-8")
    for name, date in (("leap", "2019-02-29"), ("hour", "2019-04-04 25:00:00")):
        (tmp_path / f"{name}.yaml").write_text(
            f"- kind: note\n  date: {date}\n  title: t\n", encoding="utf-8"
        )
    (tmp_path / "bomb.yaml").write_text(BOMB, encoding="utf-8")
    offensive = stable_id("libya", "slug:tripoli-offensive")
    args = [a.format(tmp=tmp_path, offensive=offensive) for a in args]
    before = snapshot(libya)

    result = libya(*args)

    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert needle in lines[0]
    assert snapshot(libya) == before
