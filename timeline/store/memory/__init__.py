"""The in-memory store: the `Store` contract, with the SQL store's hash chain and semantics.

Events are kept as the very rows the SQL store inserts (`codec.event_row`, so the chain is
identical and `codec.verify_rows` checks it) and decoded by `codec.RowDecoder`, so that
upcasting and decoding are shared. Each row is decoded once and its Event shared by every read
after: an Event is frozen and its fields a read-only Mapping.

One writer at a time, as on SQLite: `writing()` takes the store's one lock whatever timeline
it names (each timeline still has a chain of its own, as in SQL), appends to the
log and works on copies of the small tables (timelines, snapshots, import runs, feeds); at
commit the copies and the new length of the log are published together, and on an exception
the log is cut back and the copies are dropped. Readers outside the transaction see the last
commit only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from timeline.errors import LockTimeout
from timeline.store.interfaces import DEFAULT_LOCK_TIMEOUT
from timeline.store.memory.database import MemoryDatabase, Tables
from timeline.store.memory.log import MemoryLog
from timeline.store.memory.tables import (
    MemoryCatalog,
    MemoryFeeds,
    MemoryImports,
    MemoryOrigins,
    MemorySnapshots,
)
from timeline.store.records import Clock, utc_now

__all__ = ["MemoryDatabase", "MemoryStore"]


class MemoryStore:
    """Events of every timeline in this process's memory (see `timeline.store.Store`).

    Stores made over one `database` share its data, as SQL stores over one engine do; each
    takes its recording times from its own `clock`.
    """

    def __init__(
        self,
        database: MemoryDatabase | None = None,
        *,
        clock: Clock = utc_now,
        _transaction: Tables | None = None,
        _view: Tables | None = None,
    ) -> None:
        self.database = database if database is not None else MemoryDatabase()
        self.clock = clock
        self._transaction = _transaction
        self._view = _view
        self.catalog = MemoryCatalog(self)
        self.log = MemoryLog(self)
        self.origins = MemoryOrigins(self)
        self.snapshots = MemorySnapshots(self)
        self.imports = MemoryImports(self)
        self.feeds = MemoryFeeds(self)

    @property
    def tables(self) -> Tables:
        """What this store sees: its transaction's tables, its view's, or else the last
        commit's."""
        if self._transaction is not None:
            return self._transaction
        return self._view if self._view is not None else self.database.committed

    @property
    def bound(self) -> bool:
        """Whether this store works inside a write transaction."""
        return self._transaction is not None

    @contextmanager
    def writing(
        self, timeline: str | None = None, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> Iterator[MemoryStore]:
        """One write transaction holding the store's single writer lock, whatever `timeline`
        it names (see `Store`)."""
        if self._transaction is not None:
            yield self
            return
        if self._view is not None:
            raise RuntimeError("a write through a read-only view of the store")
        database = self.database
        # A plain lock, not a reentrant one: like a second connection to a database, a second
        # `writing()` on the same thread waits for the first, and times out.
        if not database.lock.acquire(timeout=max(lock_timeout, 0.0)):
            raise LockTimeout(
                f"the database is busy: another writer held it for {lock_timeout:g} s"
            )
        try:
            transaction = database.committed.copy()
            try:
                yield MemoryStore(database, clock=self.clock, _transaction=transaction)
            except BaseException:
                database.truncate(database.committed.length)
                raise
            database.committed = transaction
        finally:
            database.lock.release()

    @contextmanager
    def reading(self) -> Iterator[MemoryStore]:
        """A read-only view of the last commit (see `Store`): a commit publishes new tables
        and a longer log, and the view keeps the ones it started with. Inside a transaction,
        the same transaction."""
        if self._transaction is not None or self._view is not None:
            yield self
            return
        yield MemoryStore(self.database, clock=self.clock, _view=self.database.committed)

    def refresh_statistics(self, timeline: str) -> None:
        """Nothing to do: the memory store has no planner to inform."""
