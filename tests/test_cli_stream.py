"""`timeline at` writes its answer fact by fact as the facts are made: the same JSON, briefing
and Markdown as the whole answer written at once, on the seeded timeline and on a generated
answer of thousands of facts, on every store; JSON Lines holding the same document; and the
first facts written before the last section is made."""

from __future__ import annotations

import io
import json
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from tests import answering
from timeline import answers, api
from timeline.cli import main
from timeline.cli.briefing import RichOut, markdown, write_briefing
from timeline.cli.output import indented_json, write_json_document
from timeline.cli.visible import json_visible
from timeline.dates import parse_instant
from timeline.projections.claims import Claims
from timeline.store import Store
from timeline.store.sql import SqlStore

WIDTH = 100

# The generated war: every offensive goes on, every force stays, every transfer is listed.
ACTORS = 40
PLACES = 60
OFFENSIVES = 400
DEPLOYMENTS = 300
TRANSFERS = 120
LATE = "2021-01-01"


def invoke(url: str, *args: str) -> Result:
    result = CliRunner(env={"COLUMNS": str(WIDTH)}).invoke(main, ["--db", url, *args])
    assert result.exit_code == 0, result.output
    return result


def whole_json(answer: dict[str, Any]) -> str:
    """What `timeline at --format json` printed when it wrote the whole answer at once."""
    return str(json_visible(json.dumps(answer, indent=2, ensure_ascii=False))) + "\n"


def rich_briefing(answer: dict[str, Any]) -> str:
    """The briefing rich prints of the whole answer on a pipe."""
    buffer = io.StringIO()
    write_briefing(answer, RichOut(Console(file=buffer, width=WIDTH, highlight=False)))
    return buffer.getvalue()


def from_lines(text: str) -> dict[str, Any]:
    """The JSON document a `--format jsonl` answer holds."""
    header, *facts = (json.loads(line) for line in text.splitlines())
    assert isinstance(header, dict)
    sections = header.pop("sections")
    document: dict[str, Any] = {**header, **{name: [] for name in sections}}
    for line in facts:
        assert set(line) == {"section", "fact"}
        if line["section"] == "fatalities":
            document["fatalities"] = line["fact"]
        else:
            document[line["section"]].append(line["fact"])
    return document


def check_every_format(
    url: str, store: Store, timeline: str, date: str, *args: str, limit: int | None
) -> None:
    """Each streamed format of `at DATE ARGS` against the whole answer written at once
    (`limit`: the facts per section the text formats keep by default, or --limit gives)."""
    info = store.catalog.get(timeline)
    assert info is not None
    sections = [a for n, a in enumerate(args) if n and args[n - 1] == "--section"]
    entities = [a for n, a in enumerate(args) if n and args[n - 1] == "--entity"]

    def whole(limit: int | None) -> dict[str, Any]:
        return answering.state_at(
            store, info, date, sections=sections, entities=entities, limit=limit
        ).to_json()

    everything = whole(limit if "--limit" in args else None)
    briefed = whole(limit)
    assert invoke(url, "at", date, *args, "--format", "json").stdout == whole_json(everything)
    lines = invoke(url, "at", date, *args, "--format", "jsonl").stdout
    assert from_lines(lines) == everything
    assert invoke(url, "at", date, *args).stdout == rich_briefing(briefed)
    assert invoke(url, "at", date, *args, "--format", "markdown").stdout == (
        markdown(briefed) + "\n"
    )


def _url(store: SqlStore) -> str:
    return store.engine.url.render_as_string(hide_password=False)


# On SQLite: how each backend streams is checked below, on a large answer.
@pytest.mark.parametrize("libya_store", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "args",
    [
        ("2020-05-26",),
        ("2020-05-26", "--limit", "2"),
        ("2020-05-26", "--section", "presence", "--limit", "1"),
        ("2020-05-26", "--entity", "LNA", "--limit", "3"),
        ("2019-06-01", "--entity", "Gharyan", "--section", "control"),
        ("2020-05-26", "--section", "fatalities", "--entity", "GNA"),
    ],
    ids=" ".join,
)
def test_on_the_seeds_every_format_is_the_whole_answer_written_at_once(
    libya_store: SqlStore, args: tuple[str, ...]
) -> None:
    date, *rest = args
    given = rest[rest.index("--limit") + 1] if "--limit" in rest else "100"
    limit = None if given == "all" else int(given)
    check_every_format(_url(libya_store), libya_store, "libya", date, *rest, limit=limit)


