"""Cron safety of `timeline import`: overlapping runs, a run killed mid-import, the writer
lock, and the snapshots a run refreshes while another one appends. Real processes
(`python -m timeline`) on SQLite and PostgreSQL."""

from __future__ import annotations

import collections
import csv
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from tests import answering
from timeline import database, folding, schema
from timeline.cli import main
from timeline.importing import BATCH_SIZE, ImportOptions, run_import
from timeline.store.sql import SqlStore
from timeline.store.sql.partitions import partition_name

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "importers" / "fixtures"
HEADER = [
    "event_id_cnty",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "location",
    "latitude",
    "longitude",
    "fatalities",
    "notes",
    "timestamp",
]
ACTORS = 5  # "Actor 0" .. "Actor 4"
PLACES = 7  # "Town 0" .. "Town 6"
SUMMARY_COUNTS = ("new", "corrected", "retracted", "unchanged", "rejected")
# Long enough for a process that did not wait for a lock to have started and finished.
BLOCKED_FOR = 3.0


def write_acled(path: Path, numbers: Iterable[int], year: int = 2020) -> Path:
    """An ACLED export whose record n is the same in every file that holds it."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in numbers:
            writer.writerow(
                [
                    f"GEN{n}",
                    f"{year}-{1 + n % 12:02d}-{1 + n % 28:02d}",
                    "1",
                    "Battles",
                    "Armed clash",
                    f"Actor {n % ACTORS}",
                    f"Actor {(n + 1) % ACTORS}",
                    f"Town {n % PLACES}",
                    f"{30 + n % PLACES / 10:.1f}",
                    "13.2",
                    "1",
                    f"Clash number {n}.",
                    "1600000000",
                ]
            )
    return path


def timeline(db_url: str, *args: str) -> subprocess.Popen[str]:
    """`timeline --db URL ARGS...` as its own process, as cron starts it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "timeline", "--db", db_url, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def cli(db_url: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["--db", db_url, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def summary_counts(line: str) -> dict[str, int]:
    words = line.replace(",", "").split()
    assert words[0] == "imported", line
    return {name: int(words[words.index(name) - 1]) for name in SUMMARY_COUNTS}


class Log:
    """Direct reads of the events table, for polling while a run is going on."""

    def __init__(self, db_url: str) -> None:
        self.engine = database.open_engine(db_url)

    def records(self) -> int:
        e = schema.events
        query = sa.select(sa.func.count()).select_from(e).where(e.c.origin.is_not(None))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def total(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(schema.events)).scalar() or 0
            )

    def per_origin(self) -> dict[str, int]:
        e = schema.events
        query = sa.select(e.c.origin, sa.func.count()).where(e.c.origin.is_not(None))
        with self.engine.connect() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(query.group_by(e.c.origin))}

    def definitions(self) -> dict[str, int]:
        e = schema.events
        query = sa.select(e.c.title, sa.func.count()).where(
            e.c.kind.in_(["actor.defined", "place.defined"])
        )
        with self.engine.connect() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(query.group_by(e.c.title))}

    def close(self) -> None:
        self.engine.dispose()


def runs(db_url: str) -> list[dict[str, Any]]:
    found = json.loads(cli(db_url, "imports", "--format", "json", "--limit", "100"))
    assert isinstance(found, list)
    return found


def verified(db_url: str, total: int) -> None:
    assert cli(db_url, "verify").strip() == f"ok: {total} events, hash chain intact"


# -- (a) overlapping runs -------------------------------------------------------------------------


def test_overlapping_runs_store_every_record_once(db_url: str, tmp_path: Path) -> None:
    cli(db_url, "create", "libya", "--zone", "Africa/Tripoli")
    # Four nightly exports of 1,500 records each, overlapping by 1,000: 3,000 distinct records.
    files = [
        write_acled(tmp_path / f"part{i}.csv", range(i * 500, i * 500 + 1500)) for i in range(4)
    ]
    distinct = 3000
    log = Log(db_url)
    store = SqlStore(log.engine)
    try:
        # Hold the writer lock while the four start, so that all of them queue on it and race.
        with store.writing():
            processes = [
                timeline(db_url, "import", "--format", "acled", "--quiet", str(f)) for f in files
            ]
            time.sleep(1.0)
        outputs = [p.communicate(timeout=120) for p in processes]
        for process, (stdout, stderr) in zip(processes, outputs, strict=True):
            assert process.returncode == 0, stderr
            assert (stdout, stderr) == ("", "")

        per_origin = log.per_origin()
        assert len(per_origin) == distinct
        assert set(per_origin.values()) == {1}
        definitions = log.definitions()
        assert len(definitions) == ACTORS + PLACES
        assert set(definitions.values()) == {1}
        assert log.total() == distinct + ACTORS + PLACES
    finally:
        log.close()
    verified(db_url, distinct + ACTORS + PLACES)

    done = runs(db_url)
    assert len(done) == 4
    assert {r["status"] for r in done} == {"ok"}
    assert sum(r["new"] for r in done) == distinct
    assert all(r["new"] + r["unchanged"] == 1500 for r in done)
    assert all(r["corrected"] == r["retracted"] == r["rejected"] == 0 for r in done)


