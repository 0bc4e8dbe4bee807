"""Recent events: newest first, 14 days, limited."""

from __future__ import annotations

from timeline.projections.recent import CAPACITY

from .helpers import answer, fold, make


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
