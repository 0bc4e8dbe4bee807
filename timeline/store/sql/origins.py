"""The origin index in SQL: the latest stored version of each imported record."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.engine import Connection

from timeline.revisions import REVISION_KINDS
from timeline.store.records import OriginVersion
from timeline.store.sql.part import SqlPart

# Keys per lookup statement: below SQLite's oldest limit on bound parameters (999), which
# builds still use. PostgreSQL takes each chunk as one array, the same size for simplicity.
ORIGIN_LOOKUP_CHUNK = 998


class SqlOrigins(SqlPart):
    """The latest versions of imported records in a SQL database."""

    def latest_hashes(self, timeline: str, keys: Sequence[str]) -> dict[str, str | None]:
        """For each stored record key, the content hash of its latest version ("deleted" for
        a record deleted at the source): what an import compares a record with first."""
        # The question every record of an import asks, unchanged ones included: answered from
        # the index on (timeline, origin, origin_version, origin_hash) alone, never reading
        # an event's row (which holds its payload and source record).
        with self._reading() as conn:
            rows = _origin_rows(conn, "origin, origin_version, origin_hash", timeline, keys)
        return {key: row[2] for key, row in newest_versions(rows, version_at=1).items()}

    def latest(self, timeline: str, keys: Sequence[str]) -> dict[str, OriginVersion]:
        """For each stored record key, its latest version."""
        revision_kinds = ", ".join(f"'{kind}'" for kind in sorted(REVISION_KINDS))
        # Columns in OriginVersion's order; every later version of a record is a revision of
        # its first, so a revision's target is the record's root event.
        columns = (
            "origin, id, kind, origin_version, origin_hash, origin_stamp, "
            f"CASE WHEN target IS NOT NULL AND kind IN ({revision_kinds}) THEN target ELSE id END"
        )
        with self._reading() as conn:
            rows = _origin_rows(conn, columns, timeline, keys)
        new = tuple.__new__
        return {
            key: new(OriginVersion, row) for key, row in newest_versions(rows, version_at=3).items()
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


def newest_versions(rows: Iterable[Any], version_at: int) -> dict[str, Any]:
    """Rows whose first column is the origin: for each origin, the row of its highest version."""
    newest: dict[str, Any] = {}
    get = newest.get
    for row in rows:
        current = get(row[0])
        if current is None or row[version_at] > current[version_at]:
            newest[row[0]] = row
    return newest
