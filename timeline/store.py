"""The store: the only module that speaks SQL.

Appends batches of events atomically under one writer at a time (`BEGIN IMMEDIATE` on SQLite,
a transaction-level advisory lock on PostgreSQL), assigning each its place in the log, its
recording time and its link in the hash chain; reads them back as a stream, by timeline,
valid-time range, knowledge time, kind, entity or origin.
"""

from __future__ import annotations

import json
import os
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from timeline import schema
from timeline.database import SQLITE_BUSY_TIMEOUT_MS
from timeline.dates import (
    UTC,
    DateError,
    FuzzyDate,
    Precision,
    from_micros,
    to_micros,
    validate_zone,
)
from timeline.errors import InvalidInput, LockTimeout, NotFound, TimelineError
from timeline.events import (
    GENESIS_HASH,
    Event,
    NewEvent,
    Origin,
    Source,
    chain_hash,
    dumps_canonical,
)
from timeline.revisions import REVISION_KINDS
from timeline.vocabulary import upcast

# Any constant works; it only has to be the same for every writer of one database.
ADVISORY_LOCK_KEY = 0x74696D656C696E65  # "timeline"
DEFAULT_LOCK_TIMEOUT = 60.0
READ_BATCH = 2000
# Zstandard level for snapshot states. On a fold state of a million-event log (ids repeated
# over and over) level 3 writes 40% fewer bytes than zlib's fastest level, several times
# faster, and reads back four times faster: reading is on the path of every answer.
SNAPSHOT_COMPRESSION = 3
# Snapshots written before Zstandard are zlib streams; they are read as such until rewritten.
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

_E = schema.events

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TimelineInfo:
    """A timeline and a summary of its events."""

    name: str
    zone: str
    title: str | None
    events: int = 0
    first: str | None = None
    last: str | None = None


@dataclass(slots=True)
class AppendResult:
    """What an append did: the events it stored, and how many were already there."""

    added: list[Event] = field(default_factory=list)
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of walking the hash chain."""

    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when every row verified."""
        return self.first_bad_seq is None


class OriginVersion(NamedTuple):
    """The latest version this database holds of one source record.

    A named tuple rather than a dataclass: an import builds one for every record of every
    batch, unchanged ones included, and a tuple is built several times faster.
    """

    key: str
    event_id: str
    kind: str
    version: int
    content_hash: str | None
    stamp: int | None
    root_id: str


