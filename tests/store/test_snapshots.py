"""The snapshot store: which snapshot serves an answer, and what an append makes stale.

A snapshot at a boundary holds every effective event starting before it, folded from what was
known at `known_through`. An event recorded later that starts before the boundary (or revises
one that does) supersedes it: it serves no answer about today's knowledge any more, but still
serves `as_known` answers about what was known before.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from timeline.dates import UTC, parse_fuzzy
from timeline.store import EncodedSnapshot, Snapshot, Store
from timeline.store.codec import compress_parts

from .helpers import FakeClock, correction, new_event, note, with_clock

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def clocked(libya: Store, clock: FakeClock) -> Store:
    """The store with a `libya` timeline, its recording times from the test's clock."""
    return with_clock(libya, clock)


def start(date: str) -> datetime:
    """The first instant of a date, as events dated so start."""
    return parse_fuzzy(date).start


def snap(date: str, known: datetime, count: int = 0) -> Snapshot:
    """A snapshot at the start of `date`, its state naming where it was taken."""
    return Snapshot(start(date), count, known, {"at": date, "list": [1, None, "ü"]})


def boundary_before(
    store: Store, date: str, as_known: datetime | None = None, timeline: str = "libya"
) -> str | None:
    """Where the snapshot serving an answer at `date` was taken, if one does."""
    found = store.snapshots.before(timeline, start(date), as_known=as_known)
    return None if found is None else str(found.state["at"])


def test_before_serves_the_latest_boundary_at_or_before_an_instant(clocked: Store) -> None:
    clocked.catalog.create("syria", "UTC")
    assert clocked.snapshots.add("libya", []) == 0
    stored = [snap("2019-01-01", T0, 1), snap("2019-06-01", T0, 5)]
    blob, _ = compress_parts([b'{"at":', b'"2020-01-01"}'])
    encoded = EncodedSnapshot(start("2020-01-01"), 9, T0, blob)
    assert clocked.snapshots.add("libya", [*stored, encoded]) == 3

    assert boundary_before(clocked, "2018-12-31") is None
    assert boundary_before(clocked, "2019-06-01") == "2019-06-01"  # at the boundary itself
    assert boundary_before(clocked, "2019-12-31") == "2019-06-01"
    assert boundary_before(clocked, "2030") == "2020-01-01"
    middle = clocked.snapshots.before("libya", start("2019-07-01"))
    assert middle == stored[1]  # boundary, count, knowledge time and state, as stored
    assert boundary_before(clocked, "2030", timeline="syria") is None
    assert clocked.snapshots.latest_boundary("libya") == start("2020-01-01")
    assert clocked.snapshots.latest_boundary("syria") is None


def test_a_late_arrival_supersedes_the_snapshots_after_its_start(
    clocked: Store, clock: FakeClock
) -> None:
    clocked.catalog.create("syria", "UTC")
    clocked.log.append([note("libya", "2019-03-01")])
    dates = ["2019-01-01", "2019-06-01", "2020-01-01"]
    clocked.snapshots.add("libya", [snap(date, T0) for date in dates])
    clocked.snapshots.add("syria", [snap("2020-01-01", T0)])
    t1 = clock.advance(60)
    # Starts at a boundary: the snapshot there never held it, and still holds.
    clocked.log.append([note("libya", "2019-06-01")])

    assert clocked.snapshots.latest_boundary("libya") == start("2019-06-01")
    assert boundary_before(clocked, "2030") == "2019-06-01"
    # What was known before the arrival is still served from the snapshot it superseded...
    assert boundary_before(clocked, "2030", as_known=T0) == "2020-01-01"
    assert boundary_before(clocked, "2030", as_known=t1 - timedelta(microseconds=1)) == "2020-01-01"
    # ...but not what was known from the arrival on, nor before the snapshot was written.
    assert boundary_before(clocked, "2030", as_known=t1) == "2019-06-01"
    assert boundary_before(clocked, "2030", as_known=T0 - timedelta(microseconds=1)) is None
    # Another timeline's snapshots are not touched.
    assert clocked.snapshots.latest_boundary("syria") == start("2020-01-01")


def test_a_revision_reaches_back_to_the_start_of_what_it_revises(
    clocked: Store, clock: FakeClock
) -> None:
    early = note("libya", "2019-02-01")
    clocked.log.append([early])
    clocked.snapshots.add("libya", [snap(d, T0) for d in ("2019-01-01", "2019-03-01", "2020")])
    clock.advance(60)
    # A definition holds for all time and reaches back to nothing.
    clocked.log.append([new_event("libya", "actor.defined", "../..", actor="lna", name="LNA")])
    assert clocked.snapshots.latest_boundary("libya") == start("2020")
    clock.advance(60)
    clocked.log.append([correction("libya", early.id, date="2021", text="revised")])

    assert clocked.snapshots.latest_boundary("libya") == start("2019-01-01")
    assert boundary_before(clocked, "2030", as_known=T0) == "2020"


