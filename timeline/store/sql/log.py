"""The event log in SQL: appends under each timeline's writer lock, reads by `EventQuery`,
and the chains.

Each timeline's events form a hash chain of their own, in the timeline's own `seq` order:
an append reads its timeline's tip (the last row, or its anchor when the timeline has no
row since the log was one chain) under that timeline's lock, chains its rows after it and
records the new head in `heads`. A log written before revision 0007 was one chain across
every timeline; its rows stay as they were, and each timeline's chain goes on from an
anchor that commits to that chain's head (`schema.anchors`). `verify` checks the one chain
up to that head, then each timeline's chain from its anchor (from genesis for a timeline
created since), each against its recorded heads.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from timeline import schema
from timeline.dates import from_micros, to_micros
from timeline.errors import InvalidInput, NotFound, TimelineError
from timeline.events import NATIVE_DATASET, Event, NewEvent
from timeline.limits import check_event
from timeline.revisions import REVISION_KINDS
from timeline.store.codec import (
    HASHED_COLUMNS,
    ROW_COLUMNS,
    Chain,
    RowDecoder,
    Tip,
    batch_heads,
    chain,
    read_json,
    verify_log,
)
from timeline.store.query import EventQuery, mentions
from timeline.store.records import Anchor, AppendResult, VerifyResult
from timeline.store.sql.copying import CopyFailed, copy_rows
from timeline.store.sql.keyed import rows_keyed
from timeline.store.sql.part import SqlPart, first_line
from timeline.store.staleness import earliest_reached, earliest_start
from timeline.store.timelines import DEFINITION_KINDS
from timeline.vocabulary import upcast

READ_BATCH = 2000
# Ids per IN list: well below every backend's limit on bound parameters.
ID_CHUNK = 500

_E = schema.events
_H = schema.heads
_A = schema.anchors
_T = schema.timelines
_WITHOUT_RECORD = [c for c in _E.c if c.name != "record"]


def _unindexed(column: Any) -> Any:
    """`column` written `+column`: the same value, in an ORDER BY that no index can give.

    SQLite, asked for a timeline's events of a few kinds in seq or valid-time order, walked
    the index that gives that order (every event of the timeline) and filtered the kinds as
    it went, rather than take the few rows from the (timeline, kind) index and sort them:
    with statistics or without. At 100,000 events the definitions an answer reads took 48 ms
    that way and 1.1 ms this way, the merges 130 ms and 0.1 ms; a kind holding 28% of the
    timeline 58 ms and 38 ms.
    """
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


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
        for name in sorted({event.timeline for event in events}):
            # Before anything is read: what is stored, and each chain's tip, are then what
            # the last writer of the timeline committed. In name order, so that two batches
            # that write the same timelines take their locks alike.
            self._store.lock_timeline(name)
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
        names = sorted({event.timeline for event in pending})
        tips = {name: tip for name in names if (tip := self._tip(conn, name)) is not None}
        known_zones = {name: zone for name, zone in zones.items() if zone is not None}
        rows, result.added, recorded_at = chain(
            pending, tips, self._store.clock(), import_run, known_zones
        )
        try:
            if conn.dialect.name == "postgresql":
                copy_rows(conn, rows)
            else:
                # The driver's executemany with prepared tuples: appends are the hot path of
                # imports, and SQLAlchemy's per-row parameter processing would double their
                # cost.
                conn.exec_driver_sql(_SQLITE_INSERT, rows)
            # Each chain's new head, for verify to hold the log to (see schema.heads).
            recorded_us = to_micros(recorded_at)
            conn.execute(
                sa.insert(_H),
                [
                    {"timeline": name, "seq": seq, "hash": digest, "recorded_at": recorded_us}
                    for name, (seq, digest) in batch_heads(rows).items()
                ],
            )
        except (DBAPIError, CopyFailed) as err:
            raise TimelineError(f"could not append: {first_line(err)}") from None
        self._store.snapshots.supersede(earliest_reached(pending, self._earliest_of), recorded_at)
        return result

    def _tip(self, conn: Connection, timeline: str) -> Tip | None:
        # The row a timeline's next row links to: its last, or its anchor when it has had
        # none since the log was one chain (the anchor's seq is its last row's then).
        last = conn.execute(
            sa.select(_E.c.seq, _E.c.hash, _E.c.recorded_at)
            .where(_E.c.timeline == timeline)
            .order_by(_E.c.seq.desc())
            .limit(1)
        ).first()
        anchor = conn.execute(
            sa.select(_A.c.seq, _A.c.hash, _A.c.recorded_at).where(_A.c.timeline == timeline)
        ).first()
        if anchor is not None and (last is None or last.seq <= anchor.seq):
            return (anchor.seq, anchor.hash, anchor.recorded_at)
        return (last.seq, last.hash, last.recorded_at) if last is not None else None

    def _earliest_of(self, ids: Sequence[str]) -> datetime | None:
        # The earliest valid start among these events and their revisions.
        starts = []
        timelines = self._every_timeline()
        with self._reading() as conn:
            for chunk_start in range(0, len(ids), ID_CHUNK):
                chunk = ids[chunk_start : chunk_start + ID_CHUNK]
                value = conn.execute(
                    sa.select(sa.func.min(_E.c.valid_from)).where(
                        sa.or_(sa.and_(timelines, _E.c.id.in_(chunk)), _E.c.target.in_(chunk))
                    )
                ).scalar()
                if value is not None:
                    starts.append(value)
        return from_micros(min(starts)) if starts else None

    def _every_timeline(self) -> sa.ColumnElement[bool]:
        # What a condition on event ids, whatever their timeline, is asked with: the
        # (timeline, id) key then answers it with a probe per timeline, and no index on the
        # id alone is kept for it (migration 0009). Without the timelines, both databases
        # read every event: PostgreSQL each partition, SQLite the whole table. Made once per
        # lookup: it reads the catalog.
        return _E.c.timeline.in_(self._store.catalog.names())

    def _existing_ids(self, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        timelines = self._every_timeline()
        with self._reading() as conn:
            for start in range(0, len(ids), ID_CHUNK):
                chunk = ids[start : start + ID_CHUNK]
                statement = sa.select(_E.c.id, _E.c.kind).where(timelines, _E.c.id.in_(chunk))
                for row in conn.execute(statement):
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
            if query.timeline is None:
                statement = statement.where(self._every_timeline())
        if query.targets is not None:
            statement = statement.where(e.c.target.in_(query.targets))
        # Across timelines, seqs repeat: recording order is by recording time (along which
        # each chain's seqs run, and the one chain's before 0007), then seq, then timeline.
        if query.order == "recorded":
            columns = [e.c.seq] if query.timeline is not None else [e.c.recorded_at, e.c.seq]
        else:
            columns = [e.c.valid_from, e.c.valid_to, e.c.seq]
        if query.timeline is None:
            columns.append(e.c.timeline)
        if self._store.backend == "sqlite" and (
            query.ids is not None
            or (query.timeline is not None and query.kinds is not None and query.limit is None)
        ):
            # A timeline's events of a few kinds come from the (timeline, kind) index, sorted
            # (with a limit, the walk in index order stops at the first few of them). Events
            # asked for by id come from the (timeline, id) key, sorted: asked for five or more
            # in one timeline, SQLite walked the whole timeline in valid-time order to find
            # them, and a million-event import took 957 s instead of 266.
            columns = [_unindexed(c) for c in columns]
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
            # could no longer append (psycopg's server-side cursors).
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
            prefix = event_id.lower()
            matches: sa.ColumnElement[bool]
            if self._store.backend == "sqlite":
                # GLOB, which tells cases apart, finds the prefix by the (timeline, id) key;
                # SQLite's LIKE, blind to case, read every event of every timeline.
                matches = _E.c.id.op("GLOB", is_comparison=True)(_glob_escaped(prefix) + "*")
            else:
                matches = _E.c.id.startswith(prefix, autoescape=True)
            statement = sa.select(_E).where(self._every_timeline(), matches).limit(2)
        else:
            statement = sa.select(_E).where(self._every_timeline(), _E.c.id == event_id.lower())
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
            out.sort(key=lambda event: (event.recorded_at, event.seq, event.timeline))
        return out

    def definitions(
        self,
        timeline: str,
        *,
        as_known: datetime | None = None,
        entities: Collection[str] | None = None,
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, kind, fields) of a timeline's actor and place definitions, in recording order;
        with `entities`, only the definitions of those ids (actors or places)."""
        order = _unindexed(_E.c.seq) if self._store.backend == "sqlite" else _E.c.seq
        columns = (_E.c.id, _E.c.kind, _E.c.kind_version, _E.c.payload)
        known = [] if as_known is None else [_E.c.recorded_at <= to_micros(as_known)]
        if entities is None:
            statement = (
                sa.select(*columns)
                .where(_E.c.timeline == timeline, _E.c.kind.in_(DEFINITION_KINDS), *known)
                .order_by(order)
            )
            with self._reading() as conn:
                for event_id, kind, version, payload in conn.execute(statement):
                    kind, _, fields = upcast(kind, version, read_json(payload))
                    yield event_id, kind, fields
            return
        # Found by the (timeline, entity) index (only definitions have an entity), and put
        # back in recording order.
        with self._reading() as conn:
            rows = rows_keyed(
                conn,
                "id, kind, kind_version, payload, recorded_at, seq",
                timeline,
                "entity",
                sorted(set(entities)),
            )
        bound = None if as_known is None else to_micros(as_known)
        rows.sort(key=lambda row: row[-1])
        for event_id, kind, version, payload, recorded, _seq in rows:
            if bound is None or recorded <= bound:
                kind, _, fields = upcast(kind, version, read_json(payload))
                yield event_id, kind, fields

    def definition_revisions(
        self, timeline: str, *, as_known: datetime | None = None
    ) -> list[Event]:
        """The revisions of a timeline's actor and place definitions, in recording order: one
        statement, however many definitions."""
        # A join, not `target IN (the definitions' ids)`: SQLite built that list and probed
        # the target index with each (60,000 definitions: 0.21 s), where the join probes the
        # index alone (0.05 s), and a database with statistics starts from the revisions.
        defined = _E.alias("defined")
        statement = (
            sa.select(*_WITHOUT_RECORD)
            .join(defined, defined.c.id == _E.c.target)
            .where(
                _E.c.target.is_not(None),
                defined.c.timeline == timeline,
                defined.c.kind.in_(DEFINITION_KINDS),
            )
        )
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

    def last_seq(self, timeline: str | None = None) -> int:
        """The seq of a timeline's last event (0 when it has none); without a timeline, the
        sum of every timeline's: a position of the whole log that every append moves on."""
        last = sa.select(sa.func.max(_E.c.seq))
        if timeline is not None:
            statement = last.where(_E.c.timeline == timeline)
        else:
            # One index lookup per timeline (the key begins with it), not a scan of the log.
            per_timeline = last.where(_E.c.timeline == _T.c.name).scalar_subquery()
            statement = sa.select(sa.func.sum(per_timeline)).select_from(_T)
        with self._reading() as conn:
            return int(conn.execute(statement).scalar() or 0)

    def recording_head(self, timeline: str) -> datetime | None:
        """When the latest event of a timeline was recorded."""
        # Its last row's: recording times never run backwards along a timeline's seqs (see
        # `codec.chain`), so the key (timeline, seq) answers in one lookup what max() over
        # the recording times answered by reading every event of the timeline (130 ms at
        # 100,000 events, on every import and every answer the server gives).
        with self._reading() as conn:
            value = conn.execute(
                sa.select(_E.c.recorded_at)
                .where(_E.c.timeline == timeline)
                .order_by(_E.c.seq.desc())
                .limit(1)
            ).scalar()
        return from_micros(value) if value is not None else None

    def earliest_start_since(self, timeline: str, seq: int) -> datetime | None:
        """The earliest valid start that events recorded after `seq` reach back to, counting
        the targets of revisions among them."""
        # The primary key (timeline, seq) answers it.
        with self._reading() as conn:
            rows = conn.execute(
                sa.select(_E.c.timeline, _E.c.kind, _E.c.valid_from, _E.c.target).where(
                    _E.c.timeline == timeline, _E.c.seq > seq
                )
            ).all()
        return earliest_start((tuple(row) for row in rows), timeline, self._earliest_of)

    # -- tamper evidence -------------------------------------------------------------------

    def verify(
        self, *, expect_head: str | None = None, timeline: str | None = None
    ) -> VerifyResult:
        """Walk the hash chains in recording order: the log's one chain from before 0007 up
        to the head its anchors commit to, then each timeline's (only `timeline`'s, when
        given) from its anchor, against the heads recorded as they grew, and the head
        `expect_head` when given; report the first fault."""
        columns = [_E.c[name] for name in (*HASHED_COLUMNS, "hash", "prev_hash")]
        if timeline is not None:
            self._store.catalog.get(timeline)  # NotFound, naming the timelines there are
        with self._reading() as conn:
            if timeline is not None:
                names = [timeline]
            else:
                names = list(conn.execute(sa.select(_T.c.name).order_by(_T.c.name)).scalars())
            anchors = {
                row.timeline: Anchor(
                    row.timeline,
                    row.seq,
                    row.global_seq,
                    row.global_hash,
                    row.hash,
                    row.recorded_at,
                )
                for row in conn.execute(sa.select(_A))
            }
            legacy_heads: dict[int, str] = {}
            heads: dict[str, dict[int, str]] = {}
            boundary = {name: anchor.seq for name, anchor in anchors.items()}
            for row in conn.execute(sa.select(_H.c.timeline, _H.c.seq, _H.c.hash)):
                if row.seq <= boundary.get(row.timeline, 0):
                    legacy_heads[row.seq] = row.hash
                else:
                    heads.setdefault(row.timeline, {})[row.seq] = row.hash
            legacy = (
                sa.select(*columns)
                .join(_A, sa.and_(_A.c.timeline == _E.c.timeline, _E.c.seq <= _A.c.seq))
                .order_by(_E.c.seq)
            )

            def rows(statement: sa.Select[Any]) -> Iterator[tuple[Any, ...]]:
                result = conn.execute(statement.execution_options(yield_per=READ_BATCH))
                return (tuple(row) for row in result)

            def chains() -> Iterator[Chain]:
                for name in names:
                    statement = sa.select(*columns).where(
                        _E.c.timeline == name, _E.c.seq > boundary.get(name, 0)
                    )
                    yield name, rows(statement.order_by(_E.c.seq)), heads.get(name, {})

            return verify_log(
                chains(),
                anchors=anchors,
                legacy=rows(legacy) if anchors else (),
                legacy_heads=legacy_heads,
                expect_head=expect_head,
                timeline=timeline,
            )


# SQLite's appends (PostgreSQL's go by COPY, see copying.py), with the driver's placeholders.
_SQLITE_INSERT = (
    f"INSERT INTO events ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' * len(ROW_COLUMNS))})"
)


def _glob_escaped(text: str) -> str:
    """`text` as a GLOB pattern that matches it alone: each wildcard character in brackets."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


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
