"""The SQL store: SQLite and PostgreSQL through SQLAlchemy, one writer per timeline.

Each timeline's log is a chain of its own (see `timeline.store.sql.log`): an append takes its
place in its timeline's order, its recording time and its link in its timeline's chain under
that timeline's writer lock, with no other writer of the timeline in between.

On PostgreSQL the locks are transaction-level advisory locks: a write that names its
timeline (`writing(timeline)`, and every append and snapshot write for the timelines it
touches) takes that timeline's lock, keyed by a hash of its name, and the database's key
shared; a write that names none takes the database's key alone, which waits for every
timeline's writers. Two imports into two timelines therefore run at the same time; two into
one take turns. SQLite has one writer per database file by nature: every write transaction
is `BEGIN IMMEDIATE`, whatever timeline it names.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from timeline.database import SQLITE_BUSY_TIMEOUT_MS
from timeline.errors import LockTimeout
from timeline.store.interfaces import DEFAULT_LOCK_TIMEOUT
from timeline.store.records import Clock, utc_now
from timeline.store.sql.catalog import SqlCatalog
from timeline.store.sql.feeds import SqlFeeds
from timeline.store.sql.imports import SqlImports
from timeline.store.sql.log import SqlLog
from timeline.store.sql.origins import SqlOrigins
from timeline.store.sql.partitions import partition_name
from timeline.store.sql.snapshots import SqlSnapshots

__all__ = ["ADVISORY_LOCK_KEY", "TIMELINE_LOCK_CLASS", "SqlStore", "timeline_lock_key"]

# Any constant works; it only has to be the same for every writer of one database. Held
# exclusively by a write that names no timeline, shared by one that names its timeline.
ADVISORY_LOCK_KEY = 0x74696D656C696E65  # "timeline"
# The first half of a timeline's two-part advisory key (two int4 keys never meet one int8
# key): the second is a hash of the timeline's name (`timeline_lock_key`).
TIMELINE_LOCK_CLASS = 0x746C  # "tl"


def timeline_lock_key(name: str) -> int:
    """The second half of a timeline's advisory lock key: a signed 32-bit hash of its name,
    the same in every process (two names that share one only take turns)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


