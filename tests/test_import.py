"""`timeline import` as a cron job runs it, through the CLI, on SQLite and PostgreSQL.

What a cron user relies on: exact counts in the one-line summary, idempotence, incremental
corrections, every SOURCE form, documented exit codes, a record of every run, and bad input
refused with one line naming file:row and field while the database stays as it was.
The ACLED API and URL sources are in test_import_api.py; overlapping and killed runs and the
writer lock in test_import_concurrency.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import BACKENDS
from timeline.cli import main
from timeline.documents import CSV_COLUMNS
from timeline.events import stable_id

FIXTURES = Path(__file__).parent / "importers" / "fixtures"
COUNT_NAMES = ("new", "corrected", "retracted", "unchanged", "rejected")
SUMMARY = re.compile(
    r"(?P<verb>imported|would import) (?P<new>\d+) new, (?P<corrected>\d+) corrected, "
    r"(?P<retracted>\d+) retracted, (?P<unchanged>\d+) unchanged, (?P<rejected>\d+) rejected "
    r"from (?P<names>.+) in \d+\.\d s"
)
DEFINITION_KINDS = ("actor.defined", "place.defined")
REVISION_KINDS = ("correction", "retraction")
LATER = "2030-01-01"  # every imported event has ended by then


@pytest.fixture(params=["memory"])
def backend(request: pytest.FixtureRequest) -> str:
    """The logic of imports runs on the in-memory store; the tests marked `ON_EVERY_STORE`
    run on SQLite and PostgreSQL too, end to end (and every refusal does, since each must
    leave the database as it was)."""
    return str(request.param)


ON_EVERY_STORE = pytest.mark.parametrize("backend", ["memory", *BACKENDS])


# -- helpers --------------------------------------------------------------------------------------


class Cli:
    """`timeline --db URL ...` through click's CliRunner; never lets a traceback through."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url

    def __call__(
        self, *args: str, input: str | bytes | None = None, env: dict[str, str] | None = None
    ) -> Result:
        result = CliRunner().invoke(main, ["--db", self.db_url, *args], input=input, env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            shown = "".join(traceback.format_exception(result.exception))
            raise AssertionError(f"`timeline {' '.join(args)}` raised:\n{shown}")
        assert "Traceback" not in result.output
        return result

    def ok(self, *args: str, input: str | bytes | None = None) -> str:
        result = self(*args, input=input)
        assert result.exit_code == 0, result.output
        return result.stdout

    def events(self, *args: str) -> list[dict[str, Any]]:
        records = json.loads(self.ok("events", "--format", "json", *args))
        assert isinstance(records, list)
        return records

    def at(self, date: str = LATER) -> dict[str, Any]:
        answer = json.loads(self.ok("at", date, "--format", "json"))
        assert isinstance(answer, dict)
        return answer

    def runs(self) -> list[dict[str, Any]]:
        runs = json.loads(self.ok("imports", "--format", "json"))
        assert isinstance(runs, list)
        return runs

    def export(self, fmt: str = "jsonl") -> str:
        return self.ok("export", "--format", fmt)


def counts(text: str) -> dict[str, int]:
    """The counts of a one-line import summary (the line must be the whole text)."""
    lines = text.splitlines()
    assert len(lines) == 1, f"expected one summary line, got: {text!r}"
    match = SUMMARY.fullmatch(lines[0])
    assert match, f"not an import summary: {lines[0]!r}"
    return {name: int(match[name]) for name in COUNT_NAMES}


def expect(
    text: str,
    *,
    new: int = 0,
    corrected: int = 0,
    retracted: int = 0,
    unchanged: int = 0,
    rejected: int = 0,
) -> None:
    """Assert the exact counts of a one-line summary."""
    assert counts(text) == {
        "new": new,
        "corrected": corrected,
        "retracted": retracted,
        "unchanged": unchanged,
        "rejected": rejected,
    }


def one_line_error(result: Result, code: int, *needles: str) -> str:
    """The run failed with `code` and one `Error:` line on stderr holding every needle."""
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def by_origin(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The events that carry a source record, by origin key (one each, checked)."""
    found: dict[str, dict[str, Any]] = {}
    for event in events:
        if event["origin"] is not None and event["kind"] not in REVISION_KINDS:
            assert event["origin"] not in found, f"two events for {event['origin']}"
            found[event["origin"]] = event
    return found


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        # (UCDP exports end rows with an empty cell the header does not name.)
        reader = csv.DictReader(stream)
        return [{k.lower(): v for k, v in row.items() if k is not None} for row in reader]


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def fixture_copy(tmp_path: Path, name: str, new_name: str | None = None) -> Path:
    target = tmp_path / (new_name or name)
    shutil.copyfile(FIXTURES / name, target)
    return target


def without_volatile(record: dict[str, Any]) -> dict[str, Any]:
    """What an event is, without when and by which run this database recorded it."""
    volatile = {"seq", "recorded_at", "hash", "import_run"}
    return {k: v for k, v in record.items() if k not in volatile}


@pytest.fixture
def cli(db_url: str) -> Cli:
    return Cli(db_url)


@pytest.fixture
def libya(cli: Cli) -> Cli:
    """A database holding one empty timeline, `libya`."""
    cli.ok("create", "libya", "--zone", "Africa/Tripoli", "--title", "Libyan civil war")
    return cli


# -- 1. ACLED CSV, every schema -------------------------------------------------------------------

# (kind, date, precision) of every record, as ACLED's event types and time_precision say.
PRE2019 = {
    "LBY900": ("clash", "2011-03-17", "day"),  # Battle-No change of territory
    "LBY901": ("control", "2011-08-21", "day"),  # Battle-Non-state actor overtakes territory
    "LBY902": ("control", "2011-W15", "week"),  # Battle-Government regains territory, prec. 2
    "LBY903": ("strike", "2011-03-19", "day"),  # Remote violence
    "LBY904": ("clash", "2011-05", "month"),  # Violence against civilians, precision 3
    "LBY905": ("note", "2011-02-17", "day"),  # Riots/Protests
    "LBY906": ("note", "2011-09-01", "day"),  # Strategic development
    "LBY907": ("deployment", "2011-10-05", "day"),  # Headquarters or base established
    "LBY908": ("control", "2012-01-10", "day"),  # Non-violent transfer of territory
    "LBY909": ("clash", "2011-06-01", "day"),
    "LBY910": ("clash", "2011-06-02", "day"),
}
SCHEMA_2019 = {
    "LBY9289": ("clash", "2020-02-29", "day"),
    "LBY9300": ("control", "2020-05-18", "day"),
    "LBY9301": ("control", "2020-06-05", "day"),
    "LBY9302": ("strike", "2020-W23", "week"),
    "LBY9303": ("agreement", "2020-10-23", "day"),
    "LBY9304": ("agreement", "2020-10-24", "day"),
    "LBY9305": ("deployment", "2020-07-10", "day"),
    "LBY9306": ("note", "2020-03-02", "day"),
    "LBY9307": ("note", "2020-03-03", "day"),
    "LBY9308": ("clash", "2020-03-04", "day"),
    "LBY9309": ("control", "2020-06-06", "day"),
    "LBY9310": ("note", "2020-06-07", "day"),
}
CURRENT = {
    "LBY10001": ("clash", "2020-W01", "week"),
    "LBY10002": ("strike", "2020-02-29", "day"),
    "LBY10003": ("clash", "2020-04", "month"),
    "LBY10004": ("control", "2020-05-18", "day"),
}
AGREEMENTS = {"LBY9303", "LBY9304"}
# One record per file whose interval is checked to the microsecond (Libya is UTC+2).
INTERVALS = {
    "LBY900": ("2011-03-16T22:00:00Z", "2011-03-17T22:00:00Z"),
    "LBY904": ("2011-04-30T22:00:00Z", "2011-05-31T22:00:00Z"),
    "LBY9302": ("2020-05-31T22:00:00Z", "2020-06-07T22:00:00Z"),
    "LBY10001": ("2019-12-29T22:00:00Z", "2020-01-05T22:00:00Z"),
    "LBY10003": ("2020-03-31T22:00:00Z", "2020-04-30T22:00:00Z"),
}


def check_acled_import(cli: Cli, path: Path, expected: dict[str, tuple[str, str, str]]) -> None:
    rows = csv_rows(path)
    assert {r["event_id_cnty"] for r in rows} == set(expected)

    result = cli("import", "--format", "acled", str(path))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    expect(result.stdout, new=len(expected))
    assert result.stdout.rstrip().split(" from ")[1].startswith(f"{path.name} in ")

    events = cli.events()
    records = by_origin(events)
    assert set(records) == {f"acled:{key}" for key in expected}
    for key, (kind, date, precision) in expected.items():
        event = records[f"acled:{key}"]
        assert (event["kind"], event["date"], event["precision"]) == (kind, date, precision), key
        assert event["origin_version"] == 1
        assert event["sources"][0] == {"name": "ACLED"}
        assert event["record"]["event_id_cnty"] == key
        if key in INTERVALS:
            assert (event["valid_from"], event["valid_to"]) == INTERVALS[key]
    assert len(events) == len(records) + sum(e["kind"] in DEFINITION_KINDS for e in events)

    # Every actor and place the file names that the database did not know is defined once,
    # flagged for review, never dropped; the record events name them by id.
    actors = {e["fields"]["actor"]: e["fields"] for e in events if e["kind"] == "actor.defined"}
    places = {e["fields"]["place"]: e["fields"] for e in events if e["kind"] == "place.defined"}
    assert all(fields["review"] is True for fields in [*actors.values(), *places.values()])
    named_actors = {r[c].strip() for r in rows for c in ("actor1", "actor2") if r.get(c, "")}
    assert {f["name"] for f in actors.values()} == named_actors
    assert {f["name"] for f in places.values()} == {r["location"] for r in rows}
    for event in records.values():
        assert set(event["fields"]["actors"]) <= set(actors)
        place = event["fields"].get("place")
        assert place in places or (event["kind"] == "agreement" and place is None), event
    for row in rows:
        if row.get("latitude"):
            [place] = [f for f in places.values() if f["name"] == row["location"]]
            assert (place["lat"], place["lon"]) == (float(row["latitude"]), float(row["longitude"]))

    # Every record's fatalities count, whatever kind it became.
    fatalities = cli.at()["fatalities"]
    assert fatalities["total"] == sum(int(r["fatalities"]) for r in rows)
    assert fatalities["uncertain"] == 0
    assert cli.runs()[0]["status"] == "ok"


def test_acled_before_2019(libya: Cli) -> None:
    check_acled_import(libya, FIXTURES / "acled_pre2019.csv", PRE2019)


def test_acled_2019_to_2023_schema(libya: Cli, tmp_path: Path) -> None:
    # The agreement records are left out here: see the next test.
    rows = csv_rows(FIXTURES / "acled_2019.csv")
    rows = [r for r in rows if r["event_id_cnty"] not in AGREEMENTS]
    path = write_csv(tmp_path / "acled_2019_no_agreements.csv", rows)
    expected = {k: v for k, v in SCHEMA_2019.items() if k not in AGREEMENTS}
    check_acled_import(libya, path, expected)


def test_acled_2019_schema_with_agreements(libya: Cli) -> None:
    check_acled_import(libya, FIXTURES / "acled_2019.csv", SCHEMA_2019)


@ON_EVERY_STORE
def test_acled_current_schema(libya: Cli) -> None:
    check_acled_import(libya, FIXTURES / "acled_current.csv", CURRENT)


def test_actors_and_places_already_defined_are_matched_by_alias(libya: Cli, tmp_path: Path) -> None:
    path = tmp_path / "known.yaml"
    path.write_text(
        "- timeline: libya\n"
        "  zone: Africa/Tripoli\n"
        "- kind: actor.defined\n"
        "  actor: lna\n"
        "  name: Libyan National Army\n"
        '  aliases: [LNA, "Military Forces of Libya (2014-) Haftar Faction"]\n'
        "- kind: place.defined\n"
        "  place: sabratha\n"
        "  name: Sabratha\n"
        "  lat: 32.79\n"
        "  lon: 12.48\n",
        encoding="utf-8",
    )
    expect(libya.ok("import", "--format", "yaml", str(path)), new=2)
    expect(libya.ok("import", "--format", "acled", str(FIXTURES / "acled_current.csv")), new=4)
    events = libya.events()
    defined = {e["fields"]["name"] for e in events if e["kind"] in DEFINITION_KINDS}
    assert "Military Forces of Libya (2014-) Haftar Faction" not in defined
    assert "Military Forces of Libya (2016-) Government of National Accord" in defined
    records = by_origin(events)
    assert records["acled:LBY10002"]["fields"]["by"] == "lna"
    assert records["acled:LBY10003"]["fields"]["place"] == "sabratha"
    assert "lna" in libya.at()["fatalities"]["by_actor"]


# -- 2. idempotence -------------------------------------------------------------------------------


@ON_EVERY_STORE
def test_the_same_file_twice_adds_nothing(libya: Cli) -> None:
    source = str(FIXTURES / "acled_pre2019.csv")
    expect(libya.ok("import", "--format", "acled", source), new=11)
    events, exported, answer = libya.events(), libya.export(), libya.at()

    expect(libya.ok("import", "--format", "acled", source), unchanged=11)
    assert libya.events() == events  # not one row more, not one row changed
    assert libya.export() == exported
    assert libya.at() == answer
    runs = libya.runs()
    assert [(r["status"], r["new"], r["unchanged"]) for r in runs] == [
        ("ok", 0, 11),
        ("ok", 11, 0),
    ]
    assert runs[0]["content_hash"] == runs[1]["content_hash"] is not None


# -- 3. incremental: corrections ------------------------------------------------------------------


def changed_current(tmp_path: Path, *, fatalities: str = "15", stamp: str = "1700000500") -> Path:
    """acled_current.csv where LBY10003 has other fatalities and a newer timestamp."""
    rows = csv_rows(FIXTURES / "acled_current.csv")
    [row] = [r for r in rows if r["event_id_cnty"] == "LBY10003"]
    assert (row["fatalities"], row["timestamp"]) == ("10", "1700000000")
    row.update(fatalities=fatalities, timestamp=stamp)
    return write_csv(tmp_path / "acled_current_v2.csv", rows)


@ON_EVERY_STORE
def test_a_changed_record_becomes_one_correction(libya: Cli, tmp_path: Path) -> None:
    expect(libya.ok("import", "--format", "acled", str(FIXTURES / "acled_current.csv")), new=4)
    before = libya.at()["fatalities"]["total"]
    original = by_origin(libya.events())["acled:LBY10003"]

    changed = changed_current(tmp_path)
    expect(libya.ok("import", "--format", "acled", str(changed)), corrected=1, unchanged=3)
    assert libya.at()["fatalities"]["total"] == before + 5

    [correction] = libya.events("--kind", "correction")
    assert correction["origin"] == "acled:LBY10003"
    assert correction["origin_version"] == 2
    assert correction["fields"]["target"] == original["id"]
    assert correction["fields"]["fields"]["fatalities"] == 15
    assert correction["record"]["timestamp"] == "1700000500"
    shown = libya.ok("show", original["id"])
    assert f"correction: {correction['id']}" in shown
    shown_json = json.loads(libya.ok("show", original["id"], "--format", "json"))
    assert [r["id"] for r in shown_json["revisions"]] == [correction["id"]]
    assert shown_json["fields"]["fatalities"] == 10  # the original stays as it was recorded

    log = libya.events()
    expect(libya.ok("import", "--format", "acled", str(changed)), unchanged=4)
    assert libya.events() == log
    assert [r["corrected"] for r in libya.runs()] == [0, 1, 0]


def test_a_record_the_dataset_reclassified_changes_kind(libya: Cli, tmp_path: Path) -> None:
    expect(libya.ok("import", "--format", "acled", str(FIXTURES / "acled_current.csv")), new=4)
    total = libya.at()["fatalities"]["total"]
    rows = csv_rows(FIXTURES / "acled_current.csv")
    [row] = [r for r in rows if r["event_id_cnty"] == "LBY10003"]
    row.update(
        event_type="Explosions/Remote violence",
        sub_event_type="Air/drone strike",
        timestamp="1700000900",
    )
    path = write_csv(tmp_path / "recoded.csv", rows)
    expect(libya.ok("import", "--format", "acled", str(path)), corrected=1, unchanged=3)
    expect(libya.ok("import", "--format", "acled", str(path)), unchanged=4)

    events = libya.events()
    old, new = (e for e in events if e["origin"] == "acled:LBY10003")
    assert (old["kind"], old["origin_version"]) == ("clash", 1)
    assert (new["kind"], new["origin_version"], new["title"]) == (
        "strike",
        2,
        "Air/drone strike in Sabratha",
    )
    [retraction] = [e for e in events if e["kind"] == "retraction"]
    assert retraction["fields"]["target"] == old["id"]
    assert libya.at()["fatalities"]["total"] == total  # counted once, as a strike


def test_a_record_twice_in_one_file_the_later_wins(libya: Cli, tmp_path: Path) -> None:
    # A concatenation of two exports, or an API whose pages shift while ACLED updates.
    rows = csv_rows(FIXTURES / "acled_current.csv")
    doubled = [rows[0], dict(rows[0]), dict(rows[1], fatalities="7"), rows[1]]
    path = write_csv(tmp_path / "doubled.csv", doubled)
    result = libya("import", "--format", "acled", str(path))
    assert result.exit_code == 0, result.output
    expect(result.stdout, new=2, unchanged=2)
    assert libya.at()["fatalities"]["total"] == int(rows[0]["fatalities"]) + 0
    # The same file again: the row that won is the one stored, so nothing changes (a file
    # that flipped the record to its earlier row and back on every run would not be cron-safe).
    for _ in range(2):
        expect(libya.ok("import", "--format", "acled", str(path)), unchanged=4)
        assert libya.at()["fatalities"]["total"] == int(rows[0]["fatalities"]) + 0
    assert libya.events("--kind", "correction") == []


def test_a_record_twice_in_one_file_the_newer_revision_wins(libya: Cli, tmp_path: Path) -> None:
    # API pages that shifted while ACLED updated: the newer revision comes first.
    rows = csv_rows(FIXTURES / "acled_current.csv")
    newer = dict(rows[1], fatalities="7", timestamp=str(int(rows[1]["timestamp"]) + 60))
    path = write_csv(tmp_path / "shifted.csv", [newer, rows[1]])
    expect(libya.ok("import", "--format", "acled", str(path)), new=1, unchanged=1)
    assert libya.at()["fatalities"]["total"] == 7
    expect(libya.ok("import", "--format", "acled", str(path)), unchanged=2)
    assert libya.at()["fatalities"]["total"] == 7


def test_an_older_export_does_not_undo_a_newer_revision(libya: Cli, tmp_path: Path) -> None:
    # Two overlapping cron runs, or yesterday's file re-run by hand: the newer revision stays.
    expect(libya.ok("import", "--format", "acled", str(changed_current(tmp_path))), new=4)
    total = libya.at()["fatalities"]["total"]
    result = libya.ok("import", "--format", "acled", str(FIXTURES / "acled_current.csv"))
    assert counts(result)["corrected"] == 0
    assert libya.at()["fatalities"]["total"] == total
    assert libya.events("--kind", "correction") == []


# -- 4. UCDP GED ----------------------------------------------------------------------------------

UCDP_CURRENT = {  # best/high/low, ISO dates
    "244657": ("clash", "2019-12-29", 4, 1, "2019-12-28T22:00:00Z", "2019-12-29T22:00:00Z"),
    "244658": ("strike", "2020-01-04", 30, 1, "2020-01-03T22:00:00Z", "2020-01-04T22:00:00Z"),
    "244659": (
        "clash",
        "2019-12-30/2020-01-02",
        2,
        1,
        "2019-12-29T22:00:00Z",
        "2020-01-02T22:00:00Z",  # through the end of 2 January
    ),
}
UCDP_OLD = {  # best_est/high_est/low_est, US dates with a time
    "32485": ("clash", "2011-04-17", 17, 1, "2011-04-16T22:00:00Z", "2011-04-17T22:00:00Z"),
    "40001": (
        "clash",
        "2019-04-04/2019-04-06",
        6,
        2,
        "2019-04-03T22:00:00Z",
        "2019-04-06T22:00:00Z",
    ),
    "40002": ("strike", "2016-02-24", 3, 1, "2016-02-23T22:00:00Z", "2016-02-24T22:00:00Z"),
    "40003": ("clash", "2019-04", 120, 4, "2019-03-31T22:00:00Z", "2019-04-30T22:00:00Z"),
    "40004": (
        "clash",
        "2012-02-12/2012-02-21",
        10,
        4,
        "2012-02-11T22:00:00Z",
        "2012-02-21T22:00:00Z",
    ),
    "40005": ("clash", "2015", 50, 5, "2014-12-31T22:00:00Z", "2015-12-31T22:00:00Z"),
}


@pytest.mark.parametrize(
    ("name", "best", "expected"),
    [("ucdp_current.csv", "best", UCDP_CURRENT), ("ucdp_old.csv", "best_est", UCDP_OLD)],
)
def test_ucdp_ged(
    libya: Cli, name: str, best: str, expected: dict[str, tuple[str, str, int, int, str, str]]
) -> None:
    rows = {r["id"]: r for r in csv_rows(FIXTURES / name)}
    assert set(rows) == set(expected)
    expect(libya.ok("import", "--format", "ucdp", str(FIXTURES / name)), new=len(expected))

    records = by_origin(libya.events())
    assert set(records) == {f"ucdp:{key}" for key in expected}
    for key, (kind, date, fatalities, where_prec, start, end) in expected.items():
        event = records[f"ucdp:{key}"]
        assert (event["kind"], event["date"]) == (kind, date), key
        assert (event["valid_from"], event["valid_to"]) == (start, end), key
        assert event["fields"]["fatalities"] == fatalities == int(rows[key][best])
        assert event["fields"]["where_prec"] == where_prec == int(rows[key]["where_prec"])
        assert event["sources"][0] == {"name": "UCDP GED"}
    answer = libya.at()
    assert answer["fatalities"]["total"] == sum(int(r[best]) for r in rows.values())
    # An interval straddling the instant asked about is flagged, not counted as certain.
    if name == "ucdp_current.csv":
        straddling = libya.at("2020-01-01")["fatalities"]
        assert straddling["uncertain"] == 2
        assert straddling["total"] == 4


# -- 5. the native format: export and import back -------------------------------------------------

DEFINITIONS = (
    (Path(__file__).parent / "fixtures" / "libya-definitions.yaml").read_text(encoding="utf-8")
    + """\
- kind: control
  id: watiya-captured
  date: 2020-05-18
  title: GNA forces capture Al Watiya air base
  place: Watiya
  by: GNA
  from: LNA
  confidence: confirmed
  sources: [{name: Daily Sabah, published: 2020-05-18}]
- kind: clash
  id: phantom-clash
  date: 2020-05~
  title: A clash that did not happen
  actors: [gna, lna]
  place: al-watiya
  fatalities: 3
"""
)
OFFENSIVE = stable_id("libya", "slug:tripoli-offensive")
CONTROL = stable_id("libya", "slug:watiya-captured")
PHANTOM = stable_id("libya", "slug:phantom-clash")


@pytest.fixture
def populated(libya: Cli, tmp_path: Path) -> Cli:
    """Definitions and events typed by hand, a correction, a retraction, and ACLED records
    (one of them corrected by a later export)."""
    path = tmp_path / "definitions.yaml"
    path.write_text(DEFINITIONS, encoding="utf-8")
    expect(libya.ok("import", "--format", "yaml", str(path)), new=6)
    libya.ok("correct", CONTROL, "--date", "2020-05-19", "--source", "Reuters, 2020-05-20")
    libya.ok("retract", PHANTOM, "--reason", "duplicate of another report")
    expect(libya.ok("import", "--format", "acled", str(FIXTURES / "acled_current.csv")), new=4)
    changed = changed_current(tmp_path)
    expect(libya.ok("import", "--format", "acled", str(changed)), corrected=1, unchanged=3)
    return libya


def comparable(cli: Cli) -> dict[str, dict[str, Any]]:
    return {e["id"]: without_volatile(e) for e in cli.events()}


@pytest.mark.parametrize("fmt", ["jsonl", "yaml"])
@ON_EVERY_STORE
def test_an_export_imports_into_an_empty_database_loss_free(
    populated: Cli, make_db_url: Callable[[], str], tmp_path: Path, fmt: str
) -> None:
    exported = populated.export(fmt)
    path = tmp_path / f"libya.{fmt}"
    path.write_text(exported, encoding="utf-8")
    total = len(populated.events())

    empty = Cli(make_db_url())  # no `create`: the export's header makes the timeline
    result = empty("import", "--format", fmt, str(path))
    assert result.exit_code == 0, result.output
    expect(result.stdout, new=total)
    assert json.loads(empty.ok("timelines", "--format", "json")) == json.loads(
        populated.ok("timelines", "--format", "json")
    )
    assert empty.export(fmt) == exported
    assert empty.export("jsonl") == populated.export("jsonl")
    assert comparable(empty) == comparable(populated)
    for date in ("2020-05-18", "2020-05-19", "2020-04-15", LATER):
        assert empty.at(date) == populated.at(date), date
    # ACLED's 4 + 10 + corrected 15 fatalities; the retracted clash's 3 do not count.
    assert empty.at()["fatalities"]["total"] == 4 + 15
    [watiya] = [c for c in empty.at()["control"] if c["place"]["id"] == "al-watiya"]
    assert (watiya["since"], watiya["controller"]["id"]) == ("2020-05-19", "gna")
    assert empty.ok("verify").startswith(f"ok: {total} events")

    again = empty("import", "--format", fmt, str(path))
    assert again.exit_code == 0, again.output
    assert counts(again.stdout)["new"] == 0


def test_importing_the_same_export_again_changes_nothing(
    populated: Cli, make_db_url: Callable[[], str], tmp_path: Path
) -> None:
    path = tmp_path / "libya.jsonl"
    path.write_text(populated.export(), encoding="utf-8")
    total = len(populated.events())
    answer = populated.at()

    expect(populated.ok("import", "--format", "jsonl", str(path)), unchanged=total)
    assert populated.at() == answer

    empty = Cli(make_db_url())
    expect(empty.ok("import", "--format", "jsonl", str(path)), new=total)
    expect(empty.ok("import", "--format", "jsonl", str(path)), unchanged=total)
    assert len(empty.events()) == total


def test_an_edited_native_document_becomes_one_correction(populated: Cli, tmp_path: Path) -> None:
    lines = populated.export().splitlines()
    header = lines[0]
    [offensive] = [json.loads(line) for line in lines if OFFENSIVE in line]
    assert offensive["id"] == OFFENSIVE
    offensive["title"] = "LNA launches its offensive on Tripoli (Operation Flood of Dignity)"
    path = tmp_path / "edited.jsonl"
    path.write_text(f"{header}\n{json.dumps(offensive)}\n", encoding="utf-8")

    expect(populated.ok("import", "--format", "jsonl", str(path)), corrected=1)
    shown = json.loads(populated.ok("show", OFFENSIVE, "--format", "json"))
    [correction] = shown["revisions"]
    assert correction["kind"] == "correction"
    assert correction["title"] == offensive["title"]
    assert shown["title"] == "LNA launches offensive on Tripoli"  # the original is kept

    log = populated.events()
    expect(populated.ok("import", "--format", "jsonl", str(path)), unchanged=1)
    assert populated.events() == log


def test_export_csv(populated: Cli) -> None:
    events = {e["id"]: e for e in populated.events()}
    rows = list(csv.DictReader(io.StringIO(populated.export("csv"))))
    # The flat schema `events --format csv` writes too (tests/test_csv.py reads it as a user would).
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [int(r["seq"]) for r in rows] == sorted(e["seq"] for e in events.values())
    assert {r["id"] for r in rows} == set(events)
    for row in rows:
        event = events[row["id"]]
        assert (row["kind"], row["date"], row["title"]) == (
            event["kind"],
            event["date"],
            event["title"],
        )
        assert row["place"] == event["fields"].get("place", "")
        assert row["sources"].startswith(event["sources"][0]["name"] if event["sources"] else "")
        assert row["origin"] == (event["origin"] or "")
        assert (row["valid_from"], row["valid_to"]) == (event["valid_from"], event["valid_to"])


def test_export_geojson(populated: Cli) -> None:
    data = json.loads(populated.export("geojson"))
    assert data["type"] == "FeatureCollection"
    events = populated.events()
    located = {
        e["fields"]["place"]: (e["fields"]["lon"], e["fields"]["lat"])
        for e in events
        if e["kind"] == "place.defined" and "lat" in e["fields"] and "lon" in e["fields"]
    }
    retracted = {e["fields"]["target"] for e in events if e["kind"] == "retraction"}
    expected_events = {
        e["id"]
        for e in events
        if e["kind"] not in (*DEFINITION_KINDS, *REVISION_KINDS)
        and e["id"] not in retracted
        and e["fields"].get("place") in located
    }
    places: dict[str, list[float]] = {}
    features: dict[str, dict[str, Any]] = {}
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        geometry = feature["geometry"]
        assert geometry["type"] == "Point"
        lon, lat = geometry["coordinates"]
        assert -180 <= lon <= 180
        assert -90 <= lat <= 90
        properties = feature["properties"]
        if properties["feature"] == "place":
            places[properties["id"]] = geometry["coordinates"]
        else:
            assert properties["feature"] == "event"
            assert geometry["coordinates"] == list(located[properties["place"]])
            features[properties["id"]] = properties
    assert places == {k: list(v) for k, v in located.items()}
    assert set(features) == expected_events
    assert PHANTOM not in features
    assert features[CONTROL]["date"] == "2020-05-19"  # as corrected
    assert features[CONTROL]["kind"] == "control"


# -- 6. SOURCE forms ------------------------------------------------------------------------------


def test_a_directory_imports_its_matching_files_in_name_order(libya: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    fixture_copy(folder, "acled_current.csv", "b_current.csv")
    fixture_copy(folder, "acled_pre2019.csv", "a_pre2019.csv")
    (folder / "README.txt").write_text("not an export\n", encoding="utf-8")
    (folder / "c_nested").mkdir()
    fixture_copy(folder / "c_nested", "acled_multiline.csv")

    out = libya.ok("import", "--format", "acled", str(folder))
    expect(out, new=15)
    assert " from a_pre2019.csv, b_current.csv in " in out
    runs = libya.runs()
    assert [Path(r["source"]).name for r in reversed(runs)] == ["a_pre2019.csv", "b_current.csv"]
    assert [r["new"] for r in reversed(runs)] == [11, 4]
    assert len(by_origin(libya.events())) == 15


def test_a_directory_without_matching_files_is_a_usage_error(libya: Cli, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x\n", encoding="utf-8")
    one_line_error(libya("import", "--format", "acled", str(tmp_path)), 2, str(tmp_path), ".csv")
    assert libya.runs() == []


def test_stdin(libya: Cli) -> None:
    data = (FIXTURES / "acled_current.csv").read_bytes()
    result = libya("import", "--format", "acled", "-", input=data)
    assert result.exit_code == 0, result.output
    expect(result.stdout, new=4)
    assert " from stdin in " in result.stdout
    [run] = libya.runs()
    assert (run["source"], run["status"], run["new"]) == ("stdin", "ok", 4)
    expect(libya.ok("import", "--format", "acled", "-", input=data), unchanged=4)


def test_several_files(libya: Cli) -> None:
    files = [str(FIXTURES / n) for n in ("acled_pre2019.csv", "acled_current.csv")]
    out = libya.ok("import", "--format", "acled", *files)
    expect(out, new=15)
    assert " from acled_pre2019.csv, acled_current.csv in " in out
    assert [(r["source"], r["new"]) for r in libya.runs()] == [(files[1], 4), (files[0], 11)]


@ON_EVERY_STORE
def test_a_missing_file_among_several_stops_the_run_before_anything_is_written(
    libya: Cli, tmp_path: Path
) -> None:
    missing = str(tmp_path / "nope.csv")
    result = libya("import", "--format", "acled", str(FIXTURES / "acled_current.csv"), missing)
    one_line_error(result, 2, missing)
    assert libya.events() == []
    assert libya.runs() == []


# -- 9. exit codes and output ---------------------------------------------------------------------


def test_quiet_prints_nothing_on_success(libya: Cli) -> None:
    result = libya("import", "--quiet", "--format", "acled", str(FIXTURES / "acled_current.csv"))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert len(by_origin(libya.events())) == 4
    again = libya("import", "-q", "--format", "acled", str(FIXTURES / "acled_current.csv"))
    assert (again.exit_code, again.stdout, again.stderr) == (0, "", "")


# (line, field, value) of every bad row of acled_bad_rows.csv, as the rejection names it.
BAD_ROWS = [
    (3, "event_date", "31-Feb-20"),
    (4, "fatalities", "many"),
    (5, "time_precision", "4"),
    (6, None, None),  # 5 fields where the header has 12
    (7, "notes", "Caf\ufffd bombed"),  # latin-1 byte in a UTF-8 file
    (8, "latitude", "north"),
    (9, None, None),  # a stray quote
    (10, "event_id_cnty", None),
]
REJECTED = re.compile(
    r"rejected (?P<file>[^:]+):(?P<line>\d+): (?:(?P<field>[a-z_0-9]+) (?:'(?P<value>.*?)' )?)?"
    r"(?P<reason>.+)"
)


@ON_EVERY_STORE
def test_rejected_rows_exit_1_and_are_reported_with_file_and_line(
    libya: Cli, tmp_path: Path
) -> None:
    source = str(FIXTURES / "acled_bad_rows.csv")
    rejects = tmp_path / "rejects.csv"
    result = libya("import", "--format", "acled", source, "--rejects", str(rejects))
    assert result.exit_code == 1, result.output
    expect(result.stdout, new=3, rejected=len(BAD_ROWS))
    lines = result.stderr.splitlines()
    assert len(lines) == len(BAD_ROWS)
    seen = []
    for line in lines:
        match = REJECTED.fullmatch(line)
        assert match, line
        assert match["file"] == source
        field = match["field"] if match["field"] in {f for _, f, _ in BAD_ROWS} else None
        value = match["value"] if field is not None and match["value"] is not None else None
        seen.append((int(match["line"]), field, value))
    # (Rows the CSV reader refuses are reported as read, the others as their batch is mapped.)
    assert sorted(seen, key=lambda r: r[0]) == BAD_ROWS
    assert any("event_date '31-Feb-20' is not a date (there is no 31 February" in x for x in lines)

    # The good rows went in, the bad ones did not.
    assert sorted(by_origin(libya.events())) == ["acled:LBY1", "acled:LBY10", "acled:LBY12"]
    [run] = libya.runs()
    assert (run["status"], run["new"], run["rejected"]) == ("rejected", 3, 8)

    with rejects.open(encoding="utf-8", newline="") as stream:
        table = list(csv.reader(stream))
    assert table[0] == ["source", "row", "field", "value", "reason"]
    written = [(int(r[1]), r[2] or None, r[3] or None) for r in table[1:]]
    assert sorted(written, key=lambda r: r[0]) == BAD_ROWS
    assert {r[0] for r in table[1:]} == {source}
    assert all(r[4] for r in table[1:])

    # A rejected row stays rejected; the good ones are not counted again as new.
    again = libya("import", "--format", "acled", source)
    assert again.exit_code == 1
    expect(again.stdout, unchanged=3, rejected=8)


def test_quiet_still_reports_rejections(libya: Cli) -> None:
    result = libya("import", "-q", "--format", "acled", str(FIXTURES / "acled_bad_rows.csv"))
    assert result.exit_code == 1
    assert result.stdout == ""
    *rejections, summary = result.stderr.splitlines()
    assert len(rejections) == 8
    assert all(r.startswith("rejected ") for r in rejections)
    expect(summary, new=3, rejected=8)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--format", "csv", "x.csv"], "--format"),
        (["--format", "acled"], "SOURCE"),
        (["-"], "--format"),  # nothing on stdin to tell its format by
        (["--format", "acled", "{missing}"], "no such file"),
        (["--format", "acled", "--timeline", "syria", "{fixture}"], "syria"),
        (["--format", "acled", "ftp://example.org/x.csv"], "ftp://"),
        (["--format", "acled", "--lock-timeout", "-1", "{fixture}"], "--lock-timeout"),
    ],
)
def test_usage_errors_exit_2(libya: Cli, tmp_path: Path, args: list[str], needle: str) -> None:
    filled = [
        a.format(missing=tmp_path / "missing.csv", fixture=FIXTURES / "acled_current.csv")
        for a in args
    ]
    result = libya("import", *filled)
    assert result.exit_code == 2, result.output
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert libya.events() == []
    assert libya.runs() == []


def test_with_several_timelines_the_timeline_must_be_named(libya: Cli) -> None:
    libya.ok("create", "syria", "--zone", "Asia/Damascus")
    source = str(FIXTURES / "acled_current.csv")
    one_line_error(libya("import", "--format", "acled", source), 2, "libya", "syria")
    assert libya.runs() == []
    expect(libya.ok("import", "--format", "acled", "--timeline", "libya", source), new=4)
    assert len(by_origin(libya.events("--timeline", "libya"))) == 4
    assert libya.events("--timeline", "syria") == []


@ON_EVERY_STORE
def test_imports_lists_every_run_with_counts_and_status(libya: Cli) -> None:
    ok_source = str(FIXTURES / "acled_current.csv")
    libya.ok("import", "--format", "acled", ok_source)
    libya("import", "--format", "acled", str(FIXTURES / "acled_bad_rows.csv"))
    libya("import", "--format", "acled", str(FIXTURES / "empty.csv"))
    libya.ok("import", "--format", "acled", "--dry-run", ok_source)  # not a run: writes nothing
    runs = libya.runs()
    assert [(r["status"], r["new"], r["unchanged"], r["rejected"]) for r in runs] == [
        ("failed", 0, 0, 0),
        ("rejected", 3, 0, 8),
        ("ok", 4, 0, 0),
    ]
    assert [r["id"] for r in runs] == sorted((r["id"] for r in runs), reverse=True)
    assert all(r["timeline"] == "libya" and r["format"] == "acled" for r in runs)
    assert all(r["finished_at"] is not None for r in runs)
    assert "the file is empty" in runs[0]["error"]
    assert [r["error"] for r in runs[1:]] == [None, None]
    assert libya.ok("imports").strip()  # the table for people
    newest = json.loads(libya.ok("imports", "--limit", "1", "--format", "json"))
    assert [r["id"] for r in newest] == [runs[0]["id"]]


# -- 10. bad input --------------------------------------------------------------------------------


def state(cli: Cli) -> tuple[str, str]:
    """Everything a user can see of the database's events."""
    return cli.ok("events", "--format", "json"), cli.export()


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("acled_missing_columns.csv", ["missing columns", "event_date", "fatalities"]),
        ("empty.csv", ["the file is empty"]),
        ("junk.bin", ["binary"]),
    ],
)
@ON_EVERY_STORE
def test_a_source_refused_as_a_whole_leaves_the_database_as_it_was(
    libya: Cli, name: str, needles: list[str]
) -> None:
    libya.ok("import", "--format", "acled", str(FIXTURES / "acled_pre2019.csv"))
    before = state(libya)
    source = str(FIXTURES / name)
    one_line_error(libya("import", "--format", "acled", source), 3, source, *needles)
    assert state(libya) == before
    failed = libya.runs()[0]
    assert (failed["status"], failed["new"], failed["source"]) == ("failed", 0, source)