# -- (b) a run killed mid-import -------------------------------------------------------------------


def test_a_run_killed_mid_import_is_completed_by_the_next(db_url: str, tmp_path: Path) -> None:
    cli(db_url, "create", "libya", "--zone", "Africa/Tripoli")
    # Four batches: the run is killed once the first is committed, long before the last.
    rows = 4 * BATCH_SIZE
    source = write_acled(tmp_path / "big.csv", range(rows))
    log = Log(db_url)
    try:
        process = timeline(db_url, "import", "--format", "acled", str(source))
        deadline = time.monotonic() + 60
        while log.records() == 0:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the import made no progress in 60 s"
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        committed = log.records()
        assert 0 < committed < rows, "the run finished before it could be killed"
        assert committed % BATCH_SIZE == 0  # whole batches, never part of one
    finally:
        log.close()

    [killed] = runs(db_url)
    assert killed["status"] == "interrupted"
    assert killed["finished_at"] is None

    result = CliRunner().invoke(main, ["--db", db_url, "import", "--format", "acled", str(source)])
    assert result.exit_code == 0, result.output
    assert summary_counts(result.stdout) == {
        "new": rows - committed,
        "corrected": 0,
        "retracted": 0,
        "unchanged": committed,
        "rejected": 0,
    }
    log = Log(db_url)
    try:
        per_origin = log.per_origin()
        assert len(per_origin) == rows
        assert set(per_origin.values()) == {1}
        assert log.total() == rows + ACTORS + PLACES
    finally:
        log.close()
    verified(db_url, rows + ACTORS + PLACES)
    assert [r["status"] for r in runs(db_url)] == ["ok", "interrupted"]


# -- imports into two timelines -------------------------------------------------------------------


def test_imports_into_two_timelines_overlap_on_postgresql(
    db_url: str, backend: str, tmp_path: Path
) -> None:
    """Each timeline has its own writer lock on PostgreSQL: while a writer holds libya's (as
    a long batch of an import into libya does), an import into syria runs to its end, and
    one into libya waits for it. SQLite has one writer per file: both wait."""
    cli(db_url, "create", "libya", "--zone", "Africa/Tripoli")
    cli(db_url, "create", "syria", "--zone", "Asia/Damascus")
    into_syria = write_acled(tmp_path / "syria.csv", range(1500))
    into_libya = write_acled(tmp_path / "libya.csv", range(1000, 2000))
    store = SqlStore(database.open_engine(db_url))
    log = Log(db_url)
    try:
        with store.writing("libya"):
            syria = timeline(
                db_url, "import", "--format", "acled", "--timeline", "syria", "-q", str(into_syria)
            )
            libya = timeline(
                db_url, "import", "--format", "acled", "--timeline", "libya", "-q", str(into_libya)
            )
            if backend == "postgresql":
                # Finished while libya's lock is still held: the two overlapped.
                assert syria.communicate(timeout=60) == ("", "")
                assert syria.returncode == 0
                assert log.records() == 1500
                time.sleep(0.5)
                assert libya.poll() is None  # still waiting for libya's lock
            else:
                time.sleep(BLOCKED_FOR)
                assert (syria.poll(), libya.poll(), log.total()) == (None, None, 0)
        for process in (syria, libya):
            assert process.communicate(timeout=120) == ("", "")
            assert process.returncode == 0
        assert log.records() == 2500
        # Records 1000-1499 are in both exports: once in each timeline, never twice in one.
        assert sorted(collections.Counter(log.per_origin().values()).items()) == [
            (1, 1500),
            (2, 500),
        ]
    finally:
        log.close()
        store.engine.dispose()
    total = 2500 + 2 * (ACTORS + PLACES)
    verified(db_url, total)
    for name, count in (("syria", 1500), ("libya", 1000)):
        assert cli(db_url, "verify", "--timeline", name).strip() == (
            f"ok: {name}: {count + ACTORS + PLACES} events, hash chain intact"
        )
    assert sorted((r["timeline"], r["new"], r["status"]) for r in runs(db_url)) == [
        ("libya", 1000, "ok"),
        ("syria", 1500, "ok"),
    ]


# -- (c) the writer lock ---------------------------------------------------------------------------


