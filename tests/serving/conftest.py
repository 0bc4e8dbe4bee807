"""Fixtures of the server's tests: the app on the run's seeded Libya database, and a Libya
database whose Al Watiya events were recorded months after the rest (for the knowledge
slider), each on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from timeline import api, database
from timeline.dates import UTC
from timeline.documents import Item, read_items
from timeline.seeds import seed_files
from timeline.serving.app import create_app
from timeline.store.sql import SqlStore

# When the database learned the timeline, and when it learned of Al Watiya's capture.
FIRST_RECORDED = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
LATE_RECORDED = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
LATE_IDS = frozenset({"gna-takes-al-watiya-2020", "turkish-support-al-watiya-2020"})


def _seed_items() -> list[Item]:
    items: list[Item] = []
    for path in seed_files("libya"):
        with path.open(encoding="utf-8") as stream:
            for item in read_items(stream, str(path), "yaml"):
                assert isinstance(item, Item), item
                items.append(item)
    return items


def load_libya_in_two_steps(engine: sa.Engine) -> SqlStore:
    """The Libya seeds recorded at FIRST_RECORDED, except the events of Al Watiya's capture
    in May 2020, recorded at LATE_RECORDED."""
    items = _seed_items()
    header = next(item for item in items if item.is_header)
    early = SqlStore(engine, clock=lambda: FIRST_RECORDED)
    info = early.catalog.create(
        str(header.data["timeline"]), str(header.data["zone"]), header.data.get("title")
    )
    events = [item for item in items if not item.is_header]
    api.add_documents(early, info, [i for i in events if i.data.get("id") not in LATE_IDS])
    late = SqlStore(engine, clock=lambda: LATE_RECORDED)
    added = api.add_documents(late, info, [i for i in events if i.data.get("id") in LATE_IDS])
    assert len(added.events) == len(LATE_IDS)
    return SqlStore(engine)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def libya_two_steps(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqlStore]:
    """The Libya timeline, its Al Watiya capture recorded months after the rest."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('two-steps') / 'libya.db'}"
    else:
        base = request.getfixturevalue("postgresql_database")
        schema = "libya_two_steps"
        admin = sa.create_engine(database.normalise_url(base))
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        admin.dispose()
        url = f"{base}?options={quote(f'-csearch_path={schema}')}"
    engine = database.open_engine(url)
    yield load_libya_in_two_steps(engine)
    engine.dispose()


@pytest.fixture
def client(libya_store: SqlStore) -> Iterator[TestClient]:
    """The app on the run's seeded Libya database (each backend)."""
    with TestClient(create_app(libya_store)) as test_client:
        yield test_client


def url_of(store: SqlStore) -> str:
    """The URL of a store's database, for `timeline --db`."""
    return store.engine.url.render_as_string(hide_password=False)
