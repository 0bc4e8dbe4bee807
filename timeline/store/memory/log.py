"""The event log in memory: rows chained and decoded by the codec, reads by `EventQuery`."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from timeline.dates import from_micros
from timeline.entities import defined_entity
from timeline.errors import InvalidInput, NotFound, TimelineError
from timeline.events import Event, NewEvent
from timeline.limits import check_event
from timeline.revisions import REVISION_KINDS
from timeline.store.codec import batch_heads, chain, verify_log
from timeline.store.memory.database import (
    ID,
    KIND,
    ORIGIN_VERSION,
    RECORDED_AT,
    SEQ,
    TARGET,
    TIMELINE,
    VALID_FROM,
    MemoryDatabase,
    Row,
    Tables,
)
from timeline.store.query import EventQuery
from timeline.store.records import AppendResult, VerifyResult
from timeline.store.staleness import earliest_reached, earliest_start
from timeline.store.timelines import DEFINITION_KINDS

if TYPE_CHECKING:
    from timeline.store.memory import MemoryStore


class MemoryPart:
    """A part of a memory store. Bound to a write transaction it sees and changes the
    transaction's tables; otherwise it reads the last commit, and each write runs in a
    transaction of its own (see `MemoryStore.writing`)."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    @property
    def _database(self) -> MemoryDatabase:
        return self._store.database

    @property
    def _tables(self) -> Tables:
        return self._store.tables


