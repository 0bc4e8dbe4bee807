"""Folding the log into a projector, the snapshots that keep it as cheap as its answer, and
the fold states a long-running reader keeps in memory between answers (`FoldCache`).

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

import bisect
import contextlib
import gc
import heapq
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from timeline.dates import OPEN_START, from_micros, to_micros
from timeline.entities import REGISTRY_KINDS, Registry
from timeline.events import Event
from timeline.merges import MERGE_KINDS, Merges
from timeline.projections import Projector
from timeline.projections.basis import mentioned
from timeline.projections.fatalities import POLICY_KIND
from timeline.revisions import REVISION_KINDS, apply_revisions, fold_order
from timeline.store import EncodedSnapshot, EventQuery, Snapshot, Store
from timeline.store.codec import compress_parts
from timeline.store.effective import effective, revise

# Events between snapshots, at least. An answer folds at most this many after the nearest
# snapshot (~30 us each to read and fold); halving it halves that and doubles the snapshots'
# storage.
SNAPSHOT_EVERY = 250
# ...and more apart as the state grows. A snapshot holds the whole state, which in an imported
# war keeps growing (offensives never declared over, deployments that stay): one every 250
# events made the snapshots cost the log times the state. So the next snapshot waits one event
# per SNAPSHOT_JSON_PER_EVENT bytes of the last one's JSON: compressed (about 4.5 to 1), ~115
# bytes of snapshot per event spanned, whatever the state. Measured on a synthetic war of
# 100,000 events whose state grows to 42,000 facts: the file went from 918 MB (860 MB of it
# snapshots, 57 MB the events and their indexes) to 85 MB, the refreshes from 56 s to 10 s;
# an answer late in that war, which folds up to state-size / 512 events after its snapshot,
# from 0.59 s to 0.88 s (1,024 bytes: 113 MB and 0.61 s).
SNAPSHOT_JSON_PER_EVENT = 512


def snapshot_gap(state_json_bytes: int, every: int = SNAPSHOT_EVERY) -> int:
    """How many events to fold after a snapshot of this size before the next one: `every`,
    or more for a state too big for snapshots SNAPSHOT_EVERY apart (one of over 128 KB)."""
    by_size = -(-state_json_bytes // SNAPSHOT_JSON_PER_EVENT)
    return max(every, by_size) if by_size > SNAPSHOT_EVERY else every


# Snapshots written per transaction while a refresh folds on: up to this many, and no more
# JSON than SNAPSHOT_WRITE_BYTES between them. The count alone let a refresh of a growing war
# hold eight whole states before writing them (~10 MB of JSON each at 100,000 events, ~30 MB
# at 318,000). Peak RSS of `rebuild` of that war at 318,000 events, the same run before and
# after this bound: 348 -> 244 MB (100,000: 138 -> 122 MB), its time unchanged (31 -> 30 s).
SNAPSHOT_WRITE_BATCH = 8
SNAPSHOT_WRITE_BYTES = 4 * 1024 * 1024


def fold_window(
    store: Store,
    timeline: str,
    start: datetime | None,
    end: datetime,
    as_known: datetime | None,
    as_published: datetime | None = None,
    merges: Merges | None = None,
) -> list[Event]:
    """The effective events whose (corrected) start lies in [start, end), in fold order
    (recorded by `as_known` and first public by `as_published`, revisions too, when given),
    each attributed through `merges` (those recorded by `as_known` when None).

    Revisions sit in the log at their target's corrected date, so a window's rows plus the
    revisions of its events are all that is needed to know what the window holds.
    """
    rows = store.log.select(
        EventQuery(
            timeline,
            exclude_kinds=tuple(REGISTRY_KINDS),
            valid_from=start,
            valid_before=end,
            as_known=as_known,
            as_published=as_published,
            with_record=False,
        )
    )
    lower = start or OPEN_START
    revised = _revised(store, rows, as_known, as_published)
    out = [e for e in revised.values() if e is not None and lower <= e.date.start < end]
    out.sort(key=fold_order)
    if merges is None:
        merges = merges_of(store, timeline, as_known)
    if merges:
        out = [merges.attribute(e) for e in out]
    return out


def merges_of(store: Store, timeline: str, as_known: datetime | None) -> Merges:
    """The merges of a timeline's entities recorded by `as_known` (see `timeline.merges`).

    Like the registry, they are the timeline's vocabulary, not a fact anyone published:
    only the recording bound applies to them."""
    query = EventQuery(timeline, kinds=list(MERGE_KINDS), as_known=as_known, with_record=False)
    return Merges.from_events(effective(store.log, query))


def datasets_continuing(
    store: Store,
    timeline: str,
    datasets: Iterable[str],
    at: datetime,
    as_known: datetime | None,
    as_published: datetime | None = None,
) -> list[str]:
    """Those of `datasets` with an event starting at or after `at` (recorded by `as_known`,
    public by `as_published`): their coverage reaches past the instant. One read of at most
    one row each, in order of start from `at`: it stops at the dataset's next event, and
    only a dataset that has ended reads to the end of the log."""
    out = []
    for dataset in datasets:
        query = EventQuery(
            timeline,
            exclude_kinds=(*REGISTRY_KINDS, *REVISION_KINDS, POLICY_KIND),
            valid_from=at,
            as_known=as_known,
            as_published=as_published,
            dataset=dataset,
            limit=1,
            with_record=False,
        )
        if next(iter(store.log.select(query)), None) is not None:
            out.append(dataset)
    return out


def entity_events(
    store: Store,
    timeline: str,
    entities: Iterable[str],
    end: datetime,
    as_known: datetime | None,
    as_published: datetime | None = None,
) -> list[Event]:
    """The effective events starting before `end` whose (corrected) fields name one of the
    `entities` (ids), in fold order, under the same knowledge bounds as `fold_window`.

    A correction that names an entity brings its target in, and one that no longer names it
    takes it out: the fields are checked once the revisions are applied. Costs what the
    store's search for the entities' names costs (a scan of the timeline's payloads on SQL).
    """
    wanted = set(entities)
    rows = (
        event
        for entity in sorted(wanted)
        for event in store.log.select(
            EventQuery(
                timeline,
                exclude_kinds=tuple(REGISTRY_KINDS),
                valid_before=end,
                as_known=as_known,
                as_published=as_published,
                entity=entity,
                with_record=False,
            )
        )
    )
    revised = _revised(store, rows, as_known, as_published)
    out = [
        e
        for e in revised.values()
        if e is not None and e.date.start < end and wanted.intersection(mentioned(e))
    ]
    out.sort(key=fold_order)
    return out


def _revised(
    store: Store,
    rows: Iterable[Event],
    as_known: datetime | None,
    as_published: datetime | None,
) -> dict[str, Event | None]:
    """The events among `rows`, and the targets of the revisions among them (read from the
    log when not among them), with their revisions applied (None: retracted)."""
    originals: dict[str, Event] = {}
    targets: set[str] = set()
    for event in rows:
        if event.kind in REVISION_KINDS:
            if event.target:
                targets.add(event.target)
        else:
            originals[event.id] = event
    targets -= set(originals)
    if targets:
        query = EventQuery(
            ids=sorted(targets), as_known=as_known, as_published=as_published, with_record=False
        )
        for event in store.log.select(query):
            originals[event.id] = event
    return revise(
        store.log,
        originals.values(),
        as_known=as_known,
        as_published=as_published,
        with_record=False,
    )


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
    *,
    cache: FoldCache | None = None,
    merges: Merges | None = None,
) -> Projector:
    """A projector fed exactly the effective events starting before `at` (of those recorded
    by `as_known` and first public by `as_published`), attributed through `merges` (those
    recorded by `as_known` when None); through `cache`, when given, the fold states it
    keeps (see `FoldCache`), to the same effect."""
    if cache is not None:
        head = store.log.last_seq()
        return cache.projector_at(store, head, timeline, at, as_known, as_published, merges)
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
        projector.apply_all(fold_window(store, timeline, start, at, as_known, as_published, merges))
    return projector


# -- fold states kept in memory by a long-running reader ----------------------------------------

# Events between two fold states a `FoldCache` keeps. An answer through it decodes the nearest
# state at or before its instant (Libya: ~10 KB of JSON, ~0.5 ms) and folds on fewer than this
# many events it already holds (~0.1 ms each), where without it it reads from the database and
# folds everything since the nearest stored snapshot (SNAPSHOT_EVERY apart: ~130 events, the
# registry read again, ~18 ms an answer). Measured in-process on Libya, 1,500 random dates:
# 4, 8, 16 and 32 all cost ~2 ms an answer (decoding and rendering dominate) and hold
# 1.2-1.7 MB; 8 keeps the fold at most ~1 ms however costly a log's events are to fold.
CHECKPOINT_EVERY = 8
# At most this much memory in a FoldCache: its states' JSON, plus an estimate per event held
# (an Event with its fields and dates, as Python objects).
FOLD_CACHE_BYTES = 256 * 1024 * 1024
_EVENT_BYTES = 4096
# Registries kept, one per timeline and knowledge time asked at (each a few hundred entities).
REGISTRIES_KEPT = 32


@dataclass(slots=True)
class _Span:
    """The effective events starting in [lo, hi) (microseconds) in fold order, and fold
    states among them: `states[i]` is the state with the first `marks[i]` of `events` folded
    onto the state at `lo` (`states[0]`, `marks[0] == 0`). A state is taken only between
    events of different starts, as stored snapshots are, every `every` events."""

    lo: int
    hi: int
    every: int
    events: list[Event] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)
    states: list[bytes] = field(default_factory=list)

    def size(self) -> int:
        return sum(len(s) for s in self.states) + _EVENT_BYTES * len(self.events)

    def extend(self, projector: Projector, more: Iterable[Event], hi: int) -> None:
        """Append the events starting in [self.hi, hi), `projector` holding the fold of every
        event held so far (it is folded on)."""
        previous = self.starts[-1] if self.starts else None
        for event in more:
            start = to_micros(event.date.start)
            count = len(self.events)
            if count - self.marks[-1] >= self.every and previous is not None and start > previous:
                self.marks.append(count)
                self.states.append(projector.snapshot_json())
            projector.apply(event)
            self.events.append(event)
            self.starts.append(start)
            previous = start
        self.hi = hi

    def end_state(self) -> Projector:
        """A projector holding the fold of every event held."""
        projector = _decode(self.states[-1])
        projector.apply_all(self.events[self.marks[-1] :])
        return projector


@dataclass(slots=True)
class _Spans:
    """The spans of one timeline under one pair of knowledge bounds, by `lo`."""

    los: list[int] = field(default_factory=list)
    spans: list[_Span] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def last_from(self, instant: int) -> _Span | None:
        """The span starting latest at or before `instant`."""
        index = bisect.bisect_right(self.los, instant) - 1
        return self.spans[index] if index >= 0 else None

    def insert(self, span: _Span) -> None:
        index = bisect.bisect_left(self.los, span.lo)
        self.los.insert(index, span.lo)
        self.spans.insert(index, span)

    def size(self) -> int:
        return sum(span.size() for span in self.spans)


_Key = tuple[str, int | None, int | None]


class FoldCache:
    """Fold states of the log kept in memory between answers, for a long-running reader
    (`timeline serve`); a one-answer process (the command line) has no use for one.

    Passed to `projector_at` (and `answers.state_at`), it answers exactly as the log does:
    it keeps, per timeline and pair of knowledge bounds, the effective events it has read in
    fold order and the fold state every CHECKPOINT_EVERY events, built lazily by the answers
    asked (each reads from the nearest stored snapshot, or from the end of what is held, only
    what is not held yet). Everything it holds belongs to one state of the log, named by its
    head (the seq of the last event recorded, as the store the caller passes sees it in the
    caller's transaction; given with each call): when the head moves on, everything is
    dropped; an answer read at an older head than the latest (a transaction begun before an
    import committed) is folded from the log as without a cache. At most FOLD_CACHE_BYTES
    are held, the knowledge bounds asked least recently dropped first. Safe to share between
    threads.
    """

    def __init__(self, *, limit: int = FOLD_CACHE_BYTES, every: int = CHECKPOINT_EVERY) -> None:
        self._limit, self._every = limit, every
        self._lock = threading.Lock()
        self._head = -1
        self._spans: OrderedDict[_Key, _Spans] = OrderedDict()
        self._sizes: dict[_Key, int] = {}
        self._registries: OrderedDict[tuple[str, int | None], Registry] = OrderedDict()

    def _serves(self, head: int) -> bool:
        """Whether this cache may serve the log at `head` (dropping what an older one left)."""
        with self._lock:
            if head > self._head:
                self._head = head
                self._spans.clear()
                self._sizes.clear()
                self._registries.clear()
            return head == self._head

    def registry(
        self,
        head: int,
        timeline: str,
        as_known: datetime | None,
        load: Callable[[], Registry],
    ) -> Registry:
        """The registry `load` reads for this timeline and knowledge time, read once per head
        (`head`: the log's `last_seq`, as the caller's store sees it)."""
        if not self._serves(head):
            return load()
        key = (timeline, None if as_known is None else to_micros(as_known))
        with self._lock:
            found = self._registries.get(key)
            if found is not None:
                self._registries.move_to_end(key)
                return found
        registry = load()
        # Shared between threads from now on: its name index (built on first use) is built
        # here, before another thread can see it half built.
        registry.find("")
        with self._lock:
            self._registries[key] = registry
            while len(self._registries) > REGISTRIES_KEPT:
                self._registries.popitem(last=False)
        return registry

    def projector_at(
        self,
        store: Store,
        head: int,
        timeline: str,
        at: datetime,
        as_known: datetime | None,
        as_published: datetime | None,
        merges: Merges | None = None,
    ) -> Projector:
        """What `projector_at` answers, from the states held (reading what is missing from
        `store`, whose log's `last_seq` is `head`; `merges` as `projector_at` takes them)."""
        if not self._serves(head):
            return projector_at(store, timeline, at, as_known, as_published, merges=merges)
        key: _Key = (
            timeline,
            None if as_known is None else to_micros(as_known),
            None if as_published is None else to_micros(as_published),
        )
        with self._lock:
            spans = self._spans.get(key)
            if spans is None:
                spans = self._spans[key] = _Spans()
            self._spans.move_to_end(key)
        instant = to_micros(at)
        with collector_paused():
            with spans.lock:
                span = spans.last_from(instant)
                if span is None or instant > span.hi:
                    span = self._read(
                        store, spans, span, timeline, at, as_known, as_published, merges
                    )
                    self._account(key, spans)
                position = bisect.bisect_left(span.starts, instant)
                mark = bisect.bisect_right(span.marks, position) - 1
                state = span.states[mark]
                events = span.events[span.marks[mark] : position]
            projector = _decode(state)
            projector.apply_all(events)
        return projector

    def _read(
        self,
        store: Store,
        spans: _Spans,
        found: _Span | None,
        timeline: str,
        at: datetime,
        as_known: datetime | None,
        as_published: datetime | None,
        merges: Merges | None,
    ) -> _Span:
        """A span holding `at`: the span before it extended, or a new one from the stored
        snapshot before it, whichever leaves less to read (as `projector_at` would)."""
        snapshot = (
            None
            if as_published is not None
            else store.snapshots.before(timeline, at, as_known=as_known)
        )
        projector, start = _resume(snapshot)
        lo = to_micros(start if start is not None else OPEN_START)
        instant = to_micros(at)
        if found is not None and found.hi >= lo:
            del projector
            window = fold_window(
                store, timeline, from_micros(found.hi), at, as_known, as_published, merges
            )
            found.extend(found.end_state(), window, instant)
            return found
        span = _Span(lo, lo, self._every, marks=[0], states=[projector.snapshot_json()])
        window = fold_window(store, timeline, start, at, as_known, as_published, merges)
        span.extend(projector, window, instant)
        spans.insert(span)
        return span

    def _account(self, key: _Key, spans: _Spans) -> None:
        """Record what `key` now holds; drop the least recently asked past the limit."""
        with self._lock:
            if key not in self._spans:
                return
            self._sizes[key] = spans.size()
            while sum(self._sizes.values()) > self._limit and self._spans:
                oldest = next(iter(self._spans))
                # The span just read stays usable by the caller even when dropped here.
                del self._spans[oldest]
                self._sizes.pop(oldest, None)


def _decode(state: bytes) -> Projector:
    # A fresh copy on every call: the caller folds on it.
    return Projector.from_snapshot(orjson.loads(state), copy=False)


# -- snapshots ---------------------------------------------------------------------------------


def effective_stream(store: Store, timeline: str, start: datetime | None) -> Iterator[Event]:
    """Every effective event of a timeline starting at or after `start`, in fold order,
    attributed through the merges recorded, streamed: revisions (few) are held in memory,
    events are not."""
    merges = merges_of(store, timeline, None)
    stream = _effective_stream(store, timeline, start)
    return (merges.attribute(e) for e in stream) if merges else stream


def _effective_stream(store: Store, timeline: str, start: datetime | None) -> Iterator[Event]:
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
            EventQuery(ids=list(revisions), exclude_kinds=list(REGISTRY_KINDS), with_record=False)
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
                exclude_kinds=[*REGISTRY_KINDS, *REVISION_KINDS],
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
    built_through = store.log.last_seq(timeline)
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
    pending_bytes = 0
    since_last = 0
    # Spaced from the snapshot resumed from as from the ones this refresh writes.
    # (Its size counted part by part: the whole text of a large state is never held.)
    gap = every if start is None else snapshot_gap(sum(map(len, projector.snapshot_parts())), every)
    previous_start: datetime | None = None
    with collector_paused():
        for event in effective_stream(store, timeline, start):
            if (
                since_last >= gap
                and previous_start is not None
                and event.date.start > previous_start
            ):
                # Compressed as it is written out: the whole JSON of a growing war's state
                # is never held (~65 MB at a million events, ~20 MB compressed).
                blob, size = compress_parts(projector.snapshot_parts())
                pending.append(EncodedSnapshot(event.date.start, count, head, blob))
                # Held by `pending` alone from here: once written, it is freed before the
                # next state is, not kept by this name until then.
                del blob
                pending_bytes += size
                gap = snapshot_gap(size, every)
                since_last = 0
                if len(pending) >= SNAPSHOT_WRITE_BATCH or pending_bytes >= SNAPSHOT_WRITE_BYTES:
                    written += store.snapshots.add(
                        timeline, pending, built_through_seq=built_through
                    )
                    pending, pending_bytes = [], 0
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
        elif stored.event_count != count or _as_read(stored.state) != orjson.loads(
            projector.snapshot_json()
        ):
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


def _as_read(state: dict[str, Any]) -> Any:
    """A stored state as the projections read it, written out again: a state in a layout an
    earlier version wrote, which they still read (a materiel stock without its losses), is
    the same state. One they cannot read is compared as it is, and found different."""
    try:
        return orjson.loads(Projector.from_snapshot(state).snapshot_json())
    except (ValueError, KeyError, TypeError):
        return state


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
    """The naive fold: every event in memory, revisions applied and the merges among them,
    folded from the start (only those starting before `before`, when given). The reference
    answers are checked against, and what snapshots save."""
    from timeline.revisions import effective_events

    projector = Projector()
    in_effect = list(effective_events(events))
    merges = Merges.from_events(in_effect)
    projector.apply_all(
        sorted(
            (
                merges.attribute(e)
                for e in in_effect
                if e.kind not in REGISTRY_KINDS and (before is None or e.date.start < before)
            ),
            key=fold_order,
        )
    )
    return projector
