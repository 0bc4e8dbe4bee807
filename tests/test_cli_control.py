"""Divided and contested places, and how well control is corroborated, through the command
line on both databases (tests/fixtures/divided-city.yaml: Port City held by the North Army,
fought over from February 2020, its harbour taken by the South Front in March, all of it
in June; Hill Base held by the East Militia on one paper's word)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.test_cli import no_traceback
from timeline.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "divided-city.yaml"

Invoke = Callable[..., Result]


@pytest.fixture
def city(db_url: str) -> Invoke:
    """A database holding the fixture's timeline, `riverland`."""
    runner = CliRunner(env={"COLUMNS": "200"})

    def invoke(*args: str, input: str | None = None) -> Result:
        result = runner.invoke(main, ["--db", db_url, *args], input=input)
        no_traceback(result)
        return result

    assert invoke("import", str(FIXTURE)).exit_code == 0
    return invoke


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def port_city(city: Invoke, date: str) -> dict[str, Any]:
    answer = json.loads(ok(city("at", date, "--entity", "port-city", "--format", "json")))
    (item,) = answer["control"]
    return dict(item)


def test_a_contest_and_a_part_taken_show_in_the_json(city: Invoke) -> None:
    before = port_city(city, "2020-01-20")
    assert (before["status"], before["contest"]) == ("held", None)
    item = port_city(city, "2020-03-15")
    assert item["status"] == "contested"
    assert item["controller"]["id"] == "south"  # the side that last took a part
    assert (item["partial"], item["since"], item["from"]["id"]) == (True, "2020-03-01", "north")
    assert [(h["actor"]["id"], h["partial"]) for h in item["holders"]] == [
        ("south", True),
        ("north", True),
    ]
    assert [p["id"] for p in item["contest"]["parties"]] == ["north", "south"]
    assert item["contest"]["since"] == "2020-02-01"
    after = port_city(city, "2020-07-01")
    assert (after["status"], after["partial"], after["contest"]) == ("held", False, None)
    assert [h["actor"]["id"] for h in after["holders"]] == ["south"]


def test_corroboration_counts_outlets_and_confirmations(city: Invoke) -> None:
    # Wire A and "Paper C (Wire A)", which printed it, are one outlet.
    first = port_city(city, "2020-03-15")["corroboration"]
    assert (first["sources"], first["events"], first["single_source"]) == (1, 1, True)
    assert first["source_names"] == ["Wire A", "Paper C (Wire A)"]
    confirmed = port_city(city, "2020-04-15")["corroboration"]
    assert confirmed == {
        "sources": 2,
        "datasets": 0,
        "events": 2,
        "latest": "2020-04-01",
        "single_source": False,
        "source_names": ["Wire A", "Paper C (Wire A)", "Paper D"],
        "dataset_names": [],
    }


def test_the_briefing_marks_single_sources_parts_and_contests(city: Invoke) -> None:
    text = ok(city("at", "2020-04-15", "--section", "control"))
    assert "* = the holding rests on a single source (one outlet, or none)" in text
    rows = [line for line in text.splitlines() if line.startswith("│")]
    hill, port = rows[0], rows[1]
    assert "│ Hill Base │ East Militia * " in hill
    # Two outlets report the South Front's part, one the North Army's holding.
    assert "South Front (part); North Army (part) *" in port
    assert "Contested by" in text
    assert "North Army, South Front (since 2020-02-01)" in port
    markdown = ok(city("at", "2020-04-15", "--section", "control", "--format", "markdown"))
    assert "_\\* = the holding rests on a single source (one outlet, or none)._" in markdown
    assert "| Hill Base | East Militia * |" in markdown


def test_no_legend_when_no_fact_rests_on_a_single_source(city: Invoke) -> None:
    text = ok(city("at", "2020-07-01", "--entity", "port-city", "--section", "control"))
    assert "single source" not in text
    assert "South Front *" not in text


