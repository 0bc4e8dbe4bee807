"""A correction made by a re-import restates its record: the record's sources are those of its
latest version, never the union of every version's (SQLite and PostgreSQL, CSV and native)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.test_import import FIXTURES, Cli, csv_rows, expect, write_csv


@pytest.fixture
def libya(db_url: str) -> Cli:
    cli = Cli(db_url)
    cli.ok("create", "libya", "--zone", "Africa/Tripoli")
    return cli


def cited(cli: Cli, place: str) -> list[str]:
    """The names of the sources the control of `place` rests on, in the answer."""
    [fact] = [c for c in cli.at()["control"] if c["place"]["name"] == place]
    sources: list[dict[str, Any]] = fact["sources"]
    return [s["name"] for s in sources]


def test_an_acled_row_revised_cites_only_its_latest_sources(libya: Cli, tmp_path: Path) -> None:
    rows = [r for r in csv_rows(FIXTURES / "acled_current.csv") if r["event_id_cnty"] == "LBY10004"]

    def version(source: str, stamp: int) -> Path:
        rows[0].update(source=source, timestamp=str(stamp))
        return write_csv(tmp_path / f"v{stamp}.csv", rows)

    expect(libya.ok("import", "--format", "acled", str(version("Libya Observer", 1))), new=1)
    assert cited(libya, "Al Watiya") == ["ACLED", "Libya Observer"]
    expect(libya.ok("import", "--format", "acled", str(version("Reuters", 2))), corrected=1)
    assert cited(libya, "Al Watiya") == ["ACLED", "Reuters"]
    expect(libya.ok("import", "--format", "acled", str(version("Libya Observer", 3))), corrected=1)
    assert cited(libya, "Al Watiya") == ["ACLED", "Libya Observer"]
    corrections = libya.events("--kind", "correction")
    assert [c["fields"]["restates"] for c in corrections] == [True, True]


def test_a_native_document_revised_cites_only_its_latest_sources(
    libya: Cli, tmp_path: Path, make_db_url: Callable[[], str]
) -> None:
    path = tmp_path / "doc.jsonl"
    definitions = [
        {"kind": "actor.defined", "actor": "gna", "name": "GNA"},
        {"kind": "place.defined", "place": "al-watiya", "name": "Al Watiya"},
    ]

    def document(source: str) -> Path:
        event = {
            "id": "watiya",
            "kind": "control",
            "date": "2020-05-18",
            "title": "GNA takes Al Watiya",
            "place": "al-watiya",
            "by": "gna",
            "sources": [{"name": source}],
        }
        path.write_text("".join(json.dumps(d) + "\n" for d in [*definitions, event]))
        return path

    expect(libya.ok("import", "--format", "jsonl", str(document("Daily Sabah"))), new=3)
    expect(
        libya.ok("import", "--format", "jsonl", str(document("Reuters"))), corrected=1, unchanged=2
    )
    assert cited(libya, "Al Watiya") == ["Reuters"]
    # (The document as first recorded again would be unchanged: an export holds each event
    # as first recorded and then its revisions, and must import back as it is.)
    expect(
        libya.ok("import", "--format", "jsonl", str(document("Al Jazeera"))),
        corrected=1,
        unchanged=2,
    )
    assert cited(libya, "Al Watiya") == ["Al Jazeera"]

    # An export of it imports back into an empty database with the same answer.
    exported = tmp_path / "export.jsonl"
    exported.write_text(libya.export(), encoding="utf-8")
    fresh = Cli(make_db_url())
    fresh.ok("import", "--format", "jsonl", str(exported))
    assert cited(fresh, "Al Watiya") == ["Al Jazeera"]


def test_a_correction_typed_by_hand_adds_its_source(libya: Cli, tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(
        "- kind: actor.defined\n  actor: gna\n  name: GNA\n"
        "- kind: place.defined\n  place: tarhuna\n  name: Tarhuna\n"
        "- kind: control\n  id: tarhuna\n  date: 2020-06-05\n  title: GNA takes Tarhuna\n"
        "  place: tarhuna\n  by: gna\n  sources: [{name: Reuters}]\n",
        encoding="utf-8",
    )
    libya.ok("import", "--format", "yaml", str(path))
    [event] = libya.events("--kind", "control")
    libya.ok("correct", event["id"], "--date", "2020-06-04", "--source", "AFP")
    assert cited(libya, "Tarhuna") == ["Reuters", "AFP"]


# -- the same document, added or imported ----------------------------------------------------------

NEW_TIMELINE = (
    "- timeline: syria\n  zone: Asia/Damascus\n  title: Syrian civil war\n"
    "- kind: actor.defined\n  actor: sdf\n  name: Syrian Democratic Forces\n"
    "- kind: note\n  id: raqqa\n  date: 2017-10-17\n  title: SDF declare Raqqa taken\n"
    "  text: x\n  about: [sdf]\n"
)


def test_a_document_for_a_new_timeline_means_the_same_added_or_imported(
    make_db_url: Callable[[], str], tmp_path: Path
) -> None:
    path = tmp_path / "syria.yaml"
    path.write_text(NEW_TIMELINE, encoding="utf-8")
    added, imported = Cli(make_db_url()), Cli(make_db_url())
    added.ok("create", "libya", "--zone", "Africa/Tripoli")
    imported.ok("create", "libya", "--zone", "Africa/Tripoli")

    added.ok("add", "--from-file", str(path))
    expect(imported.ok("import", "--format", "yaml", str(path)), new=2)

    timelines = [json.loads(c.ok("timelines", "--format", "json")) for c in (added, imported)]
    assert timelines[0] == timelines[1]
    assert {t["name"]: t["zone"] for t in timelines[0]} == {
        "libya": "Africa/Tripoli",
        "syria": "Asia/Damascus",
    }

    def events(cli: Cli) -> list[tuple[str, str, str]]:
        return [(e["id"], e["kind"], e["date"]) for e in cli.events("--timeline", "syria")]

    assert events(added) == events(imported)
    assert len(events(added)) == 2
    # Again: nothing new either way.
    added.ok("add", "--from-file", str(path))
    assert len(events(added)) == 2


def test_a_document_whose_header_contradicts_the_database_adds_nothing(
    libya: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "wrong.yaml"
    path.write_text(NEW_TIMELINE.replace("syria", "libya"), encoding="utf-8")
    result = libya("add", "--from-file", str(path))
    assert result.exit_code == 2, result.output
    assert "zone 'Asia/Damascus' differs from timeline 'libya'" in result.stderr
    other = libya("add", "--from-file", str(tmp_path / "wrong.yaml"), "--timeline", "syria")
    assert other.exit_code == 2
    assert "the document is for timeline 'libya', not 'syria'" in other.stderr
    assert libya.events() == []
    assert [t["name"] for t in json.loads(libya.ok("timelines", "--format", "json"))] == ["libya"]
