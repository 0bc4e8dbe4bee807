"""The heads of the hash chain, recorded as it grows; a digest on every snapshot.

Each append records the chain's head (the seq and hash of its last row) in `heads`, itself
append-only. `timeline verify` checks the log against every recorded head, so that removing
rows from the end of the log, or re-hashing the chain from an edited row on, no longer
verifies as intact (the chain alone cannot tell a shorter log from a tampered one). An
existing log gets its current head recorded by this upgrade.

A snapshot carries the digest of its content, and answers do not use one that does not match
it. The snapshots stored before have none: they are dropped (derived data, written again by
the next import or `timeline rebuild`).

Revision ID: 0006_chain_heads
Revises: 0005_published
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006_chain_heads"
down_revision: str | None = "0005_published"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = [
    """CREATE TRIGGER heads_no_update BEFORE UPDATE ON heads
    BEGIN SELECT RAISE(ABORT, 'heads are append-only: UPDATE is not allowed'); END""",
    """CREATE TRIGGER heads_no_delete BEFORE DELETE ON heads
    BEGIN SELECT RAISE(ABORT, 'heads are append-only: DELETE is not allowed'); END""",
]

POSTGRESQL_TRIGGERS = [
    """CREATE FUNCTION heads_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'heads are append-only: % is not allowed', TG_OP;
    END $$""",
    """CREATE TRIGGER heads_no_update_or_delete BEFORE UPDATE OR DELETE ON heads
    FOR EACH ROW EXECUTE FUNCTION heads_append_only()""",
    """CREATE TRIGGER heads_no_truncate BEFORE TRUNCATE ON heads
    FOR EACH STATEMENT EXECUTE FUNCTION heads_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "heads",
        sa.Column("seq", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_heads")),
    )
    op.execute(
        "INSERT INTO heads (seq, hash, recorded_at) "
        "SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1"
    )
    op.execute("DELETE FROM snapshots")
    with op.batch_alter_table("snapshots") as batch:
        batch.add_column(sa.Column("digest", sa.String(64), nullable=True))
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_TRIGGERS if postgresql else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("snapshots") as batch:
        batch.drop_column("digest")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS heads_no_truncate ON heads")
        op.execute("DROP TRIGGER IF EXISTS heads_no_update_or_delete ON heads")
        op.execute("DROP FUNCTION IF EXISTS heads_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS heads_no_update")
        op.execute("DROP TRIGGER IF EXISTS heads_no_delete")
    op.drop_table("heads")
