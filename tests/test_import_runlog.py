"""The run log a cron user reads: a run that stops part-way leaves on record what it committed,
and the snapshot refresh a killed run left undone is finished by the next one. In process,
through `run_import`, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_import_concurrency import write_acled
from timeline import database
from timeline.errors import LockTimeout
from timeline.folding import SNAPSHOT_EVERY
from timeline.importing import ImportOptions, run_import
from timeline.store import EventQuery
from timeline.store.sql import SqlStore


@pytest.fixture
def store(db_url: str) -> Iterator[SqlStore]:
    engine = database.open_engine(db_url)
    store = SqlStore(engine)
    store.catalog.create("libya", "Africa/Tripoli")
    yield store
    engine.dispose()


def test_a_run_stopped_by_the_lock_timeout_records_the_batches_it_committed(
    store: SqlStore, tmp_path: Path
) -> None:
    source = write_acled(tmp_path / "acled.csv", range(10))
    other_writer = contextlib.ExitStack()
    batches: list[int] = []

    def after_a_batch(name: str, rows: int) -> None:
        # After the first batch, another writer takes the lock and keeps it.
        batches.append(rows)
        if len(batches) == 1:
            other_writer.enter_context(store.writing())

    options = ImportOptions(fmt="acled", batch_size=4, lock_timeout=0.3)
    with other_writer, pytest.raises(LockTimeout):
        run_import(store, [str(source)], options, on_progress=after_a_batch)

    [run] = store.imports.runs()
    # The run could not write its end (the lock was still held), but the batch it committed
    # is on record, counted in that batch's own transaction.
    assert (run.new, run.rejected) == (4, 0)
    records = [e for e in store.log.select(EventQuery("libya")) if e.origin is not None]
    assert len(records) == 4


def test_a_killed_snapshot_refresh_is_finished_by_the_next_run(
    store: SqlStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_acled(tmp_path / "acled.csv", range(4 * SNAPSHOT_EVERY))
    monkeypatch.setattr("timeline.folding.SNAPSHOT_WRITE_BATCH", 1)
    real_add = store.snapshots.add
    written: list[int] = []

    def killed_after_one(*args: object, **kwargs: object) -> int:
        if written:
            raise KeyboardInterrupt
        written.append(1)
        return real_add(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.snapshots, "add", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        run_import(store, [str(source)], ImportOptions(fmt="acled"))
    monkeypatch.setattr(store.snapshots, "add", real_add)
    half_done = store.snapshots.latest_boundary("libya")
    assert half_done is not None

    # The same file again: nothing new, and yet the refresh goes on where it stopped.
    report = run_import(store, [str(source)], ImportOptions(fmt="acled"))
    assert report.counts.new == 0
    finished = store.snapshots.latest_boundary("libya")
    assert finished is not None
    assert finished > half_done

    # As far as a refresh from nothing goes.
    from timeline.folding import rebuild

    rebuild(store, "libya")
    assert store.snapshots.latest_boundary("libya") == finished


def test_a_native_file_opening_with_its_header_is_a_recorded_run_that_writes_snapshots(
    store: SqlStore, tmp_path: Path
) -> None:
    # As `timeline export` writes it: the header first, naming (and here creating) the
    # timeline the documents go into.
    lines = [json.dumps({"timeline": "other", "zone": "UTC"})]
    lines += [
        json.dumps({"kind": "note", "date": f"2020-01-{1 + n % 28:02d}", "title": f"Note {n}"})
        for n in range(3 * SNAPSHOT_EVERY)
    ]
    source = tmp_path / "other.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = run_import(store, [str(source)], ImportOptions(fmt="jsonl"))

    assert report.counts.new == 3 * SNAPSHOT_EVERY
    [run] = store.imports.runs("other")
    assert (run.new, run.status) == (3 * SNAPSHOT_EVERY, "ok")
    assert store.snapshots.latest_boundary("other") is not None
