"""Rows of one timeline's events found by many values of one indexed column, in plain SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

# Values per statement: below SQLite's oldest limit on bound parameters (999), which builds
# still use. PostgreSQL takes each chunk as one array, the same size for simplicity.
KEYS_PER_STATEMENT = 998


def rows_keyed(
    conn: Connection, columns: str, timeline: str, column: str, keys: Sequence[str]
) -> list[Any]:
    """The `columns` of a timeline's events whose `column` is one of `keys` (an index on
    (timeline, `column`) finds them), in no particular order."""
    # Plain SQL on the driver's cursor, in chunks: compiling an IN list of a thousand literals,
    # or wrapping every row in a result object, would cost more than the index lookup itself.
    unique = list(dict.fromkeys(keys))
    rows: list[Any] = []
    qmark = conn.dialect.paramstyle == "qmark"
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(unique), KEYS_PER_STATEMENT):
            chunk = unique[start : start + KEYS_PER_STATEMENT]
            if qmark:
                cursor.execute(
                    f"SELECT {columns} FROM events WHERE timeline = ? "
                    f"AND {column} IN ({', '.join(['?'] * len(chunk))})",
                    (timeline, *chunk),
                )
            else:
                # PostgreSQL takes the keys as one array: the statement stays short enough for
                # psycopg to cache and prepare, instead of parsing a thousand placeholders on
                # every lookup (a fifth of an unchanged re-import's time).
                cursor.execute(
                    f"SELECT {columns} FROM events WHERE timeline = %s AND {column} = ANY(%s)",
                    (timeline, chunk),
                )
            rows += cursor.fetchall()
    finally:
        cursor.close()
    return rows
