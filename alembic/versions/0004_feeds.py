"""Named live feeds: a dataset API URL read into a timeline by `timeline feeds run`, and the
feed each import run read (so that every feed keeps its own high-water mark).

The table holds no credential: those come from the environment of the run.

Revision ID: 0004_feeds
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004_feeds"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("timeline", sa.String(64), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.ForeignKeyConstraint(
            ["timeline"], ["timelines.name"], name=op.f("fk_feeds_timeline_timelines")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_feeds")),
    )
    with op.batch_alter_table("imports") as batch:
        batch.add_column(sa.Column("feed", sa.String(64), nullable=True))
        batch.create_index(op.f("ix_imports_feed_id"), ["feed", "id"])


def downgrade() -> None:
    with op.batch_alter_table("imports") as batch:
        batch.drop_index(op.f("ix_imports_feed_id"))
        batch.drop_column("feed")
    op.drop_table("feeds")
