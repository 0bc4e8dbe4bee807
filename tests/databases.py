"""Test databases at the schema head, made from a template migrated once per test process.

Running the migrations costs a tenth of a second on SQLite and more on PostgreSQL, and most
tests need a database at the head, not the migrations: each test process migrates one
template through Alembic (the path a real first use takes), then hands out copies of it.

SQLite: the template is a file, checkpointed and closed; a copy is a file copy.

PostgreSQL: each test database is a schema of the run's database. The template is migrated
with every statement Alembic sends recorded; a copy is a new schema with those statements
replayed into it, in one round trip. The reads among them (SELECT) are left out: they change
nothing. Before the first copy is handed out, one is checked against the template, catalog
and rows, so that a migration the replay cannot reproduce fails here, loudly, rather than
giving tests a database unlike a migrated one.

PostgreSQL copies are reused: a test's schema, once the test is over, is emptied (the
partitions its timelines made dropped, every table but Alembic's emptied) and handed to a
later test, if it still has the template's catalog: replaying the migrations took 33-39 ms
of the server's time per test, emptying takes a few. A schema whose catalog a test changed
(a downgrade, a trigger left disabled) is left alone; the run's database goes at the end.
Each handing-out has a URL of its own, so that no engine or cache kept for an earlier test is
reused for a later one.

Either way the template is whatever the migrations make: nothing here names a table.
"""

from __future__ import annotations

import itertools
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event as sa_event

from timeline import database


class SqliteTemplate:
    """A SQLite file at the schema head; `copy` makes another database just like it."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "head.sqlite"
        engine = database.open_engine(f"sqlite:///{self.path}")
        try:
            with engine.connect() as conn:
                # Everything into the file itself: a copy of the file alone is the database.
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            engine.dispose()
        wal = self.path.with_name(self.path.name + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0, f"{wal} still holds pages"

    def copy(self, path: Path) -> str:
        """The URL of a new database at `path`, a copy of the template."""
        shutil.copyfile(self.path, path)
        return f"sqlite:///{path}"


# What a PostgreSQL schema holds, as text: read with the schema first on the search path, so
# that names in it come out unqualified (but for indexes', left to `_contents` to drop).
_CATALOG = """
SELECT 'column', table_name || '.' || column_name || ' ' || data_type || ' '
       || coalesce(character_maximum_length::text, '') || ' ' || is_nullable || ' '
       || coalesce(column_default, '') || ' ' || ordinal_position
  FROM information_schema.columns WHERE table_schema = current_schema()
UNION ALL
SELECT 'index', pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
 WHERE c.relnamespace = current_schema()::regnamespace
UNION ALL
SELECT 'constraint', conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
UNION ALL
SELECT 'trigger', pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal
UNION ALL
SELECT 'function', proname || ' ' || pg_get_function_arguments(oid) || ' ' || prosrc
  FROM pg_proc WHERE pronamespace = current_schema()::regnamespace
UNION ALL
SELECT 'sequence', sequencename || ' ' || coalesce(last_value::text, '-')
  FROM pg_sequences WHERE schemaname = current_schema()
UNION ALL
SELECT 'relation', relname || ' ' || relkind::text
  FROM pg_class WHERE relnamespace = current_schema()::regnamespace
ORDER BY 1, 2
"""


# What must be as in the template for an emptied schema to be handed out again: its
# relations, columns, triggers (and whether each is enabled), functions and schema revision.
_SIGNATURE = """
SELECT (SELECT string_agg(relname || ':' || relkind::text, ',' ORDER BY relname)
          FROM pg_class WHERE relnamespace = current_schema()::regnamespace),
       (SELECT md5(string_agg(c.relname || '.' || a.attname || ':' || a.atttypid::text
                              || ':' || a.attnotnull::text, ',' ORDER BY c.relname, a.attnum))
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = current_schema()::regnamespace
           AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT string_agg(t.tgname || ':' || t.tgenabled::text, ',' ORDER BY t.tgname)
          FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
         WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal),
       (SELECT md5(string_agg(proname || prosrc, ',' ORDER BY proname))
          FROM pg_proc WHERE pronamespace = current_schema()::regnamespace),
       (SELECT string_agg(version_num, ',') FROM alembic_version)
