"""Schema changes on purpose: a new database is created at the head on first use; an older
SQLite one is upgraded under a lock and says so; an older PostgreSQL one is refused until
`timeline db upgrade`; one ahead of the head is refused everywhere. Two processes never
migrate one database at once."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from timeline import database
from timeline.errors import SchemaTooNew, SchemaUpgradeRequired
from timeline.schema import SCHEMA_REVISION
from timeline.store.sql import ADVISORY_LOCK_KEY, SqlStore

REPO = Path(__file__).resolve().parent.parent
OLD = "0002"
UPGRADED = f"upgraded the database schema from {OLD} to {SCHEMA_REVISION}\n"
# How long a process seen waiting for the schema lock is watched for getting past it.
BLOCKED_FOR = 0.3


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """A new empty database: these tests are about what making its schema does, so it does
    not come from the template at the head that other tests start from."""
    return empty_db_url


def invoke(db_url: str, *args: str) -> Result:
    from timeline.cli import main

    return CliRunner().invoke(main, ["--db", db_url, *args])


def revision(db_url: str) -> str | None:
    engine = database.create(db_url)
    try:
        return database.current_revision(engine)
    finally:
        engine.dispose()


def make_old(db_url: str, at: str = OLD) -> None:
    """A database an older release left behind: a timeline in it, the schema at `at`."""
    engine = database.create(db_url)
    try:
        database.upgrade(engine)
        SqlStore(engine).catalog.create("libya", "Africa/Tripoli")
        database.downgrade(engine, at)
    finally:
        engine.dispose()
    assert revision(db_url) == at


def make_ahead(db_url: str) -> None:
    """A database a newer release upgraded: at a revision this version does not know."""
    engine = database.create(db_url)
    try:
        database.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    finally:
        engine.dispose()


def timeline_names(db_url: str) -> list[str]:
    result = invoke(db_url, "timelines", "--format", "json")
    assert result.exit_code == 0, result.output
    return [row["name"] for row in json.loads(result.stdout)]


def test_a_new_database_is_created_at_head_without_a_word(db_url: str) -> None:
    told: list[str] = []
    engine = database.open_engine(db_url, announce=told.append)
    try:
        assert database.current_revision(engine) == SCHEMA_REVISION
        assert database.ensure_schema(engine, announce=told.append) is False
    finally:
        engine.dispose()
    assert told == []
    result = invoke(db_url, "create", "syria", "--zone", "Asia/Damascus")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_old_sqlite_database_is_upgraded_and_says_so(db_url: str) -> None:
    make_old(db_url)
    result = invoke(db_url, "timelines", "--format", "json")
    assert result.exit_code == 0, result.output
    assert result.stderr == UPGRADED
    assert [row["name"] for row in json.loads(result.stdout)] == ["libya"]
    assert revision(db_url) == SCHEMA_REVISION
    again = invoke(db_url, "timelines", "--format", "json")
    assert again.exit_code == 0
    assert again.stderr == ""


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_old_postgresql_database_is_refused_until_db_upgrade(db_url: str) -> None:
    make_old(db_url)
    with pytest.raises(SchemaUpgradeRequired):
        database.open_engine(db_url)

    # Refusing takes no lock: it does not wait for a migration under way elsewhere either.
    with schema_lock_held(db_url, "postgresql"):
        result = invoke(db_url, "timelines")
    assert result.exit_code == 4, result.output
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: database postgresql+psycopg://")
    assert f"its schema is at revision {OLD}, older than this version of timeline needs" in line
    assert line.endswith("back it up, then run `timeline db upgrade`")
    assert revision(db_url) == OLD  # left as it was

    upgraded = invoke(db_url, "db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stdout == f"at revision {SCHEMA_REVISION}\n"
    assert timeline_names(db_url) == ["libya"]


def test_a_database_ahead_of_the_head_is_refused(db_url: str) -> None:
    make_ahead(db_url)
    with pytest.raises(SchemaTooNew):
        database.open_engine(db_url)
    for args in (["timelines"], ["db", "upgrade"], ["db", "downgrade", "0001"]):
        result = invoke(db_url, *args)
        assert result.exit_code == 4, (args, result.output)
        assert result.stdout == ""
        [line] = result.stderr.splitlines()
        assert "its schema is at revision 0099, newer than this version of timeline knows" in line
        assert line.endswith("a newer version upgraded it; use that version")
    assert revision(db_url) == "0099"
    current = invoke(db_url, "db", "current")
    assert current.stdout.startswith("0099 (unknown to this version, whose head is ")


RACE = """
import sys, time
from pathlib import Path
from timeline import database

url, ready, go = sys.argv[1:]
engine = database.create(url)
assert database.current_revision(engine) == "0002"
Path(ready).touch()
while not Path(go).exists():
    time.sleep(0.002)
