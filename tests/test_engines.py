"""One engine per database and process: `open_engine` reuses the engine of a database it
opened last, and never one that would be another database by now."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from timeline import database
from timeline.store.sql import SqlStore


def test_a_database_opened_again_is_served_by_the_same_engine(
    make_db_url: Callable[[], str],
) -> None:
    url = make_db_url()
    first = database.open_engine(url)
    assert database.open_engine(url) is first
    other = database.open_engine(make_db_url())
    assert other is not first
    # Two stores on one engine are still two users of the database, each with a connection.
    one, two = SqlStore(first), SqlStore(database.open_engine(url))
    one.catalog.create("libya", "UTC")
    assert two.catalog.names() == ["libya"]


def test_the_oldest_engine_is_disposed_of_when_more_are_open(
    make_db_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "ENGINES_KEPT", 2)
    urls = [make_db_url() for _ in range(3)]
    engines = [database.open_engine(url) for url in urls]
    assert database.open_engine(urls[2]) is engines[2]
    assert database.open_engine(urls[1]) is engines[1]
    # The first was pushed out: opened again, it gets an engine of its own, which still works.
    again = database.open_engine(urls[0])
    assert again is not engines[0]
    assert SqlStore(again).catalog.names() == []
    # ...and an engine pushed out still answers whoever holds it.
    assert SqlStore(engines[0]).catalog.names() == []


def test_a_sqlite_file_made_again_is_opened_afresh(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'war.sqlite'}"
    first = database.open_engine(url)
    SqlStore(first).catalog.create("libya", "UTC")
    first.dispose()
    for leftover in tmp_path.iterdir():
        leftover.unlink()
    second = database.open_engine(url)
    assert second is not first
    assert SqlStore(second).catalog.names() == []


def test_an_in_memory_sqlite_database_is_never_shared() -> None:
    one, two = database.open_engine("sqlite://"), database.open_engine("sqlite://")
    assert one is not two
    SqlStore(one).catalog.create("libya", "UTC")
    assert SqlStore(two).catalog.names() == []
