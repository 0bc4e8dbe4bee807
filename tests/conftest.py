"""Shared fixtures: every database test runs on SQLite and on PostgreSQL, unless its module
overrides the `backend` fixture; the store contract (tests/store/) runs on the in-memory store
too, and so does the logic above the store (imports, answers, the commands), with a thin layer
of the same tests kept on both databases.

The in-memory backend reaches the command line as well: on it, `db_url` is a `memory:NAME`
URL that `timeline --db` opens as one `MemoryStore` for the whole test (the store lives in the
test's process, so a test on it runs the CLI through CliRunner, never as a subprocess).

PostgreSQL: each test run creates its own database on the server named by
TIMELINE_TEST_POSTGRESQL (default postgresql://postgres@127.0.0.1:5432/test) and drops it at
the end; each test gets its own schema in it. When the server cannot be reached the
PostgreSQL tests are skipped with the reason, except under CI=true, where they fail.

A test's database (`db_url`, `make_db_url`, `store`) is at the schema head already: a copy of
a template each test process migrates once (tests/databases.py). The tests of what first use,
migrations and upgrades do to a new database take `empty_db_url` or `make_empty_db_url`
instead, which have no schema at all.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.databases import PostgresqlTemplate, SqliteTemplate, url_of_schema
from timeline import database
from timeline.store import Store
from timeline.store.memory import MemoryStore
from timeline.store.sql import SqlStore

POSTGRESQL_SERVER = os.environ.get(
    "TIMELINE_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]
MEMORY_URL_PREFIX = "memory:"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    """A database of this test run's own on the PostgreSQL server; dropped at the end."""
    admin_url = database.normalise_url(POSTGRESQL_SERVER)
    name = f"timeline_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as err:
        reason = f"PostgreSQL unreachable at {POSTGRESQL_SERVER}: {str(err.orig).strip()[:200]}"
        if _in_ci():
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    url = sa.make_url(admin_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The name of the backend a database test runs on."""
    return str(request.param)


@pytest.fixture
def memory_stores(monkeypatch: pytest.MonkeyPatch) -> dict[str, MemoryStore]:
    """The in-memory stores of this test by `memory:NAME` URL, which `timeline --db` (through
    `api.open_store`) opens as such for as long as the test lasts."""
    from timeline import api

    stores: dict[str, MemoryStore] = {}
    open_store = api.open_store

    def open_store_or_memory(url: str | None = None, **kwargs: Any) -> Store:
        if url is not None and url.startswith(MEMORY_URL_PREFIX):
            return stores.setdefault(url, MemoryStore())
        return open_store(url, **kwargs)

    monkeypatch.setattr(api, "open_store", open_store_or_memory)
    return stores


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    """A SQLite database at the schema head, migrated once per test process."""
    return SqliteTemplate(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgresql_template(postgresql_database: str) -> Iterator[PostgresqlTemplate]:
    """A schema at the head in the run's PostgreSQL database, migrated once per test
    process, and the statements that copy it."""
    template = PostgresqlTemplate(postgresql_database)
    yield template
    template.close()


def _database_factory(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, *, at_head: bool
) -> Iterator[Callable[[], str]]:
    made: list[tuple[PostgresqlTemplate, str]] = []
    counter = iter(range(1000))
    # Names apart from the other factory's, which a test may use as well.
    prefix = "db" if at_head else "empty"

    def make() -> str:
        if backend == "memory":
            stores = request.getfixturevalue("memory_stores")
            url = f"{MEMORY_URL_PREFIX}{prefix}{next(counter)}"
            stores[url] = MemoryStore()
            return url
        if backend == "sqlite":
            path = tmp_path / f"{prefix}{next(counter)}.sqlite"
            if at_head:
                return str(request.getfixturevalue("sqlite_template").copy(path))
            return f"sqlite:///{path}"
        template = request.getfixturevalue("postgresql_template")
        url = template.copy() if at_head else template.new_schema()
        made.append((template, url))
        return str(url)

    yield make
    for template, url in made:
        template.drop([url])


@pytest.fixture
def make_db_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], str]]:
    """A factory of URLs of new databases on this test's backend, at the schema head and
    holding nothing else (copies of the template: see tests/databases.py)."""
    yield from _database_factory(backend, tmp_path, request, at_head=True)


@pytest.fixture
def make_empty_db_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[], str]]:
    """A factory of URLs of new empty databases (no schema at all) on this test's backend,
    for the tests of what first use, migrations and upgrades do to one."""
    yield from _database_factory(backend, tmp_path, request, at_head=False)


def new_postgresql_schema(base: str) -> str:
    """The URL of a new empty schema of its own in the run's PostgreSQL database."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(database.normalise_url(base))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()
    return url_of_schema(base, schema)


def drop_postgresql_schemas(base: str, urls: list[str]) -> None:
    """Drop the schemas `new_postgresql_schema` made for these URLs."""
    engine = sa.create_engine(database.normalise_url(base))
    with engine.begin() as conn:
        for url in urls:
            schema = url.rsplit("%3D", 1)[-1]
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture
def db_url(make_db_url: Callable[[], str]) -> str:
    """The URL of a new database at the schema head on this test's backend."""
    return make_db_url()


@pytest.fixture
def empty_db_url(make_empty_db_url: Callable[[], str]) -> str:
    """The URL of a new empty database on this test's backend (schema not yet created)."""
    return make_empty_db_url()


@pytest.fixture
def store(backend: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    """An empty store on this test's backend: a database at schema head, or memory."""
    if backend == "memory":
        yield request.getfixturevalue("memory_stores")[request.getfixturevalue("db_url")]
        return
    engine = database.open_engine(request.getfixturevalue("db_url"))
    yield SqlStore(engine)
    engine.dispose()


@pytest.fixture(autouse=True)
def _no_default_database(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep tests away from the user's real database: the default lives in a temp folder."""
    home = tmp_path_factory.mktemp("data-home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    monkeypatch.delenv("TIMELINE_DB", raising=False)


@pytest.fixture(scope="session", params=BACKENDS)
def libya_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SqlStore]:
    """A database holding the shipped Libya timeline, loaded once per run and backend."""
    from timeline.seeds import load_seed

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('libya') / 'libya.db'}"
    else:
        base = request.getfixturevalue("postgresql_database")
        schema = "libya_seed"
        engine = sa.create_engine(database.normalise_url(base))
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        engine.dispose()
        url = url_of_schema(base, schema)
    engine = database.open_engine(url)
    store = SqlStore(engine)
    load_seed(store, "libya")
    yield store
    engine.dispose()


@pytest.fixture(scope="session")
def libya_answers() -> dict[tuple[str, str, str | None], dict[str, Any]]:
    """The answers `libya_at` has given in this test process, by database, date and
    knowledge time: the seeds never change during a run, so each is folded once."""
    return {}


@pytest.fixture
def libya_at(
    libya_store: SqlStore, libya_answers: dict[tuple[str, str, str | None], dict[str, Any]]
) -> Callable[..., dict[str, Any]]:
    """`libya_at(date, as_known=None)`: the JSON answer of `timeline at` on the seeds (a copy
    of its own for each call, so that a test may change what it gets)."""
    from tests import answering

    info = libya_store.catalog.get("libya")
    database = libya_store.engine.url.render_as_string(hide_password=True)

    def at(date: str, as_known: str | None = None) -> dict[str, Any]:
        key = (database, date, as_known)
        if key not in libya_answers:
            answer = answering.state_at(libya_store, info, date, as_known=as_known)
            libya_answers[key] = answer.to_json()
        return copy.deepcopy(libya_answers[key])

    return at
