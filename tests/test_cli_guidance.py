"""What a new user meets first: errors that say what to type, names that match however they are
spelt, and answers that say when a question falls outside the data; on both backends."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result

from timeline.cli import main
from timeline.store.sql import SqlStore

Invoke = Callable[..., Result]


@pytest.fixture
def libya(libya_store: SqlStore) -> Invoke:
    """A CLI on the run's seeded Libya database (read only here)."""
    runner = CliRunner(env={"COLUMNS": "250"})
    url = libya_store.engine.url.render_as_string(hide_password=False)
    return lambda *args: runner.invoke(main, ["--db", url, *args])


def refused(result: Result, *parts: str) -> str:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("date", "hint"),
    [
        ("2020-5-26", "did you mean 2020-05-26?"),
        ("26/05/2020", "ambiguous; write it year first, as 2020-05-26"),
        ("05/06/2020", "2020-06-05 (day first) or 2020-05-06 (month first)"),
    ],
)
def test_a_date_in_another_form_gets_the_iso_form_to_type(
    libya: Invoke, date: str, hint: str
) -> None:
    refused(libya("at", date), "DATE: ", hint)
    refused(libya("events", "--between", date, "2020-06"), "--between: ", hint)


def test_a_path_given_as_db_gets_the_sqlite_url_to_type(tmp_path: object) -> None:
    result = CliRunner().invoke(main, ["--db", "/tmp/x.db", "timelines"])
    refused(result, "--db: ", "write sqlite:////tmp/x.db")


def _ids(libya: Invoke, *args: str) -> list[str]:
    result = libya("events", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return [e["id"] for e in json.loads(result.stdout)]


@pytest.mark.parametrize("name", ["al watiya", "AL-WATIYA", "Al Watiya Air Base", "alwatiya"])
def test_entity_names_match_ignoring_case_spaces_and_hyphens(libya: Invoke, name: str) -> None:
    expected = _ids(libya, "--entity", "al-watiya")
    assert expected
    assert _ids(libya, "--entity", name) == expected


def test_misrata_matches_with_or_without_its_accent(libya: Invoke) -> None:
    assert _ids(libya, "--entity", "Misrāta") == _ids(libya, "--entity", "misrata")


def test_timelines_kinds_and_formats_match_by_the_same_rule(libya: Invoke) -> None:
    control = _ids(libya, "--kind", "control")
    assert _ids(libya, "-t", "LIBYA", "--kind", "Control") == control
    assert _ids(libya, "--kind", "CEASEFIRE.IN-FORCE") == _ids(
        libya, "--kind", "ceasefire.in_force"
    )
    result = libya("events", "--kind", "control", "--format", "CSV")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == len(control) + 1
    answer = libya("at", "2020-05-26", "--section", "Control", "--format", "JSON")
    assert json.loads(answer.stdout)["control"]


def test_an_option_taking_one_value_is_refused_when_repeated(libya: Invoke) -> None:
    refused(libya("events", "-e", "sirte", "-e", "derna"), "--entity is given more than once")
    refused(libya("at", "2020", "--format", "json", "--format", "text"), "--format")
    # Repeatable ones combine.
    result = libya(
        "at", "2020-05-26", "-e", "sirte", "-e", "al-watiya", "-s", "control", "--format", "json"
    )
    places = {c["place"]["id"] for c in json.loads(result.stdout)["control"]}
    assert places == {"sirte", "al-watiya"}


def test_an_unknown_kind_lists_the_close_ones_without_doubled_labels(libya: Invoke) -> None:
    line = refused(libya("events", "--kind", "ceasefire.agreed"), "ceasefire.proposed")
    assert line.startswith("Error: --kind: unknown kind 'ceasefire.agreed'; closest: ")
    assert "kind: kind" not in line


def test_as_known_before_the_first_recording_says_when_that_was(libya: Invoke) -> None:
    for args in (
        ["at", "2020-06-04", "--entity", "Tarhuna"],
        ["diff", "2020-01", "2020-06"],
        ["history", "tarhuna"],
    ):
        line = refused(libya(*args, "--as-known", "2001-01-01"), "--as-known: ")
        assert "nothing had been recorded in libya by 2001-01-01T22:00:00Z" in line
        assert re.search(r"first events were recorded at \d{4}-\d\d-\d\dT", line), line


@pytest.mark.parametrize(
    ("date", "note"),
    [
        ("2035", "after the timeline's latest event (2020-10-23)"),
        ("1990", "before the timeline's first event (2011-02)"),
    ],
)
def test_a_date_outside_the_data_is_said_to_be(libya: Invoke, date: str, note: str) -> None:
    result = libya("at", date)
    assert result.exit_code == 0, result.output
    assert note in result.stderr
    assert libya("at", "2019-06-01").stderr == ""


def test_an_empty_history_says_so_and_where_to_look(libya: Invoke) -> None:
    result = libya("history", "haftar")
    assert result.exit_code == 0, result.output
    assert "nothing to show" in result.stdout
    assert "timeline events --entity haftar" in result.stdout


def test_a_history_still_open_says_since_when_and_how_far_the_data_goes(libya: Invoke) -> None:
    text = libya("history", "al-watiya").stdout
    assert "since 2020-05-18 (latest data 2020-10-23)" in text
    assert " now " not in text


def test_ceasefire_violations_are_counted_by_name(libya: Invoke) -> None:
    text = libya("at", "2020-05-26", "--section", "ceasefires").stdout
    assert "Libyan National Army 3" in text
    assert "lna 3" not in text
    answer = json.loads(libya("at", "2020-05-26", "-s", "ceasefires", "--format", "json").stdout)
    [january] = [c for c in answer["ceasefires"] if c["name"] == "January 2020 ceasefire"]
    assert {"id": "lna", "name": "Libyan National Army"} in january["violators"]


def test_tables_show_short_ids_and_data_formats_whole_ones(libya: Invoke) -> None:
    table = libya("events", "--kind", "control", "--between", "2020-05", "2020-05").stdout
    whole = _ids(libya, "--kind", "control", "--between", "2020-05", "2020-05")
    assert whole
    for event_id in whole:
        assert len(event_id) == 36
        assert event_id not in table
        assert f" {event_id[:8]} " in table
        shown = libya("show", event_id[:8])
        assert shown.exit_code == 0, shown.output


def test_the_claims_heading_says_what_the_section_holds(libya: Invoke) -> None:
    text = libya("at", "2025", "--section", "claims").stdout
    # Claims of 2019-2020 show in 2025: a fact shown (Wagner's contested presence) rests on one.
    assert "Claims (last 90 days, and older ones facts above rest on)" in text
    assert "2020-05" in text  # the Since column dates them
