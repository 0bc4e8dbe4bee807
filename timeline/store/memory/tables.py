"""The small parts of a memory store: the timeline catalog, the origin index, the snapshots
and the import-run ledger."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from timeline.dates import from_micros, to_micros
from timeline.errors import InvalidInput, NotFound
from timeline.revisions import REVISION_KINDS
from timeline.store.codec import compress_state, load_state
from timeline.store.memory.database import (
    DATE_TEXT,
    ID,
    KIND,
    ORIGIN_HASH,
    ORIGIN_STAMP,
    ORIGIN_VERSION,
    TARGET,
    TIMELINE,
    VALID_FROM,
    VALID_TO,
    FeedRow,
    ImportRow,
    SnapshotRow,
    TimelineRow,
)
from timeline.store.memory.log import MemoryPart
from timeline.store.records import (
    EncodedSnapshot,
    Feed,
    ImportRun,
    OriginVersion,
    Snapshot,
    TimelineInfo,
)
from timeline.store.timelines import (
    OPEN_START_US,
    REGISTRY_KINDS,
    check_new_timeline,
    count_columns,
    finished_columns,
    import_run,
)


class MemoryCatalog(MemoryPart):
    """The timelines of a memory store."""

    def create(self, name: str, zone: str, title: str | None = None) -> TimelineInfo:
        """Create a timeline; its time zone decides what its dates mean."""
        check_new_timeline(name, zone, title)
        if not self._store.bound:
            with self._store.writing() as tx:
                return tx.catalog.create(name, zone, title)
        if name in self._tables.timelines:
            raise InvalidInput(f"timeline {name!r} exists already", subject="timeline")
        self._tables.timelines[name] = TimelineRow(zone, title, to_micros(self._store.clock()))
        return TimelineInfo(name, zone, title)

    def get(self, name: str) -> TimelineInfo:
        """One timeline, or NotFound listing the ones there are."""
        row = self._tables.timelines.get(name)
        if row is None:
            known = ", ".join(self.names()) or "none"
            raise NotFound(f"no timeline {name!r} (timelines: {known})", subject="timeline")
        return TimelineInfo(name, row.zone, row.title)

    def zone(self, name: str) -> str | None:
        """The zone of a timeline, or None when there is no such timeline."""
        row = self._tables.timelines.get(name)
        return row.zone if row is not None else None

    def names(self) -> list[str]:
        """The names of every timeline, sorted."""
        return sorted(self._tables.timelines)

    def summaries(self) -> list[TimelineInfo]:
        """Every timeline with its event count and the dates of its first and last events."""
        tables = self._tables
        counts: dict[str, int] = {}
        # The date as written of each timeline's earliest-starting and latest-ending event;
        # open starts ("../2011") say nothing of when a timeline begins.
        first: dict[str, tuple[int, str]] = {}
        last: dict[str, tuple[int, str]] = {}
        for row in self._database.visible(tables.length):
            timeline = row[TIMELINE]
            if row[KIND] in REGISTRY_KINDS:
                continue
            counts[timeline] = counts.get(timeline, 0) + 1
            if row[VALID_FROM] <= OPEN_START_US:
                continue
            if timeline not in first or row[VALID_FROM] < first[timeline][0]:
                first[timeline] = (row[VALID_FROM], row[DATE_TEXT])
            if timeline not in last or row[VALID_TO] > last[timeline][0]:
                last[timeline] = (row[VALID_TO], row[DATE_TEXT])
        return [
            TimelineInfo(
                name,
                row.zone,
                row.title,
                counts.get(name, 0),
                first[name][1] if name in first else None,
                last[name][1] if name in last else None,
            )
            for name, row in sorted(tables.timelines.items())
        ]


class MemoryOrigins(MemoryPart):
    """The latest versions of imported records in a memory store."""

    def latest_hashes(self, timeline: str, keys: Sequence[str]) -> dict[str, str | None]:
        """For each stored record key, the content hash of its latest version ("deleted" for
        a record deleted at the source): what an import compares a record with first."""
        return {key: version.content_hash for key, version in self.latest(timeline, keys).items()}

    def latest(self, timeline: str, keys: Sequence[str]) -> dict[str, OriginVersion]:
        """For each stored record key, its latest version."""
        out: dict[str, OriginVersion] = {}
        length = self._tables.length
        for key in dict.fromkeys(keys):
            versions = self._database.with_origin(timeline, key, length)
            if not versions:
                continue
            row = max(versions, key=lambda row: row[ORIGIN_VERSION])
            # Every later version of a record is a revision of its first, so a revision's
            # target is the record's root event.
            root = row[TARGET] if row[TARGET] is not None and row[KIND] in REVISION_KINDS else None
            out[key] = OriginVersion(
                key,
                row[ID],
                row[KIND],
                row[ORIGIN_VERSION],
                row[ORIGIN_HASH],
                row[ORIGIN_STAMP],
                root or row[ID],
            )
        return out


class MemorySnapshots(MemoryPart):
    """The snapshots of a memory store (derived, disposable)."""

    def before(
        self, timeline: str, instant: datetime, *, as_known: datetime | None = None
    ) -> Snapshot | None:
        """The latest snapshot whose boundary is at or before `instant` and that holds the fold
        of what was known at `as_known` (now when None): one written from a log no later than
        that, and not made stale by anything recorded by then."""
        limit = to_micros(instant)
        known = to_micros(as_known) if as_known is not None else None
        serving = [
            (boundary, known_through, row)
            for (name, boundary, known_through), row in self._tables.snapshots.items()
            if name == timeline
            and boundary <= limit
            and (
                row.superseded_at is None
                if known is None
                else known_through <= known
                and (row.superseded_at is None or row.superseded_at > known)
            )
        ]
        if not serving:
            return None
        boundary, known_through, row = max(serving, key=lambda item: item[:2])
        try:
            state = load_state(row.state)
        except ValueError:
            # Derived data: a snapshot that cannot be read is as good as none.
            return None
        return Snapshot(from_micros(boundary), row.event_count, from_micros(known_through), state)

    def boundaries(self, timeline: str) -> list[datetime]:
        """The boundaries of a timeline's current snapshots, in order."""
        stored = self._tables.snapshots
        return [
            from_micros(key[1])
            for key in sorted(stored)
            if key[0] == timeline and stored[key].superseded_at is None
        ]

    def latest_boundary(self, timeline: str) -> datetime | None:
        """The boundary of the last current snapshot of a timeline."""
        boundaries = [
            boundary
            for (name, boundary, _), row in self._tables.snapshots.items()
            if name == timeline and row.superseded_at is None
        ]
        return from_micros(max(boundaries)) if boundaries else None

    def add(
        self,
        timeline: str,
        snapshots: Sequence[Snapshot | EncodedSnapshot],
        *,
        built_through_seq: int | None = None,
    ) -> int:
        """Store snapshots computed from the log up to `built_through_seq`, leaving out those
        that events appended since reach back before; returns how many were kept."""
        if not snapshots:
            return 0
        if not self._store.bound:
            with self._store.writing() as tx:
                return tx.snapshots.add(timeline, snapshots, built_through_seq=built_through_seq)
        if built_through_seq is not None:
            earliest = self._store.log.earliest_start_since(timeline, built_through_seq)
            if earliest is not None:
                snapshots = [snap for snap in snapshots if snap.boundary <= earliest]
        stored = self._tables.snapshots
        new = {
            (timeline, to_micros(snap.boundary), to_micros(snap.known_through)): SnapshotRow(
                snap.event_count, compress_state(snap)
            )
            for snap in snapshots
        }
        # An overlapping refresh may have stored the same boundaries a moment ago; and a
        # superseded snapshot of the same knowledge time serves no knowledge time at all.
        boundaries = {boundary for _, boundary, _ in new}
        for key in [
            key
            for key, row in stored.items()
            if key[0] == timeline
            and key[1] in boundaries
            and (row.superseded_at is None or key in new)
        ]:
            del stored[key]
        stored.update(new)
        return len(new)

    def drop(self, timeline: str, start: datetime | None, *, superseded: bool = False) -> None:
        """Drop current snapshots from `start` on (all when None); with `superseded`, every
        superseded one too."""
        if not self._store.bound:
            with self._store.writing() as tx:
                tx.snapshots.drop(timeline, start, superseded=superseded)
            return
        since = to_micros(start) if start is not None else None
        stored = self._tables.snapshots
        for key in [
            key
            for key, row in stored.items()
            if key[0] == timeline
            and (
                (row.superseded_at is None and (since is None or key[1] >= since))
                or (superseded and row.superseded_at is not None)
            )
        ]:
            del stored[key]

    def supersede(self, earliest: Mapping[str, datetime], recorded_at: datetime) -> None:
        """Mark stale, as of `recorded_at`, each timeline's current snapshots whose boundary
        lies after the earliest valid start an append reached back to."""
        if not self._store.bound:
            with self._store.writing() as tx:
                tx.snapshots.supersede(earliest, recorded_at)
            return
        stored = self._tables.snapshots
        starts = {timeline: to_micros(start) for timeline, start in earliest.items()}
        for key, row in list(stored.items()):
            if key[0] in starts and key[1] > starts[key[0]] and row.superseded_at is None:
                stored[key] = replace(row, superseded_at=to_micros(recorded_at))

    def prune_superseded(self, timeline: str) -> int:
        """Keep at most as many superseded snapshots of a timeline as it has current ones, the
        most recently superseded; returns how many were dropped."""
        if not self._store.bound:
            with self._store.writing() as tx:
                return tx.snapshots.prune_superseded(timeline)
        stored = self._tables.snapshots
        mine = [(key, row) for key, row in stored.items() if key[0] == timeline]
        current = sum(1 for _, row in mine if row.superseded_at is None)
        superseded = sorted(
            ((row.superseded_at, key) for key, row in mine if row.superseded_at is not None),
            key=lambda item: (item[0], item[1][1]),
            reverse=True,
        )
        for _, key in superseded[current:]:
            del stored[key]
        return len(superseded[current:])


