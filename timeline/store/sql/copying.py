"""Rows into PostgreSQL's events table by COPY, the way PostgreSQL takes many rows at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from timeline.store.codec import ROW_COLUMNS

_COPY_SQL = f"COPY events ({', '.join(ROW_COLUMNS)}) FROM STDIN"


class CopyFailed(Exception):
    """The server refused the rows (its own message is the first line of this one)."""


def copy_rows(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Write the events' rows (values in `ROW_COLUMNS` order) in one COPY, within the
    connection's transaction.

    An INSERT per row, even pipelined by the driver, made the server plan, route to the
    timeline's partition and execute each row on its own: at 86 microseconds a row it took
    a fifth of a first import's time, and the server's share of an import is what two
    imports into two timelines compete for on two cores.
    """
    import psycopg

    # The driver's own connection: SQLAlchemy's transaction is the driver's, so the rows
    # are committed or rolled back with the rest of the batch.
    driver: psycopg.Connection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
    try:
        with driver.cursor() as cursor, cursor.copy(_COPY_SQL) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as err:
        raise CopyFailed(str(err).strip() or type(err).__name__) from None