"""

# The partitions in the schema (the template has none: they are made with timelines).
_PARTITIONS = """
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
"""


class _Changed(Exception):
    """A test changed the catalog of its schema: it is not handed out again."""


class PostgresqlTemplate:
    """A schema at the head in the run's PostgreSQL database, and the statements that made
    it; `copy` replays them into a new schema, or hands out one a finished test emptied."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.connection = psycopg.connect(_libpq_url(base), autocommit=True)
        self.schema = f"template_{uuid.uuid4().hex[:12]}"
        self.connection.execute(f'CREATE SCHEMA "{self.schema}"')
        self.script = self._migrate_recording(self.schema)
        self.free: list[str] = []
        self.copies: set[str] = set()
        self.handed_out = itertools.count()
        with self._in(self.schema):
            assert not self.connection.execute(_PARTITIONS).fetchall()
            self.signature = self.connection.execute(_SIGNATURE).fetchone()
            tables = self.connection.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = current_schema()::regnamespace"
                " AND relkind IN ('r', 'p') AND relname <> 'alembic_version' ORDER BY 1"
            ).fetchall()
            sequences = self.connection.execute(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"
                " ORDER BY 1"
            ).fetchall()
        # DELETE rather than TRUNCATE: a test leaves a few rows, and TRUNCATE made new files
        # for every table, 20 ms of the server's time against 2 for this; sequences back at
        # their start as a new one is (never called).
        self.emptying = "; ".join(
            [f'DELETE FROM "{t}"' for (t,) in tables]
            + [f"SELECT setval('\"{q}\"', 1, false)" for (q,) in sequences]
        )
        # A failed check leaves its schema behind: the run's database goes at the end.
        check = self.copy()
        expected, copied = self._contents(self.schema), self._contents(_schema_of(check))
        assert copied == expected, (
            "a copy of the template schema differs from the migrated one: "
            f"{sorted(set(expected) ^ set(copied))[:10]}"
        )
        # And so must one a test has used, once emptied: a timeline made in it (its
        # partitions, its catalog row, an event in its append-only log) leaves nothing.
        self.drop([check])
        again = self.copy()
        assert _schema_of(again) == _schema_of(check)
        self._use(again)
        self.drop([again])
        assert self.free == [_schema_of(again)], "a used copy was not emptied"
        emptied = self._contents(_schema_of(again))
        assert emptied == expected, (
            "an emptied copy differs from the template: "
            f"{sorted(set(expected) ^ set(emptied))[:10]}"
        )

    @staticmethod
    def _use(url: str) -> None:
        """Make a timeline in the database at `url` as a test would, through the store."""
        from timeline import api
        from timeline.store.sql import SqlStore

        engine = database.create(url)
        try:
            api.create_timeline(SqlStore(engine), "x", "UTC", fatalities=["ucdp"])
        finally:
            engine.dispose()

    def _migrate_recording(self, schema: str) -> str:
        """Migrate `schema` to the head through Alembic; the statements it sent, but for
        reads, as one script with their parameters in place."""
        from alembic import command

        sent: list[tuple[str, Any, bool]] = []
        engine = database.create(url_of_schema(self.base, schema))
        try:
            with engine.connect() as conn:

                @sa_event.listens_for(conn, "before_cursor_execute")
                def record(
                    _conn: Any, _cursor: Any, statement: str, parameters: Any, _c: Any, many: bool
                ) -> None:
                    sent.append((statement, parameters, many))

                with conn.begin():
                    command.upgrade(database.alembic_config(conn), "head")
        finally:
            engine.dispose()
        # Parameters merged in by psycopg itself, so that the script means what was sent.
        merge = psycopg.ClientCursor(self.connection)
        statements: list[str] = []
        for statement, parameters, many in sent:
            if statement.lstrip().upper().startswith("SELECT"):
                continue
            if parameters is None:
                statements.append(statement)
                continue
            for one in parameters if many else [parameters]:
                statements.append(merge.mogrify(statement, one))
        return ";\n".join(statements)

    def copy(self) -> str:
        """The URL of a schema of its own, at the head like the template and empty."""
        if self.free:
            schema = self.free.pop()
        else:
            schema = f"t_{uuid.uuid4().hex[:12]}"
            self.connection.execute(
                f'BEGIN; CREATE SCHEMA "{schema}"; SET search_path TO "{schema}";\n'
                f"{self.script};\nCOMMIT; RESET search_path"
            )
            self.copies.add(schema)
        return url_of_schema(self.base, schema, use=next(self.handed_out))

    def new_schema(self) -> str:
        """The URL of a new empty schema of its own (no tables at all)."""
        schema = f"t_{uuid.uuid4().hex[:12]}"
        self.connection.execute(f'CREATE SCHEMA "{schema}"')
        return url_of_schema(self.base, schema)

    def drop(self, urls: list[str]) -> None:
        """Be done with the schemas of these URLs (made by `copy` or `new_schema`): a copy
        is emptied for a later test where it can be, any other schema dropped."""
        others = []
        for url in urls:
            schema = _schema_of(url)
            if schema not in self.copies or not self._empty(schema):
                others.append(schema)
        if others:
            self.connection.execute(
                "; ".join(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE' for schema in others)
            )

    def _empty(self, schema: str) -> bool:
        """Empty a copy a test is done with and put it among the free ones; False (and it
        is left as it is) if its catalog is no longer the template's or a lock held by a
        connection the test left open keeps it from being emptied."""
        try:
            with self._in(schema):
                self.connection.execute("SET LOCAL lock_timeout = '5s'")
                # The append-only triggers refuse DELETE and DROP of their tables' rows, and
                # the foreign keys would want an order; a replica's session fires neither.
                self.connection.execute("SET LOCAL session_replication_role = replica")
                for (partition,) in self.connection.execute(_PARTITIONS).fetchall():
                    self.connection.execute(f'DROP TABLE "{partition}"')
                if self.connection.execute(_SIGNATURE).fetchone() != self.signature:
                    raise _Changed(schema)  # undoes the drops above
                self.connection.execute(self.emptying)
        except (psycopg.Error, _Changed):
            return False
        self.free.append(schema)
        return True

    @contextmanager
    def _in(self, schema: str) -> Iterator[None]:
        """One transaction of the template's connection with `schema` first on the path."""
        with self.connection.transaction():
            self.connection.execute(f'SET LOCAL search_path TO "{schema}"')
            yield

    def _contents(self, schema: str) -> list[str]:
        """The catalog of `schema` and the rows of its tables, as comparable text."""
        with self.connection.transaction():
            self.connection.execute(f'SET LOCAL search_path TO "{schema}"')
            # Index definitions name their table with its schema whatever the search path.
            found = [
                f"{kind} {text}".replace(f"{schema}.", "")
                for kind, text in self.connection.execute(_CATALOG)
            ]
            tables = self.connection.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() ORDER BY 1"
            ).fetchall()
            for (table,) in tables:
                rows = self.connection.execute(
                    f'SELECT t::text FROM "{table}" t ORDER BY 1'
                ).fetchall()
                found += [f"row {table} {row}" for (row,) in rows]
        return found

    def close(self) -> None:
        """Drop the template and let its connection go."""
        self.connection.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.connection.close()


def url_of_schema(base: str, schema: str, *, use: int | None = None) -> str:
    """The URL of `schema` in the PostgreSQL database at `base` (first on its search path);
    `use` makes the URL of each handing-out of one schema a URL of its own."""
    from urllib.parse import quote

    url = f"{base}?options={quote(f'-csearch_path={schema}')}"
    return url if use is None else f"{url}&application_name=test-{use}"


def _schema_of(url: str) -> str:
    found = re.search(r"search_path%3D([A-Za-z0-9_]+)", url)
    assert found is not None, url
    return found[1]


def _libpq_url(url: str) -> str:
    """`url` as libpq spells it (no SQLAlchemy driver name)."""
    return (
        sa.make_url(database.normalise_url(url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
