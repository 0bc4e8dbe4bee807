"""The event log in SQL: appends under the writer lock, reads by `EventQuery`, the chain."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from timeline import schema
from timeline.dates import from_micros, to_micros
from timeline.errors import InvalidInput, NotFound, TimelineError
from timeline.events import NATIVE_DATASET, Event, NewEvent
from timeline.limits import check_event
from timeline.revisions import REVISION_KINDS
from timeline.store.codec import (
    HASHED_COLUMNS,
    ROW_COLUMNS,
    RowDecoder,
    chain,
    read_json,
    verify_rows,
)
from timeline.store.query import EventQuery, mentions
from timeline.store.records import AppendResult, VerifyResult
from timeline.store.sql.part import SqlPart, first_line
from timeline.store.staleness import earliest_reached, earliest_start
from timeline.store.timelines import DEFINITION_KINDS
from timeline.vocabulary import upcast

READ_BATCH = 2000
# Ids per IN list: well below every backend's limit on bound parameters.
ID_CHUNK = 500

_E = schema.events
_H = schema.heads
# Where a row of `chain` holds its seq and its hash.
_SEQ, _HASH = ROW_COLUMNS.index("seq"), ROW_COLUMNS.index("hash")
_WITHOUT_RECORD = [c for c in _E.c if c.name != "record"]


class SqlLog(SqlPart):
    """The events of a SQL database."""

    # -- writing -------------------------------------------------------------------------------

    def append(self, events: Sequence[NewEvent], *, import_run: int | None = None) -> AppendResult:
        """Append a batch atomically; events whose id is stored already count as unchanged."""
        if not self._bound:
            with self._store.writing() as tx:
                return tx.log.append(events, import_run=import_run)
        result = AppendResult()
        if not events:
            return result
        for event in events:
            # Whoever drafted them, no event reaches the rows with a value they cannot hold.
            check_event(event)
        stored = self._existing_ids([e.id for e in events])
        batch_ids: set[str] = set()
        pending: list[NewEvent] = []
        zones: dict[str, str | None] = {}
        for event in events:
            if event.id in stored or event.id in batch_ids:
                result.unchanged += 1
                continue
            if event.timeline not in zones:
                zones[event.timeline] = self._store.catalog.zone(event.timeline)
            if zones[event.timeline] is None:
                raise NotFound(
                    f"no timeline {event.timeline!r}; create it first", subject="timeline"
                )
            batch_ids.add(event.id)
            pending.append(event)
        self._check_targets(pending, stored, batch_ids)
        if not pending:
            return result

        conn = self._conn
        head = conn.execute(
            sa.select(_E.c.seq, _E.c.hash, _E.c.recorded_at).order_by(_E.c.seq.desc()).limit(1)
        ).first()
        last = (head.seq, head.hash, head.recorded_at) if head is not None else None
        known_zones = {name: zone for name, zone in zones.items() if zone is not None}
        rows, result.added, recorded_at = chain(
            pending, last, self._store.clock(), import_run, known_zones
        )
        try:
            # The driver's executemany with prepared tuples: appends are the hot path of
            # imports, and SQLAlchemy's per-row parameter processing would double their cost.
            conn.exec_driver_sql(_insert_sql(conn), rows)
            # The chain's new head, for verify to hold the log to (see schema.heads).
            last_row = rows[-1]
            conn.execute(
                sa.insert(_H).values(
                    seq=last_row[_SEQ], hash=last_row[_HASH], recorded_at=to_micros(recorded_at)
                )
            )
        except DBAPIError as err:
            raise TimelineError(f"could not append: {first_line(err)}") from None
        self._store.snapshots.supersede(earliest_reached(pending, self._earliest_of), recorded_at)
        return result

    def _earliest_of(self, ids: Sequence[str]) -> datetime | None:
        # The earliest valid start among these events and their revisions.
        starts = []
        with self._reading() as conn:
            for chunk_start in range(0, len(ids), ID_CHUNK):
                chunk = ids[chunk_start : chunk_start + ID_CHUNK]
                value = conn.execute(
                    sa.select(sa.func.min(_E.c.valid_from)).where(
                        sa.or_(_E.c.id.in_(chunk), _E.c.target.in_(chunk))
                    )
                ).scalar()
                if value is not None:
                    starts.append(value)
        return from_micros(min(starts)) if starts else None

    def _existing_ids(self, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        with self._reading() as conn:
            for start in range(0, len(ids), ID_CHUNK):
                chunk = ids[start : start + ID_CHUNK]
                for row in conn.execute(sa.select(_E.c.id, _E.c.kind).where(_E.c.id.in_(chunk))):
                    found[row.id] = row.kind
        return found

    def _check_targets(
        self, pending: Sequence[NewEvent], stored: Mapping[str, str], batch_ids: set[str]
    ) -> None:
        missing = [
            e.target
            for e in pending
            if e.kind in REVISION_KINDS
            and e.target
            and e.target not in stored
            and e.target not in batch_ids
        ]
        if not missing:
            return
        found = self._existing_ids(missing)
        for event in pending:
            if (
                event.kind in REVISION_KINDS
                and event.target in missing
                and event.target not in found
            ):
                raise NotFound(f"{event.kind}: target: no event {event.target!r}")

    # -- reading -------------------------------------------------------------------------------

    def select(self, query: EventQuery) -> Iterator[Event]:
        """Stream the events the query asks for, in its order."""
        e = _E
        statement = sa.select(e) if query.with_record else sa.select(*_WITHOUT_RECORD)
        if query.timeline is not None:
            statement = statement.where(e.c.timeline == query.timeline)
        if query.kinds is not None:
            statement = statement.where(e.c.kind.in_(query.kinds))
        if query.exclude_kinds is not None:
            statement = statement.where(e.c.kind.not_in(query.exclude_kinds))
        if query.valid_from is not None:
            statement = statement.where(e.c.valid_from >= to_micros(query.valid_from))
        if query.valid_before is not None:
            statement = statement.where(e.c.valid_from < to_micros(query.valid_before))
        if query.as_known is not None:
            statement = statement.where(e.c.recorded_at <= to_micros(query.as_known))
        if query.as_published is not None:
            statement = statement.where(e.c.published_at <= to_micros(query.as_published))
        if query.published is not None:
            statement = statement.where(
                e.c.published_at.is_not(None) if query.published else e.c.published_at.is_(None)
            )
        if query.entity is not None:
            # A coarse filter in SQL on the JSON text, then an exact check on the fields.
            statement = statement.where(e.c.payload.contains(json.dumps(query.entity)))
        if query.origin is not None:
            statement = statement.where(e.c.origin == query.origin)
        if query.dataset is not None:
            statement = statement.where(_of_dataset(e.c.origin, query.dataset))
        if query.ids is not None:
            statement = statement.where(e.c.id.in_(query.ids))
        if query.targets is not None:
            statement = statement.where(e.c.target.in_(query.targets))
        columns = (
            [e.c.seq] if query.order == "recorded" else [e.c.valid_from, e.c.valid_to, e.c.seq]
        )
        statement = statement.order_by(*(c.desc() if query.descending else c for c in columns))
        if query.limit is not None and query.entity is None:
            statement = statement.limit(query.limit)
        left = query.limit
        if left == 0:
            return
        for event in self._stream(statement, query.with_record):
            if query.entity is None or mentions(event.fields, query.entity):
                yield event
                if left is not None:
                    left -= 1
                    if left == 0:
                        return

    def _stream(self, statement: sa.Select[Any], with_record: bool = True) -> Iterator[Event]:
        with self._reading() as conn:
            # On the statement, not the connection: Connection.execution_options() changes the
            # connection itself, and a write transaction's connection that streamed once
            # could no longer executemany its appends (psycopg's server-side cursors).
            result = conn.execute(statement.execution_options(yield_per=READ_BATCH))
            decoder = RowDecoder()
            for row in result:
                yield decoder.event(row._mapping, with_record=with_record)

    def get(self, event_id: str) -> Event:
        """One event by id (or a unique id prefix of 8+ characters), or NotFound."""
        if len(event_id) < 36:
            if len(event_id) < 8:
                raise InvalidInput(
                    f"event id {event_id!r}: give at least 8 characters", subject="event"
                )
            # Ids are stored in lower case: a prefix matches whatever case it is typed in, on
            # PostgreSQL (whose LIKE tells cases apart) as on SQLite.
            statement = sa.select(_E).where(_E.c.id.startswith(event_id.lower(), autoescape=True))
            statement = statement.limit(2)
        else:
            statement = sa.select(_E).where(_E.c.id == event_id.lower())
        found = list(self._stream(statement))
        if not found:
            raise NotFound(f"no event {event_id!r}", subject="event")
        if len(found) > 1:
            raise InvalidInput(
                f"event id {event_id!r} is ambiguous: give more characters", subject="event"
            )
        return found[0]

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
        id_list = list(ids)
        out: list[Event] = []
        for start in range(0, len(id_list), ID_CHUNK):
            query = EventQuery(
                targets=id_list[start : start + ID_CHUNK],
                as_known=as_known,
                as_published=as_published,
                order="recorded",
                with_record=with_record,
            )
            out.extend(self.select(query))
        if len(id_list) > ID_CHUNK:
            out.sort(key=lambda event: event.seq)
        return out

    def definitions(
        self, timeline: str, *, as_known: datetime | None = None
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, kind, fields) of a timeline's actor and place definitions, in recording order."""
        statement = (
            sa.select(_E.c.id, _E.c.kind, _E.c.kind_version, _E.c.payload)
            .where(_E.c.timeline == timeline, _E.c.kind.in_(DEFINITION_KINDS))
            .order_by(_E.c.seq)
        )
        if as_known is not None:
            statement = statement.where(_E.c.recorded_at <= to_micros(as_known))
        with self._reading() as conn:
            for event_id, kind, version, payload in conn.execute(statement):
                kind, _, fields = upcast(kind, version, read_json(payload))
                yield event_id, kind, fields

    def definition_revisions(
        self, timeline: str, *, as_known: datetime | None = None
    ) -> list[Event]:
        """The revisions of a timeline's actor and place definitions, in recording order: one
        statement, however many definitions."""
        defined = sa.select(_E.c.id).where(
            _E.c.timeline == timeline, _E.c.kind.in_(DEFINITION_KINDS)
        )
        statement = sa.select(*_WITHOUT_RECORD).where(_E.c.target.in_(defined))
        if as_known is not None:
            statement = statement.where(_E.c.recorded_at <= to_micros(as_known))
        return list(self._stream(statement.order_by(_E.c.seq), with_record=False))

    def count(self, timeline: str | None = None) -> int:
        """How many events the log holds (in one timeline, or in all)."""
        statement = sa.select(sa.func.count()).select_from(_E)
        if timeline is not None:
            statement = statement.where(_E.c.timeline == timeline)
        with self._reading() as conn:
            return int(conn.execute(statement).scalar() or 0)

    def last_seq(self) -> int:
        """The seq of the last event recorded (0 for an empty log)."""
        with self._reading() as conn:
            return int(conn.execute(sa.select(sa.func.max(_E.c.seq))).scalar() or 0)

    def recording_head(self, timeline: str) -> datetime | None:
        """When the latest event of a timeline was recorded."""
        with self._reading() as conn:
            value = conn.execute(
                sa.select(sa.func.max(_E.c.recorded_at)).where(_E.c.timeline == timeline)
            ).scalar()
        return from_micros(value) if value is not None else None

    def earliest_start_since(self, timeline: str, seq: int) -> datetime | None:
        """The earliest valid start that events recorded after `seq` reach back to, counting
        the targets of revisions among them."""
        # Filtered on seq alone, so that the seq index answers it: with the timeline in the
        # WHERE clause SQLite prefers a timeline index and reads the whole timeline, once
        # per batch of snapshots a refresh writes.
        with self._reading() as conn:
            rows = conn.execute(
                sa.select(_E.c.timeline, _E.c.kind, _E.c.valid_from, _E.c.target).where(
                    _E.c.seq > seq
                )
            ).all()
        return earliest_start((tuple(row) for row in rows), timeline, self._earliest_of)

    # -- tamper evidence -------------------------------------------------------------------

    def verify(self, *, expect_head: str | None = None) -> VerifyResult:
        """Walk the hash chain in recording order, against the heads recorded as it grew and
        the head `expect_head` when given; report the first fault."""
        statement = sa.select(*(_E.c[name] for name in (*HASHED_COLUMNS, "hash", "prev_hash")))
        with self._reading() as conn:
            heads = {row.seq: row.hash for row in conn.execute(sa.select(_H.c.seq, _H.c.hash))}
            result = conn.execute(
                statement.order_by(_E.c.seq).execution_options(yield_per=READ_BATCH)
            )
            return verify_rows((tuple(row) for row in result), heads, expect_head)


_INSERT_SQL: dict[str, str] = {}


def _insert_sql(conn: Connection) -> str:
    style = conn.dialect.paramstyle
    if style not in _INSERT_SQL:
        marks = ", ".join(["?" if style == "qmark" else "%s"] * len(ROW_COLUMNS))
        _INSERT_SQL[style] = f"INSERT INTO events ({', '.join(ROW_COLUMNS)}) VALUES ({marks})"
    return _INSERT_SQL[style]


def _of_dataset(origin: sa.ColumnElement[Any], dataset: str) -> sa.ColumnElement[bool]:
    """Rows of one dataset, as `dataset_of_key` reads their origin. A prefix compared as it
    is: LIKE ignores case on SQLite, and an ordering of text depends on the collation."""
    prefix = f"{dataset}:"
    if dataset == NATIVE_DATASET:
        return sa.or_(
            origin.is_(None),
            sa.not_(origin.contains(":")),
            sa.func.substr(origin, 1, 1) == ":",
        )
    return sa.func.substr(origin, 1, len(prefix)) == prefix