class MemoryImports(MemoryPart):
    """The import runs of a memory store."""

    def start(
        self,
        timeline: str,
        source: str,
        fmt: str,
        content_hash: str | None,
        *,
        feed: str | None = None,
    ) -> int:
        """Record that an import run started; returns its id. Written under the writer lock,
        so that a run waiting for another gives up after its own lock timeout."""
        if not self._store.bound:
            with self._store.writing() as tx:
                return tx.imports.start(timeline, source, fmt, content_hash, feed=feed)
        runs = self._tables.imports
        run_id = max(runs, default=0) + 1
        runs[run_id] = ImportRow(
            id=run_id,
            timeline=timeline,
            source=source,
            format=fmt,
            content_hash=content_hash,
            started_at=to_micros(self._store.clock()),
            status="running",
            host=socket.gethostname()[:255],
            pid=os.getpid(),
            feed=feed,
        )
        return run_id

    def finish(
        self,
        run_id: int,
        *,
        status: str,
        counts: Mapping[str, int],
        error: str | None = None,
        content_hash: str | None = None,
        high_water: int | None = None,
    ) -> None:
        """Record how an import run ended (and the hash of what it read)."""
        if not self._store.bound:
            with self._store.writing() as tx:
                tx.imports.finish(
                    run_id,
                    status=status,
                    counts=counts,
                    error=error,
                    content_hash=content_hash,
                    high_water=high_water,
                )
            return
        runs = self._tables.imports
        row = runs.get(run_id)
        if row is None:  # as an UPDATE of no row: nothing to record
            return
        runs[run_id] = replace(
            row,
            **finished_columns(
                self._store.clock(), status, counts, error, content_hash, high_water
            ),
        )

    def progress(self, run_id: int, counts: Mapping[str, int]) -> None:
        """Record the counts of a run still under way (see `ImportLedger.progress`)."""
        if not self._store.bound:
            with self._store.writing() as tx:
                tx.imports.progress(run_id, counts)
            return
        row = self._tables.imports.get(run_id)
        if row is not None and row.status == "running":
            columns: dict[str, Any] = count_columns(counts)
            self._tables.imports[run_id] = replace(row, **columns)

    def runs(self, timeline: str | None = None, limit: int = 50) -> list[ImportRun]:
        """The most recent import runs, newest first."""
        runs = sorted(self._tables.imports.values(), key=lambda row: row.id, reverse=True)
        return [import_run(row) for row in runs if timeline is None or row.timeline == timeline][
            :limit
        ]

    def high_water(self, timeline: str, fmt: str, *, feed: str | None = None) -> int | None:
        """The newest source stamp seen by a finished import of `fmt` into `timeline` (by
        `feed`'s runs, when named): where an incremental run picks up (a failed run never
        moves it)."""
        marks = [
            row.high_water
            for row in self._tables.imports.values()
            if row.timeline == timeline
            and row.format == fmt
            and (feed is None or row.feed == feed)
            and row.status in ("ok", "rejected")
            and row.high_water is not None
        ]
        return max(marks, default=None)


