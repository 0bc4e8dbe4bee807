"""Revision 0007 on a log the release before it wrote: one hash chain across every timeline,
in one global seq order, with its heads. Nothing stored changes; each timeline's own chain
goes on from an anchor that commits to that chain's head, and `verify` still checks the one
chain, up to that head, then each timeline's. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from timeline import database
from timeline.dates import parse_fuzzy, to_micros
from timeline.errors import IntegrityError, TimelineError
from timeline.events import GENESIS_HASH, NewEvent, stable_id
from timeline.store import EventQuery
from timeline.store.codec import ROW_COLUMNS, anchor_hash, event_row
from timeline.store.sql import SqlStore
from timeline.store.sql.partitions import PARTITIONED, partition_name

BEFORE = "0006_chain_heads"
T0 = parse_fuzzy("2024-05-01T12:00", "UTC").start


def event(timeline: str, key: str, date: str = "2020-05-18") -> NewEvent:
    return NewEvent(
        id=stable_id(timeline, key),
        timeline=timeline,
        kind="note",
        title=f"{timeline} {key}",
        date=parse_fuzzy(date, "UTC"),
        fields={"text": key},
    )


def write_release_log(engine: Engine, batches: list[list[NewEvent]]) -> list[tuple[int, str]]:
    """What the release at 0006 stored for these appends: the rows (`codec.event_row`, the
    row format it shares with this version but for the later `entity` column) in one global
    seq order, each chained to the row
    before it whatever its timeline, and the chain's head after each batch; returns
    (seq, hash) of every row."""
    release = ROW_COLUMNS[: ROW_COLUMNS.index("entity")]
    columns = ", ".join(release)
    marks = ", ".join(f":{c}" for c in release)
    seq, previous, written = 0, GENESIS_HASH, []
    with engine.begin() as conn:
        for name in sorted({e.timeline for batch in batches for e in batch}):
            conn.execute(
                sa.text("INSERT INTO timelines (name, zone, created_at) VALUES (:n, 'UTC', 0)"),
                {"n": name},
            )
        for number, batch in enumerate(batches):
            recorded = to_micros(T0) + number
            for new in batch:
                seq += 1
                row = event_row(new, seq, recorded, None, previous)
                conn.execute(
                    sa.text(f"INSERT INTO events ({columns}) VALUES ({marks})"),
                    dict(zip(release, row[: len(release)], strict=True)),
                )
                previous = row[ROW_COLUMNS.index("hash")]
                written.append((seq, previous))
            conn.execute(
                sa.text("INSERT INTO heads (seq, hash, recorded_at) VALUES (:s, :h, :r)"),
                {"s": seq, "h": previous, "r": recorded},
            )
    return written


@pytest.fixture
def engine(empty_db_url: str) -> Iterator[Engine]:
    """A database the release left behind: at 0006, a log of two timelines in one chain."""
    engine = database.create(empty_db_url)
    database.upgrade(engine, BEFORE)
    yield engine
    engine.dispose()


RELEASE_BATCHES = [
    [event("libya", "a"), event("libya", "b")],
    [event("syria", "a")],
    [event("libya", "c"), event("syria", "b")],
]


def lift_triggers(engine: Engine, *tables: str) -> None:
    with engine.begin() as conn:
        for table in tables:
            if engine.dialect.name == "sqlite":
                for trigger in (f"{table}_no_update", f"{table}_no_delete"):
                    conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {trigger}"))
            else:
                conn.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


def test_the_upgrade_anchors_each_timeline_to_the_head_of_the_one_chain(engine: Engine) -> None:
    written = write_release_log(engine, RELEASE_BATCHES)
    global_seq, global_hash = written[-1]
    database.upgrade(engine)
    assert database.current_revision(engine) == database.head_revision()
    store = SqlStore(engine)

    # Every row is as the release stored it.
    stored = [(e.seq, e.hash) for e in store.log.select(EventQuery(order="recorded"))]
    assert stored == written
    with engine.connect() as conn:
        anchors = conn.execute(
            sa.text("SELECT timeline, seq, global_seq, global_hash, hash FROM anchors")
        ).all()
        heads = conn.execute(sa.text("SELECT timeline, seq FROM heads ORDER BY seq")).all()
    assert sorted(tuple(a) for a in anchors) == [
        ("libya", 4, global_seq, global_hash, anchor_hash("libya", 4, global_seq, global_hash)),
        ("syria", 5, global_seq, global_hash, anchor_hash("syria", 5, global_seq, global_hash)),
    ]
    # The heads recorded before, each under the timeline of its row.
    assert [tuple(h) for h in heads] == [("libya", 2), ("syria", 3), ("syria", 5)]
    result = store.log.verify()
    assert (result.ok, result.checked) == (True, 5), result
    assert store.log.verify(timeline="libya").checked == 3

    # Each timeline's next row takes the seq after its own last, and links to its anchor.
    store.log.append([event("libya", "d"), event("syria", "c")])
    store.log.append([event("syria", "d")])
    libya = list(store.log.select(EventQuery("libya", order="recorded")))
    syria = list(store.log.select(EventQuery("syria", order="recorded")))
    assert [e.seq for e in libya] == [1, 2, 4, 5]
    assert [e.seq for e in syria] == [3, 5, 6, 7]
    assert libya[-1].prev_hash == anchor_hash("libya", 4, global_seq, global_hash)
    assert syria[-2].prev_hash == anchor_hash("syria", 5, global_seq, global_hash)
    assert syria[-1].prev_hash == syria[-2].hash
    verified = store.log.verify()
    assert (verified.ok, verified.checked) == (True, 8)
    assert [(name, seq) for name, seq, _ in verified.heads] == [("libya", 5), ("syria", 7)]
    # A timeline created since starts at genesis.
    store.catalog.create("iraq", "UTC")
    store.log.append([event("iraq", "a")])
    [iraq] = store.log.select(EventQuery("iraq"))
    assert (iraq.seq, iraq.prev_hash) == (1, GENESIS_HASH)
    assert store.log.verify().ok


@pytest.mark.parametrize(
    ("statement", "bad_seq", "reason"),
    [
        # An edited row of the chain from before the upgrade.
        ("UPDATE events SET title = 'forged' WHERE seq = 2", 2, "content does not match"),
        # Its end cut back, its head with it: the anchors still commit to it.
        ("DELETE FROM events WHERE seq = 5", 5, "is not the end of the log's chain"),
        # An anchor made to commit to another head.
        (f"UPDATE anchors SET global_hash = '{'0' * 64}'", 4, "the anchors were changed"),
    ],
    ids=["edited", "cut back", "anchor"],
)
def test_the_chain_from_before_is_still_held_to_its_head(
    engine: Engine, statement: str, bad_seq: int, reason: str
) -> None:
    write_release_log(engine, RELEASE_BATCHES)
    database.upgrade(engine)
    store = SqlStore(engine)
    store.log.append([event("libya", "d")])
    lift_triggers(engine, "events", "heads", "anchors")
    with engine.begin() as conn:
        conn.execute(sa.text(statement))
        if "DELETE" in statement:
            conn.execute(sa.text("DELETE FROM heads WHERE seq = 5 AND timeline = 'syria'"))
    result = store.log.verify()
    assert not result.ok
    assert result.first_bad_seq == bad_seq
    assert reason in (result.reason or ""), result.reason


def test_the_upgrade_refuses_a_log_that_lost_a_recorded_head(engine: Engine) -> None:
    write_release_log(engine, RELEASE_BATCHES)
    lift_triggers(engine, "events")
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE seq = 5"))
    with pytest.raises(IntegrityError, match="the head recorded at seq 5 is not in the log"):
        database.upgrade(engine)
    assert database.current_revision(engine) == BEFORE


def test_downgrade_keeps_the_one_chain_and_refuses_several(engine: Engine) -> None:
    written = write_release_log(engine, RELEASE_BATCHES)
    database.upgrade(engine)
    # Nothing appended since: the log is still one chain, and goes back as it was.
    database.downgrade(engine, BEFORE)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT seq, hash FROM events ORDER BY seq")).all()
        heads = conn.execute(sa.text("SELECT seq FROM heads ORDER BY seq")).scalars().all()
    assert [tuple(r) for r in rows] == written
    assert heads == [2, 3, 5]

    database.upgrade(engine)
    store = SqlStore(engine)
    store.log.append([event("libya", "d"), event("syria", "c")])
    with pytest.raises(TimelineError, match="the chains of several timelines"):
        database.downgrade(engine, BEFORE)
    assert database.current_revision(engine) == database.head_revision()
    assert store.log.verify().ok


@pytest.mark.parametrize("backend", ["postgresql"])  # SQLite keeps plain tables
def test_postgresql_keeps_a_partition_per_timeline(engine: Engine) -> None:
    write_release_log(engine, RELEASE_BATCHES)
    database.upgrade(engine)
    store = SqlStore(engine)
    store.catalog.create("iraq", "UTC")
    store.log.append([event("iraq", "a")])
    with engine.connect() as conn:
        partitions = {
            (parent, child)
            for parent, child in conn.execute(
                sa.text(
                    "SELECT p.relname, c.relname FROM pg_inherits i "
                    "JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
                    "WHERE p.relkind = 'p' AND c.relkind = 'r'"
                )
            )
        }
        keys: dict[str, str] = dict(
            conn.execute(
                sa.text(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = CAST('events' AS regclass) AND contype IN ('p', 'u')"
                )
            ).all()
        )
        in_iraq = conn.execute(
            sa.text(f'SELECT count(*) FROM "{partition_name("events", "iraq")}"')
        ).scalar()
    assert partitions == {
        (table, partition_name(table, name))
        for table in PARTITIONED
        for name in ("libya", "syria", "iraq")
    }
    assert keys == {
        "pk_events": "PRIMARY KEY (timeline, seq)",
        "uq_events_timeline_id": "UNIQUE (timeline, id)",
    }
    assert in_iraq == 1
    # The append-only rules hold on each partition, truncation included.
    for statement in (
        f"UPDATE \"{partition_name('events', 'iraq')}\" SET title = 'x'",
        f'TRUNCATE "{partition_name("events", "iraq")}"',
        f'DELETE FROM "{partition_name("heads", "libya")}"',
        f'TRUNCATE "{partition_name("heads", "libya")}"',
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
