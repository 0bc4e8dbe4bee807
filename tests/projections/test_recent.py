"""Recent events: newest first, 14 days, limited."""

from __future__ import annotations

import json

import pytest

from timeline.projections import Projector
from timeline.projections.recent import CAPACITY

from .helpers import REGISTRY, answer, before, fold, instant, make


def test_newest_first_within_14_days() -> None:
    events = [
        make(1, "note", "2020-05-01", title="too old"),
        make(2, "control", "2020-05-10", place="sirte", by="lna", title="LNA takes Sirte"),
        make(3, "note", "2020-05-12", title="later"),
        make(4, "actor.defined", "2020-05-13", actor="x", name="X"),
    ]
    recent = answer(events, "2020-05-15").recent
    assert [r["id"] for r in recent] == ["e3", "e2"]
    assert {k: recent[1][k] for k in ("id", "date", "kind", "title")} == {
        "id": "e2",
        "date": "2020-05-10",
        "kind": "control",
        "title": "LNA takes Sirte",
    }
    assert [e["id"] for e in recent[1]["entities"]] == ["lna", "sirte"]


def test_limit() -> None:
    events = [make(i, "note", f"2020-05-{i:02d}") for i in range(1, 11)]
    recent = answer(events, "2020-05-10", recent_limit=3).recent
    assert [r["id"] for r in recent] == ["e10", "e9", "e8"]
    assert answer(events, "2020-05-10", recent_limit=0).recent == ()


def test_state_is_bounded() -> None:
    events = [make(i, "note", "2020-05-01T10:00") for i in range(CAPACITY + 50)]
    projector = fold(events)
    assert len(projector.recent.events) == CAPACITY


@pytest.mark.parametrize("limit", [0, 2, 5, 12, 50])
@pytest.mark.parametrize("resumed_after", [0, 3, 8, 10])
def test_a_restored_state_shows_what_a_straight_fold_shows(limit: int, resumed_after: int) -> None:
    # Events of May 1-10 and then of May 20-22: an answer on May 23 shows those of the last
    # 14 days, some folded before the snapshot (read from it only when needed), some after.
    events = [make(i, "note", f"2020-05-{i:02d}") for i in range(1, 11)]
    events += [make(20 + i, "note", f"2020-05-{20 + i:02d}") for i in range(3)]
    ordered = before(events, "2020-05-23")
    straight = answer(events, "2020-05-23", recent_limit=limit).recent
    first = fold(ordered[:resumed_after])
    restored = Projector.from_snapshot(json.loads(json.dumps(first.snapshot())))
    restored.apply_all(ordered[resumed_after:])
    resumed = restored.answer(instant("2020-05-23"), REGISTRY, timeline="t", recent_limit=limit)
    assert resumed.recent == straight
    # And the state it writes again is the one a straight fold writes.
    assert restored.snapshot() == fold(ordered).snapshot()
