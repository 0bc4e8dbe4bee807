"""The event log: timelines, imports, events (append-only), snapshots.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = [
    """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END""",
    """CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: DELETE is not allowed'); END""",
]

POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'events are append-only: % is not allowed', TG_OP;
    END $$""",
    """CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only()""",
    """CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "timelines",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("zone", sa.String(64), nullable=False),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_timelines")),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("timeline", sa.String(64), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.BigInteger, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("new", sa.Integer, server_default="0", nullable=False),
        sa.Column("corrected", sa.Integer, server_default="0", nullable=False),
        sa.Column("retracted", sa.Integer, server_default="0", nullable=False),
        sa.Column("unchanged", sa.Integer, server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer, server_default="0", nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("high_water", sa.BigInteger, nullable=True),
        sa.Column("host", sa.String(255), nullable=True),
        sa.Column("pid", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
    )
    op.create_index(op.f("ix_imports_timeline_started_at"), "imports", ["timeline", "started_at"])
    op.create_table(
        "events",
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
        sa.ForeignKeyConstraint(
            ["import_run"], ["imports.id"], name=op.f("fk_events_import_run_imports")
        ),
        sa.ForeignKeyConstraint(
            ["timeline"], ["timelines.name"], name=op.f("fk_events_timeline_timelines")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
        sa.UniqueConstraint("id", name=op.f("uq_events_id")),
    )
    op.create_index(op.f("ix_events_timeline_valid_from"), "events", ["timeline", "valid_from"])
    op.create_index(op.f("ix_events_timeline_kind"), "events", ["timeline", "kind"])
    op.create_index(
        op.f("ix_events_timeline_origin_origin_version"),
        "events",
        ["timeline", "origin", "origin_version"],
        unique=True,
        sqlite_where=sa.text("origin IS NOT NULL"),
        postgresql_where=sa.text("origin IS NOT NULL"),
    )
    op.create_index(
        op.f("ix_events_target"),
        "events",
        ["target"],
        sqlite_where=sa.text("target IS NOT NULL"),
        postgresql_where=sa.text("target IS NOT NULL"),
    )
    op.create_table(
        "snapshots",
        sa.Column("timeline", sa.String(64), nullable=False),
        sa.Column("boundary", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("known_through", sa.BigInteger, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("timeline", "boundary", name=op.f("pk_snapshots")),
    )
    triggers = (
        POSTGRESQL_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    )
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        op.execute("DROP TRIGGER IF EXISTS events_no_update_or_delete ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    op.drop_table("snapshots")
    op.drop_index(op.f("ix_events_target"), table_name="events")
    op.drop_index(op.f("ix_events_timeline_origin_origin_version"), table_name="events")
    op.drop_index(op.f("ix_events_timeline_kind"), table_name="events")
    op.drop_index(op.f("ix_events_timeline_valid_from"), table_name="events")
    op.drop_table("events")
    op.drop_index(op.f("ix_imports_timeline_started_at"), table_name="imports")
    op.drop_table("imports")
    op.drop_table("timelines")