def test_history_shows_parts_and_the_contest(city: Invoke) -> None:
    text = ok(city("history", "port-city"))
    assert "Port City held by North Army (part of it from 2020-03-01)" in text
    assert "\ncontests\n" in text
    assert "2020-02-01 .. 2020-06-01  Port City contested by North Army, South Front" in text
    doc = json.loads(ok(city("history", "Port City", "--format", "json")))
    (contest,) = doc["contests"]
    assert [p["id"] for p in contest["parties"]] == ["north", "south"]
    assert (contest["from"], contest["until"]) == ("2020-02-01", "2020-06-01")
    assert [(i["controller"]["id"], i["partial"]) for i in doc["control"]] == [
        ("north", True),
        ("south", True),
        ("south", False),
    ]
    south = json.loads(ok(city("history", "south", "--format", "json")))
    assert [c["place"]["id"] for c in south["contests"]] == ["port-city"]


def test_diff_shows_a_place_becoming_contested_and_divided(city: Invoke) -> None:
    net = ok(city("diff", "2020-01-20", "2020-03-15", "--net"))
    shape = (
        "[held -> contested; divided between South Front, North Army; contested by North "
        "Army, South Front]"
    )
    assert f"control   Port City: North Army -> South Front (2020-03-01) {shape}" in net
    # The transitions tell it event by event: fought over, then divided.
    text = ok(city("diff", "2020-01-20", "2020-03-15"))
    assert (
        "2020-02-01  control: Port City: North Army -> North Army [held -> contested; "
        "contested by North Army, South Front]"
    ) in text
    assert (
        "2020-03-01  control: Port City: North Army -> South Front [divided between South "
        "Front, North Army; contested by North Army, South Front]"
    ) in text
    attacked, divided = json.loads(
        ok(city("diff", "2020-01-20", "2020-03-15", "--format", "json"))
    )["transitions"]
    assert (attacked["from_status"], attacked["to_status"]) == ("held", "contested")
    assert [h["id"] for h in divided["holders"]] == ["south", "north"]
    # The same controller before and after: the end of the contest is still a change.
    later = json.loads(ok(city("diff", "2020-04-15", "2020-07-01", "--format", "json")))
    (change,) = later["control"]
    assert (change["from"]["id"], change["to"]["id"]) == ("south", "south")
    assert (change["from_status"], change["to_status"]) == ("contested", "held")
    assert (change["holders"], change["contested_by"]) == (
        [{"id": "south", "name": "South Front"}],
        [],
    )
    assert "[contested -> held]" in ok(city("diff", "2020-04-15", "2020-07-01"))


def test_the_geojson_carries_the_status_and_the_corroboration(city: Invoke) -> None:
    collection = json.loads(ok(city("at", "2020-04-15", "--format", "geojson")))
    places = {
        f["properties"]["id"]: f["properties"]
        for f in collection["features"]
        if f["properties"]["feature"] == "place"
    }
    assert places["port-city"]["status"] == "contested"
    assert len(places["port-city"]["holders"]) == 2
    assert places["hill-base"]["corroboration"]["single_source"] is True


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            "- {kind: control.contested, date: 2020-05-01, title: x, place: port-city}\n",
            "parties: required for kind control.contested",
        ),
        (
            "- {kind: control, date: 2020-05-01, title: x, place: port-city, by: north,"
            " partial: maybe}\n",
            "partial: 'maybe' is not true or false",
        ),
        (
            "- {kind: control.contested, date: 2020-05-01, title: x, place: port-city,"
            " parties: [north, nobody]}\n",
            "nobody",
        ),
    ],
)
def test_bad_control_events_are_refused_and_change_nothing(
    city: Invoke, document: str, message: str
) -> None:
    before = ok(city("events", "--format", "jsonl"))
    result = city("add", "--from-file", "-", input=document)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert ok(city("events", "--format", "jsonl")) == before