def test_an_import_gives_up_on_a_held_lock_after_lock_timeout(
    db_url: str, backend: str, request: pytest.FixtureRequest
) -> None:
    cli(db_url, "create", "libya", "--zone", "Africa/Tripoli")
    store = SqlStore(database.open_engine(db_url))
    source = str(FIXTURES / "acled_current.csv")
    try:
        with store.writing():
            started = time.monotonic()
            process = timeline(db_url, "import", "--format", "acled", "--lock-timeout", "1", source)
            # A start-up, one second of waiting and a one-line error take far less than this.
            limit = 20
            try:
                stdout, stderr = process.communicate(timeout=limit)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                pytest.fail(
                    f"the import still waited for the lock {limit} s after --lock-timeout 1"
                )
            waited = time.monotonic() - started
        assert process.returncode == 3, stderr
        assert stdout == ""
        [line] = stderr.strip().splitlines()
        assert line.startswith("Error: the database is busy"), line
        assert waited >= 1
        assert store.log.count() == 0  # nothing written
    finally:
        store.engine.dispose()
    done = runs(db_url)
    assert [r["status"] for r in done] in ([], ["failed"])


# -- snapshots refreshed while another run appends -------------------------------------------


def test_snapshots_of_one_run_include_what_an_overlapping_run_added(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    late = write_acled(tmp_path / "2021.csv", range(2500), year=2021)  # 1 fatality each
    early = write_acled(tmp_path / "2019.csv", range(10_000, 10_100), year=2019)
    mine = SqlStore(database.open_engine(db_url))
    other = SqlStore(database.open_engine(db_url))
    try:
        mine.catalog.create("libya", "Africa/Tripoli")
        add = mine.snapshots.add

        def another_run_commits_first(*args: Any, **kwargs: Any) -> int:
            # The other cron run commits its batch between this run's fold and its write.
            monkeypatch.setattr(mine.snapshots, "add", add)
            run_import(other, [str(early)], ImportOptions(fmt="acled"))
            return add(*args, **kwargs)

        monkeypatch.setattr(mine.snapshots, "add", another_run_commits_first)
        run_import(mine, [str(late)], ImportOptions(fmt="acled"))
        assert mine.log.count() == 2600 + ACTORS + PLACES

        info = mine.catalog.get("libya")
        answer = answering.state_at(mine, info, "2022-12-31").to_json()["fatalities"]
        folding.rebuild(mine, info.name)
        rebuilt = answering.state_at(mine, info, "2022-12-31").to_json()["fatalities"]
        assert rebuilt["total"] == 2600
        assert answer == rebuilt
    finally:
        mine.engine.dispose()
        other.engine.dispose()


# -- planner statistics on a table that grows within one run ---------------------------------


def test_a_long_import_has_the_statistics_refreshed_as_it_grows(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import timeline.importing.run

    monkeypatch.setattr(timeline.importing.run, "STATISTICS_AFTER", 100)
    source = write_acled(tmp_path / "grows.csv", range(1000))
    store = SqlStore(database.open_engine(db_url))
    calls: list[int] = []
    refresh = store.refresh_statistics

    def counted(timeline: str) -> None:
        assert timeline == "libya"
        calls.append(store.log.count())
        refresh(timeline)

    monkeypatch.setattr(store, "refresh_statistics", counted)
    try:
        store.catalog.create("libya", "Africa/Tripoli")
        run_import(store, [str(source)], ImportOptions(fmt="acled", batch_size=100))
        # Once the run added 100 events, then each time it doubled what it added: a few
        # times over a thousand rows, not once per batch.
        assert 3 <= len(calls) <= 4
        assert all(later >= 2 * earlier - 10 for earlier, later in itertools.pairwise(calls))
        if store.engine.dialect.name == "postgresql":
            with store.engine.connect() as conn:
                # The timeline's partition of the events table, in this test's own schema
                # (others share the database).
                analysed = conn.exec_driver_sql(
                    "SELECT reltuples FROM pg_class WHERE oid = %(name)s::regclass",
                    {"name": partition_name("events", "libya")},
                ).scalar()
            assert analysed is not None
            assert analysed >= 400  # the planner knows the timeline is no longer empty
    finally:
        store.engine.dispose()


def test_refreshing_one_timelines_statistics_samples_its_events_alone(
    db_url: str, backend: str
) -> None:
    """Two imports into two timelines never wait for each other's statistics: each has its
    own partition of the events table sampled, and the other's is left alone."""
    store = SqlStore(database.open_engine(db_url))
    try:
        for name in ("libya", "syria"):
            store.catalog.create(name, "UTC")
        store.refresh_statistics("libya")
        if backend != "postgresql":
            return  # SQLite plans without statistics: nothing to sample
        with store.engine.connect() as conn:
            analysed: dict[str, bool] = dict(
                conn.exec_driver_sql(
                    "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables"
                    " WHERE schemaname = current_schema() AND relname = ANY(%(names)s)",
                    {"names": [partition_name("events", n) for n in ("libya", "syria")]},
                ).all()
            )
        assert analysed == {
            partition_name("events", "libya"): True,
            partition_name("events", "syria"): False,
        }
    finally:
        store.engine.dispose()