def write_war(path: Path) -> int:
    """A native file of a war whose answer keeps growing; returns its facts at LATE but
    fatalities and recent events."""
    lines: list[dict[str, Any]] = [{"timeline": "war", "zone": "UTC"}]
    lines += [
        {"kind": "actor.defined", "actor": f"a{n}", "name": f"Armed group {n}", "title": "a"}
        for n in range(ACTORS)
    ]
    # A name the plain layout leaves to rich (two cells a character): the one table that
    # names it is printed by rich, the others laid out as plain text around it.
    lines.append({"kind": "actor.defined", "actor": "wide", "name": "Brigade 中文", "title": "a"})
    lines += [
        {"kind": "place.defined", "place": f"p{n}", "name": f"Town {n} \u202e", "title": "p"}
        for n in range(PLACES)
    ]
    source = [{"name": "Wire", "published": "2020-12-31"}]

    def day(n: int) -> str:
        return f"{2011 + n % 9}-{1 + n % 12:02d}-{1 + n % 28:02d}"

    for n in range(OFFENSIVES):
        lines.append(
            {
                "kind": "offensive.started",
                "date": day(n),
                "title": f"Offensive {n} (“Storm”) on Town {n % PLACES}",
                "actor": f"a{n % ACTORS}",
                "name": f"Operation {n}",
                "target": f"p{n % PLACES}",
                "sources": source,
            }
        )
    for n in range(DEPLOYMENTS):
        lines.append(
            {
                "kind": "deployment",
                "date": day(n + 3),
                "title": f"Force {n} deploys",
                "actor": f"a{n % ACTORS}",
                "place": f"p{n // ACTORS}",
                "strength": 10 * n + 1,
                "sources": source,
            }
        )
    for n in range(TRANSFERS):
        lines.append(
            {
                "kind": "materiel.transferred",
                "date": day(n + 5),
                "title": f"Transfer {n}",
                "item": f"Drone model {n}",
                "count": 1 + n % 7,
                "place": f"p{n % PLACES}",
                "holder": f"a{n % ACTORS}",
                "supplier": f"a{(n + 1) % ACTORS}",
                "sources": source,
            }
        )
    for n in range(PLACES):
        lines.append(
            {
                "kind": "control",
                "date": day(n + 7),
                "title": f"Town {n} taken",
                "place": f"p{n}",
                "by": f"a{n % ACTORS}",
                "from": "wide" if n == 0 else f"a{(n + 3) % ACTORS}",
                "sources": source,
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    # Deployments of one actor to one place make one presence.
    presences = len({(n % ACTORS, n // ACTORS) for n in range(DEPLOYMENTS)})
    return OFFENSIVES + presences + TRANSFERS + PLACES


@pytest.fixture
def war(make_db_url: Callable[[], str], tmp_path: Path) -> tuple[str, Store, int]:
    """A database (on the test's store) of the generated war: its URL, its store, and how
    many facts its answer at LATE lists."""
    url = make_db_url()
    facts = write_war(tmp_path / "war.jsonl")
    invoke(url, "import", str(tmp_path / "war.jsonl"), "--format", "jsonl")
    return url, api.open_store(url), facts


# In memory, and end to end on PostgreSQL, whose reads stream through server-side cursors
# (SQLite's streaming is the store contract's, tests/store/test_sql.py).
@pytest.mark.parametrize("backend", ["memory", "postgresql"])
def test_a_large_answer_is_written_in_every_format_as_the_whole_answer_would_be(
    war: tuple[str, Store, int],
) -> None:
    url, store, facts = war
    document = json.loads(invoke(url, "at", LATE, "--format", "json").stdout)
    listed = sum(len(v) for k, v in document.items() if k in ("control", "offensives", "presence"))
    assert listed + len(document["materiel"]) == facts
    check_every_format(url, store, "war", LATE, limit=100)
    check_every_format(url, store, "war", LATE, "--limit", "all", limit=None)
    check_every_format(url, store, "war", LATE, "--entity", "a3", "--limit", "7", limit=7)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("fmt", ["json", "jsonl", "text", "markdown"])
def test_the_first_facts_are_out_before_the_last_section_is_made(
    war: tuple[str, Store, int], fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The claims section is made after every other list section: when it is, what comes
    # before it must be written already (a writer holding the whole answer back has written
    # nothing by then).
    written_by_then: list[str] = []
    render = Claims.render

    def noting_what_is_out(self: Claims, view: Any) -> Iterator[dict[str, Any]]:
        sys.stdout.flush()
        captured: Any = sys.stdout.buffer  # the runner's, which keeps what was written
        written_by_then.append(captured.getvalue().decode())
        return render(self, view)

    monkeypatch.setattr(Claims, "render", noting_what_is_out)
    url, _, _ = war
    output = invoke(url, "at", LATE, "--format", fmt, "--limit", "all").stdout
    [before_claims] = written_by_then
    assert "Operation 399" in output
    # The offensives, the forces and the materiel are out; the claims are not.
    heads = {
        "json": ('"offensives": [', '"presence": [', '"materiel": [', '"claims": '),
        "jsonl": ('"section": "offensives"', '"section": "presence"', '"section": "materiel"'),
        "text": ("Offensives under way (400)", "Forces present (", "Materiel (120)", "Claims"),
        "markdown": ("## Offensives under way", "## Forces present", "## Materiel", "## Claims"),
    }[fmt]
    for head in heads[:3]:
        assert head in before_claims
        assert head in output
    assert "Operation 399" in before_claims
    if len(heads) > 3:
        assert heads[3] not in before_claims
        assert heads[3] in output
    assert len(before_claims) > len(output) / 2


@pytest.mark.parametrize("backend", ["sqlite"])
def test_writing_a_large_answer_holds_a_fact_at_a_time(war: tuple[str, Store, int]) -> None:
    # Measured from the folded state on: what writing allocates beyond it stays a small part
    # of what it writes (the whole document, or its facts as data, would be more than all of
    # it).
    _, store, _ = war
    info = store.catalog.get("war")
    assert info is not None
    written = 0

    def count(text: str) -> None:
        nonlocal written
        written += len(text)

    with answers.state_stream(store, info, parse_instant(LATE, info.zone)) as stream:
        tracemalloc.start()
        try:
            write_json_document(stream.header(), stream.sections(), count)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert written > 500_000
    assert peak < written / 4


@pytest.mark.parametrize(
    "value",
    [
        {"text": "".join(chr(c) for c in range(0x250)) + "\u2028\u202e\ufeff😀", "n": [1, -2]},
        {"deep": [{"a": [], "b": {}, "c": [[], [{}]]}], "none": None, "yes": True, "no": False},
        {"big": 2**70, "small": -(2**70)},
        [],
        {},
        "text",
    ],
)
def test_an_item_is_indented_as_the_json_module_indents_it(value: Any) -> None:
    assert indented_json(value) == json.dumps(value, indent=2, ensure_ascii=False)