class MemoryFeeds(MemoryPart):
    """The named feeds of a memory store."""

    def add(self, name: str, timeline: str, fmt: str, url: str) -> Feed:
        """Record a new feed; InvalidInput when the name is taken."""
        if not self._store.bound:
            with self._store.writing() as tx:
                return tx.feeds.add(name, timeline, fmt, url)
        if name in self._tables.feeds:
            raise InvalidInput(f"feed {name!r} exists already", subject="name")
        self._tables.feeds[name] = FeedRow(timeline, fmt, url, to_micros(self._store.clock()))
        return self.get(name)

    def get(self, name: str) -> Feed:
        """One feed with its latest run; NotFound listing the feeds there are."""
        row = self._tables.feeds.get(name)
        if row is None:
            known = ", ".join(sorted(self._tables.feeds)) or "none"
            raise NotFound(f"no feed {name!r} (feeds: {known})", subject="name")
        runs = [r for r in self._tables.imports.values() if r.feed == name]
        last = max(runs, key=lambda r: r.id, default=None)
        return Feed(
            name,
            row.timeline,
            row.format,
            row.url,
            from_micros(row.created_at),
            import_run(last) if last is not None else None,
            self._store.imports.high_water(row.timeline, row.format, feed=name),
        )

    def all(self) -> list[Feed]:
        """Every feed with its latest run, by name."""
        return [self.get(name) for name in sorted(self._tables.feeds)]

    def remove(self, name: str) -> None:
        """Forget a feed (its runs stay in the import ledger)."""
        if not self._store.bound:
            with self._store.writing() as tx:
                tx.feeds.remove(name)
            return
        self.get(name)
        del self._tables.feeds[name]
