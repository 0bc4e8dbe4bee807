"""Drafting's lookups of stored offensives by name: one read of the log, then a dictionary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.projections.helpers import make
from timeline.events import Event
from timeline.lookups import StoreLookups
from timeline.store import EventQuery


class CountingLog:
    """A log holding some events that counts how often it is read."""

    def __init__(self, events: list[Event]) -> None:
        self.events = events
        self.reads = 0

    def select(self, query: EventQuery) -> Iterator[Event]:
        self.reads += 1
        kinds = set(query.kinds or ())
        return iter(
            [
                e
                for e in self.events
                if e.timeline == query.timeline and (not kinds or e.kind in kinds)
            ]
        )


class Holder:
    def __init__(self, log: CountingLog) -> None:
        self.log = log


def offensives(count: int) -> list[Event]:
    return [make(n, "offensive.started", "2020", actor="a", name=f"Push {n}") for n in range(count)]


def _moved(event: Event, timeline: str) -> Event:
    data: dict[str, Any] = {f: getattr(event, f) for f in event.__dataclass_fields__}
    return Event(**{**data, "timeline": timeline})


def test_many_references_by_name_read_the_log_once() -> None:
    log = CountingLog(offensives(200))
    lookups = StoreLookups(Holder(log))  # type: ignore[arg-type]
    for n in range(200):
        assert lookups.offensive_named("t", f"PUSH {n}") == [f"e{n}"]
    assert lookups.offensive_named("t", "no such push") == []
    assert log.reads == 1


def test_a_name_shared_by_two_offensives_finds_both_and_timelines_stay_apart() -> None:
    log = CountingLog(
        [
            make(1, "offensive.started", "2019", actor="a", name="Volcano"),
            make(2, "offensive.started", "2020", actor="b", name="volcano"),
            _moved(make(3, "offensive.started", "2020", actor="b", name="Volcano"), "other"),
        ]
    )
    lookups = StoreLookups(Holder(log))  # type: ignore[arg-type]
    assert sorted(lookups.offensive_named("t", "VOLCANO")) == ["e1", "e2"]
    assert lookups.offensive_named("other", "volcano") == ["e3"]
    assert log.reads == 2
