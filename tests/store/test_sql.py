"""What only the SQL store has: the database's own append-only rules, and its connections.

On SQLite and PostgreSQL alone; every other test of the store runs on the memory store too.
"""

from __future__ import annotations

import itertools
from collections.abc import Generator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from timeline.store import EventQuery
from timeline.store.sql import SqlStore

from .helpers import correction, new_event, note


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The SQL backend a test runs on."""
    return str(request.param)


@pytest.fixture
def libya(store: SqlStore) -> SqlStore:
    """The SQL store with an empty `libya` timeline."""
    store.catalog.create("libya", "UTC", "Libyan civil war")
    return store


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET title = 'forged' WHERE seq = 1", "DELETE FROM events WHERE seq = 1"],
    ids=["update", "delete"],
)
def test_the_database_rejects_rewriting_events(libya: SqlStore, statement: str) -> None:
    event = note("libya", "2019")
    libya.log.append([event])
    with pytest.raises(DBAPIError, match="append-only"), libya.engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert libya.log.get(event.id).title == event.title
    assert libya.log.verify().ok


def test_the_database_rejects_emptying_the_log(libya: SqlStore) -> None:
    libya.log.append([note("libya", "2019"), note("libya", "2020")])
    # SQLite runs an unqualified DELETE as a truncation unless a trigger stops it.
    statement = "TRUNCATE events CASCADE" if libya.backend == "postgresql" else "DELETE FROM events"
    with pytest.raises(DBAPIError, match="append-only"), libya.engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert libya.log.count() == 2


def test_select_streams(libya: SqlStore) -> None:
    batch = [note("libya", f"2019-01-01T00:{i // 60 % 60:02d}", f"s{i}") for i in range(5000)]
    libya.log.append(batch)
    stream = libya.log.select(EventQuery("libya", order="recorded"))
    assert isinstance(stream, Generator)
    assert [e.seq for e in itertools.islice(stream, 3)] == [1, 2, 3]
    pool = libya.engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedout() == 1
    stream.close()
    # Stopping early gives the connection back: nothing is held, writers are not blocked.
    assert pool.checkedout() == 0
    with libya.writing(lock_timeout=2) as tx:
        tx.log.append([note("libya", "2020")])
    assert libya.log.count() == 5001


def test_a_read_transaction_sees_one_state_while_a_writer_commits(libya: SqlStore) -> None:
    before = note("libya", "2019", "before")
    libya.log.append([before])
    with libya.reading() as view:
        assert view.log.count("libya") == 1
        # Another connection commits while the reader is open, and is not blocked by it.
        with libya.writing(lock_timeout=5) as tx:
            tx.log.append([note("libya", "2020", "during")])
        assert view.log.count("libya") == 1
        assert [e.id for e in view.log.select(EventQuery("libya"))] == [before.id]
        # Nested reads share the transaction.
        with view.reading() as inner:
            assert inner is view
    assert libya.log.count("libya") == 2
    pool = libya.engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedout() == 0


# PostgreSQL plans these from the statistics an import refreshes (see test_import_concurrency).
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_reads_a_timelines_events_of_some_kinds_from_the_kind_index(
    libya: SqlStore,
) -> None:
    """Left to itself, SQLite walked the index that gives a read's order (every event of the
    timeline) and filtered the kinds as it went: at 100,000 events the definitions every
    answer reads took 48 ms instead of 1."""
    libya.log.append([note("libya", "2019")])
    plans: list[str] = []

    @sa.event.listens_for(libya.engine, "before_cursor_execute")
    def explain(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM events" in statement:
            found = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            plans.append(" | ".join(str(row[-1]) for row in found))

    for order in ("valid", "recorded"):
        list(libya.log.select(EventQuery("libya", kinds=["note"], order=order)))
    list(libya.log.definitions("libya"))
    sa.event.remove(libya.engine, "before_cursor_execute", explain)
    assert len(plans) == 3
    assert all("ix_events_timeline_kind" in plan for plan in plans), plans


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_definitions_of_some_entities_are_read_from_the_entity_index(
    libya: SqlStore,
) -> None:
    """An answer reads the definitions of the entities it names: by index, not by reading
    every definition of the timeline."""
    libya.log.append([new_event("libya", "actor.defined", "..", actor="gna", name="GNA")])
    # Read on the driver's cursor, below SQLAlchemy's events: traced by SQLite itself, on
    # connections made from here on.
    statements: list[str] = []
    libya.engine.dispose()

    @sa.event.listens_for(libya.engine, "connect")
    def trace(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    assert [f["name"] for _, _, f in libya.log.definitions("libya", entities=["gna"])] == ["GNA"]
    sa.event.remove(libya.engine, "connect", trace)
    read = [s for s in statements if s.lstrip().startswith("SELECT") and "entity IN" in s]
    assert len(read) == 1, statements
    with libya.engine.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {read[0]}").all()
    assert "ix_events_timeline_entity" in " | ".join(str(row[-1]) for row in plan), plan


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_event_is_found_by_an_id_prefix_through_the_timeline_and_id_key(
    libya: SqlStore,
) -> None:
    """`timeline show 1a2b3c4d`: SQLite's LIKE, blind to case, could use no index and read
    every event of every timeline; GLOB finds the prefix as a range of the (timeline, id) key."""
    notes = [note("libya", f"2019-01-{day:02}") for day in range(1, 9)]
    libya.log.append(notes)
    plans: list[str] = []

    @sa.event.listens_for(libya.engine, "before_cursor_execute")
    def explain(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "GLOB" in statement:
            found = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            plans.append(" | ".join(str(row[-1]) for row in found))

    assert libya.log.get(notes[3].id[:8].upper()).id == notes[3].id
    sa.event.remove(libya.engine, "before_cursor_execute", explain)
    assert len(plans) == 1, plans
    assert "(timeline=? AND id>? AND id<?)" in plans[0], plans
    assert "SCAN" not in plans[0], plans


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_event_is_found_by_id_through_the_timeline_and_id_key(libya: SqlStore) -> None:
    """There is no index on the id alone (migration 0009): a lookup by id that names no
    timeline asks in every timeline, which the (timeline, id) key answers. Asked of the id
    alone, SQLite read every event of the table; asked for five ids or more of one timeline
    in valid-time order, it walked the timeline in that order."""
    notes = [note("libya", f"2019-01-{day:02}") for day in range(1, 9)]
    libya.log.append(notes)
    wanted = [e.id for e in notes[1:7]]
    plans: list[str] = []

    @sa.event.listens_for(libya.engine, "before_cursor_execute")
    def explain(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "events.id" in statement.split("WHERE")[-1]:
            found = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", params).fetchall()
            plans.append(" | ".join(str(row[-1]) for row in found))

    # A database of one timeline: `timeline IN (...)` names one.
    assert [e.id for e in libya.log.select(EventQuery(ids=wanted))] == wanted
    assert [e.id for e in libya.log.select(EventQuery("libya", ids=wanted))] == wanted
    libya.catalog.create("syria", "UTC", None)
    other = note("syria", "2019-06")
    libya.log.append([other])
    assert libya.log.get(other.id).id == other.id  # the whole id
    assert [e.id for e in libya.log.select(EventQuery(ids=[*wanted, other.id]))] == [
        *wanted,
        other.id,
    ]
    assert libya.log.append([notes[0], other]).unchanged == 2  # the ids stored already
    libya.log.append([correction("libya", notes[0].id, text="better")])  # how far it reaches
    sa.event.remove(libya.engine, "before_cursor_execute", explain)
    assert len(plans) >= 6, plans
    assert all("(timeline=? AND id=?)" in plan for plan in plans), plans
    assert not any("SCAN events" in plan for plan in plans), plans