@dataclass(frozen=True, slots=True)
class ImportRun:
    """One recorded run of `timeline import`."""

    id: int
    timeline: str
    source: str
    format: str
    content_hash: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    new: int
    corrected: int
    retracted: int
    unchanged: int
    rejected: int
    error: str | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A stored fold state: every effective event starting before `boundary` is in it."""

    boundary: datetime
    event_count: int
    known_through: datetime
    state: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EncodedSnapshot:
    """A fold state to store, already written out as JSON: a million-event fold takes a
    snapshot every few hundred events, and holding them as Python objects would cost more
    memory, and copying them more time, than the JSON text does."""

    boundary: datetime
    event_count: int
    known_through: datetime
    state_json: bytes


def _decompress_state(blob: bytes) -> bytes:
    """The JSON of a stored snapshot state (Zstandard, or zlib from before); ValueError for
    bytes that are neither."""
    data = bytes(blob)
    if data.startswith(_ZSTD_MAGIC):
        import zstandard  # here, not at the top: commands that read no snapshot start faster

        try:
            return zstandard.decompress(data)
        except zstandard.ZstdError as err:
            raise ValueError(f"unreadable snapshot state: {err}") from None
    try:
        return zlib.decompress(data)
    except zlib.error as err:
        raise ValueError(f"unreadable snapshot state: {err}") from None


def _compress_state(data: bytes) -> bytes:
    import zstandard

    return zstandard.compress(data, SNAPSHOT_COMPRESSION)


def _state_json(snapshot: Snapshot | EncodedSnapshot) -> bytes:
    if isinstance(snapshot, EncodedSnapshot):
        return snapshot.state_json
    return orjson.dumps(snapshot.state, option=orjson.OPT_NON_STR_KEYS)


class Store:
    """Events of every timeline in one database."""

    def __init__(self, engine: Engine, *, clock: Clock = utc_now) -> None:
        self.engine = engine
        self.clock = clock
        self.backend = engine.dialect.name

    # -- timelines ---------------------------------------------------------------------------

    def create_timeline(self, name: str, zone: str, title: str | None = None) -> TimelineInfo:
        """Create a timeline; its time zone decides what its dates mean."""
        _check_timeline_name(name)
        try:
            validate_zone(zone)
        except DateError as err:
            raise InvalidInput(f"--zone: {err}") from None
        with self.writing() as writer:
            if writer.timeline_zone(name) is not None:
                raise InvalidInput(f"timeline {name!r} exists already")
            writer.conn.execute(
                sa.insert(schema.timelines).values(
                    name=name, zone=zone, title=title, created_at=to_micros(self.clock())
                )
            )
        return TimelineInfo(name, zone, title)

    def timelines(self) -> list[TimelineInfo]:
        """Every timeline with its event count and the dates of its first and last events."""
        t, e = schema.timelines, _E
        counts = (
            sa.select(
                e.c.timeline,
                sa.func.count().label("n"),
                sa.func.min(e.c.valid_from).label("first"),
                sa.func.max(e.c.valid_from).label("last"),
            )
            .where(e.c.kind.not_in(("actor.defined", "place.defined")))
            .group_by(e.c.timeline)
            .subquery()
        )
        query = (
            sa.select(t.c.name, t.c.zone, t.c.title, counts.c.n, counts.c.first, counts.c.last)
            .select_from(t.outerjoin(counts, counts.c.timeline == t.c.name))
            .order_by(t.c.name)
        )
        first_last_text = self._first_last_texts()
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        out = []
        for row in rows:
            first, last = first_last_text.get(row.name, (None, None))
            out.append(TimelineInfo(row.name, row.zone, row.title, row.n or 0, first, last))
        return out

    def _first_last_texts(self) -> dict[str, tuple[str | None, str | None]]:
        out: dict[str, tuple[str | None, str | None]] = {}
        with self.engine.connect() as conn:
            names = conn.execute(sa.select(schema.timelines.c.name)).scalars().all()
            for name in names:
                texts = []
                for order in (_E.c.valid_from.asc(), _E.c.valid_to.desc()):
                    texts.append(
                        conn.execute(
                            sa.select(_E.c.date_text)
                            .where(
                                _E.c.timeline == name,
                                _E.c.kind.not_in(("actor.defined", "place.defined")),
                                _E.c.valid_from > _OPEN_START_US,
                            )
                            .order_by(order)
                            .limit(1)
                        ).scalar()
                    )
                out[name] = (texts[0], texts[1])
        return out

    def timeline(self, name: str) -> TimelineInfo:
        """One timeline, or NotFound listing the ones there are."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(schema.timelines).where(schema.timelines.c.name == name)
            ).first()
            if row is None:
                names = conn.execute(sa.select(schema.timelines.c.name)).scalars().all()
        if row is None:
            known = ", ".join(sorted(names)) or "none"
            raise NotFound(f"--timeline: no timeline {name!r} (timelines: {known})")
        return TimelineInfo(row.name, row.zone, row.title)

    def timeline_names(self) -> list[str]:
        """The names of every timeline, sorted."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(schema.timelines.c.name).order_by(schema.timelines.c.name)
                ).scalars()
            )

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def writing(self, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[Writer]:
        """One write transaction holding the database's single writer lock.

        Everything done through the writer commits together or not at all. Raises LockTimeout
        when another writer keeps the lock longer than `lock_timeout` seconds.
        """
        if self.backend == "sqlite":
            conn = self.engine.connect().execution_options(sqlite_begin="IMMEDIATE")
        else:
            conn = self.engine.connect()
        try:
            try:
                if self.backend == "sqlite":
                    # BEGIN IMMEDIATE waits for the write lock up to the busy timeout. Set on
                    # the driver connection: a statement here would open a transaction.
                    _set_busy_timeout(conn, lock_timeout)
                transaction = conn.begin()
            except OperationalError as err:
                if _is_locked(err):
                    raise LockTimeout(
                        f"the database is busy: another writer held it for {lock_timeout:g} s"
                    ) from None
                raise
            try:
                if self.backend == "postgresql":
                    _take_advisory_lock(conn, lock_timeout)
                yield Writer(self, conn)
            except BaseException:
                transaction.rollback()
                raise
            try:
                transaction.commit()
            except OperationalError as err:
                if _is_locked(err):
                    raise LockTimeout("the database is busy: could not commit") from None
                raise
        finally:
            if self.backend == "sqlite":
                _set_busy_timeout(conn, SQLITE_BUSY_TIMEOUT_MS / 1000)
            conn.close()

    def append(
        self,
        events: Sequence[NewEvent],
        *,
        import_run: int | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> AppendResult:
        """Append a batch atomically; events whose id is already stored count as unchanged."""
        with self.writing(lock_timeout=lock_timeout) as writer:
            return writer.append(events, import_run=import_run)

    # -- reading -----------------------------------------------------------------------------

    def select(
        self,
        timeline: str | None = None,
        *,
        kinds: Iterable[str] | None = None,
        exclude_kinds: Iterable[str] | None = None,
        valid_from: datetime | None = None,
        valid_before: datetime | None = None,
        as_known: datetime | None = None,
        entity: str | None = None,
        origin: str | None = None,
        ids: Iterable[str] | None = None,
        targets: Iterable[str] | None = None,
        order: str = "valid",
        descending: bool = False,
        limit: int | None = None,
        with_record: bool = True,
    ) -> Iterator[Event]:
        """Stream events matching every filter given.

        `valid_from`/`valid_before` bound the start of the valid interval (half-open);
        `as_known` keeps events recorded by then; `entity` keeps events whose fields name that
        id; `order` is "valid" (valid_from, valid_to, seq) or "recorded" (seq). Without
        `with_record`, imported events come without their source record (folds need none).
        """
        query = sa.select(_E) if with_record else sa.select(*_WITHOUT_RECORD)
        if timeline is not None:
            query = query.where(_E.c.timeline == timeline)
        if kinds is not None:
            query = query.where(_E.c.kind.in_(list(kinds)))
        if exclude_kinds is not None:
            query = query.where(_E.c.kind.not_in(list(exclude_kinds)))
        if valid_from is not None:
            query = query.where(_E.c.valid_from >= to_micros(valid_from))
        if valid_before is not None:
            query = query.where(_E.c.valid_from < to_micros(valid_before))
        if as_known is not None:
            query = query.where(_E.c.recorded_at <= to_micros(as_known))
        if entity is not None:
            # A coarse filter in SQL on the JSON text, then an exact check on the fields.
            query = query.where(_E.c.payload.contains(json.dumps(entity)))
        if origin is not None:
            query = query.where(_E.c.origin == origin)
        if ids is not None:
            query = query.where(_E.c.id.in_(list(ids)))
        if targets is not None:
            query = query.where(_E.c.target.in_(list(targets)))
        if order == "valid":
            columns = [_E.c.valid_from, _E.c.valid_to, _E.c.seq]
        elif order == "recorded":
            columns = [_E.c.seq]
        else:
            raise ValueError(f"order must be 'valid' or 'recorded', not {order!r}")
        query = query.order_by(*(c.desc() if descending else c.asc() for c in columns))
        if limit is not None:
            query = query.limit(limit)
        for event in self._stream(query, with_record):
            if entity is None or _mentions(event.fields, entity):
                yield event

    def _stream(self, query: sa.Select[Any], with_record: bool = True) -> Iterator[Event]:
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=READ_BATCH).execute(query)
            decoder = RowDecoder()
            for row in result:
                yield decoder.event(row._mapping, with_record=with_record)

    def definitions(
        self, timeline: str, *, as_known: datetime | None = None
    ) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, kind, fields) of a timeline's actor and place definitions, in recording order."""
        query = (
            sa.select(_E.c.id, _E.c.kind, _E.c.kind_version, _E.c.payload)
            .where(_E.c.timeline == timeline, _E.c.kind.in_(tuple(_TIMELESS_KINDS)))
            .order_by(_E.c.seq)
        )
        if as_known is not None:
            query = query.where(_E.c.recorded_at <= to_micros(as_known))
        with self.engine.connect() as conn:
            for event_id, kind, version, payload in conn.execute(query):
                kind, _, fields = upcast(kind, version, _read_json(payload))
                yield event_id, kind, fields

    def get(self, event_id: str) -> Event:
        """One event by id (or unique id prefix of 8+ characters), or NotFound."""
        if len(event_id) < 36:
            if len(event_id) < 8:
                raise InvalidInput(f"event id {event_id!r}: give at least 8 characters")
            query = sa.select(_E).where(_E.c.id.startswith(event_id, autoescape=True)).limit(2)
        else:
            query = sa.select(_E).where(_E.c.id == event_id.lower())
        found = list(self._stream(query))
        if not found:
            raise NotFound(f"no event {event_id!r}")
        if len(found) > 1:
            raise InvalidInput(f"event id {event_id!r} is ambiguous: give more characters")
        return found[0]

    def revisions_of(
        self, ids: Iterable[str], *, as_known: datetime | None = None, with_record: bool = True
    ) -> list[Event]:
        """The corrections and retractions that act on these events."""
        id_list = list(ids)
        out: list[Event] = []
        for start in range(0, len(id_list), 500):
            out.extend(
                self.select(
                    targets=id_list[start : start + 500],
                    as_known=as_known,
                    order="recorded",
                    with_record=with_record,
                )
            )
        return out

    def definition_revisions(
        self, timeline: str, *, as_known: datetime | None = None
    ) -> list[Event]:
        """The corrections and retractions that act on a timeline's actor and place
        definitions, in recording order: one statement, however many definitions."""
        defined = sa.select(_E.c.id).where(
            _E.c.timeline == timeline, _E.c.kind.in_(tuple(_TIMELESS_KINDS))
        )
        query = sa.select(*_WITHOUT_RECORD).where(_E.c.target.in_(defined))
        if as_known is not None:
            query = query.where(_E.c.recorded_at <= to_micros(as_known))
        return list(self._stream(query.order_by(_E.c.seq), with_record=False))

    def latest_origins(self, timeline: str, keys: Sequence[str]) -> dict[str, OriginVersion]:
        """For each source record key, the latest version stored (for incremental imports)."""
        with self.engine.connect() as conn:
            return _latest_origins(conn, timeline, keys)

    def latest_origin_hashes(self, timeline: str, keys: Sequence[str]) -> dict[str, str | None]:
        """For each of these source record keys that is stored, the content hash of its latest
        version ("deleted" for a record deleted at the source): what an import compares a
        record with before it looks at anything else."""
        with self.engine.connect() as conn:
            return _latest_origin_hashes(conn, timeline, keys)

    def import_high_water(self, timeline: str, fmt: str) -> int | None:
        """The newest source stamp seen by a finished import of `fmt` into `timeline`: where
        an incremental run picks up (a failed run never moves it)."""
        i = schema.imports
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(sa.func.max(i.c.high_water)).where(
                    i.c.timeline == timeline, i.c.format == fmt, i.c.status.in_(("ok", "rejected"))
                )
            ).scalar()
        return int(value) if value is not None else None

    def count(self, timeline: str | None = None) -> int:
        """How many events the log holds (in one timeline, or in all)."""
        query = sa.select(sa.func.count()).select_from(_E)
        if timeline is not None:
            query = query.where(_E.c.timeline == timeline)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    # -- tamper evidence ---------------------------------------------------------------------

    def verify(self) -> VerifyResult:
        """Walk the hash chain in recording order and report the first row that breaks it."""
        previous_hash = GENESIS_HASH
        previous_seq = 0
        checked = 0
        query = sa.select(*(_E.c[name] for name in (*HASHED_COLUMNS, "hash", "prev_hash")))
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=READ_BATCH).execute(query.order_by(_E.c.seq))
            for row in result:
                seq = row.seq
                if seq <= previous_seq:
                    return VerifyResult(checked, seq, "seq out of order")
                if row.prev_hash != previous_hash:
                    return VerifyResult(checked, seq, "does not link to the previous row")
                values = tuple(row)[: len(HASHED_COLUMNS)]
                if chain_hash(previous_hash, row_content(values)) != row.hash:
                    return VerifyResult(checked, seq, "content does not match its hash")
                previous_hash, previous_seq = row.hash, seq
                checked += 1
        return VerifyResult(checked)

    # -- import runs -------------------------------------------------------------------------

    def start_import(
        self,
        timeline: str,
        source: str,
        fmt: str,
        content_hash: str | None,
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> int:
        """Record that an import run started; returns its id. Written under the writer lock,
        so that a run waiting for another gives up after its own `lock_timeout`."""
        with self.writing(lock_timeout=lock_timeout) as writer:
            result = writer.conn.execute(
                sa.insert(schema.imports).values(
                    timeline=timeline,
                    source=source,
                    format=fmt,
                    content_hash=content_hash,
                    started_at=to_micros(self.clock()),
                    status="running",
                    host=socket.gethostname()[:255],
                    pid=os.getpid(),
                )
            )
            run_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        assert run_id is not None
        return int(run_id)

    def finish_import(
        self,
        run_id: int,
        *,
        status: str,
        counts: Mapping[str, int],
        error: str | None = None,
        content_hash: str | None = None,
        high_water: int | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        """Record how an import run ended (and the hash of what it read)."""
        extra: dict[str, Any] = {"content_hash": content_hash} if content_hash else {}
        if high_water is not None:
            extra["high_water"] = high_water
        with self.writing(lock_timeout=lock_timeout) as writer:
            conn = writer.conn
            conn.execute(
                sa.update(schema.imports)
                .where(schema.imports.c.id == run_id)
                .values(
                    finished_at=to_micros(self.clock()),
                    status=status,
                    error=error,
                    **extra,
                    **{k: v for k, v in counts.items() if k in _COUNT_COLUMNS},
                )
            )

    def import_runs(self, timeline: str | None = None, limit: int = 50) -> list[ImportRun]:
        """The most recent import runs, newest first."""
        i = schema.imports
        query = sa.select(i).order_by(i.c.id.desc()).limit(limit)
        if timeline is not None:
            query = query.where(i.c.timeline == timeline)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            ImportRun(
                id=r.id,
                timeline=r.timeline,
                source=r.source,
                format=r.format,
                content_hash=r.content_hash,
                started_at=from_micros(r.started_at),
                finished_at=from_micros(r.finished_at) if r.finished_at is not None else None,
                status=_run_status(r.status, r.host, r.pid),
                new=r.new,
                corrected=r.corrected,
                retracted=r.retracted,
                unchanged=r.unchanged,
                rejected=r.rejected,
                error=r.error,
            )
            for r in rows
        ]

    # -- snapshots (derived, disposable) -----------------------------------------------------

    def snapshot_before(
        self, timeline: str, instant: datetime, *, as_known: datetime | None = None
    ) -> Snapshot | None:
        """The latest stored snapshot whose boundary is at or before `instant` and that holds
        the fold of what was known at `as_known` (now when None): one written from a log no
        later than that, and not made stale by anything recorded by then."""
        s = schema.snapshots
        query = (
            sa.select(s)
            .where(s.c.timeline == timeline, s.c.boundary <= to_micros(instant))
            .order_by(s.c.boundary.desc(), s.c.known_through.desc())
            .limit(1)
        )
        if as_known is None:
            query = query.where(s.c.superseded_at.is_(None))
        else:
            known = to_micros(as_known)
            query = query.where(
                s.c.known_through <= known,
                sa.or_(s.c.superseded_at.is_(None), s.c.superseded_at > known),
            )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        try:
            state = orjson.loads(_decompress_state(row.state))
        except ValueError:
            # Derived data: a snapshot that cannot be read (a damaged row) is as good as none.
            # The answer folds from further back, and the next refresh writes it again.
            return None
        return Snapshot(
            boundary=from_micros(row.boundary),
            event_count=row.event_count,
            known_through=from_micros(row.known_through),
            state=state,
        )

    def recording_head(self, timeline: str) -> datetime | None:
        """When the latest event of a timeline was recorded."""
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(sa.func.max(_E.c.recorded_at)).where(_E.c.timeline == timeline)
            ).scalar()
        return from_micros(value) if value is not None else None

    def latest_snapshot_boundary(self, timeline: str) -> datetime | None:
        """The boundary of the last current snapshot of a timeline."""
        s = schema.snapshots
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(sa.func.max(s.c.boundary)).where(
                    s.c.timeline == timeline, s.c.superseded_at.is_(None)
                )
            ).scalar()
        return from_micros(value) if value is not None else None

    def refresh_statistics(self) -> None:
        """Have PostgreSQL's planner sample the events table again.

        Its choice of index for the lookups an import makes batch after batch rests on these
        statistics; on a table that grew from nothing within one run (or on a server without
        autovacuum) it takes a timeline index over the origin index and reads the whole
        timeline per batch. SQLite plans these lookups without statistics.
        """
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE events")

    def last_seq(self) -> int:
        """The seq of the last event recorded (0 for an empty log)."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(_E.c.seq))).scalar() or 0)

    def drop_snapshots(
        self, timeline: str, start: datetime | None, *, superseded: bool = False
    ) -> None:
        """Drop a timeline's current snapshots from `start` on (all when None), and with
        `superseded` every superseded one too."""
        with self.writing() as writer:
            writer.drop_snapshots(timeline, start, superseded=superseded)

    def prune_superseded_snapshots(self, timeline: str) -> int:
        """Keep at most as many superseded snapshots of a timeline as it has current ones,
        the most recently superseded; returns how many were dropped.

        They only speed up `--as-known` answers about earlier states of knowledge, the
        recent ones most asked about; the bound keeps the table under twice the size the
        current snapshots need, however many late arrivals the timeline has had.
        """
        s = schema.snapshots
        with self.writing() as writer:
            conn = writer.conn
            current = conn.execute(
                sa.select(sa.func.count()).where(
                    s.c.timeline == timeline, s.c.superseded_at.is_(None)
                )
            ).scalar_one()
            superseded = conn.execute(
                sa.select(s.c.boundary, s.c.known_through)
                .where(s.c.timeline == timeline, s.c.superseded_at.is_not(None))
                .order_by(s.c.superseded_at.desc(), s.c.boundary.desc())
                .offset(current)
            ).all()
            if superseded:
                conn.execute(
                    sa.delete(s).where(
                        s.c.timeline == timeline,
                        s.c.boundary == sa.bindparam("old_boundary"),
                        s.c.known_through == sa.bindparam("old_known_through"),
                    ),
                    [{"old_boundary": b, "old_known_through": k} for b, k in superseded],
                )
            return len(superseded)

    def add_snapshots(
        self,
        timeline: str,
        snapshots: Sequence[Snapshot | EncodedSnapshot],
        *,
        built_through_seq: int | None = None,
    ) -> int:
        """Store snapshots of a timeline; returns how many were kept.

        Snapshots are computed outside the writer lock; `built_through_seq` says which log they
        were computed from, and any snapshot that events appended since then reach back
        before is left out rather than stored stale.
        """
        with self.writing() as writer:
            return writer.add_snapshots(timeline, snapshots, built_through_seq=built_through_seq)


_WITHOUT_RECORD = [c for c in _E.c if c.name != "record"]
_TIMELESS_KINDS = frozenset({"actor.defined", "place.defined"})
_COUNT_COLUMNS = {"new", "corrected", "retracted", "unchanged", "rejected"}
_OPEN_START_US = -62135596800000000


class Writer:
    """Operations inside one locked write transaction (see `Store.writing`)."""

    def __init__(self, store: Store, conn: Connection) -> None:
        self.store = store
        self.conn = conn
        self._zones: dict[str, str | None] = {}

    def timeline_zone(self, name: str) -> str | None:
        """The zone of a timeline, or None when it does not exist."""
        if name not in self._zones:
            self._zones[name] = self.conn.execute(
                sa.select(schema.timelines.c.zone).where(schema.timelines.c.name == name)
            ).scalar()
        return self._zones[name]

    def drop_snapshots(
        self, timeline: str, start: datetime | None, *, superseded: bool = False
    ) -> None:
        """Drop a timeline's current snapshots from `start` on (all when None), and with
        `superseded` every superseded one too."""
        s = schema.snapshots
        current: sa.ColumnElement[bool] = s.c.superseded_at.is_(None)
        if start is not None:
            current = sa.and_(current, s.c.boundary >= to_micros(start))
        doomed = sa.or_(current, s.c.superseded_at.is_not(None)) if superseded else current
        self.conn.execute(sa.delete(s).where(s.c.timeline == timeline, doomed))

    def add_snapshots(
        self,
        timeline: str,
        snapshots: Sequence[Snapshot | EncodedSnapshot],
        *,
        built_through_seq: int | None = None,
    ) -> int:
        """Store snapshots, leaving out those that events appended after `built_through_seq`
        reach back before (see `Store.add_snapshots`); returns how many were kept."""
        if not snapshots:
            return 0
        if built_through_seq is not None:
            earliest = self.earliest_start_since(timeline, built_through_seq)
            if earliest is not None:
                snapshots = [snap for snap in snapshots if to_micros(snap.boundary) <= earliest]
        rows = [
            {
                "timeline": timeline,
                "boundary": to_micros(snap.boundary),
                "event_count": snap.event_count,
                "known_through": to_micros(snap.known_through),
                "state": _compress_state(_state_json(snap)),
            }
            for snap in snapshots
        ]
        if rows:
            s = schema.snapshots
            # An overlapping refresh may have stored the same boundaries a moment ago; and a
            # superseded snapshot of the same knowledge time serves no knowledge time at all
            # (it was superseded the instant it was made).
            self.conn.execute(
                sa.delete(s).where(
                    s.c.timeline == timeline,
                    s.c.boundary == sa.bindparam("old_boundary"),
                    sa.or_(
                        s.c.superseded_at.is_(None),
                        s.c.known_through == sa.bindparam("old_known_through"),
                    ),
                ),
                [
                    {"old_boundary": row["boundary"], "old_known_through": row["known_through"]}
                    for row in rows
                ],
            )
            self.conn.execute(sa.insert(s), rows)
        return len(rows)

    def earliest_start_since(self, timeline: str, seq: int) -> int | None:
        """The earliest valid start (micros) that events recorded after `seq` reach back to,
        counting the targets of revisions among them."""
        # Filtered on seq alone, so that the seq index answers it: with the timeline in the
        # WHERE clause SQLite prefers a timeline index and reads the whole timeline, once
        # per batch of snapshots a refresh writes.
        rows = [
            row
            for row in self.conn.execute(
                sa.select(_E.c.timeline, _E.c.kind, _E.c.valid_from, _E.c.target).where(
                    _E.c.seq > seq
                )
            )
            if row.timeline == timeline and row.kind not in _TIMELESS_KINDS
        ]
        starts = [row.valid_from for row in rows]
        targets = [row.target for row in rows if row.target]
        for chunk_start in range(0, len(targets), 500):
            chunk = targets[chunk_start : chunk_start + 500]
            value = self.conn.execute(
                sa.select(sa.func.min(_E.c.valid_from)).where(
                    sa.or_(_E.c.id.in_(chunk), _E.c.target.in_(chunk))
                )
            ).scalar()
            if value is not None:
                starts.append(value)
        return min(starts) if starts else None

    def existing_ids(self, ids: Sequence[str]) -> dict[str, str]:
        """Of these ids, those already stored, with their kinds."""
        found: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in self.conn.execute(
                sa.select(_E.c.id, _E.c.kind).where(_E.c.id.in_(chunk))
            ).all():
                found[row.id] = row.kind
        return found

    def latest_origins(self, timeline: str, keys: Sequence[str]) -> dict[str, OriginVersion]:
        """For each source record key, the latest version stored."""
        return _latest_origins(self.conn, timeline, keys)

    def latest_origin_hashes(self, timeline: str, keys: Sequence[str]) -> dict[str, str | None]:
        """For each stored record key, its latest version's content hash (see `Store`'s)."""
        return _latest_origin_hashes(self.conn, timeline, keys)

    def append(self, events: Sequence[NewEvent], *, import_run: int | None = None) -> AppendResult:
        """Append events in this transaction (see `Store.append`)."""
        result = AppendResult()
        if not events:
            return result
        ids = [e.id for e in events]
        stored = self.existing_ids(ids)
        batch_ids: set[str] = set()
        pending: list[NewEvent] = []
        for event in events:
            if event.id in stored or event.id in batch_ids:
                result.unchanged += 1
                continue
            if self.timeline_zone(event.timeline) is None:
                raise NotFound(f"timeline: no timeline {event.timeline!r}; create it first")
            batch_ids.add(event.id)
            pending.append(event)
        self._check_targets(pending, stored, batch_ids)
        if not pending:
            return result

        head = self.conn.execute(
            sa.select(_E.c.seq, _E.c.hash, _E.c.recorded_at).order_by(_E.c.seq.desc()).limit(1)
        ).first()
        seq, prev_hash, last_recorded = (
            (head.seq, head.hash, head.recorded_at) if head else (0, GENESIS_HASH, 0)
        )
        # Knowledge time never runs backwards along the log, even if the clock does.
        recorded_us = max(to_micros(self.store.clock()), last_recorded)
        recorded_at = from_micros(recorded_us)
        rows = []
        for event in pending:
            seq += 1
            row = event_row(event, seq, recorded_us, import_run, prev_hash)
            digest = row[-2]
            rows.append(row)
            result.added.append(_stored(event, seq, recorded_at, import_run, digest, prev_hash))
            prev_hash = digest
        try:
            # The driver's executemany with prepared tuples: appends are the hot path of
            # imports, and SQLAlchemy's per-row parameter processing would double their cost.
            self.conn.exec_driver_sql(_insert_sql(self.conn), rows)
        except DBAPIError as err:
            raise TimelineError(f"could not append: {_first_line(err)}") from None
        self._supersede_snapshots(pending, recorded_us)
        return result

    def _supersede_snapshots(self, appended: Sequence[NewEvent], recorded_us: int) -> None:
        # A snapshot holds every event starting before its boundary; one that starts earlier
        # (a late arrival, or a revision of such an event) makes later snapshots stale for
        # answers about what is known from now on, not for answers about what was known.
        earliest: dict[str, int] = {}
        targets: dict[str, list[str]] = {}
        for event in appended:
            if event.kind in _TIMELESS_KINDS:
                continue
            start = to_micros(event.date.start)
            if start < earliest.get(event.timeline, start + 1):
                earliest[event.timeline] = start
            if event.kind in REVISION_KINDS and event.target:
                targets.setdefault(event.timeline, []).append(event.target)
        for timeline, ids in targets.items():
            for chunk_start in range(0, len(ids), 500):
                chunk = ids[chunk_start : chunk_start + 500]
                value = self.conn.execute(
                    sa.select(sa.func.min(_E.c.valid_from)).where(
                        sa.or_(_E.c.id.in_(chunk), _E.c.target.in_(chunk))
                    )
                ).scalar()
                if value is not None and value < earliest.get(timeline, value + 1):
                    earliest[timeline] = value
        s = schema.snapshots
        for timeline, start in earliest.items():
            self.conn.execute(
                sa.update(s)
                .where(s.c.timeline == timeline, s.c.boundary > start, s.c.superseded_at.is_(None))
                .values(superseded_at=recorded_us)
            )

    def _check_targets(
        self, pending: Sequence[NewEvent], stored: Mapping[str, str], batch_ids: set[str]
    ) -> None:
        targets = [e.target for e in pending if e.kind in REVISION_KINDS and e.target]
        missing = [t for t in targets if t not in stored and t not in batch_ids]
        if not missing:
            return
        found = self.existing_ids(missing)
        for event in pending:
            target = event.target
            if (
                event.kind in REVISION_KINDS
                and target
                and target not in found
                and (target not in stored and target not in batch_ids)
            ):
                raise NotFound(f"{event.kind}: target: no event {target!r}")


# Keys per lookup statement: below SQLite's oldest limit on bound parameters (999), which
# builds still use. PostgreSQL takes each chunk as one array, the same size for simplicity.
ORIGIN_LOOKUP_CHUNK = 998


def _latest_origin_hashes(
    conn: Connection, timeline: str, keys: Sequence[str]
) -> dict[str, str | None]:
    # The question every record of an import asks, unchanged ones included: answered from the
    # index on (timeline, origin, origin_version, origin_hash) alone, never reading an event's
    # row (which holds its payload and source record).
    rows = _origin_rows(conn, "origin, origin_version, origin_hash", timeline, keys)
    return {key: row[2] for key, row in _newest_versions(rows, version_at=1).items()}


def _latest_origins(
    conn: Connection, timeline: str, keys: Sequence[str]
) -> dict[str, OriginVersion]:
    revision_kinds = ", ".join(f"'{kind}'" for kind in sorted(REVISION_KINDS))
    # Columns in OriginVersion's order; every later version of a record is a revision of its
    # first, so a revision's target is the record's root event.
    columns = (
        "origin, id, kind, origin_version, origin_hash, origin_stamp, "
        f"CASE WHEN target IS NOT NULL AND kind IN ({revision_kinds}) THEN target ELSE id END"
    )
    rows = _origin_rows(conn, columns, timeline, keys)
    new = tuple.__new__
    return {
        key: new(OriginVersion, row) for key, row in _newest_versions(rows, version_at=3).items()
    }


def _origin_rows(conn: Connection, columns: str, timeline: str, keys: Sequence[str]) -> list[Any]:
    # Plain SQL on the driver's cursor, in chunks: compiling an IN list of a thousand literals,
    # or wrapping every row in a result object, would cost more than the index lookup itself.
    unique = list(dict.fromkeys(keys))
    rows: list[Any] = []
    qmark = conn.dialect.paramstyle == "qmark"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(unique), ORIGIN_LOOKUP_CHUNK):
            chunk = unique[start : start + ORIGIN_LOOKUP_CHUNK]
            if qmark:
                cursor.execute(
                    f"SELECT {columns} FROM events WHERE timeline = ? "
                    f"AND origin IN ({', '.join(['?'] * len(chunk))})",
                    (timeline, *chunk),
                )
            else:
                # PostgreSQL takes the keys as one array: the statement stays short enough for
                # psycopg to cache and prepare, instead of parsing a thousand placeholders on
                # every lookup (a fifth of an unchanged re-import's time).
                cursor.execute(
                    f"SELECT {columns} FROM events WHERE timeline = %s AND origin = ANY(%s)",
                    (timeline, chunk),
                )
            rows += cursor.fetchall()
    finally:
        cursor.close()
    return rows


def _newest_versions(rows: Iterable[Any], version_at: int) -> dict[str, Any]:
    # Rows whose first column is the origin: for each origin, the row of its highest version.
    newest: dict[str, Any] = {}
    get = newest.get
    for row in rows:
        current = get(row[0])
        if current is None or row[version_at] > current[version_at]:
            newest[row[0]] = row
    return newest


# The columns a row's hash covers, in this order: everything but the hashes themselves.
HASHED_COLUMNS = (
    "seq", "id", "timeline", "kind", "kind_version", "title", "payload", "record", "date_text",
    "valid_from", "valid_to", "precision", "approximate", "uncertain", "recorded_at",
    "reported_at", "sources", "confidence", "origin", "origin_version", "origin_hash",
    "origin_stamp", "import_run", "target",
)  # fmt: skip
ROW_COLUMNS = (*HASHED_COLUMNS, "hash", "prev_hash")


def row_content(values: Sequence[Any]) -> bytes:
    """The bytes a row's hash covers: its stored values in `HASHED_COLUMNS` order, each
    written as `type length:text` so that no two different rows share an encoding.

    Not JSON: the payload and record columns are JSON already, and encoding them again as
    strings would cost an import more than its inserts do.
    """
    parts = []
    for value in values:
        if value is None:
            parts.append("n")
        elif isinstance(value, bool | int):
            # Booleans come back from SQLite as integers; hash them as the integers they are.
            parts.append(f"i{int(value)}")
        else:
            text = str(value)
            parts.append(f"s{len(text)}:{text}")
    return "\x1f".join(parts).encode("utf-8")


def event_row(
    event: NewEvent, seq: int, recorded_us: int, import_run: int | None, prev_hash: str
) -> tuple[Any, ...]:
    """The stored row of an event (values in `ROW_COLUMNS` order), its hash chained to
    `prev_hash`."""
    date = event.date
    origin = event.origin
    values = (
        seq,
        event.id,
        event.timeline,
        event.kind,
        event.kind_version,
        event.title,
        dumps_canonical(event.fields),
        _dumps_record(event.record) if event.record is not None else None,
        date.text,
        to_micros(date.start),
        to_micros(date.end),
        date.precision.value,
        date.approximate,
        date.uncertain,
        recorded_us,
        to_micros(event.reported_at) if event.reported_at else None,
        dumps_canonical([s.to_json() for s in event.sources]),
        event.confidence,
        origin.key if origin else None,
        origin.version if origin else None,
        origin.content_hash if origin else None,
        origin.stamp if origin else None,
        import_run,
        event.target if event.kind in REVISION_KINDS else None,
    )
    return (*values, chain_hash(prev_hash, row_content(values)), prev_hash)


def _dumps_record(record: Mapping[str, Any]) -> str:
    # Kept in the dataset's own column order: it is stored text, never compared, so any JSON
    # that reads back the same will do. orjson writes a record of an export five times faster;
    # the standard encoder takes what orjson refuses (integers beyond 64 bits, say).
    try:
        return orjson.dumps(record).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


_INSERT_SQL: dict[str, str] = {}


def _insert_sql(conn: Connection) -> str:
    style = conn.dialect.paramstyle
    if style not in _INSERT_SQL:
        marks = ", ".join(["?" if style == "qmark" else "%s"] * len(ROW_COLUMNS))
        _INSERT_SQL[style] = f"INSERT INTO events ({', '.join(ROW_COLUMNS)}) VALUES ({marks})"
    return _INSERT_SQL[style]


def _stored(
    event: NewEvent, seq: int, recorded_at: datetime, import_run: int | None, digest: str, prev: str
) -> Event:
    return Event(
        seq=seq,
        id=event.id,
        timeline=event.timeline,
        kind=event.kind,
        title=event.title,
        date=event.date,
        fields=event.fields,
        recorded_at=recorded_at,
        kind_version=event.kind_version,
        sources=event.sources,
        confidence=event.confidence,
        reported_at=event.reported_at,
        origin=event.origin,
        import_run=import_run,
        hash=digest,
        prev_hash=prev,
        record=event.record,
    )


def _read_json(text: str) -> Any:
    # orjson reads the stored JSON several times faster, and answers read hundreds of rows;
    # the json module, which wrote it, still reads what orjson refuses (NaN, huge integers).
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def row_to_event(row: Mapping[Any, Any], *, with_record: bool = True) -> Event:
    """An Event from a row of the events table, upcast to the current version of its kind."""
    return RowDecoder().event(row, with_record=with_record)


_PRECISIONS = {p.value: p for p in Precision}


class RowDecoder:
    """Turns rows of the events table into Events, sharing what repeats between rows.

    A read of hundreds or millions of rows meets the same few dates and source lists over and
    over; both are immutable, so rows with equal columns get the very same objects instead of
    parsing and building them again (half the cost of a row).
    """

    def __init__(self) -> None:
        self._dates: dict[tuple[Any, ...], FuzzyDate] = {}
        self._sources: dict[str, tuple[Source, ...]] = {}

    def event(self, row: Mapping[Any, Any], *, with_record: bool = True) -> Event:
        """The Event of one row, upcast to the current version of its kind."""
        kind, version = row["kind"], row["kind_version"]
        fields = _read_json(row["payload"])
        if isinstance(fields, dict):
            kind, version, fields = upcast(kind, version, fields)
        origin = (
            Origin(
                row["origin"], row["origin_version"] or 1, row["origin_hash"], row["origin_stamp"]
            )
            if row["origin"] is not None
            else None
        )
        date_key = (
            row["date_text"],
            row["valid_from"],
            row["valid_to"],
            row["precision"],
            row["approximate"],
            row["uncertain"],
        )
        date = self._dates.get(date_key)
        if date is None:
            if len(self._dates) >= _DECODER_CACHE_LIMIT:
                self._dates.clear()
            text, start, end, precision, approximate, uncertain = date_key
            date = self._dates[date_key] = FuzzyDate(
                text=text,
                start=from_micros(start),
                end=from_micros(end),
                precision=_PRECISIONS.get(precision) or Precision(precision),
                approximate=bool(approximate),
                uncertain=bool(uncertain),
            )
        sources_text = row["sources"]
        sources = self._sources.get(sources_text)
        if sources is None:
            if len(self._sources) >= _DECODER_CACHE_LIMIT:
                self._sources.clear()
            sources = self._sources[sources_text] = tuple(
                Source(**s) for s in _read_json(sources_text)
            )
        return Event(
            seq=row["seq"],
            id=row["id"],
            timeline=row["timeline"],
            kind=kind,
            title=row["title"],
            date=date,
            fields=fields,
            recorded_at=from_micros(row["recorded_at"]),
            kind_version=version,
            sources=sources,
            confidence=row["confidence"],
            reported_at=(
                from_micros(row["reported_at"]) if row["reported_at"] is not None else None
            ),
            origin=origin,
            import_run=row["import_run"],
            hash=row["hash"],
            prev_hash=row["prev_hash"],
            record=_read_json(text) if with_record and (text := row.get("record")) else None,
        )


# Distinct dates or source lists a decoder remembers before starting afresh: a long read
# (a refresh streams every row) keeps its memory flat.
_DECODER_CACHE_LIMIT = 50_000


def _mentions(value: Any, entity: str) -> bool:
    if isinstance(value, str):
        return value == entity
    if isinstance(value, Mapping):
        return any(_mentions(v, entity) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, entity) for v in value)
    return False


def _take_advisory_lock(conn: Connection, timeout: float) -> None:
    # pg_try_advisory_xact_lock in a loop, rather than a blocking lock, so that the wait has
    # a deadline we control and a clear error when it passes.
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        got = conn.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY}
        ).scalar()
        if got:
            return
        if time.monotonic() >= deadline:
            raise LockTimeout(f"the database is busy: another writer held it for {timeout:g} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def _set_busy_timeout(conn: Connection, seconds: float) -> None:
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")


def _is_locked(err: OperationalError) -> bool:
    return "database is locked" in str(err.orig) or "database is busy" in str(err.orig)


def _run_status(status: str, host: str | None, pid: int | None) -> str:
    # A run that died without finishing leaves "running" behind; on this host we can tell.
    if status == "running" and host == socket.gethostname() and pid:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return "interrupted"
        except PermissionError:
            pass
    return status


def _check_timeline_name(name: str) -> None:
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_." for c in name):
        raise InvalidInput(f"timeline name {name!r}: use 1-64 letters, digits, '-', '_' or '.'")


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__
