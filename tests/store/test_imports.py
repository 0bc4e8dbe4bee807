"""The import-run ledger: runs as they start and end, and where incremental imports resume."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import pytest

from timeline.dates import UTC
from timeline.errors import TimelineError
from timeline.events import Origin
from timeline.store import Store

from .helpers import FakeClock, note, with_clock


def test_import_runs_are_recorded(libya: Store) -> None:
    clock = FakeClock(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))
    store = with_clock(libya, clock)
    run = store.imports.start("libya", "/data/acled.csv", "acled", "e" * 64)
    running = store.imports.runs()[0]
    assert (running.id, running.status, running.finished_at) == (run, "running", None)
    assert running.started_at == clock.now

    event = note("libya", "2019", origin=Origin("acled:1"))
    added = store.log.append([event], import_run=run).added
    assert added[0].import_run == run
    assert store.log.get(event.id).import_run == run
    clock.advance(90)
    store.imports.finish(
        run, status="ok", counts={"new": 1, "unchanged": 4, "rejected": 2, "ignored": 7}
    )
    failed = store.imports.start("libya", "/data/other.csv", "ucdp", None)
    store.imports.finish(failed, status="failed", counts={}, error="/data/other.csv: unreadable")

    runs = store.imports.runs()
    assert [r.id for r in runs] == [failed, run]
    done = runs[1]
    assert (done.timeline, done.source, done.format, done.content_hash) == (
        "libya",
        "/data/acled.csv",
        "acled",
        "e" * 64,
    )
    assert (done.status, done.finished_at) == ("ok", clock.now)
    assert (done.new, done.corrected, done.retracted, done.unchanged, done.rejected) == (
        1,
        0,
        0,
        4,
        2,
    )
    assert (runs[0].status, runs[0].error) == ("failed", "/data/other.csv: unreadable")
    assert [r.id for r in store.imports.runs(limit=1)] == [failed]
    assert store.imports.runs("syria") == []
    assert store.log.verify().ok


def test_a_run_whose_process_died_reads_as_interrupted(
    libya: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    # The run is recorded as started by the process that has since died.
    with monkeypatch.context() as patched:
        patched.setattr(os, "getpid", lambda: dead.pid)
        libya.imports.start("libya", "x.csv", "acled", None)
    alive = libya.imports.start("libya", "y.csv", "acled", None)
    statuses = {run.id: run.status for run in libya.imports.runs()}
    assert sorted(statuses.values()) == ["interrupted", "running"]
    assert statuses[alive] == "running"


def test_the_high_water_mark_comes_from_finished_runs_of_the_same_format(libya: Store) -> None:
    libya.catalog.create("syria", "UTC")
    assert libya.imports.high_water("libya", "acled") is None
    marks = [
        ("libya", "acled", "ok", 100),
        ("libya", "acled", "rejected", 300),  # finished, some records refused
        ("libya", "acled", "failed", 900),  # a failed run never moves it
        ("libya", "ucdp", "ok", 700),
        ("syria", "acled", "ok", 800),
        ("libya", "acled", "ok", 200),
    ]
    for timeline, fmt, status, mark in marks:
        run = libya.imports.start(timeline, f"{fmt}.csv", fmt, None)
        libya.imports.finish(run, status=status, counts={}, high_water=mark)
    libya.imports.start("libya", "running.csv", "acled", None)  # still running: no mark yet

    assert libya.imports.high_water("libya", "acled") == 300
    assert libya.imports.high_water("libya", "ucdp") == 700
    assert libya.imports.high_water("syria", "acled") == 800
    assert libya.imports.high_water("syria", "ucdp") is None
    # A finished run without a mark leaves the last one standing.
    run = libya.imports.start("libya", "again.csv", "acled", None)
    libya.imports.finish(run, status="ok", counts={})
    assert libya.imports.high_water("libya", "acled") == 300


def test_finishing_keeps_the_hash_read_at_the_start_unless_given_another(libya: Store) -> None:
    first = libya.imports.start("libya", "a.csv", "acled", "a" * 64)
    libya.imports.finish(first, status="ok", counts={"new": 2})
    second = libya.imports.start("libya", "api", "acled", None)
    libya.imports.finish(second, status="ok", counts={}, content_hash="b" * 64)

    runs = {run.id: run for run in libya.imports.runs("libya")}
    assert (runs[first].content_hash, runs[first].new) == ("a" * 64, 2)
    assert runs[second].content_hash == "b" * 64
    assert runs[first].error is None


def test_runs_are_listed_newest_first_per_timeline(libya: Store) -> None:
    libya.catalog.create("syria", "UTC")
    started = [
        libya.imports.start(timeline, "x.csv", "acled", None)
        for timeline in ("libya", "syria", "libya", "libya")
    ]
    assert [run.id for run in libya.imports.runs()] == started[::-1]
    assert [run.id for run in libya.imports.runs("libya")] == [started[3], started[2], started[0]]
    assert [run.id for run in libya.imports.runs("libya", limit=2)] == started[:1:-1]
    assert [run.id for run in libya.imports.runs("syria")] == [started[1]]
    assert len(set(started)) == 4


def test_events_name_only_a_recorded_import_run(libya: Store) -> None:
    event = note("libya", "2019", origin=Origin("acled:1"))
    with pytest.raises(TimelineError, match="could not append"):
        libya.log.append([event], import_run=4242)
    assert libya.log.count() == 0
    run = libya.imports.start("libya", "x.csv", "acled", None)
    assert libya.log.append([event], import_run=run).added[0].import_run == run
