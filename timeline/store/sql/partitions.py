"""PostgreSQL's layout by timeline: one partition of each per-timeline table per timeline.

`events`, `heads` and `snapshots` are partitioned by LIST (timeline) on PostgreSQL (see
alembic/versions/0007_timeline_chains.py); every primary and unique key of theirs begins with
`timeline`, so that each partition holds whole keys, and a cluster that distributes tables by
a column (Citus) can take the layout as it is. A timeline's partitions are made with it, in
the transaction that creates it (`SqlCatalog.create`), or by the migration for the timelines
there were. SQLite keeps plain tables with the same keys: none of this runs there.

The append-only triggers of `events` and `heads` are declared on the partitioned tables, and
PostgreSQL clones their row triggers onto every partition; a TRUNCATE trigger is not cloned,
and each partition gets its own, so that truncating a partition directly is refused too.
"""

from __future__ import annotations

import hashlib

from sqlalchemy.engine import Connection

# The tables partitioned by timeline, and those of them that are append-only (whose trigger
# function is `<table>_append_only()`, see 0001 and 0006).
PARTITIONED = ("events", "heads", "snapshots")
APPEND_ONLY = ("events", "heads")


def partition_name(table: str, timeline: str) -> str:
    """The name of a timeline's partition of `table`: from a hash of the timeline's name, so
    that it is a plain identifier well within PostgreSQL's 63 bytes whatever the name."""
    digest = hashlib.blake2b(timeline.encode("utf-8"), digest_size=8).hexdigest()
    return f"{table}_{digest}"


def create_partitions(conn: Connection, timeline: str) -> None:
    """Make a timeline's partitions of every partitioned table, with their triggers."""
    # A literal, not a parameter: DDL takes none. Timeline names are letters, digits and
    # '-_.' (`check_timeline_name`); the quote is doubled all the same.
    value = "'" + timeline.replace("'", "''") + "'"
    for table in PARTITIONED:
        name = partition_name(table, timeline)
        # Made apart and attached, not `CREATE TABLE ... PARTITION OF`: that locks the whole
        # partitioned table (ACCESS EXCLUSIVE) until the transaction ends, so every reader
        # and writer of every timeline waited for the one creating a timeline, and a reader
        # in the creating process itself waited forever. ATTACH PARTITION takes SHARE UPDATE
        # EXCLUSIVE, which reads and appends do not wait for; it makes the partition's
        # indexes and keys, and clones the row triggers and foreign keys, from the table's.
        conn.exec_driver_sql(
            f'CREATE TABLE "{name}" (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
        )
        conn.exec_driver_sql(
            f'ALTER TABLE {table} ATTACH PARTITION "{name}" FOR VALUES IN ({value})'
        )
        if table in APPEND_ONLY:
            conn.exec_driver_sql(
                f'CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON "{name}" '
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
            )
