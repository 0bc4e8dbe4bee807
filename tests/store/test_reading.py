"""Reading: a read-only view sees one state of the database, whatever writers commit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from timeline.events import stable_id
from timeline.store import EventQuery, Store
from timeline.store.sql import SqlStore

from .helpers import note


def test_a_view_keeps_the_state_of_its_first_read(libya: Store) -> None:
    libya.log.append([note("libya", "2020", "before")])
    with libya.reading() as view:
        assert ids(view) == [stable_id("libya", "before")]
        libya.log.append([note("libya", "2020", "during")])
        libya.catalog.create("tripolitania", "UTC")
        # Every part of the view still reads the state it began with.
        assert ids(view) == [stable_id("libya", "before")]
        assert view.log.last_seq() == 1
        assert view.catalog.names() == ["libya"]
    # The store itself, and a new view, see the commit.
    assert ids(libya) == [stable_id("libya", "before"), stable_id("libya", "during")]
    with libya.reading() as view:
        assert view.catalog.names() == ["libya", "tripolitania"]


def test_a_view_inside_a_transaction_is_the_transaction(libya: Store) -> None:
    with libya.writing() as tx:
        tx.log.append([note("libya", "2020", "pending")])
        with tx.reading() as view:
            assert ids(view) == [stable_id("libya", "pending")]


def test_a_view_does_not_write(libya: Store) -> None:
    with libya.reading() as view:
        with pytest.raises(RuntimeError, match="read-only view"):
            view.log.append([note("libya", "2020", "refused")])
        with pytest.raises(RuntimeError, match="read-only view"), view.writing():
            pass
    assert ids(libya) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_database_refuses_a_write_in_a_view(libya: Store) -> None:
    # Below the store's own refusal: a SQL write sent through the view's connection.
    assert isinstance(libya, SqlStore)
    with libya.reading() as view:
        assert isinstance(view, SqlStore)
        assert view._connection is not None
        with pytest.raises(sa.exc.DBAPIError, match=r"read-only|readonly"):
            view._connection.exec_driver_sql(
                "INSERT INTO timelines (name, zone, created_at) VALUES ('x', 'UTC', 0)"
            )
    assert libya.catalog.names() == ["libya"]


def ids(store: Store) -> list[str]:
    return [e.id for e in store.log.select(EventQuery(order="recorded"))]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_connection_left_refusing_writes_is_never_pooled(
    libya: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite refuses a view's writes on its connection; if that cannot be undone, the
    # connection is discarded rather than handed to the next writer.
    import timeline.store.sql as sql

    assert isinstance(libya, SqlStore)
    engine = libya.engine
    engine.dispose()
    real = sql._set_query_only

    def failing(conn: sa.Connection, on: bool) -> None:
        if not on:
            raise OSError("disk gone")
        real(conn, on)

    monkeypatch.setattr(sql, "_set_query_only", failing)
    with libya.reading() as view:
        assert view.catalog.names() == ["libya"]
    monkeypatch.setattr(sql, "_set_query_only", real)
    # Whichever connection the pool hands out next takes the write.
    libya.log.append([note("libya", "2020", "after")])
    assert ids(libya) == [stable_id("libya", "after")]