@ON_EVERY_STORE
def test_a_missing_column_is_refused_before_any_row_is_read(libya: Cli, tmp_path: Path) -> None:
    # Good rows, but no `fatalities` column: nothing of the file may go in.
    rows = csv_rows(FIXTURES / "acled_current.csv")
    for row in rows:
        del row["fatalities"]
    path = write_csv(tmp_path / "no_fatalities.csv", rows)
    one_line_error(
        libya("import", "--format", "acled", str(path)), 3, str(path), "missing column fatalities"
    )
    assert libya.events() == []
    # As UCDP: its header is ACLED's, so the format given is refused before any row is read.
    one_line_error(
        libya("import", "--format", "ucdp", str(path)), 2, str(path), "looks like acled, not ucdp"
    )
    assert libya.events() == []


@ON_EVERY_STORE
def test_latin1_rows_are_rejected_naming_field_and_line(libya: Cli, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"event_id_cnty,event_date,event_type,actor1,location,fatalities,notes\n"
        b"LBY1,2020-03-01,Battles,A,Tripoli,1,Plain\n"
        b"LBY2,2020-03-02,Battles,A,Tripoli,2,Caf\xe9 bombed\n"
        b"LBY3,2020-03-03,Battles,Ren\xe9,Tripoli,2,x\n"
    )
    result = libya("import", "--format", "acled", str(path))
    assert result.exit_code == 1
    expect(result.stdout, new=1, rejected=2)
    assert result.stderr.splitlines() == [
        f"rejected {path}:3: notes 'Caf\ufffd bombed' is not UTF-8 text (save the file as UTF-8)",
        f"rejected {path}:4: actor1 'Ren\ufffd' is not UTF-8 text (save the file as UTF-8)",
    ]
    assert list(by_origin(libya.events())) == ["acled:LBY1"]


