"""Opening a database: the URL, the engine and its SQLite settings, and its schema.

SQLite is the embedded default (a file under the user data directory); PostgreSQL is the
server backend. On first use a new (empty) database of either kind is created at the schema
head. An existing database behind the head is upgraded in place when it is SQLite (one
person's file), announced in one line; a PostgreSQL one, shared by many and backed up by an
operator, is refused until someone runs `timeline db upgrade`. A database ahead of the head
(upgraded by a newer version) is refused on both. Changes to the schema are made under a
lock, so that two processes never migrate one database at once.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from timeline import resource_dir
from timeline.errors import (
    InvalidInput,
    LockTimeout,
    SchemaTooNew,
    SchemaUpgradeRequired,
    TimelineError,
)
from timeline.schema import SCHEMA_REVISION

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when the schema has to change: checking the revision is one
# query, and every command pays for what it imports at start-up.

ENV_VAR = "TIMELINE_DB"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# The session-level PostgreSQL advisory lock held while the schema changes. Not the writers'
# key (timeline.store.ADVISORY_LOCK_KEY): a migration must not wait for, or be mistaken for,
# an import in progress.
SCHEMA_LOCK_KEY = 0x746C736368656D61  # "tlschema"
# Pages (of 4 KiB) the write-ahead log may grow to before it is copied into the database.
WAL_CHECKPOINT_PAGES = 16_384


def default_path() -> Path:
    """Where the embedded database lives when none is named."""
    # Imported here: a command that names its database (TIMELINE_DB, --db) never needs it.
    import platformdirs

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


def missing_file(url: str) -> Path | None:
    """The file a SQLite `url` names when it does not exist yet (None for any other URL, or
    a file that exists): what a command that only reads must not create."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    return None if path.exists() else path


def create(url: str) -> Engine:
    """An engine for `url` (any SQLAlchemy URL), with the settings this project relies on.

    Raises InvalidInput naming the URL when it cannot be understood.
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput(f"{url!r} is not a database URL{_url_hint(url)}", subject="db") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(
            f"{_shown(parsed)}: unsupported database {parsed.get_backend_name()!r}"
            " (use sqlite:///PATH or postgresql://...)",
            subject="db",
        )
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed)
        else:
            engine = sa.create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ArgumentError) as err:
        raise InvalidInput(f"{_shown(parsed)}: {err}", subject="db") from None
    _made.add(engine)
    return engine


# Every engine made and still in use, kept by `_Engines` or not (a database made by its first
# opening is not known by its identity on disk yet): `close_engines` closes them all.
_made: weakref.WeakSet[Engine] = weakref.WeakSet()


def _url_hint(text: str) -> str:
    """What to type instead of a file path given where a URL was expected."""
    if "://" in text or not text.strip():
        return " (use sqlite:///PATH or postgresql://USER@HOST/DB)"
    from pathlib import Path

    return f"; for a SQLite file there, write sqlite:///{Path(text).expanduser().absolute()}"


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
def _schema_lock(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction that holds the database's schema lock: no other process
    changes the schema until it ends. Read the revision again inside: it may have changed
    while this one waited.

    SQLite: the transaction is BEGIN EXCLUSIVE, and the migration runs in it, so that waiting
    for the lock and seeing the last migration's result are one step; a process that waits
    longer than the busy timeout gets LockTimeout. PostgreSQL: a session-level advisory lock
    on SCHEMA_LOCK_KEY, taken before the transaction and released after it commits.
    """
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.execution_options(sqlite_begin="EXCLUSIVE")
            try:
                transaction = connection.begin()
            except OperationalError as err:
                if "locked" not in str(err.orig) and "busy" not in str(err.orig):
                    raise
                raise LockTimeout(
                    f"database {engine.url!r}: another process held it for "
                    f"{SQLITE_BUSY_TIMEOUT_MS / 1000:g} s while its schema was being changed"
                ) from None
            with transaction:
                yield connection
            return
        connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        connection.commit()
        try:
            with connection.begin():
                yield connection
        except BaseException:
            # Closing the session releases its advisory locks, whatever state it is in.
            connection.invalidate()
            raise
        connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK_KEY})
        connection.commit()


