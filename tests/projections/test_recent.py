"""Recent events: newest first, 14 days, limited."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from typing import Any

import pytest

from timeline.entities import RegistryOnDemand
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


def test_the_entities_of_the_events_shown_are_read_in_one_go() -> None:
    # Notes name their entities in no other section: before, the answer read each of them
    # by itself as it rendered the event, and the state's texts carried the whole stored
    # section as one text.
    events = [
        make(i, "note", f"2020-05-{i:02d}", actors=[f"a{i}", f"b{i}"], place=f"p{i}")
        for i in range(1, 11)
    ]
    projector = Projector.from_snapshot(fold(events[:6]).snapshot())
    for event in events[6:]:
        projector.apply(event)
    stored = [
        (f"{t}.defined", {t: f"{letter}{i}", "name": f"{letter.upper()}{i}"})
        for i in range(1, 11)
        for t, letter in (("actor", "a"), ("actor", "b"), ("place", "p"))
    ]
    asked: list[set[str] | None] = []

    def read(entities: Collection[str] | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
        asked.append(None if entities is None else set(entities))
        return iter([(k, f) for k, f in stored if entities is None or f[k[:-8]] in entities])

    registry = RegistryOnDemand(read)
    texts = projector.texts()
    # Neither the notes' entities nor the stored section's JSON.
    assert texts.isdisjoint(f for _, fields in stored for f in fields.values())
    assert max(map(len, texts), default=0) < 20
    registry.prefetch(texts)
    recent = projector.answer(instant("2020-05-10"), registry, timeline="t", recent_limit=4).recent
    assert [r["id"] for r in recent] == ["e10", "e9", "e8", "e7"]
    assert [[e["name"] for e in r["entities"]] for r in recent][-1] == ["A7", "B7", "P7"]
    shown = {f"{letter}{i}" for i in range(7, 11) for letter in "abp"}
    assert [a for a in asked if a and a & shown] == [shown]