@ON_EVERY_STORE
def test_bad_values_in_ucdp_rows(libya: Cli, tmp_path: Path) -> None:
    rows = csv_rows(FIXTURES / "ucdp_current.csv")
    rows[0]["date_end"] = "2019-12-01"  # before date_start
    rows[1]["best"] = "about 30"
    path = write_csv(tmp_path / "ged.csv", rows)
    result = libya("import", "--format", "ucdp", str(path))
    assert result.exit_code == 1
    expect(result.stdout, new=1, rejected=2)
    assert result.stderr.splitlines() == [
        f"rejected {path}:2: date_end '2019-12-01' is before date_start",
        f"rejected {path}:3: best 'about 30' is not a whole number (0 or more)",
    ]
    assert list(by_origin(libya.events())) == ["ucdp:244659"]


def test_a_truncated_file_imports_its_whole_records(libya: Cli) -> None:
    source = str(FIXTURES / "acled_truncated.csv")
    result = libya("import", "--format", "acled", source)
    assert result.exit_code == 1
    expect(result.stdout, new=2, rejected=1)
    [line] = result.stderr.splitlines()
    assert line.startswith(f"rejected {source}:4: ")
    assert "not closed before the end of the file" in line
    assert sorted(by_origin(libya.events())) == ["acled:LBY20001", "acled:LBY20002"]


