"""What every SQL part shares: its store, and the transaction it is bound to, if any."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from timeline.store.sql import SqlStore


class SqlPart:
    """A part of a SQL store. Bound to a write transaction, it reads and writes through that
    transaction's connection; otherwise each read opens a connection of its own, and each
    write runs in a transaction of its own (see `SqlStore.writing`)."""

    def __init__(self, store: SqlStore, connection: Connection | None) -> None:
        self._store = store
        self._connection = connection

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        if self._connection is not None:
            yield self._connection
        else:
            with self._store.engine.connect() as conn:
                yield conn

    @property
    def _conn(self) -> Connection:
        # Writes run on a bound part only: an unbound one hands them to `store.writing()`.
        assert self._connection is not None, "a write outside a transaction"
        return self._connection

    @property
    def _bound(self) -> bool:
        return self._connection is not None


def first_line(err: BaseException) -> str:
    """The first line of a database error's own message (the driver's, when there is one)."""
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__
