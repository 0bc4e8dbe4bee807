"""When each event was first public, for answers about what had been published by a date.

`published_at` is the earliest of an event's `reported_at` and its sources' publication
dates (each counted from its end, read in the timeline's zone: see
`timeline.events.first_published`); NULL when it has neither. It is derived from columns the
row's hash covers, so it stays out of the hash; the events stored before it are filled in
here, with the append-only triggers lifted for the length of this transaction only.

Revision ID: 0005_published
Revises: 0004_feeds
Create Date: 2026-11-30
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op
from timeline.dates import from_micros, to_micros
from timeline.events import Source, first_published

revision: str = "0005_published"
down_revision: str | None = "0004_feeds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The SQLite trigger as 0001 made it: dropped and made again around the fill.
SQLITE_NO_UPDATE = """CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only: UPDATE is not allowed'); END"""


def upgrade() -> None:
    op.add_column("events", sa.Column("published_at", sa.BigInteger, nullable=True))
    bind = op.get_bind()
    zones: dict[str, str] = {}
    for name, zone in bind.execute(sa.text("SELECT name, zone FROM timelines")):
        zones[name] = zone
    updates = []
    for seq, timeline, sources, reported in bind.execute(
        sa.text("SELECT seq, timeline, sources, reported_at FROM events")
    ):
        published = first_published(
            tuple(Source(**s) for s in json.loads(sources)),
            from_micros(reported) if reported is not None else None,
            zones[timeline],
        )
        if published is not None:
            updates.append({"seq": seq, "published": to_micros(published)})
    if not updates:
        return
    postgresql = bind.dialect.name == "postgresql"
    if postgresql:
        op.execute("ALTER TABLE events DISABLE TRIGGER events_no_update_or_delete")
    else:
        op.execute("DROP TRIGGER events_no_update")
    bind.execute(sa.text("UPDATE events SET published_at = :published WHERE seq = :seq"), updates)
    if postgresql:
        op.execute("ALTER TABLE events ENABLE TRIGGER events_no_update_or_delete")
    else:
        op.execute(SQLITE_NO_UPDATE)


def downgrade() -> None:
    # Not through a batch (which would rebuild the table and lose its triggers): SQLite drops
    # a column in place since 3.35.
    op.execute("ALTER TABLE events DROP COLUMN published_at")
