"""`--as-published` on `at`, `diff`, `history` and `events`, through the CLI on both backends.

One place changes hands twice; each report of it is published some days later, and a
correction later still, so that what had been published by a date differs from what the
database holds, and from what it had recorded by then.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from timeline.cli import main

Invoke = Callable[..., Result]

FIRST = """\
- {kind: actor.defined, actor: x, name: Force X}
- {kind: actor.defined, actor: y, name: Force Y}
- {kind: place.defined, place: a, name: Town A}
- kind: control
  id: x-takes-a
  date: 2020-05-10
  title: X takes A
  place: a
  by: x
  sources: [{name: Outlet One, published: 2020-05-12}, {name: Outlet Two, published: 2020-05-14}]
- kind: note
  date: 2020-05-16
  title: A rumour nobody dated
  sources: [{name: Somebody}]
"""
SECOND = """\
- kind: control
  id: y-takes-a
  date: 2020-05-15
  title: Y takes A from X
  place: a
  by: y
  from: x
  sources: [{name: Outlet One, published: 2020-05-25}]
- kind: correction
  target: x-takes-a
  date: 2020-05-09
  sources: [{name: Outlet Three, published: 2020-05-30}]
"""


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Invoke:
    """The CLI on a database holding the two documents above, added one after the other."""
    runner = CliRunner(env={"COLUMNS": "200"})

    def invoke(*args: str) -> Result:
        result = runner.invoke(main, ["--db", db_url, *args])
        assert "Traceback" not in result.output
        return result

    assert invoke("create", "t", "--zone", "Africa/Tripoli").exit_code == 0
    for number, text in enumerate((FIRST, SECOND)):
        path = tmp_path / f"doc{number}.yaml"
        path.write_text(text, encoding="utf-8")
        result = invoke("add", "--from-file", str(path))
        assert result.exit_code == 0, result.output
    return invoke


def run_json(cli: Invoke, *args: str) -> Any:
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def held(cli: Invoke, date: str, *bounds: str) -> tuple[str | None, str | None]:
    """Who held Town A at DATE under the bounds, and since when."""
    answer = run_json(cli, "at", date, "--section", "control", *bounds)
    control = answer["control"]
    if not control:
        return None, None
    [item] = control
    return item["controller"]["id"], item["since"]


def test_at_shows_only_what_had_been_published(cli: Invoke) -> None:
    # Everything recorded: Y took A on the 15th.
    assert held(cli, "2020-05-20") == ("y", "2020-05-15")
    # The first report came out on the 12th (the end of that day in Tripoli counts).
    assert held(cli, "2020-05-20", "--as-published", "2020-05-11") == (None, None)
    assert held(cli, "2020-05-20", "--as-published", "2020-05-12") == ("x", "2020-05-10")
    # Y's capture was published on the 25th; the correction of X's date on the 30th.
    assert held(cli, "2020-05-20", "--as-published", "2020-05-24") == ("x", "2020-05-10")
    assert held(cli, "2020-05-20", "--as-published", "2020-05-25") == ("y", "2020-05-15")
    assert held(cli, "2020-05-09", "--as-published", "2020-05-29") == (None, None)
    assert held(cli, "2020-05-09", "--as-published", "2020-05-30") == ("x", "2020-05-09")


def test_the_json_says_which_bounds_were_used(cli: Invoke) -> None:
    plain = run_json(cli, "at", "2020-05-20")
    assert (plain["as_known"], plain["as_published"], plain["unpublished"]) == (None, None, None)
    bounded = run_json(cli, "at", "2020-05-20", "--as-published", "2020-05-20")
    assert bounded["as_published"] == "2020-05-20T22:00:00Z"
    assert bounded["as_known"] is None
    # The undated rumour is left out, and counted.
    assert bounded["unpublished"] == 1
    assert [r["title"] for r in bounded["recent"]] == ["X takes A"]
    assert "A rumour nobody dated" in [r["title"] for r in plain["recent"]]


def test_as_published_combines_with_as_known(cli: Invoke) -> None:
    events = run_json(cli, "events")
    first_recorded = next(e["recorded_at"] for e in events if e["kind"] == "control")
    # Published by the 30th, but the database had recorded only the first document then.
    assert held(
        cli, "2020-05-20", "--as-published", "2020-05-30", "--as-known", first_recorded
    ) == ("x", "2020-05-10")
    answer = run_json(
        cli, "at", "2020-05-20", "--as-published", "2020-05-30", "--as-known", first_recorded
    )
    assert answer["as_known"] == first_recorded
    assert answer["as_published"] == "2020-05-30T22:00:00Z"


def test_at_text_names_the_bound_and_the_left_out(cli: Invoke) -> None:
    result = cli("at", "2020-05-20", "--as-published", "2020-05-20")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "t at 2020-05-20T22:00:00Z, as published by 2020-05-20T22:00:00Z "
        "(1 event with no publication date left out)"
    )
    markdown = cli("at", "2020-05-20", "--as-published", "2020-05-20", "--format", "markdown")
    assert "as published by 2020-05-20T22:00:00Z" in markdown.stdout


def test_diff_under_a_publication_bound(cli: Invoke) -> None:
    result = run_json(cli, "diff", "2020-05-01", "2020-05-20", "--as-published", "2020-05-20")
    assert [(c["place"]["id"], c["to"]["id"]) for c in result["control"]] == [("a", "x")]
    assert result["as_published"] == "2020-05-20T22:00:00Z"
    assert result["unpublished"] == 1
    # Every transition under the same bound: Y's capture, published on the 25th, is not one;
    # X's, at the date published then (the correction to the 9th came out on the 30th), is.
    moves = [(t["date"], t["to"]["id"]) for t in result["transitions"]]
    assert moves == [("2020-05-10", "x")]
    everything = run_json(cli, "diff", "2020-05-01", "2020-05-20")
    assert [(t["date"], t["to"]["id"]) for t in everything["transitions"]] == [
        ("2020-05-09", "x"),
        ("2020-05-15", "y"),
    ]
    assert [(c["place"]["id"], c["to"]["id"]) for c in everything["control"]] == [("a", "y")]
    assert everything["as_published"] is None
    text = cli("diff", "2020-05-01", "2020-05-20", "--as-published", "2020-05-20")
    assert "as published by 2020-05-20T22:00:00Z" in text.stdout
    assert "Town A: nobody -> Force X" in text.stdout


def test_history_under_a_publication_bound(cli: Invoke) -> None:
    result = run_json(cli, "history", "Town A", "--as-published", "2020-05-20")
    assert [(i["controller"]["id"], i["from"], i["until"]) for i in result["control"]] == [
        ("x", "2020-05-10", None)
    ]
    assert result["as_published"] == "2020-05-20T22:00:00Z"
    assert result["unpublished"] == 0  # the rumour is a note, not a kind a history follows
    everything = run_json(cli, "history", "Town A")
    assert [(i["controller"]["id"], i["from"]) for i in everything["control"]] == [
        ("x", "2020-05-09"),
        ("y", "2020-05-15"),
    ]
    text = cli("history", "Town A", "--as-published", "2020-05-20")
    assert "History of Town A (place), as published by 2020-05-20T22:00:00Z" in text.stdout
    # An interval still open ends at the latest data published by then (X took A on the
    # 10th; the undated rumour of the 16th and Y's capture of the 15th were not published).
    assert "since 2020-05-10 (latest data 2020-05-10)" in text.stdout
    assert "(latest data 2020-05-16)" in cli("history", "Town A").stdout


def test_the_end_of_the_data_under_a_bound_is_what_was_known_then(cli: Invoke) -> None:
    # After the latest event published by the 12th, the data of that knowledge ends.
    bounded = cli("at", "2020-05-14", "--as-published", "2020-05-12")
    assert "after the timeline's latest event (2020-05-10)" in bounded.stderr
    assert "after the timeline's latest event" not in cli("at", "2020-05-14").stderr


def test_events_lists_what_had_been_published(cli: Invoke) -> None:
    result = cli("events", "--as-published", "2020-05-20", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [e["title"] for e in json.loads(result.stdout)] == ["X takes A"]
    # The rumour, and the three definitions, which no source dates either.
    assert "note: 4 events with no publication date left out" in result.stderr
    one = cli("events", "--kind", "note", "--as-published", "2020-05-20")
    assert "note: 1 event with no publication date left out" in one.stderr
    later = run_json(cli, "events", "--kind", "control", "--as-published", "2020-05-30")
    assert [e["title"] for e in later] == ["X takes A", "Y takes A from X"]


@pytest.mark.parametrize("command", [["at", "2020-05-20"], ["events"], ["history", "a"]])
def test_a_bad_publication_bound_is_a_usage_error(cli: Invoke, command: list[str]) -> None:
    result = cli(*command, "--as-published", "last spring")
    assert result.exit_code == 2
    assert "--as-published" in result.stderr
    assert "last spring" in result.stderr
