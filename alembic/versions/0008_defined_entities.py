"""The actor or place each definition defines, as a column with an index, so that an answer
reads the definitions of the entities it names, not every definition of the timeline.

`entity` is the id an `actor.defined` or `place.defined` event defines (its `actor` or
`place` field); NULL on every other event. An answer named the actors and places of its facts
by reading the whole registry first: on an imported war that names 60,000 of them, that read
was half of an answer that folds a few hundred events. It is derived from the payload, which
the row's hash covers, so it stays out of the hash; the definitions stored before it are
filled in here, with the append-only triggers lifted for the length of this transaction only.

Revision ID: 0008_defined_entities
Revises: 0007_timeline_chains
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from timeline.entities import defined_entity

revision: str = "0008_defined_entities"
down_revision: str | None = "0007_timeline_chains"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_events_timeline_entity"
# The SQLite trigger as 0007 made it: dropped and made again around the fill.
SQLITE_NO_UPDATE = """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END"""


def upgrade() -> None:
    op.add_column("events", sa.Column("entity", sa.String(200), nullable=True))
    bind = op.get_bind()
    updates = []
    for timeline, seq, kind, payload in bind.execute(
        sa.text(
            "SELECT timeline, seq, kind, payload FROM events "
            "WHERE kind IN ('actor.defined', 'place.defined')"
        )
    ):
        entity = defined_entity(kind, json.loads(payload))
        if entity is not None:
            updates.append({"timeline": timeline, "seq": seq, "entity": entity})
    if updates:
        postgresql = bind.dialect.name == "postgresql"
        if postgresql:
            op.execute("ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete")
        else:
            op.execute("DROP TRIGGER events_no_update")
        bind.execute(
            sa.text("UPDATE events SET entity = :entity WHERE timeline = :timeline AND seq = :seq"),
            updates,
        )
        if postgresql:
            op.execute("ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete")
        else:
            op.execute(SQLITE_NO_UPDATE)
    # Partial: only definitions have an entity, a few in a hundred of an imported war's events.
    op.create_index(
        INDEX,
        "events",
        ["timeline", "entity"],
        sqlite_where=sa.text("entity IS NOT NULL"),
        postgresql_where=sa.text("entity IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="events")
    # Not through a batch (which would rebuild the table and lose its triggers): SQLite drops
    # a column in place since 3.35.
    op.execute("ALTER TABLE events DROP COLUMN entity")
