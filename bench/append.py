"""Benchmark: append 100,000 events in batches into a file SQLite database.

Prints events/s for `Store.append` and, measured in the same run, raw `sqlite3`
`executemany` of equivalent rows (same table, same columns and indexes, same values) as
the reference. Target: at least a third of the raw figure, and 100,000 events/s.

    python bench/append.py [--events 100000] [--batch 5000]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timeline import database
from timeline.dates import parse_fuzzy
from timeline.events import NewEvent, Source, stable_id
from timeline.store.codec import ROW_COLUMNS, event_row
from timeline.store.sql import SqlStore


def make_events(count: int, timeline: str = "bench") -> list[NewEvent]:
    """`count` realistic clash events over ten years, with a source each."""
    days = [parse_fuzzy(f"{2011 + i % 10}-{1 + i % 12:02d}-{1 + i % 28:02d}") for i in range(3650)]
    return [
        NewEvent(
            id=stable_id(timeline, f"bench:{i}"),
            timeline=timeline,
            kind="clash",
            title=f"Armed clash number {i} near the front line",
            date=days[i % len(days)],
            fields={"actors": ["lna", "gna"], "place": "tripoli", "fatalities": i % 7},
            sources=(Source("Reuters", None, "2020-01-01"),),
        )
        for i in range(count)
    ]


def bench_store(events: list[NewEvent], batch: int, folder: Path) -> float:
    engine = database.open_engine(f"sqlite:///{folder / 'store.db'}")
    store = SqlStore(engine)
    store.catalog.create("bench", "UTC")
    started = time.perf_counter()
    for start in range(0, len(events), batch):
        store.log.append(events[start : start + batch])
    elapsed = time.perf_counter() - started
    assert store.log.count() == len(events)
    engine.dispose()
    return elapsed


def bench_raw(events: list[NewEvent], batch: int, folder: Path) -> float:
    # The same schema (tables, indexes, triggers) and the same row values, written with the
    # driver alone: what the store's bookkeeping (validation-free rows, hashing, JSON,
    # seq and lock) costs on top of the database itself.
    path = folder / "raw.db"
    engine = database.open_engine(f"sqlite:///{path}")
    SqlStore(engine).catalog.create("bench", "UTC")
    engine.dispose()
    rows = [event_row(event, seq, 0, None, "0" * 64) for seq, event in enumerate(events, start=1)]
    columns = ", ".join(ROW_COLUMNS)
    marks = ", ".join("?" * len(rows[0]))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            f"INSERT INTO events ({columns}) VALUES ({marks})", rows[start : start + batch]
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    events = make_events(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        store_s = bench_store(events, args.batch, Path(tmp))
        raw_s = bench_raw(events, args.batch, Path(tmp))
    store_rate, raw_rate = args.events / store_s, args.events / raw_s
    print(f"append {args.events:,} events in batches of {args.batch:,} (file SQLite, WAL)")
    print(f"  timeline Store.append : {store_rate:>10,.0f} events/s ({store_s:.2f} s)")
    print(f"  raw sqlite3 executemany: {raw_rate:>10,.0f} events/s ({raw_s:.2f} s)  [reference]")
    ratio = store_rate / raw_rate
    print(
        f"  ratio {ratio:.2f} of raw (target >= 0.33); target 100,000 events/s: "
        f"{'met' if store_rate >= 100_000 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
