"""The SQL store: SQLite and PostgreSQL through SQLAlchemy, one writer at a time.

Appends run under the database's single writer lock (`BEGIN IMMEDIATE` on SQLite, a
transaction-level advisory lock on PostgreSQL), so that each batch gets its place in the log,
its recording time and its link in the hash chain with no other writer in between.
"""

from __future__ import annotations

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
from timeline.store.sql.snapshots import SqlSnapshots

__all__ = ["ADVISORY_LOCK_KEY", "SqlStore"]

# Any constant works; it only has to be the same for every writer of one database.
ADVISORY_LOCK_KEY = 0x74696D656C696E65  # "timeline"


class SqlStore:
    """Events of every timeline in one SQL database (see `timeline.store.Store`)."""

    def __init__(
        self, engine: Engine, *, clock: Clock = utc_now, _connection: Connection | None = None
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.backend = engine.dialect.name
        self._connection = _connection
        self.catalog = SqlCatalog(self, _connection)
        self.log = SqlLog(self, _connection)
        self.origins = SqlOrigins(self, _connection)
        self.snapshots = SqlSnapshots(self, _connection)
        self.imports = SqlImports(self, _connection)
        self.feeds = SqlFeeds(self, _connection)

    @contextmanager
    def writing(self, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[SqlStore]:
        """One write transaction holding the database's single writer lock (see `Store`)."""
        if self._connection is not None:
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
                if self.backend == "postgresql":
                    _take_advisory_lock(conn, lock_timeout)
                yield SqlStore(self.engine, clock=self.clock, _connection=conn)
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
        if self.backend == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            with conn.begin():
                if self.backend == "postgresql":
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield SqlStore(self.engine, clock=self.clock, _connection=conn)
        finally:
            conn.close()

    def refresh_statistics(self) -> None:
        """Have PostgreSQL's planner sample the events table again.

        Its choice of index for the lookups an import makes batch after batch rests on these
        statistics; on a table that grew from nothing within one run (or on a server without
        autovacuum) it takes a timeline index over the origin index and reads the whole
        timeline per batch. SQLite plans these lookups without statistics.
        """
        if self.backend != "postgresql" or self._connection is not None:
            return
        with self.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE events")


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
