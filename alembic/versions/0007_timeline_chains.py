"""A log and a writer per timeline: each timeline's own seq order and hash chain, anchored
to the chain the whole log was before; on PostgreSQL, the per-timeline tables partitioned by
timeline.

Before this revision the log was one hash chain across every timeline, in one global `seq`
order, appended under one writer lock, with its heads in `heads`. From it on, each timeline's
events are a chain of their own, in the timeline's own `seq` order, appended under that
timeline's lock (see `timeline.store.sql`), and `heads` records each timeline's heads.

Nothing is rewritten: a row's hash covers its seq and links to the row before it, so the rows
stored before stay exactly as they were, and together they still form the one chain they
were. What joins the two is an anchor per timeline (`anchors`): the timeline's last seq in
the one chain, the chain's head (its last seq and hash) at this upgrade, and a hash of the
four (`timeline.store.codec.anchor_hash`), which the timeline's next row links to as its
`prev_hash` and after whose seq it takes its own. `timeline verify` walks the one chain (the
rows at or before their timeline's anchor seq, in seq order) against the heads recorded as it
grew, requires it to end at exactly the head the anchors commit to, and walks each timeline's
chain from its anchor against its own heads: the history before the upgrade stays as
verifiable as it was, and cutting it back or re-hashing it breaks every chain anchored to its
head. Timelines created after the upgrade have no anchor: their chains start at genesis. A
log with no events gets no anchors.

Before anchoring, the upgrade checks that every head recorded so far is still in the log
with its hash (one read of the heads, not a walk of the chain): an anchor never commits to a
log that has lost its recorded end. It stops with an error naming the first head that is
missing, and the database is left at 0006.

Keys: the events' primary key is (timeline, seq), their id unique per timeline (the store
looks every id up across the log before it appends), with an index on id for lookups by id;
heads' is (timeline, seq). The heads recorded before go under the timeline of their row.

On PostgreSQL `events`, `heads` and `snapshots` become LIST-partitioned by timeline, one
partition of each per timeline (`timeline.store.sql.partitions`: made here for the timelines
there are, and by the catalog with each new one). The append-only triggers are declared on
the partitioned tables (PostgreSQL clones row triggers onto each partition), and each
partition of events and heads gets its own TRUNCATE trigger. `anchors` is append-only too.
SQLite keeps plain tables with the same keys.

Downgrade goes back to one chain when the log still is one: every row, in seq order, links to
the one before (a log with no event appended since the upgrade, or with one timeline's
events alone since a new start). Otherwise it stops with an error and changes nothing: the
chains of several timelines cannot be one chain again without rewriting hashes.

Revision ID: 0007_timeline_chains
Revises: 0006_chain_heads
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from alembic import op
from timeline.errors import IntegrityError, TimelineError
from timeline.events import GENESIS_HASH
from timeline.store.codec import anchor_hash
from timeline.store.sql.partitions import create_partitions

revision: str = "0007_timeline_chains"
down_revision: str | None = "0006_chain_heads"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_COLUMNS = (
    "seq", "id", "timeline", "kind", "kind_version", "title", "payload", "record", "date_text",
    "valid_from", "valid_to", "precision", "approximate", "uncertain", "recorded_at",
    "reported_at", "sources", "confidence", "origin", "origin_version", "origin_hash",
    "origin_stamp", "import_run", "target", "hash", "prev_hash", "published_at",
)  # fmt: skip

# The indexes of events both revisions share (name: columns, unique, partial WHERE).
SHARED_INDEXES = {
    "ix_events_timeline_valid_from": (["timeline", "valid_from"], False, None),
    "ix_events_timeline_kind": (["timeline", "kind"], False, None),
    "ix_events_timeline_origin_origin_version": (
        ["timeline", "origin", "origin_version"],
        True,
        "origin IS NOT NULL",
    ),
    "ix_events_timeline_origin_origin_version_origin_hash": (
        ["timeline", "origin", "origin_version", "origin_hash"],
        False,
        "origin IS NOT NULL",
    ),
    "ix_events_target": (["target"], False, "target IS NOT NULL"),
}


def _triggers(table: str, postgresql: bool) -> list[str]:
    # The append-only triggers as 0001 (events) and 0006 (heads) made them; on PostgreSQL
    # the function is kept, and only the triggers are dropped and made again.
    if postgresql:
        return [
            f"""CREATE TRIGGER {table}_no_update_or_delete BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
            f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()""",
        ]
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} are append-only: UPDATE is not allowed'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} are append-only: DELETE is not allowed'); END""",
    ]


