"""The store contract runs on every implementation of the store: memory, SQLite, PostgreSQL.

Modelled on a recorder test suite: one set of tests, and a fixture that hands each test a
store of every kind. Tests that speak SQL to the database live in `test_sql.py`, which runs on
the SQL backends alone.
"""

from __future__ import annotations

import pytest

from timeline.store import Store

# Every implementation of the store; the in-memory one needs no database.
STORES = ["memory", "sqlite", "postgresql"]


@pytest.fixture(params=STORES)
def backend(request: pytest.FixtureRequest) -> str:
    """The store a contract test runs on."""
    return str(request.param)


@pytest.fixture
def libya(store: Store) -> Store:
    """The store with an empty `libya` timeline (UTC, so dates read plainly)."""
    store.catalog.create("libya", "UTC", "Libyan civil war")
    return store