def test_add_leaves_out_what_events_appended_since_it_was_built_reach_back_before(
    clocked: Store,
) -> None:
    clocked.catalog.create("syria", "UTC")
    first = note("libya", "2019-01-10")
    clocked.log.append([first])
    built = clocked.log.last_seq("libya")
    clocked.log.append([note("libya", "2019-05-01"), note("syria", "2000")])
    dates = ["2019-04-01", "2019-05-01", "2019-06-01"]
    kept = clocked.snapshots.add("libya", [snap(d, T0) for d in dates], built_through_seq=built)
    assert kept == 2
    assert clocked.snapshots.latest_boundary("libya") == start("2019-05-01")

    # Nothing appended since: every snapshot is kept. Another timeline's events reach nothing.
    built = clocked.log.last_seq("libya")
    clocked.log.append([note("syria", "1990")])
    assert clocked.snapshots.add("libya", [snap("2019-07-01", T0)], built_through_seq=built) == 1

    # A revision appended since reaches back to its target's start.
    built = clocked.log.last_seq("libya")
    clocked.log.append([correction("libya", first.id, date="2021", text="revised")])
    late = [snap("2019-01-10", T0), snap("2019-02-01", T0)]
    assert clocked.snapshots.add("libya", late, built_through_seq=built) == 1


def test_adding_a_boundary_again_replaces_the_current_snapshot_there(
    clocked: Store, clock: FakeClock
) -> None:
    boundary = "2019-06-01"
    clocked.snapshots.add("libya", [snap(boundary, T0, 1)])
    assert clocked.snapshots.add("libya", [snap(boundary, T0, 2)]) == 1
    found = clocked.snapshots.before("libya", start(boundary))
    assert found is not None
    assert found.event_count == 2
    t1 = clock.advance(60)
    clocked.snapshots.add("libya", [snap(boundary, t1, 3)])
    assert boundary_before(clocked, boundary, as_known=T0) is None  # replaced, not kept
    t2 = clock.advance(60)
    clocked.log.append([note("libya", "2019-01-01")])  # supersedes the one known at t1
    clocked.snapshots.add("libya", [snap(boundary, t2, 4)])

    def count(as_known: datetime | None) -> int | None:
        found = clocked.snapshots.before("libya", start(boundary), as_known=as_known)
        return None if found is None else found.event_count

    # A superseded snapshot of another knowledge time is kept for `as_known` answers...
    assert (count(t1), count(None)) == (3, 4)
    # ...and one of the same knowledge time is replaced (it served no knowledge time at all).
    clocked.snapshots.add("libya", [snap(boundary, t1, 5)])
    assert (count(t1), count(None), count(t2)) == (5, 5, 5)


def test_drop_removes_current_snapshots_from_a_start_and_superseded_ones_on_request(
    clocked: Store, clock: FakeClock
) -> None:
    dates = ["2019-01-01", "2019-06-01", "2020-01-01"]
    clocked.snapshots.add("libya", [snap(d, T0) for d in dates])
    t1 = clock.advance(60)
    clocked.log.append([note("libya", "2019-07-01")])  # supersedes 2020-01-01
    clocked.snapshots.add("libya", [snap("2020-01-01", t1)])

    clocked.snapshots.drop("libya", start("2019-06-01"))
    assert clocked.snapshots.latest_boundary("libya") == start("2019-01-01")
    assert boundary_before(clocked, "2030", as_known=T0) == "2020-01-01"  # superseded: kept
    clocked.snapshots.drop("libya", None)
    assert clocked.snapshots.latest_boundary("libya") is None
    assert boundary_before(clocked, "2030", as_known=T0) == "2020-01-01"
    clocked.snapshots.drop("libya", None, superseded=True)
    assert boundary_before(clocked, "2030", as_known=T0) is None


def test_prune_keeps_as_many_superseded_snapshots_as_current_ones_the_latest_first(
    clocked: Store, clock: FakeClock
) -> None:
    dates = ["2019-01-01", "2019-02-01", "2019-03-01"]
    clocked.snapshots.add("libya", [snap(d, T0) for d in dates])
    t1 = clock.advance(60)
    clocked.log.append([note("libya", "2018")])  # supersedes all three
    clocked.snapshots.add("libya", [snap(d, t1) for d in dates])
    t2 = clock.advance(60)
    clocked.log.append([note("libya", "2018-06")])  # supersedes the three known at t1
    clocked.snapshots.add("libya", [snap(d, t2) for d in dates[:2]])
    assert clocked.snapshots.prune_superseded("syria") == 0

    # Two current ones: of the six superseded, the two superseded last, the later first.
    assert clocked.snapshots.prune_superseded("libya") == 4
    assert clocked.snapshots.prune_superseded("libya") == 0
    kept: dict[str, Any] = {d: boundary_before(clocked, d, as_known=t1) for d in dates}
    assert kept == {"2019-01-01": None, "2019-02-01": "2019-02-01", "2019-03-01": "2019-03-01"}
    assert boundary_before(clocked, "2030", as_known=T0) is None
    assert boundary_before(clocked, "2030") == "2019-02-01"
