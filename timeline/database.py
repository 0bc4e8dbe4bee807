"""Opening a database: the URL, the engine and its SQLite settings, and Alembic at start-up.

SQLite is the embedded default (a file under the user data directory); PostgreSQL is the
server backend. Either is brought to the schema head on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs
import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from timeline import resource_dir
from timeline.errors import InvalidInput, TimelineError
from timeline.schema import SCHEMA_REVISION

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when the schema has to change: checking the revision is one
# query, and every command pays for what it imports at start-up.

ENV_VAR = "TIMELINE_DB"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Pages (of 4 KiB) the write-ahead log may grow to before it is copied into the database.
WAL_CHECKPOINT_PAGES = 16_384


def default_path() -> Path:
    """Where the embedded database lives when none is named."""
    return Path(platformdirs.user_data_dir("timeline", appauthor=False)) / "timeline.db"


def default_url() -> str:
    """The SQLAlchemy URL of the embedded default database."""
    return f"sqlite:///{default_path()}"


def normalise_url(url: str) -> str:
    """Accept the spellings people use for PostgreSQL and point them at psycopg 3."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create(url: str) -> Engine:
    """An engine for `url` (any SQLAlchemy URL), with the settings this project relies on.

    Raises InvalidInput naming the URL when it cannot be understood.
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput(f"{url!r} is not a database URL", subject="db") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(
            f"{_shown(parsed)}: unsupported database {parsed.get_backend_name()!r}"
            " (use sqlite:///PATH or postgresql://...)",
            subject="db",
        )
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        return sa.create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ArgumentError) as err:
        raise InvalidInput(f"{_shown(parsed)}: {err}", subject="db") from None


def _shown(url: sa.URL) -> str:
    # A URL as messages show it: never with its password.
    return repr(url.render_as_string(hide_password=True))


def _sqlite_engine(url: sa.URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InvalidInput(
                f"cannot create {str(path.parent)!r}: {err.strerror}", subject="db"
            ) from None
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @sa_event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself, so that writers can ask
        # for BEGIN IMMEDIATE and take the write lock before reading the chain head.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
            # WAL keeps committed transactions safe with NORMAL; FULL only adds fsyncs.
            cursor.execute("PRAGMA synchronous = NORMAL")
            # Checkpoint the WAL every 64 MiB rather than every 4: an import batch writes a
            # few megabytes, and a checkpoint after each (with its fsync) cost a fifth of
            # the inserts' time. Index pages dirtied by several batches are copied once.
            cursor.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        cursor.close()

    @sa_event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration for the shipped migrations, optionally bound to a connection."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resource_dir("alembic")))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def _migrating(engine: Engine) -> Iterator[Config]:
    from alembic.util import CommandError

    try:
        with engine.begin() as connection:
            yield alembic_config(connection)
    except CommandError as err:
        raise InvalidInput(f"revision: {_first_line(err)}") from None


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        revisions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    return str(revisions[0][0]) if revisions else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision`."""

    from alembic import command

    with _migrating(engine) as config:
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema down to `revision` (`base` empties the database)."""

    from alembic import command

    with _migrating(engine) as config:
        command.downgrade(config, revision)


def head_revision() -> str:
    """The newest revision among the shipped migrations."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def ensure_schema(engine: Engine) -> bool:
    """Create or upgrade the schema on first use; True when it had to change anything."""
    try:
        if current_revision(engine) == SCHEMA_REVISION:
            return False
        upgrade(engine)
    except DBAPIError as err:
        raise TimelineError(f"database {engine.url!r}: {_first_line(err)}") from None
    return True


def open_engine(url: str | None = None) -> Engine:
    """The engine for `url`, TIMELINE_DB or the default database, with the schema at head."""
    engine = create(url or os.environ.get(ENV_VAR) or default_url())
    ensure_schema(engine)
    return engine


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__
