"""The store's parts, each behind a narrow interface.

A `Store` is six parts over one database: the timeline catalog, the event log, the origin
index, the snapshot store, the import-run ledger and the named feeds. Code above the store
asks for the part it uses. `Store.writing()` gives a store of the same shape whose every part
works inside one locked write transaction: everything done through it commits together or
not at all, and reads through it see the transaction's own writes.

Two implementations keep the same contract (tests/store/ runs one suite over both): the SQL
store (SQLite and PostgreSQL, `timeline.store.sql`) and the in-memory store
(`timeline.store.memory`), which chains and decodes rows with the same codec.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from timeline.events import Event, NewEvent
from timeline.store.query import EventQuery
from timeline.store.records import (
    AppendResult,
    Clock,
    EncodedSnapshot,
    Feed,
    ImportRun,
    OriginVersion,
    Snapshot,
    TimelineInfo,
    VerifyResult,
)

# Seconds a writer waits for a writer lock (its timeline's, or the database's) before it
# gives up.
DEFAULT_LOCK_TIMEOUT = 60.0


class TimelineCatalog(Protocol):
    """The timelines of a database: their names, time zones and titles."""

    def create(self, name: str, zone: str, title: str | None = None) -> TimelineInfo:
        """Create a timeline; its time zone decides what its dates mean."""
        ...

    def get(self, name: str) -> TimelineInfo:
        """One timeline, or NotFound listing the ones there are."""
        ...

    def zone(self, name: str) -> str | None:
        """The zone of a timeline, or None when there is no such timeline."""
        ...

    def names(self) -> list[str]:
        """The names of every timeline, sorted."""
        ...

    def summaries(self) -> list[TimelineInfo]:
        """Every timeline with its event count and the dates of its first and last events."""
        ...


class EventLog(Protocol):
    """The append-only, hash-chained log of events."""

    def append(self, events: Sequence[NewEvent], *, import_run: int | None = None) -> AppendResult:
        """Append a batch atomically; events whose id is stored already count as unchanged."""
        ...

    def select(self, query: EventQuery) -> Iterator[Event]:
        """Stream the events the query asks for, in its order."""
        ...

    def get(self, event_id: str) -> Event:
        """One event by id (or a unique id prefix of 8+ characters), or NotFound."""
        ...

    def revisions_of(
        self,
        ids: Iterable[str],
        *,
        as_known: datetime | None = None,
        as_published: datetime | None = None,
        with_record: bool = True,
    ) -> list[Event]:
        """The corrections and retractions that act on these events, in recording order (those
        recorded by `as_known` and first public by `as_published`, when given)."""
        ...

    def definitions(
        self,
        timeline: str,
        *,
        as_known: datetime | None = None,
        entities: Collection[str] | None = None,
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, kind, fields) of a timeline's actor and place definitions, in recording order;
        with `entities`, only the definitions of those ids (actors or places)."""
        ...

    def definition_revisions(
        self, timeline: str, *, as_known: datetime | None = None
    ) -> list[Event]:
        """The revisions of a timeline's actor and place definitions, in recording order."""
        ...

    def count(self, timeline: str | None = None) -> int:
        """How many events the log holds (in one timeline, or in all)."""
        ...

    def last_seq(self, timeline: str | None = None) -> int:
        """The seq of a timeline's last event (0 when it has none); without a timeline, the
        sum of every timeline's: a position of the whole log that every append moves on."""
        ...

    def recording_head(self, timeline: str) -> datetime | None:
        """When the latest event of a timeline was recorded."""
        ...

    def earliest_start_since(self, timeline: str, seq: int) -> datetime | None:
        """The earliest valid start that events recorded after `seq` reach back to,
        counting the targets of revisions among them."""
        ...

    def verify(
        self, *, expect_head: str | None = None, timeline: str | None = None
    ) -> VerifyResult:
        """Walk each timeline's hash chain (only `timeline`'s, when given; NotFound when there
        is no such timeline) in its recording order, against the heads recorded as it grew
        (and `expect_head`, a head hash kept elsewhere, when given); report the first fault.
        A log that was one chain before each timeline had its own is checked up to the head
        each timeline's chain is anchored to (see `timeline.store.sql.log`)."""
        ...


class OriginIndex(Protocol):
    """Where imported records stand: the latest stored version of each record key."""

    def latest(self, timeline: str, keys: Sequence[str]) -> dict[str, OriginVersion]:
        """For each stored record key, its latest version."""
        ...

    def latest_hashes(self, timeline: str, keys: Sequence[str]) -> dict[str, str | None]:
        """For each stored record key, the content hash of its latest version ("deleted" for a
        record deleted at the source): what an import compares a record with first."""
        ...


