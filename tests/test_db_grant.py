"""`timeline db grant` on PostgreSQL: an importer role that can append and change nothing
stored, a reader that can only read, snapshots written by the owner alone. Roles are the
server's, not the database's: each test makes its own and drops them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from tests.conftest import drop_postgresql_schemas, new_postgresql_schema
from tests.test_import import FIXTURES
from timeline import database
from timeline.cli import main


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", url, *args])


def as_role(url: str, role: str) -> str:
    """The same database and schema, connecting as `role` (trust authentication)."""
    parsed = sa.make_url(database.normalise_url(url)).set(username=role)
    return parsed.render_as_string(hide_password=False)


@pytest.fixture
def owner(postgresql_database: str) -> Iterator[str]:
    url = new_postgresql_schema(postgresql_database)
    yield url
    drop_postgresql_schemas(postgresql_database, [url])


@pytest.fixture
def roles(owner: str) -> Iterator[tuple[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    names = (f"importer_{suffix}", f"reader_{suffix}")
    yield names
    engine = database.create(owner)
    with engine.begin() as conn:
        for name in names:
            conn.exec_driver_sql(f"DROP OWNED BY {name}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
    engine.dispose()


def refused(url: str, statement: str) -> str:
    """The error PostgreSQL gives `statement` run at `url`."""
    engine = database.create(url)
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught, engine.begin() as conn:
            conn.exec_driver_sql(statement)
        return str(caught.value.orig)
    finally:
        engine.dispose()


def test_least_privilege_roles(owner: str, roles: tuple[str, str], tmp_path: Path) -> None:
    importer, reader = roles
    assert run(owner, "create", "libya", "--zone", "Africa/Tripoli").exit_code == 0
    granted = run(owner, "db", "grant", "--importer", importer, "--reader", reader)
    assert granted.exit_code == 0, granted.output
    assert f"CREATE ROLE {importer} LOGIN" in granted.stdout
    assert run(owner, "db", "grant", "--reader", reader).exit_code == 0  # again: no harm

    as_importer, as_reader = as_role(owner, importer), as_role(owner, reader)
    source = str(FIXTURES / "acled_current.csv")
    imported = run(as_importer, "import", "--format", "acled", source)
    assert imported.exit_code == 0, imported.output
    assert run(as_importer, "verify").exit_code == 0
    # The importer's run left the snapshots to the owner; answers are the same either way.
    answer = run(as_reader, "at", "2030-01-01", "--format", "json")
    assert answer.exit_code == 0, answer.output
    assert run(owner, "rebuild").exit_code == 0
    assert run(as_reader, "at", "2030-01-01", "--format", "json").stdout == answer.stdout

    denied = "permission denied"
    for statement in (
        "UPDATE snapshots SET state = state",
        "DELETE FROM snapshots",
        "DELETE FROM heads",
        "UPDATE events SET title = 'forged'",
        "ALTER TABLE events DISABLE TRIGGER USER",
        "TRUNCATE events",
    ):
        message = refused(as_importer, statement)
        assert denied in message or "must be owner" in message, (statement, message)
    for statement in (
        "INSERT INTO timelines (name, zone, created_at) VALUES ('x', 'UTC', 0)",
        "UPDATE imports SET status = 'ok'",
        "UPDATE snapshots SET superseded_at = 0",
    ):
        assert denied in refused(as_reader, statement), statement

    # Creating a timeline creates its partitions, which is the owner's: the importer is
    # refused in one line, and no timeline is left half made.
    made = run(as_importer, "create", "syria", "--zone", "Asia/Damascus")
    assert made.exit_code != 0
    assert "Traceback" not in made.output
    assert len(made.stderr.strip().splitlines()) == 1
    assert "could not create timeline 'syria'" in made.stderr
    assert "syria" not in run(owner, "timelines").stdout

    # A reader's import is refused by the database: nothing imported, exit 5.
    rows_before = run(as_reader, "events", "--format", "json").stdout
    by_reader = run(as_reader, "import", "--format", "acled", str(FIXTURES / "acled_2019.csv"))
    assert by_reader.exit_code in (3, 5), by_reader.output
    assert run(as_reader, "events", "--format", "json").stdout == rows_before


def test_grant_is_refused_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    result = run(url, "db", "grant", "--reader", "someone")
    assert result.exit_code == 2
    assert "PostgreSQL" in result.stderr


def test_a_role_name_is_checked(owner: str) -> None:
    result = run(owner, "db", "grant", "--reader", 'x"; DROP TABLE events; --')
    assert result.exit_code == 2
    assert "role" in result.stderr