@contextmanager
def _migrating(engine: Engine) -> Iterator[Config]:
    """An Alembic configuration bound to a connection holding the schema lock; a database
    at a revision this version does not know is refused before Alembic sees it."""
    from alembic.util import CommandError

    try:
        with _schema_lock(engine) as connection:
            _refuse_unknown(engine, _revision(connection))
            yield alembic_config(connection)
    except CommandError as err:
        raise InvalidInput(f"revision: {_first_line(err)}") from None


# Whether Alembic's version table is there, asked of the catalog as the query that reads it
# will find it (on PostgreSQL, by the search path): SQLAlchemy's inspector made and compiled
# a catalog query of its own for each new engine, 1.3 ms of the first check of a database on
# PostgreSQL against 0.2 ms for this.
_VERSION_TABLE = {
    "sqlite": "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'",
    "postgresql": "SELECT 1 WHERE to_regclass('alembic_version') IS NOT NULL",
}


def _revision(connection: Connection) -> str | None:
    # `create` refuses any other database.
    exists = _VERSION_TABLE[connection.dialect.name]
    if connection.exec_driver_sql(exists).first() is None:
        return None
    revisions = connection.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    return str(revisions[0][0]) if revisions else None


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return _revision(connection)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision`, holding the schema lock."""

    from alembic import command

    with _migrating(engine) as config:
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema down to `revision` (`base` empties the database), holding the lock."""

    from alembic import command

    with _migrating(engine) as config:
        command.downgrade(config, revision)


def head_revision() -> str:
    """The newest revision among the shipped migrations."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    """Every revision among the shipped migrations."""
    from alembic.script import ScriptDirectory

    return {
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    }


def _refuse_unknown(engine: Engine, revision: str | None) -> None:
    if revision is not None and revision not in known_revisions():
        raise SchemaTooNew(
            f"database {engine.url!r}: its schema is at revision {revision}, newer than this "
            f"version of timeline knows (its newest is {SCHEMA_REVISION}): a newer version "
            "upgraded it; use that version"
        )


def _refuse_behind(engine: Engine, revision: str | None) -> None:
    """Refuse an existing database behind the head where upgrades are an operator's call."""
    _refuse_unknown(engine, revision)
    if revision is not None and engine.dialect.name != "sqlite":
        raise SchemaUpgradeRequired(
            f"database {engine.url!r}: its schema is at revision {revision}, older than this "
            f"version of timeline needs ({SCHEMA_REVISION}); back it up, then run "
            "`timeline db upgrade`"
        )


def ensure_schema(engine: Engine, *, announce: Callable[[str], None] | None = None) -> bool:
    """Make the database one this version can use; True when its schema had to change.

    At the head: nothing to do (one query; Alembic is not even imported). Empty: created at
    the head. Behind the head: upgraded on SQLite, announced through `announce` as one line;
    SchemaUpgradeRequired on PostgreSQL. At a revision this version does not know:
    SchemaTooNew. Changes happen under the schema lock, after reading the revision again.
    """
    try:
        found = current_revision(engine)
        if found == SCHEMA_REVISION:
            return False
        _refuse_behind(engine, found)
        with _schema_lock(engine) as connection:
            found = _revision(connection)
            if found == SCHEMA_REVISION:
                return False  # another process did it while this one waited for the lock
            _refuse_behind(engine, found)
            _alembic_upgrade(connection)
    except DBAPIError as err:
        raise TimelineError(f"database {engine.url!r}: {_first_line(err)}") from None
    if found is not None and announce is not None:
        announce(f"upgraded the database schema from {found} to {SCHEMA_REVISION}")
    return True


def _alembic_upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


def open_engine(url: str | None = None, *, announce: Callable[[str], None] | None = None) -> Engine:
    """The engine for `url`, TIMELINE_DB or the default database, with a schema this version
    can use (see `ensure_schema`; `announce` is told of an upgrade).

    One engine per database and process, as SQLAlchemy intends: opening a database again (a
    notebook asking question after question, a test run) reuses the engine of the last
    opening, its pool of connections and its compiled statements, rather than leaving a pool
    behind per call. The schema is checked at every opening all the same.
    """
    engine = _engines.get(url or os.environ.get(ENV_VAR) or default_url())
    ensure_schema(engine, announce=announce)
    return engine


class _Engines:
    """The engines this process opened last, by database (see `open_engine`).

    Kept: the last ENGINES_KEPT, each with the connections its pool holds; an engine pushed
    out is disposed of (its idle connections closed; one still in use works on). A SQLite
    file is known by its identity on disk as well as its name, so that a file removed and
    made again is opened afresh; an in-memory SQLite database is never shared, nor is an
    engine across a fork.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[Any, ...], Engine] = OrderedDict()

    def get(self, url: str) -> Engine:
        key = _identity(url)
        if key is None:
            return create(url)
        with self._lock:
            engine = self._kept.get(key)
            if engine is not None:
                self._kept.move_to_end(key)
                return engine
        engine = create(url)
        with self._lock:
            # Another thread may have opened the same database meanwhile: its engine is kept.
            kept = self._kept.setdefault(key, engine)
            self._kept.move_to_end(key)
            out = [self._kept.popitem(last=False)[1] for _ in range(len(self._kept) - ENGINES_KEPT)]
        if kept is not engine:
            out.append(engine)
        for old in out:
            old.dispose()
        return kept


# A command opens one database; a test process or a notebook opens a few at a time.
ENGINES_KEPT = 4
_engines = _Engines()


def close_engines() -> None:
    """Close the pooled connections of every engine this process made and still uses (see
    `open_engine`): for a process about to end without Python's own clean-up. On SQLite the
    last connection to close folds the write-ahead log back into the database file, which a
    copy of that file alone then holds whole. An engine disposed of opens new connections if
    used again."""
    for engine in list(_made):
        engine.dispose()


def _identity(url: str) -> tuple[Any, ...] | None:
    """What tells one database from another, for reusing its engine; None: never reused."""
    text = normalise_url(url)
    if not text.startswith("sqlite"):
        return (os.getpid(), text)
    try:
        database = make_url(text).database or ""
    except ArgumentError:
        return None  # `create` says what is wrong with it
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    try:
        found = Path(database).expanduser().stat()
    except OSError:
        return None  # not made yet: the first opening makes it, the next is reused
    return (os.getpid(), text, found.st_dev, found.st_ino)


def _first_line(err: BaseException) -> str:
    text = str(getattr(err, "orig", None) or err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def grant_roles(engine: Engine, *, importer: str | None, reader: str | None) -> list[str]:
    """Create (when missing) and grant PostgreSQL's least-privilege roles on the database's
    schema; returns the statements run, for the operator to read.

    The reader may only SELECT. The importer may SELECT, INSERT events and their chain
    heads, start and finish runs in `imports`, create timelines (a document's header does)
    and mark snapshots stale (`superseded_at`, which every append does); it may not change
    or delete an event, a head or a snapshot's state. Only the owner writes snapshots
    (`timeline rebuild`, the refresh an owner's import ends with): an importer's import
    leaves them to it. Neither may alter a table, so neither can turn the append-only
    triggers off.
    """
    if engine.dialect.name != "postgresql":
        raise InvalidInput(
            "roles are PostgreSQL's: a SQLite database is one file, guarded by its permissions",
            subject="db",
        )
    for role in (importer, reader):
        if role is not None and not _ROLE_NAME.fullmatch(role):
            raise InvalidInput(
                f"role {role!r}: use lowercase letters, digits and '_' (at most 63)",
                subject="role",
            )
    ensure_schema(engine)
    statements: list[str] = []
    with engine.begin() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
        q = f'"{schema}"'
        for role, grants in (
            (reader, [f"GRANT SELECT ON ALL TABLES IN SCHEMA {q} TO {{role}}"]),
            (
                importer,
                [
                    f"GRANT SELECT ON ALL TABLES IN SCHEMA {q} TO {{role}}",
                    f"GRANT INSERT ON {q}.events, {q}.heads, {q}.timelines TO {{role}}",
                    f"GRANT INSERT, UPDATE ON {q}.imports TO {{role}}",
                    f"GRANT UPDATE (superseded_at) ON {q}.snapshots TO {{role}}",
                    f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {q} TO {{role}}",
                ],
            ),
        ):
            if role is None:
                continue
            exists = conn.exec_driver_sql(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)
            ).scalar()
            todo = [] if exists else [f"CREATE ROLE {role} LOGIN"]
            todo += [f"GRANT USAGE ON SCHEMA {q} TO {role}"]
            todo += [grant.format(role=role) for grant in grants]
            for statement in todo:
                conn.exec_driver_sql(statement)
            statements += todo
    return statements


_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