class SnapshotStore(Protocol):
    """Derived, disposable fold states of a timeline, by boundary and knowledge time."""

    def before(
        self, timeline: str, instant: datetime, *, as_known: datetime | None = None
    ) -> Snapshot | None:
        """The latest snapshot whose boundary is at or before `instant` and that holds the fold
        of what was known at `as_known` (now when None); None when there is none (or it
        cannot be read)."""
        ...

    def boundaries(self, timeline: str) -> list[datetime]:
        """The boundaries of a timeline's current snapshots, in order."""
        ...

    def latest_boundary(self, timeline: str) -> datetime | None:
        """The boundary of the last current snapshot of a timeline."""
        ...

    def add(
        self,
        timeline: str,
        snapshots: Sequence[Snapshot | EncodedSnapshot],
        *,
        built_through_seq: int | None = None,
    ) -> int:
        """Store snapshots computed from the log up to `built_through_seq`, leaving out those
        that events appended since reach back before; returns how many were kept."""
        ...

    def drop(self, timeline: str, start: datetime | None, *, superseded: bool = False) -> None:
        """Drop current snapshots from `start` on (all when None); with `superseded`, every
        superseded one too."""
        ...

    def supersede(self, earliest: Mapping[str, datetime], recorded_at: datetime) -> None:
        """Mark stale, as of `recorded_at`, each timeline's current snapshots whose boundary
        lies after the earliest valid start an append reached back to."""
        ...

    def prune_superseded(self, timeline: str) -> int:
        """Keep at most as many superseded snapshots as current ones, the most recently
        superseded; returns how many were dropped."""
        ...


class ImportLedger(Protocol):
    """The record of every import run."""

    def start(
        self,
        timeline: str,
        source: str,
        fmt: str,
        content_hash: str | None,
        *,
        feed: str | None = None,
    ) -> int:
        """Record that an import run started (reading `feed`, when named); returns its id."""
        ...

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
        """Record how an import run ended."""
        ...

    def progress(self, run_id: int, counts: Mapping[str, int]) -> None:
        """Record the counts of a run still under way, in the transaction of the batch they
        count: a run that stops (a lock timeout, a kill) leaves what it committed on record."""
        ...

    def runs(self, timeline: str | None = None, limit: int = 50) -> list[ImportRun]:
        """The most recent import runs, newest first."""
        ...

    def high_water(self, timeline: str, fmt: str, *, feed: str | None = None) -> int | None:
        """The newest source stamp a finished import of `fmt` into `timeline` saw (of the
        runs of `feed` only, when named)."""
        ...


class FeedRegistry(Protocol):
    """The named live feeds: URL, format and timeline, never a credential."""

    def add(self, name: str, timeline: str, fmt: str, url: str) -> Feed:
        """Record a new feed; InvalidInput when the name is taken."""
        ...

    def get(self, name: str) -> Feed:
        """One feed with its latest run; NotFound listing the feeds there are."""
        ...

    def all(self) -> list[Feed]:
        """Every feed with its latest run, by name."""
        ...

    def remove(self, name: str) -> None:
        """Forget a feed (its runs stay in the import ledger); NotFound when there is none."""
        ...


class Store(Protocol):
    """A database of timelines: its parts, and one way to write to them."""

    @property
    def catalog(self) -> TimelineCatalog:
        """The timelines."""
        ...

    @property
    def log(self) -> EventLog:
        """The events."""
        ...

    @property
    def origins(self) -> OriginIndex:
        """The latest versions of imported records."""
        ...

    @property
    def snapshots(self) -> SnapshotStore:
        """Fold states that keep answers cheap."""
        ...

    @property
    def imports(self) -> ImportLedger:
        """The import runs."""
        ...

    @property
    def feeds(self) -> FeedRegistry:
        """The named live feeds."""
        ...

    @property
    def clock(self) -> Clock:
        """Where recording times come from."""
        ...

    def writing(
        self, timeline: str | None = None, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> AbstractContextManager[Store]:
        """One write transaction holding the writer lock of `timeline` (of the whole database
        when None), as a store whose parts all work inside it; LockTimeout when another
        writer keeps the lock longer than `lock_timeout` seconds. Appends and snapshot writes
        take the lock of each timeline they write to as well, so naming the timeline only
        lets the transaction's reads before them see what that timeline's last writer
        committed. Writers of different timelines may run at once where the database allows
        it (PostgreSQL); SQLite and the memory store have one writer at a time. Inside a
        transaction, the same transaction."""
        ...

    def reading(self) -> AbstractContextManager[Store]:
        """A read-only view whose reads all see one state of the database, the one of its
        first read, whatever writers commit meanwhile: an answer made of several reads (the
        registry, a snapshot, the events after it) is then the answer of one state of the
        log. Inside a transaction, the same transaction."""
        ...

    def refresh_statistics(self, timeline: str) -> None:
        """Have the database's planner sample the events of `timeline` again (where it has
        one)."""
        ...