def test_a_header_without_rows_imports_nothing_and_succeeds(libya: Cli) -> None:
    expect(libya.ok("import", "--format", "acled", str(FIXTURES / "acled_header_only.csv")))
    assert libya.events() == []
    assert libya.runs()[0]["status"] == "ok"


@ON_EVERY_STORE
def test_dry_run_writes_nothing_but_says_what_it_would_import(libya: Cli) -> None:
    source = str(FIXTURES / "acled_current.csv")
    out = libya.ok("import", "--dry-run", "--format", "acled", source)
    assert out.startswith("would import ")
    expect(out, new=4)
    assert libya.events() == []
    assert libya.runs() == []

    libya.ok("import", "--format", "acled", source)
    before = state(libya)
    bad = str(FIXTURES / "acled_bad_rows.csv")
    with_bad = libya("import", "--dry-run", "--format", "acled", bad)
    assert with_bad.exit_code == 1
    expect(with_bad.stdout, new=3, rejected=8)
    assert len(with_bad.stderr.splitlines()) == 8
    expect(libya.ok("import", "--dry-run", "--format", "acled", source), unchanged=4)
    assert state(libya) == before
    assert len(libya.runs()) == 1


def test_dry_run_of_a_native_export_into_an_empty_database_writes_nothing(
    populated: Cli, make_db_url: Callable[[], str], tmp_path: Path
) -> None:
    path = tmp_path / "libya.jsonl"
    path.write_text(populated.export(), encoding="utf-8")
    empty = Cli(make_db_url())
    out = empty.ok("import", "--dry-run", "--format", "jsonl", str(path))
    assert counts(out)["new"] == len(populated.events())
    assert json.loads(empty.ok("timelines", "--format", "json")) == []