def _drop_triggers(table: str, postgresql: bool) -> None:
    if postgresql:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_or_delete ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def _set_aside(table: str, indexes: Sequence[str], postgresql: bool) -> str:
    """Rename `table` out of the way of the new one, its indexes, triggers and named
    constraints dropped (their names are the new table's); returns its new name."""
    _drop_triggers(table, postgresql)
    for name in indexes:
        op.execute(f"DROP INDEX {name}")
    old = f"{table}_previous"
    op.rename_table(table, old)
    if postgresql:
        rows = op.get_bind().execute(
            sa.text(
                "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) "
                "AND contype IN ('p', 'u', 'f')"
            ),
            {"t": old},
        )
        for (name,) in rows.all():
            op.execute(f'ALTER TABLE {old} DROP CONSTRAINT "{name}"')
    return old


def _event_columns() -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("seq", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("timeline", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("kind_version", sa.SmallInteger, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("record", sa.Text, nullable=True),
        sa.Column("date_text", sa.String(100), nullable=False),
        sa.Column("valid_from", sa.BigInteger, nullable=False),
        sa.Column("valid_to", sa.BigInteger, nullable=False),
        sa.Column("precision", sa.String(10), nullable=False),
        sa.Column("approximate", sa.Boolean, nullable=False),
        sa.Column("uncertain", sa.Boolean, nullable=False),
        sa.Column("recorded_at", sa.BigInteger, nullable=False),
        sa.Column("reported_at", sa.BigInteger, nullable=True),
        sa.Column("sources", sa.Text, nullable=False),
        sa.Column("confidence", sa.String(16), nullable=True),
        sa.Column("origin", sa.String(200), nullable=True),
        sa.Column("origin_version", sa.Integer, nullable=True),
        sa.Column("origin_hash", sa.String(64), nullable=True),
        sa.Column("origin_stamp", sa.BigInteger, nullable=True),
        sa.Column("import_run", sa.Integer, nullable=True),
        sa.Column("target", sa.String(36), nullable=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("published_at", sa.BigInteger, nullable=True),
        sa.ForeignKeyConstraint(
            ["import_run"], ["imports.id"], name=op.f("fk_events_import_run_imports")
        ),
        sa.ForeignKeyConstraint(
            ["timeline"], ["timelines.name"], name=op.f("fk_events_timeline_timelines")
        ),
    ]


def _create_events(per_timeline: bool, postgresql: bool) -> None:
    if per_timeline:
        keys = [
            sa.PrimaryKeyConstraint("timeline", "seq", name=op.f("pk_events")),
            sa.UniqueConstraint("timeline", "id", name=op.f("uq_events_timeline_id")),
        ]
        partitioning: dict[str, Any] = (
            {"postgresql_partition_by": "LIST (timeline)"} if postgresql else {}
        )
    else:
        keys = [
            sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
            sa.UniqueConstraint("id", name=op.f("uq_events_id")),
        ]
        partitioning = {}
    op.create_table("events", *_event_columns(), *keys, **partitioning)
    for name, (columns, unique, where) in SHARED_INDEXES.items():
        clause: dict[str, Any] = {} if where is None else {"sqlite_where": sa.text(where)}
        if where is not None:
            clause["postgresql_where"] = sa.text(where)
        op.create_index(op.f(name), "events", columns, unique=unique, **clause)
    if per_timeline:
        op.create_index(op.f("ix_events_id"), "events", ["id"])
    for statement in _triggers("events", postgresql):
        op.execute(statement)


def _create_heads(per_timeline: bool, postgresql: bool) -> None:
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("seq", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.BigInteger, nullable=False),
    ]
    if per_timeline:
        columns.append(sa.Column("timeline", sa.String(64), nullable=False))
        key = sa.PrimaryKeyConstraint("timeline", "seq", name=op.f("pk_heads"))
        partitioning: dict[str, Any] = (
            {"postgresql_partition_by": "LIST (timeline)"} if postgresql else {}
        )
    else:
        key = sa.PrimaryKeyConstraint("seq", name=op.f("pk_heads"))
        partitioning = {}
    op.create_table("heads", *columns, key, **partitioning)
    for statement in _triggers("heads", postgresql):
        op.execute(statement)


def _create_snapshots(per_timeline: bool) -> None:
    # PostgreSQL alone: SQLite's snapshots table stays as it is.
    partitioning: dict[str, Any] = (
        {"postgresql_partition_by": "LIST (timeline)"} if per_timeline else {}
    )
    op.create_table(
        "snapshots",
        sa.Column("timeline", sa.String(64), nullable=False),
        sa.Column("boundary", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("known_through", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("superseded_at", sa.BigInteger, nullable=True),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.Column("digest", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("timeline", "boundary", "known_through", name=op.f("pk_snapshots")),
        **partitioning,
    )


SNAPSHOT_COLUMNS = "timeline, boundary, known_through, superseded_at, event_count, state, digest"


def _check_heads(bind: sa.Connection) -> None:
    missing = bind.execute(
        sa.text(
            "SELECT h.seq FROM heads h LEFT JOIN events e ON e.seq = h.seq "
            "WHERE e.hash IS NULL OR e.hash <> h.hash ORDER BY h.seq LIMIT 1"
        )
    ).first()
    if missing is not None:
        raise IntegrityError(
            f"heads: the head recorded at seq {missing.seq} is not in the log with its hash: "
            "the log lost rows or was changed before this upgrade; `timeline verify` on the "
            "previous release names the first bad row, and the database stays at 0006"
        )


def upgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    _check_heads(bind)
    head = bind.execute(
        sa.text("SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1")
    ).first()
    timelines = [
        (row.name, int(row.last or 0))
        for row in bind.execute(
            sa.text(
                "SELECT t.name AS name, (SELECT max(e.seq) FROM events e "
                "WHERE e.timeline = t.name) AS last FROM timelines t ORDER BY t.name"
            )
        )
    ]

    old_events = _set_aside("events", [*SHARED_INDEXES], postgresql)
    old_heads = _set_aside("heads", [], postgresql)
    _create_events(True, postgresql)
    _create_heads(True, postgresql)
    old_snapshots = None
    if postgresql:
        old_snapshots = _set_aside("snapshots", [], postgresql)
        _create_snapshots(True)
    op.create_table(
        "anchors",
        sa.Column("timeline", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("global_seq", sa.BigInteger, nullable=False),
        sa.Column("global_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("timeline", name=op.f("pk_anchors")),
    )
    if postgresql:
        op.execute(
            """CREATE FUNCTION anchors_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'anchors are append-only: % is not allowed', TG_OP;
    END $$"""
        )
    for statement in _triggers("anchors", postgresql):
        op.execute(statement)
    if postgresql:
        for name, _ in timelines:
            create_partitions(bind, name)

    columns = ", ".join(EVENT_COLUMNS)
    op.execute(f"INSERT INTO events ({columns}) SELECT {columns} FROM {old_events}")
    # Each head recorded so far goes under the timeline of its row (all there: checked above).
    op.execute(
        "INSERT INTO heads (timeline, seq, hash, recorded_at) "
        f"SELECT e.timeline, h.seq, h.hash, h.recorded_at FROM {old_heads} h "
        f"JOIN {old_events} e ON e.seq = h.seq"
    )
    if old_snapshots is not None:
        op.execute(
            f"INSERT INTO snapshots ({SNAPSHOT_COLUMNS}) "
            f"SELECT {SNAPSHOT_COLUMNS} FROM {old_snapshots}"
        )
        op.drop_table(old_snapshots)
    op.drop_table(old_heads)
    op.drop_table(old_events)

    if head is not None:
        anchors = sa.table(
            "anchors",
            sa.column("timeline"),
            sa.column("seq"),
            sa.column("global_seq"),
            sa.column("global_hash"),
            sa.column("hash"),
            sa.column("recorded_at"),
        )
        op.bulk_insert(
            anchors,
            [
                {
                    "timeline": name,
                    "seq": last,
                    "global_seq": head.seq,
                    "global_hash": head.hash,
                    "hash": anchor_hash(name, last, head.seq, head.hash),
                    "recorded_at": head.recorded_at,
                }
                for name, last in timelines
            ],
        )


def _check_one_chain(bind: sa.Connection) -> None:
    previous_seq, previous_hash = 0, GENESIS_HASH
    rows = bind.execute(
        sa.text("SELECT timeline, seq, hash, prev_hash FROM events ORDER BY seq, timeline")
    )
    for row in rows:
        if row.seq <= previous_seq or row.prev_hash != previous_hash:
            raise TimelineError(
                f"events: seq {row.seq} of timeline {row.timeline!r} does not follow seq "
                f"{previous_seq} in one chain: the log holds the chains of several timelines, "
                "which the previous revision cannot hold; the database stays at 0007"
            )
        previous_seq, previous_hash = row.seq, row.hash


def downgrade() -> None:
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    _check_one_chain(bind)
    old_events = _set_aside("events", [*SHARED_INDEXES, "ix_events_id"], postgresql)
    old_heads = _set_aside("heads", [], postgresql)
    _create_events(False, postgresql)
    _create_heads(False, postgresql)
    columns = ", ".join(EVENT_COLUMNS)
    op.execute(f"INSERT INTO events ({columns}) SELECT {columns} FROM {old_events}")
    op.execute(
        f"INSERT INTO heads (seq, hash, recorded_at) SELECT seq, hash, recorded_at FROM {old_heads}"
    )
    if postgresql:
        old_snapshots = _set_aside("snapshots", [], postgresql)
        _create_snapshots(False)
        op.execute(
            f"INSERT INTO snapshots ({SNAPSHOT_COLUMNS}) "
            f"SELECT {SNAPSHOT_COLUMNS} FROM {old_snapshots}"
        )
        # Its partitions go with it.
        op.drop_table(old_snapshots)
    op.drop_table(old_heads)
    op.drop_table(old_events)
    _drop_triggers("anchors", postgresql)
    op.drop_table("anchors")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS anchors_append_only()")