class MemoryLog(MemoryPart):
    """The events of a memory store."""

    # -- writing -------------------------------------------------------------------------------

    def append(self, events: Sequence[NewEvent], *, import_run: int | None = None) -> AppendResult:
        """Append a batch atomically; events whose id is stored already count as unchanged."""
        if not self._store.bound:
            with self._store.writing() as tx:
                return tx.log.append(events, import_run=import_run)
        database, tables = self._database, self._tables
        result = AppendResult()
        for event in events:
            # Whoever drafted them, no event reaches the rows with a value they cannot hold.
            check_event(event)
        batch_ids: set[str] = set()
        pending: list[NewEvent] = []
        for event in events:
            if event.id in batch_ids or database.find(event.id, tables.length) is not None:
                result.unchanged += 1
                continue
            if event.timeline not in tables.timelines:
                raise NotFound(
                    f"no timeline {event.timeline!r}; create it first", subject="timeline"
                )
            batch_ids.add(event.id)
            pending.append(event)
        for event in pending:
            target = event.target if event.kind in REVISION_KINDS else None
            if target and target not in batch_ids and database.find(target, tables.length) is None:
                raise NotFound(f"{event.kind}: target: no event {target!r}")
        if not pending:
            return result
        # What the SQL schema refuses, refused before anything is appended: the batch stays
        # whole even for a caller that catches the error and goes on in the transaction.
        self._check_constraints(pending, import_run)

        zones = {e.timeline: tables.timelines[e.timeline].zone for e in pending}
        tips = {name: tables.tips[name] for name in zones if name in tables.tips}
        rows, result.added, recorded_at = chain(
            pending, tips, self._store.clock(), import_run, zones
        )
        for row in rows:
            database.push(row)
        tables.length = len(database.rows)
        recorded_us = rows[0][RECORDED_AT]
        for name, (seq, digest) in batch_heads(rows).items():
            tables.heads[name, seq] = digest
            tables.tips[name] = (seq, digest, recorded_us)
        self._store.snapshots.supersede(earliest_reached(pending, self._earliest_of), recorded_at)
        return result

    def _check_constraints(self, pending: Sequence[NewEvent], import_run: int | None) -> None:
        # The foreign key to the import runs, and one row per version of a record.
        if import_run is not None and import_run not in self._tables.imports:
            raise TimelineError(f"could not append: no import run {import_run}")
        versions: set[tuple[str, str, int]] = set()
        for event in pending:
            if event.origin is None:
                continue
            version = (event.timeline, event.origin.key, event.origin.version)
            stored = self._database.with_origin(version[0], version[1], self._tables.length)
            if version in versions or any(row[ORIGIN_VERSION] == version[2] for row in stored):
                raise TimelineError(
                    f"could not append: version {version[2]} of record {version[1]!r} is in "
                    f"timeline {version[0]!r} already"
                )
            versions.add(version)

    def _earliest_of(self, ids: Sequence[str]) -> datetime | None:
        # The earliest valid start among these events and their revisions.
        database, length = self._database, self._tables.length
        starts = [
            row[VALID_FROM]
            for event_id in ids
            for row in (database.find(event_id, length), *database.revising(event_id, length))
            if row is not None
        ]
        return from_micros(min(starts)) if starts else None

    # -- reading -------------------------------------------------------------------------------

    def select(self, query: EventQuery) -> Iterator[Event]:
        """Stream the events the query asks for, in its order."""
        rows = self._candidates(query)
        decode, with_record, matches = self._database.event, query.with_record, query.matches
        events = [
            event
            for event in (decode(row, with_record=with_record) for row in rows)
            if matches(event)
        ]
        events.sort(key=query.sort_key, reverse=query.descending)
        yield from events[: query.limit]

    def _candidates(self, query: EventQuery) -> list[Row]:
        # The rows worth decoding: through an index where the query names ids or targets, and
        # of the query's timeline. `EventQuery.matches` judges each decoded event.
        database, length = self._database, self._tables.length
        if query.ids is not None:
            found = (database.find(event_id, length) for event_id in set(query.ids))
            rows = [row for row in found if row is not None]
        elif query.targets is not None:
            rows = [
                row for target in set(query.targets) for row in database.revising(target, length)
            ]
        else:
            rows = list(database.visible(length))
        if query.timeline is not None:
            rows = [row for row in rows if row[TIMELINE] == query.timeline]
        return rows

    def get(self, event_id: str) -> Event:
        """One event by id (or a unique id prefix of 8+ characters), or NotFound."""
        database, length = self._database, self._tables.length
        if len(event_id) < 36:
            if len(event_id) < 8:
                raise InvalidInput(
                    f"event id {event_id!r}: give at least 8 characters", subject="event"
                )
            # Ids are stored in lower case, and found whatever case they are typed in.
            prefix = event_id.lower()
            found = [row for row in database.visible(length) if row[ID].startswith(prefix)][:2]
        else:
            row = database.find(event_id.lower(), length)
            found = [row] if row is not None else []
        if not found:
            raise NotFound(f"no event {event_id!r}", subject="event")
        if len(found) > 1:
            raise InvalidInput(
                f"event id {event_id!r} is ambiguous: give more characters", subject="event"
            )
        return database.event(found[0])

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
        query = EventQuery(
            targets=list(ids),
            as_known=as_known,
            as_published=as_published,
            order="recorded",
            with_record=with_record,
        )
        return list(self.select(query))

    def definitions(
        self,
        timeline: str,
        *,
        as_known: datetime | None = None,
        entities: Collection[str] | None = None,
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, kind, fields) of a timeline's actor and place definitions, in recording order;
        with `entities`, only the definitions of those ids (actors or places)."""
        query = EventQuery(
            timeline, kinds=DEFINITION_KINDS, as_known=as_known, order="recorded", with_record=False
        )
        wanted = None if entities is None else set(entities)
        for event in self.select(query):
            if wanted is None or defined_entity(event.kind, event.fields) in wanted:
                yield event.id, event.kind, dict(event.fields)

    def definition_revisions(
        self, timeline: str, *, as_known: datetime | None = None
    ) -> list[Event]:
        """The revisions of a timeline's actor and place definitions, in recording order."""
        defined = [
            row[ID]
            for row in self._database.visible(self._tables.length)
            if row[TIMELINE] == timeline and row[KIND] in DEFINITION_KINDS
        ]
        return self.revisions_of(defined, as_known=as_known, with_record=False)

    def count(self, timeline: str | None = None) -> int:
        """How many events the log holds (in one timeline, or in all)."""
        length = self._tables.length
        if timeline is None:
            return length
        return sum(1 for row in self._database.visible(length) if row[TIMELINE] == timeline)

    def last_seq(self, timeline: str | None = None) -> int:
        """The seq of a timeline's last event (0 when it has none); without a timeline, the
        sum of every timeline's: a position of the whole log that every append moves on."""
        tips = self._tables.tips
        if timeline is not None:
            return tips[timeline][0] if timeline in tips else 0
        return sum(tip[0] for tip in tips.values())

    def recording_head(self, timeline: str) -> datetime | None:
        """When the latest event of a timeline was recorded."""
        recorded = [
            row[RECORDED_AT]
            for row in self._database.visible(self._tables.length)
            if row[TIMELINE] == timeline
        ]
        return from_micros(max(recorded)) if recorded else None

    def earliest_start_since(self, timeline: str, seq: int) -> datetime | None:
        """The earliest valid start that events recorded after `seq` reach back to, counting
        the targets of revisions among them."""
        rows = [
            (row[TIMELINE], row[KIND], row[VALID_FROM], row[TARGET])
            for row in self._database.visible(self._tables.length)
            if row[TIMELINE] == timeline and row[SEQ] > seq
        ]
        return earliest_start(rows, timeline, self._earliest_of)

    # -- tamper evidence -----------------------------------------------------------------------

    def verify(
        self, *, expect_head: str | None = None, timeline: str | None = None
    ) -> VerifyResult:
        """Walk each timeline's hash chain (only `timeline`'s, when given) in its recording
        order, against the heads recorded as it grew and the head `expect_head` when given;
        report the first fault. A memory store was never one chain: it has no anchors."""
        tables = self._tables
        if timeline is not None:
            self._store.catalog.get(timeline)  # NotFound, naming the timelines there are
        names = [timeline] if timeline is not None else sorted(tables.timelines)
        rows = list(self._database.visible(tables.length))
        heads: dict[str, dict[int, str]] = {}
        for (name, seq), digest in tables.heads.items():
            heads.setdefault(name, {})[seq] = digest
        chains = (
            (
                name,
                sorted((row for row in rows if row[TIMELINE] == name), key=lambda r: r[SEQ]),
                heads.get(name, {}),
            )
            for name in names
        )
        return verify_log(chains, expect_head=expect_head, timeline=timeline)