@ON_EVERY_STORE
def test_bad_native_documents_are_rejected_by_line(libya: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"kind": "note", "date": "2020-01-01", "title": "fine", "text": "a"}\n'
        '{"kind": "note", "date": \n'
        '{"kind": "nonsense", "date": "2020-01-01", "title": "x"}\n'
        '{"kind": "control", "date": "2020-01-02", "title": "who?", "place": "nowhere",'
        ' "by": "nobody"}\n',
        encoding="utf-8",
    )
    result = libya("import", "--format", "jsonl", str(path))
    assert result.exit_code == 1, result.output
    expect(result.stdout, new=1, rejected=3)
    lines = result.stderr.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"rejected {path}:2",
        f"rejected {path}:3",
        f"rejected {path}:4",
    ]
    assert "JSON" in lines[0]
    assert "nonsense" in lines[1]
    assert "nowhere" in lines[2] or "nobody" in lines[2]
    assert [e["title"] for e in libya.events()] == ["fine"]


@ON_EVERY_STORE
def test_a_bad_date_in_a_native_document_names_the_field_once(libya: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad_date.jsonl"
    path.write_text('{"kind": "note", "date": "2020-13-45", "title": "x"}\n', encoding="utf-8")
    result = libya("import", "--format", "jsonl", str(path))
    assert result.exit_code == 5  # its only record rejected: nothing imported
    line, _ = result.stderr.splitlines()
    assert line.startswith(f"rejected {path}:1: date: '2020-13-45' is not a date"), line
