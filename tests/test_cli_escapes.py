"""Names and titles holding terminal escapes are shown, never obeyed, by every text output,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from cli.visible import _JSON, _TEXT, json_visible, visible, visible_all
from timeline.cli import main

CLEAR = "\x1b[2J"
TITLE = "\x1b]0;owned\x07"
LINK = "\x1b]8;;http://example.invalid\x1b\\click\x1b]8;;\x1b\\"
CSI_C1 = "\x9b31m"
RTL = "\u202e"
HOSTILE = (CLEAR, TITLE, LINK, CSI_C1, RTL)
# Every character a terminal may act on rather than show.
RAW = ["\x1b", "\x07", "\x9b", "\u202e"]


def _document() -> list[dict[str, object]]:
    return [
        {"timeline": "evil", "zone": "UTC", "title": f"Evil {TITLE}"},
        {"kind": "actor.defined", "actor": "red", "name": f"Red {CLEAR}{RTL}"},
        {"kind": "actor.defined", "actor": "blue", "name": f"Blue {LINK}"},
        {"kind": "place.defined", "place": "town", "name": f"Town {CSI_C1}"},
        {
            "kind": "control",
            "date": "2020-01-01",
            "title": f"Red takes the town {TITLE}{CLEAR}",
            "place": "town",
            "by": "red",
            "from": "blue",
            "sources": [{"name": f"Wire {CSI_C1}"}],
        },
        {
            "kind": "offensive.started",
            "date": "2019-12-20",
            "title": f"Red's push {RTL}",
            "actor": "red",
            "target": "town",
            "name": f"Operation {LINK}",
        },
    ]


@pytest.fixture
def hostile(db_url: str, tmp_path: Path) -> CliRunner:
    """A database whose names, titles and sources hold escape sequences."""
    path = tmp_path / "evil.yaml"
    path.write_text(yaml.safe_dump(_document(), allow_unicode=True), encoding="utf-8")
    runner = CliRunner(env={"TIMELINE_DB": db_url, "COLUMNS": "200"})
    result = runner.invoke(main, ["import", str(path), "--format", "yaml"])
    assert result.exit_code == 0, result.output
    return runner


def _escaped(result: Result) -> str:
    assert result.exit_code == 0, result.output
    for raw in RAW:
        assert raw not in result.stdout, (raw, result.stdout)
    return result.stdout


def _event_id(runner: CliRunner) -> str:
    events = json.loads(runner.invoke(main, ["events", "--format", "json"]).stdout)
    return str(next(e["id"] for e in events if e["kind"] == "control"))


@pytest.mark.parametrize(
    "args",
    [
        ["at", "2020-02-01"],
        ["at", "2020-02-01", "--format", "markdown"],
        ["events"],
        ["events", "--format", "csv"],
        ["history", "town"],
        ["history", "red"],
        ["diff", "2019-12-01", "2020-02-01"],
        ["timelines"],
        ["timelines", "--format", "csv"],
    ],
    ids=" ".join,
)
def test_every_text_output_shows_escapes_instead_of_sending_them(
    hostile: CliRunner, args: list[str]
) -> None:
    text = _escaped(hostile.invoke(main, args))
    # What was there is still there, written out.
    assert any(visible(h) in text for h in HOSTILE), text


def test_show_escapes_the_title_fields_and_sources(hostile: CliRunner) -> None:
    text = _escaped(hostile.invoke(main, ["show", _event_id(hostile)]))
    assert visible(f"Red takes the town {TITLE}{CLEAR}") in text
    assert "Wire \\x9b31m" in text


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_escapes_what_json_itself_leaves_raw(hostile: CliRunner, fmt: str) -> None:
    text = _escaped(hostile.invoke(main, ["events", "--format", fmt]))
    records = (
        json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    )
    # The escapes are JSON's: a reader gets the original characters back.
    assert f"Red takes the town {TITLE}{CLEAR}" in {record["title"] for record in records}
    shown = _escaped(hostile.invoke(main, ["show", _event_id(hostile), "--format", "json"]))
    assert json.loads(shown)["sources"][0]["name"] == f"Wire {CSI_C1}"


def test_visible_leaves_ordinary_text_alone() -> None:
    text = "Misrāta — قاعدة الوطية, 2020-05-18 [unconfirmed] | 50% \\ done"
    assert visible(text) == text
    assert json_visible(text) == text
    assert visible("a\tb\nc\x7f\u2066") == "a\\x09b\\x0ac\\x7f\\u2066"


def test_every_escaped_character_is_one_python_calls_unprintable() -> None:
    # The premise of the fast path: a printable text holds nothing to escape.
    assert [c for c in _TEXT if chr(c).isprintable()] == []
    assert set(_JSON) <= set(_TEXT)


@given(st.text())
def test_the_fast_path_escapes_what_translating_every_text_would(text: str) -> None:
    assert visible(text) == text.translate(_TEXT)
    assert json_visible(text) == text.translate(_JSON)
    assert visible_all({text: [text, (text,)]}) == {
        text.translate(_TEXT): [text.translate(_TEXT), [text.translate(_TEXT)]]
    }
