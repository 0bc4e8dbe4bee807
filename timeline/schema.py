"""The database schema as SQLAlchemy tables: the one place that names tables and columns.

Alembic owns the schema (alembic/versions); these tables describe it for the store's queries,
and a test checks that they match what the migrations build. Instants are stored as integer
microseconds since 1970-01-01 UTC: exact, ordered the same on every backend, and cheap to
compare and index; `timeline.dates` converts them.
"""

from __future__ import annotations

import sqlalchemy as sa

# The revision the code expects; a test checks it is the head of alembic/versions, so that
# start-up can compare it with the database's without reading the migration scripts.
SCHEMA_REVISION = "0009_events_by_timeline_and_id"

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

timelines = sa.Table(
    "timelines",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("zone", sa.String(64), nullable=False),
    sa.Column("title", sa.Text, nullable=True),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

imports = sa.Table(
    "imports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("timeline", sa.String(64), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=True),
    sa.Column("started_at", sa.BigInteger, nullable=False),
    sa.Column("finished_at", sa.BigInteger, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("new", sa.Integer, nullable=False, server_default="0"),
    sa.Column("corrected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("retracted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text, nullable=True),
    # The newest source revision stamp (ACLED's `timestamp`) a run that finished saw: where
    # the next incremental run starts. Only finished runs set it.
    sa.Column("high_water", sa.BigInteger, nullable=True),
    sa.Column("host", sa.String(255), nullable=True),
    sa.Column("pid", sa.Integer, nullable=True),
    # The named feed the run read (see `feeds`), when it was one.
    sa.Column("feed", sa.String(64), nullable=True),
    sa.Index(None, "timeline", "started_at"),
    sa.Index(None, "feed", "id"),
)

# Named live feeds: a dataset API URL read into a timeline by `timeline feeds run`. Never a
# credential: those come from the environment of the run.
feeds = sa.Table(
    "feeds",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("timeline", sa.String(64), sa.ForeignKey("timelines.name"), nullable=False),
    sa.Column("format", sa.String(16), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

# Every key of the per-timeline tables (events, heads, anchors, snapshots) begins with
# `timeline`: on PostgreSQL they are partitioned by it, one partition per timeline (see
# alembic/versions/0007_timeline_chains.py), the layout a cluster distributes by timeline.
events = sa.Table(
    "events",
    metadata,
    # The timeline's recording order, assigned by the store under the timeline's write lock.
    # Rows recorded before each timeline had its own chain keep their place in the one chain
    # of the whole log (see `anchors`): a timeline's seqs increase, with gaps before its anchor.
    sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
    # Unique across the log: the store looks every id up before it appends, under the lock of
    # each timeline it appends to (the database holds it unique per timeline, the key a
    # partitioned table can keep).
    sa.Column("id", sa.String(36), nullable=False),
    sa.Column("timeline", sa.String(64), sa.ForeignKey("timelines.name"), nullable=False),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("kind_version", sa.SmallInteger, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    # Kind-specific fields as canonical JSON text (sorted keys), the same bytes on every backend.
    sa.Column("payload", sa.Text, nullable=False),
    # The source record an imported event was mapped from, kept as the dataset published it
    # (JSON text); apart from the payload so that folds never read or parse it.
    sa.Column("record", sa.Text, nullable=True),
    # Valid time: the fuzzy date as text, its half-open interval, precision and qualifiers.
    sa.Column("date_text", sa.String(100), nullable=False),
    sa.Column("valid_from", sa.BigInteger, nullable=False),
    sa.Column("valid_to", sa.BigInteger, nullable=False),
    sa.Column("precision", sa.String(10), nullable=False),
    sa.Column("approximate", sa.Boolean, nullable=False),
    sa.Column("uncertain", sa.Boolean, nullable=False),
    # Knowledge time: when this database learned it; when the source published it.
    sa.Column("recorded_at", sa.BigInteger, nullable=False),
    sa.Column("reported_at", sa.BigInteger, nullable=True),
    # Provenance.
    sa.Column("sources", sa.Text, nullable=False),
    sa.Column("confidence", sa.String(16), nullable=True),
    sa.Column("origin", sa.String(200), nullable=True),
    sa.Column("origin_version", sa.Integer, nullable=True),
    sa.Column("origin_hash", sa.String(64), nullable=True),
    sa.Column("origin_stamp", sa.BigInteger, nullable=True),
    sa.Column("import_run", sa.Integer, sa.ForeignKey("imports.id"), nullable=True),
    # The event a correction or retraction acts on, so its revisions can be found by index.
    sa.Column("target", sa.String(36), nullable=True),
    # Tamper evidence: the hash of this row's content chained to the previous row's hash.
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    # When it was first public: derived from the sources and reported_at (which the hash
    # covers) in the timeline's zone, for `--as-published`; NULL when it has no date.
    sa.Column("published_at", sa.BigInteger, nullable=True),
    # The id a definition (`actor.defined`, `place.defined`) defines, derived from its payload
    # (which the hash covers); NULL on every other event. An answer reads by it the
    # definitions of the entities it names, not the whole registry.
    sa.Column("entity", sa.String(200), nullable=True),
    sa.Index(None, "timeline", "valid_from"),
    sa.Index(None, "timeline", "kind"),
    # The four indexes below are partial in the database: WHERE origin IS NOT NULL (resp.
    # target, entity), since most events are neither imported records, revisions nor
    # definitions, and an index entry per NULL would cost every append for nothing. The
    # migrations, which build them, say so; they are not spelled here (sqlite_where=,
    # postgresql_where=) because declaring a dialect's argument makes SQLAlchemy import that
    # dialect to check it, and the PostgreSQL one cost every SQLite command a tenth to a
    # fifth of importing SQLAlchemy at start-up. Nothing reads the clause from here: the
    # store's queries name columns, and Alembic's comparison with the migrations
    # (tests/test_migrations.py) ignores it.
    sa.Index(None, "timeline", "origin", "origin_version", unique=True),
    # What an import asks of every record: the content hash of its latest stored version,
    # answered from this index alone (see the SQL store's origins.latest_hashes).
    sa.Index(None, "timeline", "origin", "origin_version", "origin_hash"),
    sa.Index(None, "target"),
    sa.Index(None, "timeline", "entity"),
    sa.PrimaryKeyConstraint("timeline", "seq"),
    # Also what finds an event by id whatever its timeline: the store asks for it in every
    # timeline (`timeline IN (...)`), one probe of this key each (see migration 0009).
    sa.UniqueConstraint("timeline", "id"),
)

# The heads of each timeline's hash chain (the seq and hash of its last row after each
# append), append-only like the log: `verify` checks the log against them, so that a chain
# cut short at its end or re-hashed from an edited row on is found out. The heads recorded
# before each timeline had its own chain are of the whole log's chain, each under the
# timeline of its row.
heads = sa.Table(
    "heads",
    metadata,
    sa.Column("seq", sa.BigInteger, nullable=False, autoincrement=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Column("recorded_at", sa.BigInteger, nullable=False),
    sa.Column("timeline", sa.String(64), nullable=False),
    sa.PrimaryKeyConstraint("timeline", "seq"),
)

# Where each timeline's own chain starts, in a log that was one chain before revision 0007:
# one row per timeline there was then, append-only. `seq` is the timeline's last seq in the
# one chain; `global_seq` and `global_hash` that chain's head at the upgrade; `hash` is
# `codec.anchor_hash` of the four, the hash the timeline's next row links to. `verify`
# checks the one chain up to that head, and each timeline's chain from its anchor on.
anchors = sa.Table(
    "anchors",
    metadata,
    sa.Column("timeline", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("global_seq", sa.BigInteger, nullable=False),
    sa.Column("global_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    # The recording time of the one chain's head: knowledge time never runs backwards.
    sa.Column("recorded_at", sa.BigInteger, nullable=False),
)

# Derived and disposable: folded states of a timeline at fold-order boundaries, so that an
# answer folds only the events after the nearest one. `timeline rebuild` recreates them.
# A snapshot serves the knowledge times from `known_through` until `superseded_at`: a late
# arrival does not delete the snapshots it makes stale for today's answers, it closes their
# validity, and `--as-known` answers about the knowledge before it still start from them.
snapshots = sa.Table(
    "snapshots",
    metadata,
    sa.Column("timeline", sa.String(64), primary_key=True),
    # Every effective event with valid_from < boundary is folded into the state.
    sa.Column("boundary", sa.BigInteger, primary_key=True, autoincrement=False),
    # The latest recorded_at among the events folded in: usable for --as-known at or after it.
    sa.Column("known_through", sa.BigInteger, primary_key=True, autoincrement=False),
    # When an event recorded later reached back before `boundary` (None: still current).
    sa.Column("superseded_at", sa.BigInteger, nullable=True),
    sa.Column("event_count", sa.Integer, nullable=False),
    sa.Column("state", sa.LargeBinary, nullable=False),
    # codec.snapshot_digest of the row: a snapshot whose content does not match it is not used.
    sa.Column("digest", sa.String(64), nullable=True),
)
