"""Offensives: started until ended, by id or by name."""

from __future__ import annotations

import pytest

from timeline.projections import Projector

from .helpers import REGISTRY, answer, fold, ids, instant, make

START = make(
    1, "offensive.started", "2019-04-04", actor="lna", target="tripoli", name="Flood of Dignity"
)


def test_started_offensive_is_active() -> None:
    (item,) = answer([START], "2019-04-10").offensives
    assert item["actor"]["id"] == "lna"
    assert item["target"] == {"id": "tripoli", "name": "Tripoli"}
    assert item["name"] == "Flood of Dignity"
    assert (item["since"], item["certain"], item["events"]) == ("2019-04-04", True, ["e1"])


def test_target_may_be_missing() -> None:
    event = make(1, "offensive.started", "2019-04-04", actor="lna", name="Op")
    assert answer([event], "2019-04-10").offensives[0]["target"] is None


def test_ended_by_event_id() -> None:
    end = make(2, "offensive.ended", "2020-06-04", offensive="e1", outcome="failed")
    assert answer([START, end], "2020-06-03").offensives != ()
    assert answer([START, end], "2020-06-04").offensives == ()


def test_ended_by_name_case_insensitive() -> None:
    end = make(2, "offensive.ended", "2020-06-04", offensive="flood of  DIGNITY")
    assert answer([START, end], "2020-06-05").offensives == ()


def test_end_straddling_the_instant_leaves_it_shown_as_uncertain() -> None:
    end = make(2, "offensive.ended", "2020-06", offensive="e1")
    (item,) = answer([START, end], "2020-06-10").offensives
    assert item["certain"] is False
    assert item["status"] == "ending"
    assert item["events"] == ["e1", "e2"]
    assert answer([START, end], "2020-06-30").offensives == ()


def test_certainly_ended_offensive_leaves_the_state() -> None:
    end = make(2, "offensive.ended", "2020-06", offensive="e1")
    later = make(3, "note", "2020-07-02", text="later")
    projector = fold([START, end, later])
    assert projector.offensives.active == {}
    assert projector.ledger.entries == {}


def test_end_before_any_start_ends_nothing() -> None:
    end = make(2, "offensive.ended", "2019-04-01", offensive="Flood of Dignity")
    assert len(answer([START, end], "2019-05-01").offensives) == 1


def test_sorted_by_actor_name_then_name() -> None:
    events = [
        make(1, "offensive.started", "2019-04-04", actor="lna", name="B"),
        make(2, "offensive.started", "2019-04-05", actor="gna", name="Z"),
        make(3, "offensive.started", "2019-04-06", actor="lna", name="A"),
    ]
    items = answer(events, "2019-05-01").offensives
    assert [(i["actor"]["id"], i["name"]) for i in items] == [
        ("gna", "Z"),
        ("lna", "A"),
        ("lna", "B"),
    ]
    assert ids(items, "actor") == ["gna", "lna", "lna"]


def test_answer_before_the_last_start_is_refused() -> None:
    projector = Projector()
    projector.apply(START)
    with pytest.raises(ValueError, match="before the instant"):
        projector.answer(instant("2019-04-03"), REGISTRY, timeline="t")
