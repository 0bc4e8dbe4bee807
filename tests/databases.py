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

Either way the template is whatever the migrations make: nothing here names a table.
"""

from __future__ import annotations

import shutil
import uuid
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


class PostgresqlTemplate:
    """A schema at the head in the run's PostgreSQL database, and the statements that made
    it; `copy` replays them into a new schema."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.connection = psycopg.connect(_libpq_url(base), autocommit=True)
        self.schema = f"template_{uuid.uuid4().hex[:12]}"
        self.connection.execute(f'CREATE SCHEMA "{self.schema}"')
        self.script = self._migrate_recording(self.schema)
        check = self.copy()
        try:
            expected, copied = self._contents(self.schema), self._contents(_schema_of(check))
            assert copied == expected, (
                "a copy of the template schema differs from the migrated one: "
                f"{sorted(set(expected) ^ set(copied))[:10]}"
            )
        finally:
            self.drop([check])

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
        """The URL of a new schema of its own, at the head like the template."""
        schema = f"t_{uuid.uuid4().hex[:12]}"
        self.connection.execute(
            f'BEGIN; CREATE SCHEMA "{schema}"; SET search_path TO "{schema}";\n'
            f"{self.script};\nCOMMIT; RESET search_path"
        )
        return url_of_schema(self.base, schema)

    def new_schema(self) -> str:
        """The URL of a new empty schema of its own (no tables at all)."""
        schema = f"t_{uuid.uuid4().hex[:12]}"
        self.connection.execute(f'CREATE SCHEMA "{schema}"')
        return url_of_schema(self.base, schema)

    def drop(self, urls: list[str]) -> None:
        """Drop the schemas of these URLs (made by `copy` or `new_schema`)."""
        if urls:
            self.connection.execute(
                "; ".join(f'DROP SCHEMA IF EXISTS "{_schema_of(url)}" CASCADE' for url in urls)
            )

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


def url_of_schema(base: str, schema: str) -> str:
    """The URL of `schema` in the PostgreSQL database at `base` (first on its search path)."""
    from urllib.parse import quote

    return f"{base}?options={quote(f'-csearch_path={schema}')}"


def _schema_of(url: str) -> str:
    return url.rsplit("%3D", 1)[-1]


def _libpq_url(url: str) -> str:
    """`url` as libpq spells it (no SQLAlchemy driver name)."""
    return (
        sa.make_url(database.normalise_url(url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
