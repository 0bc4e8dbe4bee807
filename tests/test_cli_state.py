"""`timeline at`, `diff`, `history`, `rebuild` and `seed` through the CLI, on both backends."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from timeline.cli import main
from timeline.store.sql import SqlStore

Invoke = Callable[..., Result]


@pytest.fixture
def libya(libya_store: SqlStore) -> Invoke:
    """A CLI on the database the run seeded once with the shipped Libya timeline (on each
    backend): these commands read it, and `seed` and `rebuild` leave its answers as they are."""
    # Wide enough that no cell of a table wraps in the middle of what a test looks for.
    runner = CliRunner(env={"COLUMNS": "250"})
    url = libya_store.engine.url.render_as_string(hide_password=False)

    def invoke(*args: str) -> Result:
        return runner.invoke(main, ["--db", url, *args])

    return invoke


def test_seed_twice_adds_nothing(libya: Invoke) -> None:
    result = libya("seed")
    assert result.exit_code == 0
    assert "0 new, 0 corrected" in result.stdout


def test_at_text_is_a_briefing(libya: Invoke) -> None:
    result = libya("at", "2020-05-26")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert text.startswith("libya at 2020-05-26T22:00:00Z, with everything recorded")
    for heading in (
        "Control of places",
        "Offensives under way",
        "Who backs whom",
        "Forces present",
        "Materiel",
        "Ceasefires",
        "Fatalities",
        "Claims",
        "Recent events",
    ):
        assert heading in text
    assert "(contested)" in text  # Wagner's presence, denied by the Kremlin


def test_at_json_is_the_documented_schema(libya: Invoke) -> None:
    result = libya("at", "2020-05-26", "--format", "json")
    answer = json.loads(result.stdout)
    assert list(answer) == [
        "timeline",
        "at",
        "as_known",
        "as_published",
        "unpublished",
        "control",
        "offensives",
        "support",
        "presence",
        "materiel",
        "ceasefires",
        "fatalities",
        "claims",
        "recent",
    ]
    assert answer["at"] == "2020-05-26T22:00:00Z"
    watiya = next(c for c in answer["control"] if c["place"]["id"] == "al-watiya")
    assert watiya["controller"] == {"id": "gna", "name": "Government of National Accord"}
    assert watiya["events"]
    assert watiya["sources"]


def test_at_markdown_sections_and_entities(libya: Invoke) -> None:
    result = libya(
        "at", "2019-06-01", "--format", "markdown", "--section", "control", "--entity", "gharyan"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# libya at 2019-06-01T22:00:00Z")
    # Its holding rests on one Reuters report: marked as resting on a single source.
    assert "| Gharyan | Libyan National Army * |" in result.stdout
    assert "## Offensives" not in result.stdout


def test_diff_text_and_json(libya: Invoke) -> None:
    text = libya("diff", "2020-04-01", "2020-06-30")
    assert text.exit_code == 0, text.output
    assert (
        "Al Watiya Air Base: Libyan National Army -> Government of National Accord" in text.stdout
    )
    data = json.loads(libya("diff", "2020-04-01", "2020-06-30", "--format", "json").stdout)
    places = {c["place"]["id"] for c in data["control"]}
    assert {"al-watiya", "tarhuna", "sabratha", "surman"} <= places


def test_history_of_a_place_and_an_actor(libya: Invoke) -> None:
    place = json.loads(libya("history", "al-watiya", "--format", "json").stdout)
    assert place["type"] == "place"
    assert [i["controller"]["id"] for i in place["control"]][-2:] == ["lna", "gna"]
    actor = json.loads(libya("history", "Wagner", "--format", "json").stdout)
    assert actor["type"] == "actor"
    assert actor["presence"]
    assert "History of Wagner Group" in libya("history", "wagner").stdout


def test_rebuild_keeps_answers(libya: Invoke) -> None:
    before = libya("at", "2020-05-26", "--format", "json").stdout
    result = libya("rebuild")
    assert result.exit_code == 0
    assert result.stdout.startswith("libya: rebuilt")
    assert libya("at", "2020-05-26", "--format", "json").stdout == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["at", "2019-13"], "'2019-13'"),
        (["at", "early May 2020"], "'early May 2020'"),
        (["at", "2020", "--as-known", "yesterday-ish"], "'yesterday-ish'"),
        (["at", "2020", "--entity", "Wagnr"], "closest: wagner"),
        (["at", "2020", "--section", "weather"], "'weather'"),
        (["diff", "2020-06", "2020-01"], "'2020-01'"),
        (["history", "Atlantis"], "'Atlantis'"),
        (["at", "2020", "--timeline", "syria"], "'syria'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(libya: Invoke, args: list[str], needle: str) -> None:
    result = libya(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0]
    assert "Traceback" not in result.output


def test_the_default_database_answers_at_once_and_says_so_once() -> None:
    # conftest points the user data folder at a temporary one: this is a brand-new machine.
    from timeline import database

    runner = CliRunner(env={"COLUMNS": "250"})
    first = runner.invoke(main, ["at", "2020-05-26", "--section", "control"])
    assert first.exit_code == 0, first.output
    assert first.stderr.startswith("new database ")
    assert "loaded the shipped timelines (libya)" in first.stderr
    assert len(first.stderr.splitlines()) == 1
    assert "Al Watiya Air Base" in first.stdout
    assert database.default_path().exists()
    again = runner.invoke(main, ["at", "2020-05-26", "--section", "control"])
    assert again.stderr == ""
    assert again.stdout == first.stdout


def test_a_named_database_starts_empty(empty_db_url: str) -> None:
    # (Made by a command that writes: one that reads creates no SQLite file.)
    assert CliRunner().invoke(main, ["--db", empty_db_url, "db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(main, ["--db", empty_db_url, "at", "2020-05-26"])
    assert result.exit_code == 2
    assert "no timeline yet" in result.stderr


def test_at_limit_keeps_the_first_facts_of_each_section_and_says_how_many_more(
    libya: Invoke,
) -> None:
    whole = json.loads(libya("at", "2020-05-26", "--format", "json").stdout)
    assert "left_out" not in whole
    cut = json.loads(libya("at", "2020-05-26", "--format", "json", "--limit", "2").stdout)
    for section in ("control", "claims"):
        assert cut[section] == whole[section][:2]
        assert cut["left_out"][section] == len(whole[section]) - 2
    assert cut["recent"] == whole["recent"]  # --recent is its own limit
    assert cut["fatalities"] == whole["fatalities"]
    assert not {s for s, n in cut["left_out"].items() if n <= 0}

    text = libya("at", "2020-05-26", "-s", "control", "--limit", "2").stdout
    control = len(whole["control"])
    assert f"Control of places ({control})" in text
    assert f"... and {control - 2} more after the first 2 (--limit N or --limit all)" in text
    markdown = libya("at", "2020-05-26", "-s", "control", "--limit", "2", "--format", "markdown")
    assert f"_... and {control - 2} more after the first 2" in markdown.stdout

    everything = libya("at", "2020-05-26", "--limit", "ALL").stdout
    assert "more after the first" not in everything


@pytest.mark.parametrize("value", ["0", "-3", "many", "2.5"])
def test_at_limit_refuses_what_is_not_a_count_in_one_line(libya: Invoke, value: str) -> None:
    result = libya("at", "2020-05-26", "--limit", value)
    assert result.exit_code == 2
    assert f"Invalid value for '--limit': '{value}' is not a number of 1 or more" in result.output
    assert len(result.output.strip().splitlines()) == 1
