"""Writing: one writer at a time, and a transaction commits whole or not at all."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest

from timeline.dates import UTC
from timeline.errors import LockTimeout
from timeline.events import Origin, stable_id
from timeline.store import EventQuery, Snapshot, Store

from .helpers import correction, note


def test_concurrent_writers_take_turns(libya: Store) -> None:
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for batch in range(20):
                with libya.writing(lock_timeout=60) as tx:
                    tx.log.append(
                        [note("libya", "2020", f"w{writer}-{batch}-{i}") for i in range(50)]
                    )
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []

    log = list(libya.log.select(EventQuery(order="recorded")))
    assert [e.seq for e in log] == list(range(1, 2001))
    assert len({e.id for e in log}) == 2000
    # Each batch was written as one unit: its 50 seqs are consecutive.
    batch_of = {
        stable_id("libya", f"w{w}-{b}-{i}"): (w, b)
        for w in range(2)
        for b in range(20)
        for i in range(50)
    }
    seqs_of: dict[tuple[int, int], list[int]] = {}
    for event in log:
        seqs_of.setdefault(batch_of[event.id], []).append(event.seq)
    assert len(seqs_of) == 40
    for seqs in seqs_of.values():
        assert seqs == list(range(seqs[0], seqs[0] + 50))
    assert libya.log.verify().ok


def test_a_second_writer_times_out(libya: Store) -> None:
    waiting = note("libya", "2020")
    with libya.writing() as writer:
        writer.log.append([note("libya", "2019")])
        started = time.monotonic()
        with (
            pytest.raises(LockTimeout, match="busy") as caught,
            libya.writing(lock_timeout=0.5) as tx,
        ):
            tx.log.append([waiting])
        assert time.monotonic() - started < 5
    assert caught.value.exit_code == 3
    assert libya.log.count() == 1
    with libya.writing(lock_timeout=5) as tx:
        tx.log.append([waiting])
    assert libya.log.count() == 2


def test_a_writer_in_another_thread_holds_the_lock_until_it_commits(libya: Store) -> None:
    written = threading.Event()
    release = threading.Event()
    event = note("libya", "2019")

    def write() -> None:
        with libya.writing() as tx:
            tx.log.append([event])
            written.set()
            release.wait(30)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert written.wait(30)
        started = time.monotonic()
        with (
            pytest.raises(LockTimeout, match=r"another writer held it for 0\.3 s"),
            libya.writing(lock_timeout=0.3) as tx,
        ):
            tx.log.append([note("libya", "2020")])
        assert 0.25 < time.monotonic() - started < 5
        assert libya.log.count() == 0  # not committed yet
    finally:
        release.set()
        writer.join(30)
    assert libya.log.count() == 1


class Boom(Exception):
    """An error raised inside a transaction."""


def test_a_transaction_that_fails_leaves_no_trace(libya: Store) -> None:
    kept = note("libya", "2018", origin=Origin("acled:0", 1, "0" * 64, 0))
    libya.log.append([kept])
    run_before = libya.imports.start("libya", "before.csv", "acled", None)
    boundary = datetime(2019, 6, 1, tzinfo=UTC)
    original = note("libya", "2019", origin=Origin("acled:1", 1, "1" * 64, 1))
    fix = correction("libya", original.id, text="fixed")
    later = note("libya", "2020")

    def write_everything(tx: Store) -> None:
        tx.catalog.create("syria", "Asia/Damascus")
        run = tx.imports.start("libya", "x.csv", "acled", None)
        tx.log.append([original, fix, later], import_run=run)
        tx.imports.finish(run, status="ok", counts={"new": 3}, high_water=99)
        tx.imports.finish(run_before, status="failed", counts={}, error="overwritten")
        tx.snapshots.add("libya", [Snapshot(boundary, 1, tx.clock(), {"version": 0})])

    def fail_at_the_end() -> None:
        with libya.writing() as tx:
            write_everything(tx)
            raise Boom

    with pytest.raises(Boom):
        fail_at_the_end()

    assert libya.catalog.names() == ["libya"]
    assert [e.id for e in libya.log.select(EventQuery())] == [kept.id]
    assert libya.log.last_seq() == 1
    assert libya.log.revisions_of([original.id]) == []
    assert libya.origins.latest_hashes("libya", ["acled:0", "acled:1"]) == {"acled:0": "0" * 64}
    assert [(r.id, r.status) for r in libya.imports.runs()] == [(run_before, "running")]
    assert libya.imports.high_water("libya", "acled") is None
    assert libya.snapshots.before("libya", boundary) is None
    assert libya.log.verify().ok

    # Nothing of it is left to stand in the way of doing it all again.
    with libya.writing() as tx:
        write_everything(tx)
    assert libya.log.count() == 4
    assert [e.seq for e in libya.log.select(EventQuery(order="recorded"))] == [1, 2, 3, 4]
    assert libya.log.revisions_of([original.id])[0].id == fix.id
    assert libya.origins.latest_hashes("libya", ["acled:1"]) == {"acled:1": "1" * 64}
    assert libya.snapshots.before("libya", boundary) is not None
    assert libya.imports.high_water("libya", "acled") == 99
    assert libya.log.verify().ok


def test_a_transaction_sees_its_own_writes_and_others_see_them_at_commit(libya: Store) -> None:
    event = note("libya", "2019")
    boundary = datetime(2020, 1, 1, tzinfo=UTC)
    with libya.writing() as tx:
        tx.catalog.create("syria", "UTC")
        tx.log.append([event])
        run = tx.imports.start("syria", "x.csv", "ucdp", None)
        tx.snapshots.add("libya", [Snapshot(boundary, 1, tx.clock(), {"version": 0})])

        assert tx.catalog.names() == ["libya", "syria"]
        assert tx.log.get(event.id).id == event.id
        assert (tx.log.count(), tx.log.last_seq()) == (1, 1)
        assert [r.id for r in tx.imports.runs()] == [run]
        assert tx.snapshots.latest_boundary("libya") == boundary
        # Nested, the same transaction.
        with tx.writing() as inner:
            assert inner.log.count() == 1

        assert libya.catalog.names() == ["libya"]
        assert libya.log.count() == 0
        assert libya.imports.runs() == []
        assert libya.snapshots.latest_boundary("libya") is None
    assert libya.catalog.names() == ["libya", "syria"]
    assert libya.log.get(event.id).id == event.id
    assert [r.id for r in libya.imports.runs()] == [run]
    assert libya.snapshots.latest_boundary("libya") == boundary
