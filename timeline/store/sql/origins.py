"""The origin index in SQL: the latest stored version of each imported record."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from timeline.revisions import REVISION_KINDS
from timeline.store.records import OriginVersion
from timeline.store.sql.keyed import rows_keyed
from timeline.store.sql.part import SqlPart


class SqlOrigins(SqlPart):
    """The latest versions of imported records in a SQL database."""

    def latest_hashes(self, timeline: str, keys: Sequence[str]) -> dict[str, str | None]:
        """For each stored record key, the content hash of its latest version ("deleted" for
        a record deleted at the source): what an import compares a record with first."""
        # The question every record of an import asks, unchanged ones included: answered from
        # the index on (timeline, origin, origin_version, origin_hash) alone, never reading
        # an event's row (which holds its payload and source record).
        with self._reading() as conn:
            rows = rows_keyed(conn, "origin, origin_version, origin_hash", timeline, "origin", keys)
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
            rows = rows_keyed(conn, columns, timeline, "origin", keys)
        new = tuple.__new__
        return {
            key: new(OriginVersion, row) for key, row in newest_versions(rows, version_at=3).items()
        }


def newest_versions(rows: Iterable[Any], version_at: int) -> dict[str, Any]:
    """Rows whose first column is the origin: for each origin, the row of its highest version."""
    newest: dict[str, Any] = {}
    get = newest.get
    for row in rows:
        current = get(row[0])
        if current is None or row[version_at] > current[version_at]:
            newest[row[0]] = row
    return newest
