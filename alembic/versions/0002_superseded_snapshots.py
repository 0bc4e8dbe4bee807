"""Snapshots outlive the late arrivals that make them stale, for `--as-known` answers.

A snapshot gets `superseded_at` (when an event recorded later reached back before its
boundary) and `known_through` joins the primary key, since one boundary now has a snapshot
per state of knowledge. Snapshots are derived: the stored ones, written by an earlier
version of the projections, are dropped rather than converted (`timeline rebuild`, or the
next import, writes them again).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("snapshots")
    op.create_table(
        "snapshots",
        sa.Column("timeline", sa.String(64), nullable=False),
        sa.Column("boundary", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("known_through", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("superseded_at", sa.BigInteger, nullable=True),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("timeline", "boundary", "known_through", name=op.f("pk_snapshots")),
    )


def downgrade() -> None:
    op.drop_table("snapshots")
    op.create_table(
        "snapshots",
        sa.Column("timeline", sa.String(64), nullable=False),
        sa.Column("boundary", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("known_through", sa.BigInteger, nullable=False),
        sa.Column("state", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("timeline", "boundary", name=op.f("pk_snapshots")),
    )
