"""Events are found by id through the (timeline, id) key alone: the index on `id` by itself
goes.

Every lookup of an event by id that does not name its timeline now names every timeline
(`timeline IN (...)`), which the unique (timeline, id) key answers with one probe per
timeline; databases hold a handful of timelines. The index on `id` alone duplicated that key
for those lookups: on a war of a million events it took 51 MiB of a 766 MiB SQLite file, and
every append wrote an entry at a random place in it (event ids are hashes).

Revision ID: 0009_events_by_timeline_and_id
Revises: 0008_defined_entities
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_events_by_timeline_and_id"
down_revision: str | None = "0008_defined_entities"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_events_id"


def upgrade() -> None:
    # On PostgreSQL, dropping the partitioned table's index drops each partition's with it.
    op.drop_index(INDEX, table_name="events")


def downgrade() -> None:
    op.create_index(INDEX, "events", ["id"])