class SqlStore:
    """Events of every timeline in one SQL database (see `timeline.store.Store`)."""

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Clock = utc_now,
        _connection: Connection | None = None,
        _lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.backend = engine.dialect.name
        self._connection = _connection
        self._lock_timeout = _lock_timeout
        # Set on the views `reading()` makes: they take no writer lock.
        self._read_only = False
        # The timelines whose lock this transaction holds (all of them: None).
        self._locked: set[str] | None = None if _connection is None else set()
        self.catalog = SqlCatalog(self, _connection)
        self.log = SqlLog(self, _connection)
        self.origins = SqlOrigins(self, _connection)
        self.snapshots = SqlSnapshots(self, _connection)
        self.imports = SqlImports(self, _connection)
        self.feeds = SqlFeeds(self, _connection)

    @contextmanager
    def writing(
        self, timeline: str | None = None, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> Iterator[SqlStore]:
        """One write transaction holding the writer lock of `timeline`, or of the whole
        database when None (see `Store` and this module's docstring)."""
        if self._read_only:
            raise RuntimeError("a write through a read-only view of the store")
        if self._connection is not None:
            if timeline is not None:
                self.lock_timeline(timeline)
            yield self
            return
        sqlite = self.backend == "sqlite"
        conn = self.engine.connect()
        if sqlite:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        try:
            try:
                if sqlite:
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
                tx = SqlStore(
                    self.engine, clock=self.clock, _connection=conn, _lock_timeout=lock_timeout
                )
                if self.backend == "postgresql":
                    if timeline is None:
                        _take_advisory_lock(conn, lock_timeout, ADVISORY_LOCK_KEY)
                        tx._locked = None
                    else:
                        tx.lock_timeline(timeline)
                else:
                    tx._locked = None  # BEGIN IMMEDIATE: the whole file is this writer's
                yield tx
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
            if sqlite:
                _set_busy_timeout(conn, SQLITE_BUSY_TIMEOUT_MS / 1000)
            conn.close()

    def lock_timeline(self, timeline: str) -> None:
        """Take the writer lock of `timeline` in this write transaction, unless it holds it
        already (or holds the whole database's): the log and the snapshots call it for each
        timeline they write to, so that a transaction that named none, or another, still
        writes a timeline under its lock. LockTimeout when another writer keeps it."""
        assert self._connection is not None, "a lock outside a transaction"
        if self._read_only:
            raise RuntimeError("a write through a read-only view of the store")
        if self._locked is None or timeline in self._locked:
            return
        if not self._locked:
            # The database's key, shared: a write that names no timeline waits for this one.
            _take_advisory_lock(self._connection, self._lock_timeout, ADVISORY_LOCK_KEY, True)
        _take_advisory_lock(
            self._connection,
            self._lock_timeout,
            (TIMELINE_LOCK_CLASS, timeline_lock_key(timeline)),
            what=f"timeline {timeline!r}",
        )
        self._locked.add(timeline)

    @contextmanager
    def reading(self) -> Iterator[SqlStore]:
        """One read-only transaction, as a store whose reads all see the database as it was
        at the first of them, whatever writers commit meanwhile: an answer made of several
        reads (the registry, a snapshot, the events after it) is then the answer of one state
        of the log. SQLite in WAL mode keeps the reader's snapshot without blocking writers;
        PostgreSQL is asked for REPEATABLE READ, whose snapshot is taken at the first read.
        Inside a transaction, the same transaction."""
        if self._connection is not None:
            yield self
            return
        conn = self.engine.connect()
        sqlite = self.backend == "sqlite"
        if not sqlite:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            if sqlite:
                # SQLite has no read-only transaction; the connection refuses writes instead
                # (set on the driver connection: a statement here would open a transaction).
                _set_query_only(conn, True)
            with conn.begin():
                if not sqlite:
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                view = SqlStore(self.engine, clock=self.clock, _connection=conn)
                view._read_only = True
                yield view
        finally:
            if sqlite:
                try:
                    _set_query_only(conn, False)
                except Exception:
                    # Never back to the pool refusing writes (the next writer to take it
                    # would fail): discarded instead, whatever the view's outcome was.
                    conn.invalidate()
            conn.close()

    def refresh_statistics(self, timeline: str) -> None:
        """Have PostgreSQL's planner sample the events of `timeline` again: its partition
        of the events table, whose statistics plan the lookups of that timeline's events.

        Its choice of index for the lookups an import makes batch after batch rests on these
        statistics; on a table that grew from nothing within one run (or on a server without
        autovacuum) it takes a timeline index over the origin index and reads the whole
        timeline per batch. SQLite plans these lookups without statistics.

        The partition alone, not the whole table: ANALYZE of the table sampled every
        timeline's events, and two imports into two timelines waited for each other's (it
        takes a lock that conflicts with itself): two writers ran 1.05 times as fast as one
        in bench/scale.py then, 1.54-1.61 times now. A role that does not own the partition
        (`timeline db grant`'s importer) is skipped with a warning, as it was for the table.
        """
        if self.backend != "postgresql" or self._connection is not None:
            return
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f'ANALYZE "{partition_name("events", timeline)}"')


def _take_advisory_lock(
    conn: Connection,
    timeout: float,
    key: int | tuple[int, int],
    shared: bool = False,
    what: str = "the database",
) -> None:
    # pg_try_advisory_xact_lock in a loop, rather than a blocking lock, so that the wait has
    # a deadline we control and a clear error when it passes (and two transactions that
    # lock two timelines in opposite orders give up instead of waiting for each other).
    function = "pg_try_advisory_xact_lock_shared" if shared else "pg_try_advisory_xact_lock"
    if isinstance(key, tuple):
        statement = sa.text(f"SELECT {function}(:a, :b)")
        params = {"a": key[0], "b": key[1]}
    else:
        statement = sa.text(f"SELECT {function}(:key)")
        params = {"key": key}
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        if conn.execute(statement, params).scalar():
            return
        if time.monotonic() >= deadline:
            raise LockTimeout(f"{what} is busy: another writer held it for {timeout:g} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


def _set_busy_timeout(conn: Connection, seconds: float) -> None:
    _pragma(conn, f"busy_timeout = {int(seconds * 1000)}")


def _set_query_only(conn: Connection, on: bool) -> None:
    _pragma(conn, f"query_only = {int(on)}")


def _pragma(conn: Connection, setting: str) -> None:
    # On the driver's connection: a statement through SQLAlchemy would open a transaction.
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA {setting}")


def _is_locked(err: OperationalError) -> bool:
    return "database is locked" in str(err.orig) or "database is busy" in str(err.orig)
