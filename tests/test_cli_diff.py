"""`timeline diff` lists every transition, `--net` the net change, and materiel losses show in
`at` and `history`: through the CLI on both backends, over tests/fixtures/transitions-and-
losses.yaml (a town taken and retaken between 2020-03-10 and 2020-04-30, fuzzy dates across
both, every kind of change, and drones lost beyond the holding on record)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from timeline.cli import main

Invoke = Callable[..., Result]
FIXTURE = Path(__file__).parent / "fixtures" / "transitions-and-losses.yaml"
RANGE = ("2020-03-10", "2020-04-30")

# What `diff --format json` printed before it listed transitions, key for key.
NET_KEYS = [
    "timeline",
    "from",
    "to",
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
]


@pytest.fixture
def cli(db_url: str) -> Invoke:
    """The CLI on a database holding the fixture."""
    runner = CliRunner(env={"COLUMNS": "200"})

    def invoke(*args: str) -> Result:
        result = runner.invoke(main, ["--db", db_url, *args])
        assert "Traceback" not in result.output
        return result

    result = invoke("add", "--from-file", str(FIXTURE))
    assert result.exit_code == 0, result.output
    return invoke


def run_json(cli: Invoke, *args: str) -> Any:
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_diff_lists_every_transition_in_date_order(cli: Invoke) -> None:
    result = cli("diff", *RANGE)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "t: every change from 2020-03-10T22:00:00Z to 2020-04-30T22:00:00Z"
    assert lines[1].startswith("? = the event's date straddles 2020-03-10T22:00:00Z or")
    body = [line.strip() for line in lines[2:]]
    # Town B taken and retaken: both, in order; the net view has neither.
    taken = next(i for i, line in enumerate(body) if "control: Town B: Force X -> Force Y" in line)
    retaken = next(
        i for i, line in enumerate(body) if "control: Town B: Force Y -> Force X" in line
    )
    assert body[taken].startswith("2020-03-20 ")
    assert body[retaken].startswith("2020-04-20 ")
    assert taken < retaken
    # Town A, taken "2020-03" and again across the end of April: possibly in range, marked.
    assert body[0].startswith("2020-03 ?")
    assert "control: Town A: nobody -> Force X" in body[0]
    assert body[-2].startswith("2020-04-29/2020-05-02 ?")
    assert "control: Town A: Force X -> Force Y" in body[-2]
    # The other kinds of change, each once.
    for text in (
        "offensive begun: Operation Storm by Force Y on Town B",
        "support begun: Patron Z -> Force X (arms)",
        "arrived: Patron Z at Base C (100)",
        "materiel: drone of Force X at Base C: 3 -> 1 (destroyed)",
        "materiel: drone of Force X at Base C: 1 -> 0 (captured, 1 beyond the known holding)",
        "materiel: drone of Force Y at Base C: none -> 2 (captured)",
        "ceasefire Easter truce: none -> in_force",
        "ceasefire Easter truce: in_force -> violated, violated by Force Y",
        "offensive ended: Operation Storm by Force Y",
        "left: Patron Z from Base C",
    ):
        assert sum(text in line for line in body) == 1, text
    assert body[-1] == "fatalities in between: 0 (and 0 possibly)"


def test_net_keeps_the_net_view(cli: Invoke) -> None:
    text = cli("diff", *RANGE, "--net").stdout
    assert (
        text.splitlines()[0] == "t: what changed from 2020-03-10T22:00:00Z to 2020-04-30T22:00:00Z"
    )
    assert "Town B" not in text  # held by X at both ends
    assert "control   Town A: Force X -> Force Y (2020-04-29/2020-05-02 ?)" in text
    assert "materiel added: 0 drone at Base C" in text
    net = run_json(cli, "diff", *RANGE, "--net")
    assert list(net) == NET_KEYS
    everything = run_json(cli, "diff", *RANGE)
    assert list(everything) == [*NET_KEYS, "transitions"]
    assert {k: v for k, v in everything.items() if k != "transitions"} == net


def test_transitions_in_json(cli: Invoke) -> None:
    moves = run_json(cli, "diff", *RANGE)["transitions"]
    events = {e["id"]: e for e in run_json(cli, "events")}
    for move in moves:
        assert list(move)[:6] == [
            "date",
            "kind",
            "event",
            "event_kind",
            "title",
            "possibly_in_range",
        ]
        event = events[move["event"]]
        assert (move["date"], move["event_kind"], move["title"]) == (
            event["date"],
            event["kind"],
            event["title"],
        )
        assert move["sources"] == event["sources"]
    starts = [events[m["event"]]["valid_from"] for m in moves]
    assert starts == sorted(starts)
    possibly = {m["title"] for m in moves if m["possibly_in_range"]}
    assert possibly == {
        "X takes Town A some time in March",
        "Y takes Town A around the turn of the month",
    }
    town_b = [
        (m["from"]["id"], m["to"]["id"])
        for m in moves
        if m["kind"] == "control" and m["place"]["id"] == "b"
    ]
    assert town_b == [("x", "y"), ("y", "x")]
    (captor,) = [m for m in moves if m["kind"] == "materiel.added" and m["holder"]["id"] == "y"]
    assert (captor["from"], captor["to"], captor["how"], captor["item"]) == (
        None,
        2,
        "captured",
        "drone",
    )
    (loser,) = [m for m in moves if m["event"] == captor["event"] and m is not captor]
    assert (loser["from"], loser["to"], loser["beyond_holding"]) == (1, 0, 1)


def test_diff_as_known_leaves_out_what_was_recorded_later(cli: Invoke) -> None:
    recorded = max(e["recorded_at"] for e in run_json(cli, "events"))
    later = cli(
        "add", "control", "2020-04-05", "Y takes Base C", "-f", "place=Base C", "-f", "by=y",
        "--source", "Outlet One, 2020-04-05",
    )  # fmt: skip
    assert later.exit_code == 0, later.output
    now = run_json(cli, "diff", *RANGE)["transitions"]
    then = run_json(cli, "diff", *RANGE, "--as-known", recorded)["transitions"]
    assert [m["title"] for m in now if m["title"] not in {t["title"] for t in then}] == [
        "Y takes Base C"
    ]
    text = cli("diff", *RANGE, "--as-known", recorded).stdout
    assert f"as known at {recorded}" in text.splitlines()[0]
    assert "Base C: nobody -> Force Y" not in text


def test_at_shows_what_was_lost_and_captured(cli: Invoke) -> None:
    answer = run_json(cli, "at", "2020-04-30", "--section", "materiel")
    by_holder = {m["holder"]["id"]: m for m in answer["materiel"]}
    lost = by_holder["x"]
    assert (lost["count"], lost["lost"], lost["lost_beyond_holding"]) == (0, 4, 1)
    assert [(x["how"], x["count"], x["beyond_holding"]) for x in lost["losses"]] == [
        ("destroyed", 2, 0),
        ("captured", 2, 1),
    ]
    assert lost["losses"][1]["captured_by"] == {"id": "y", "name": "Force Y"}
    gained = by_holder["y"]
    assert (gained["count"], gained["supplier"]) == (2, None)
    assert gained["captured"][0]["from"] == {"id": "x", "name": "Force X"}
    # The briefing's cell, whole in Markdown (a terminal table wraps it).
    text = cli("at", "2020-04-30", "--section", "materiel", "--format", "markdown").stdout
    assert (
        "| 2 destroyed 2020-04-10; 2 captured by Force Y 2020-04-12; 1 beyond the known holding |"
        in text
    )
    assert "| 2 captured from Force X 2020-04-12 |" in text
    # Before the losses, the three drones delivered.
    before = run_json(cli, "at", "2020-04-01", "--section", "materiel")["materiel"]
    assert [(m["count"], m["lost"], m["losses"]) for m in before] == [(3, 0, [])]


def test_history_lists_the_materiel_changes(cli: Invoke) -> None:
    history = run_json(cli, "history", "Force Y")
    assert [(m["date"], m["kind"], m["how"], m["to"]) for m in history["materiel"]] == [
        ("2020-04-12", "materiel.added", "captured", 2)
    ]
    place = run_json(cli, "history", "Base C")
    assert [m["to"] for m in place["materiel"]] == [3, 1, 0, 2]
    text = cli("history", "Base C").stdout
    assert "\nmateriel\n" in text
    assert "2020-04-10  drone of Force X at Base C: 3 -> 1 (destroyed)" in text


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        (["-f", "how=stolen"], "how: 'stolen' is not one of destroyed, captured, lost, withdrawn"),
        (["-f", "how=destroyed", "-f", "captured_by=y"], "captured_by: 'y' is given, but how is"),
        ([], "how: required for kind materiel.lost"),
    ],
)
def test_a_bad_loss_is_one_line_and_leaves_the_database_as_it_was(
    cli: Invoke, fields: list[str], needle: str
) -> None:
    count = len(run_json(cli, "events"))
    result = cli("add", "materiel.lost", "2020-04-13", "A loss", "-f", "item=drone", *fields)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert needle in line
    assert len(run_json(cli, "events")) == count
