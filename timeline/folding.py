"""Folding the log into a projector, and the snapshots that keep it as cheap as its answer.

A snapshot is the projector's state with every effective event starting before its
`boundary` folded in. The state at T folds only the events between the nearest snapshot
before T and T. Snapshots are derived and disposable: an append that touches valid times
before a snapshot's boundary supersedes it (see `SnapshotStore.supersede`): it no longer
serves answers about what is known from then on, but still serves `--as-known` answers about
what was known before. `refresh_snapshots` writes the missing current ones (and prunes the
superseded ones to as many as there are current ones), `rebuild` rewrites everything;
answers are the same with or without them.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime

from timeline.dates import OPEN_START, from_micros, to_micros
from timeline.entities import DEFINITION_KINDS
from timeline.events import Event
from timeline.projections import Projector
from timeline.revisions import REVISION_KINDS, apply_revisions, fold_order
from timeline.store import EncodedSnapshot, EventQuery, Snapshot, Store
from timeline.store.effective import revise

# Events between snapshots. An answer folds at most this many after the nearest snapshot
# (~30 us each to read and fold); halving it halves that and doubles the snapshots' storage.
SNAPSHOT_EVERY = 250
# Snapshots written per transaction while a refresh folds on: a few megabytes of JSON.
SNAPSHOT_WRITE_BATCH = 8


def fold_window(
    store: Store,
    timeline: str,
    start: datetime | None,
    end: datetime,
    as_known: datetime | None,
    as_published: datetime | None = None,
) -> list[Event]:
    """The effective events whose (corrected) start lies in [start, end), in fold order
    (recorded by `as_known` and first public by `as_published`, revisions too, when given).

    Revisions sit in the log at their target's corrected date, so a window's rows plus the
    revisions of its events are all that is needed to know what the window holds.
    """
    rows = store.log.select(
        EventQuery(
            timeline,
            exclude_kinds=tuple(DEFINITION_KINDS),
            valid_from=start,
            valid_before=end,
            as_known=as_known,
            as_published=as_published,
            with_record=False,
        )
    )
    originals: dict[str, Event] = {}
    outside_targets: set[str] = set()
    for event in rows:
        if event.kind in REVISION_KINDS:
            if event.target:
                outside_targets.add(event.target)
        else:
            originals[event.id] = event
    outside_targets -= set(originals)
    if outside_targets:
        query = EventQuery(
            ids=sorted(outside_targets),
            as_known=as_known,
            as_published=as_published,
            with_record=False,
        )
        for event in store.log.select(query):
            originals[event.id] = event
    lower = start or OPEN_START
    revised = revise(
        store.log,
        originals.values(),
        as_known=as_known,
        as_published=as_published,
        with_record=False,
    )
    out = [e for e in revised.values() if e is not None and lower <= e.date.start < end]
    out.sort(key=fold_order)
    return out


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for the duration (restoring its previous setting).

    An answer decodes a snapshot of hundreds of thousands of small JSON objects and folds
    on: allocations that trigger collection after collection, each walking the objects made
    so far, which was 40% of an answer at a million events. A projector's state forms no
    reference cycles (see `Section.handlers` and `Ledger.listen`), so reference counting frees
    it when its last user lets go; callers drop it before the collector runs again, or the
    first collection after would walk all of it.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def projector_at(
    store: Store,
    timeline: str,
    at: datetime,
    as_known: datetime | None,
    as_published: datetime | None = None,
) -> Projector:
    """A projector fed exactly the effective events starting before `at` (of those recorded
    by `as_known` and first public by `as_published`)."""
    with collector_paused():
        # Snapshots fold every event recorded by their knowledge time, published or not, so
        # none can serve an answer bounded by publication: that one folds from the start, and
        # costs the length of the log before `at`.
        snapshot = (
            None
            if as_published is not None
            else store.snapshots.before(timeline, at, as_known=as_known)
        )
        projector, start = _resume(snapshot)
        projector.apply_all(fold_window(store, timeline, start, at, as_known, as_published))
    return projector


# -- snapshots ---------------------------------------------------------------------------------


def effective_stream(store: Store, timeline: str, start: datetime | None) -> Iterator[Event]:
    """Every effective event of a timeline starting at or after `start`, in fold order,
    streamed: revisions (few) are held in memory, events are not."""
    revisions: dict[str, list[Event]] = defaultdict(list)
    for revision in store.log.select(
        EventQuery(timeline, kinds=sorted(REVISION_KINDS), order="recorded", with_record=False)
    ):
        if revision.target:
            revisions[revision.target].append(revision)
    lower = start or OPEN_START
    moved: list[Event] = []
    if revisions:
        # Revised events may have moved in valid time: they are taken out of the stream and
        # merged back in at their corrected place.
        for event in store.log.select(
            EventQuery(ids=list(revisions), exclude_kinds=list(DEFINITION_KINDS), with_record=False)
        ):
            revised = apply_revisions(event, revisions[event.id])
            if revised is not None and revised.date.start >= lower:
                moved.append(revised)
        moved.sort(key=fold_order)
    rest = (
        e
        for e in store.log.select(
            EventQuery(
                timeline,
                exclude_kinds=[*DEFINITION_KINDS, *REVISION_KINDS],
                valid_from=start,
                with_record=False,
            )
        )
        if e.id not in revisions
    )
    yield from heapq.merge(rest, moved, key=fold_order)


def refresh_snapshots(
    store: Store, timeline: str, *, every: int = SNAPSHOT_EVERY, full: bool = False
) -> int:
    """Rebuild the snapshots missing after the last valid one (all of them with `full`);
    returns how many were written.

    Snapshots are written a few at a time as the fold goes, so that memory stays flat
    however long the log; a reader meanwhile finds fewer snapshots, which is only slower.
    """
    built_through = store.log.last_seq()
    head = store.log.recording_head(timeline)
    if head is None:
        store.snapshots.drop(timeline, None, superseded=True)
        return 0
    start = None if full else store.snapshots.latest_boundary(timeline)
    snapshot = None if start is None else store.snapshots.before(timeline, start)
    projector, start = _resume(snapshot)
    count = snapshot.event_count if snapshot is not None and start is not None else 0
    store.snapshots.drop(timeline, None if start is None else _after(start), superseded=full)
    written = 0
    pending: list[EncodedSnapshot] = []
    since_last = 0
    previous_start: datetime | None = None
    with collector_paused():
        for event in effective_stream(store, timeline, start):
            if (
                since_last >= every
                and previous_start is not None
                and event.date.start > previous_start
            ):
                pending.append(
                    EncodedSnapshot(event.date.start, count, head, projector.snapshot_json())
                )
                since_last = 0
                if len(pending) >= SNAPSHOT_WRITE_BATCH:
                    written += store.snapshots.add(
                        timeline, pending, built_through_seq=built_through
                    )
                    pending = []
            projector.apply(event)
            previous_start = event.date.start
            count += 1
            since_last += 1
    written += store.snapshots.add(timeline, pending, built_through_seq=built_through)
    store.snapshots.prune_superseded(timeline)
    return written


def check_snapshots(store: Store, timeline: str) -> list[str]:
    """Fold the whole log of a timeline again and compare it with every current snapshot;
    one line for each that does not hold what the log does, or cannot be used (its content
    no longer matches its digest). Costs a full fold: for `verify --deep`, not for answers."""
    import orjson

    boundaries = store.snapshots.boundaries(timeline)
    problems: list[str] = []
    projector = Projector()
    count = 0

    def compare(boundary: datetime) -> None:
        stored = store.snapshots.before(timeline, boundary)
        where = f"{timeline}: the snapshot at {boundary.isoformat().replace('+00:00', 'Z')}"
        if stored is None or stored.boundary != boundary:
            problems.append(f"{where} does not match its digest: it was changed")
        elif stored.event_count != count or stored.state != orjson.loads(projector.snapshot_json()):
            problems.append(f"{where} does not hold what the log folds to there")

    pending = list(boundaries)
    with collector_paused():
        for event in effective_stream(store, timeline, None):
            while pending and pending[0] <= event.date.start:
                compare(pending.pop(0))
            projector.apply(event)
            count += 1
        for boundary in pending:
            compare(boundary)
    return problems


def _resume(snapshot: Snapshot | None) -> tuple[Projector, datetime | None]:
    """A projector from a stored snapshot and the boundary to fold on from, or a fresh one
    from the beginning when there is none or it was written by another version of the
    projections (snapshots are derived: such a one is only slower, never wrong)."""
    if snapshot is None:
        return Projector(), None
    try:
        return Projector.from_snapshot(snapshot.state, copy=False), snapshot.boundary
    except (ValueError, KeyError, TypeError):
        return Projector(), None


def _after(instant: datetime) -> datetime:
    return from_micros(to_micros(instant) + 1)


def rebuild(store: Store, timeline: str, *, every: int = SNAPSHOT_EVERY) -> int:
    """Drop every snapshot of a timeline, superseded ones too, and write the current ones
    again from the log."""
    return refresh_snapshots(store, timeline, every=every, full=True)


def fold_everything(events: Iterable[Event], before: datetime | None = None) -> Projector:
    """The naive fold: every event in memory, revisions applied, folded from the start
    (only those starting before `before`, when given). The reference answers are checked
    against, and what snapshots save."""
    from timeline.revisions import effective_events

    projector = Projector()
    projector.apply_all(
        sorted(
            (
                e
                for e in effective_events(events)
                if e.kind not in DEFINITION_KINDS and (before is None or e.date.start < before)
            ),
            key=fold_order,
        )
    )
    return projector