database.ensure_schema(engine, announce=print)
engine.dispose()
"""


@pytest.mark.parametrize("backend", ["sqlite"])
def test_processes_opening_an_old_sqlite_database_at_once_migrate_it_once(
    db_url: str, tmp_path: Path
) -> None:
    make_old(db_url)
    go = tmp_path / "go"
    processes = []
    for n in range(3):
        ready = tmp_path / f"ready-{n}"
        processes.append(
            (
                ready,
                subprocess.Popen(
                    [sys.executable, "-c", RACE, db_url, str(ready), str(go)],
                    cwd=REPO,
                    env={**os.environ, "PYTHONPATH": str(REPO)},
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    # Every one has read the old revision before any may start: all of them find it old.
    deadline = time.monotonic() + 60
    while not all(ready.exists() for ready, _ in processes):
        assert all(p.poll() is None for _, p in processes), [p.communicate() for _, p in processes]
        assert time.monotonic() < deadline
        time.sleep(0.01)
    go.touch()
    outputs = []
    for _, process in processes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        outputs.append(stdout)
    assert sorted(outputs) == ["", "", UPGRADED]
    assert revision(db_url) == SCHEMA_REVISION
    with sqlite3.connect(db_url.removeprefix("sqlite:///")) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (SCHEMA_REVISION,)
        ]
    conn.close()
    assert timeline_names(db_url) == ["libya"]


@contextmanager
def schema_lock_held(db_url: str, backend: str) -> Iterator[None]:
    """Hold the lock a migration takes, as another process migrating would."""
    if backend == "sqlite":
        file = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
        file.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            file.execute("COMMIT")
            file.close()
        return
    engine = database.create(db_url)
    try:
        with engine.connect() as conn:
            conn.execute(
                sa.text("SELECT pg_advisory_lock(:key)"), {"key": database.SCHEMA_LOCK_KEY}
            )
            conn.commit()
            try:
                yield
            finally:
                conn.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": database.SCHEMA_LOCK_KEY}
                )
                conn.commit()
    finally:
        engine.dispose()


def test_the_schema_lock_is_not_the_writers_lock() -> None:
    assert database.SCHEMA_LOCK_KEY != ADVISORY_LOCK_KEY


# `timeline ARGS...` with every SQLite statement it starts written, one a line, to the file
# named first: how a test sees it begin the transaction that takes the schema lock.
TRACED = """
import runpy, sys
from sqlite3 import dbapi2

trace = open(sys.argv.pop(1), "a", buffering=1, encoding="utf-8")
connect = dbapi2.connect


def traced(*args, **kwargs):
    connection = connect(*args, **kwargs)
    connection.set_trace_callback(lambda sql: trace.write(" ".join(sql.split()) + "\\n"))
    return connection


dbapi2.connect = traced
runpy.run_module("timeline", run_name="__main__", alter_sys=True)
"""


def traced_timeline(db_url: str, trace: Path, *args: str) -> subprocess.Popen[str]:
    """`timeline --db URL ARGS...` as a process of its own, its SQLite statements traced."""
    return subprocess.Popen(
        [sys.executable, "-c", TRACED, str(trace), "--db", db_url, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def waits_for_the_schema_lock(db_url: str, backend: str, trace: Path) -> bool:
    """Whether a process is waiting for the schema lock of the database: on SQLite, the
    traced process has begun the exclusive transaction; on PostgreSQL, a session asks for
    the advisory lock and has not been granted it."""
    if backend == "sqlite":
        return trace.exists() and any(
            line.startswith("BEGIN EXCLUSIVE") for line in trace.read_text().splitlines()
        )
    engine = database.create(db_url)
    try:
        with engine.connect() as conn:
            waiting = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    " AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
                    " AND database = (SELECT oid FROM pg_database"
                    " WHERE datname = current_database())"
                ),
                {"high": database.SCHEMA_LOCK_KEY >> 32, "low": database.SCHEMA_LOCK_KEY % 2**32},
            ).scalar()
    finally:
        engine.dispose()
    return bool(waiting)


def run_behind_the_lock(db_url: str, backend: str, tmp_path: Path, *args: str) -> tuple[str, str]:
    """Run `timeline ARGS` while the schema lock is held: it must reach the lock and wait
    there, changing nothing, until the lock is released; then it must succeed. Returns its
    stdout and stderr."""
    before = revision(db_url)
    trace = tmp_path / "trace"
    with schema_lock_held(db_url, backend):
        process = traced_timeline(db_url, trace, *args)
        deadline = time.monotonic() + 60
        while not waits_for_the_schema_lock(db_url, backend, trace):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the process never reached the schema lock"
            time.sleep(0.01)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=BLOCKED_FOR)
        assert process.poll() is None, process.communicate()
        assert revision(db_url) == before
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    assert revision(db_url) == SCHEMA_REVISION
    return stdout, stderr


def test_creating_a_new_database_waits_for_the_schema_lock(
    db_url: str, backend: str, tmp_path: Path
) -> None:
    if backend == "sqlite":
        # The file has to exist to be locked: an empty one, in the journal mode timeline uses
        # (with which the lock still lets others read, as it does in a database in use).
        path = db_url.removeprefix("sqlite:///")
        sqlite3.connect(path).execute("PRAGMA journal_mode = WAL").connection.close()
    stdout, stderr = run_behind_the_lock(db_url, backend, tmp_path, "timelines", "--format", "json")
    assert (stdout, stderr) == ("[]\n", "")


def test_db_upgrade_waits_for_the_schema_lock(db_url: str, backend: str, tmp_path: Path) -> None:
    make_old(db_url)
    stdout, stderr = run_behind_the_lock(db_url, backend, tmp_path, "db", "upgrade")
    assert (stdout, stderr) == (f"at revision {SCHEMA_REVISION}\n", "")


@pytest.mark.parametrize("backend", ["sqlite"])
def test_upgrading_an_old_sqlite_database_waits_for_the_schema_lock(
    db_url: str, backend: str, tmp_path: Path
) -> None:
    make_old(db_url)
    stdout, stderr = run_behind_the_lock(db_url, backend, tmp_path, "timelines", "--format", "json")
    assert stderr == UPGRADED
    assert [row["name"] for row in json.loads(stdout)] == ["libya"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_waiting_too_long_for_a_migration_elsewhere_is_exit_3(
    db_url: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_old(db_url)
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 300)
    with schema_lock_held(db_url, backend):
        result = invoke(db_url, "timelines")
    assert result.exit_code == 3, result.output
    [line] = result.stderr.splitlines()
    assert line.endswith("another process held it for 0.3 s while its schema was being changed")
    assert revision(db_url) == OLD
