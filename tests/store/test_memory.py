"""What only the memory store promises: the SQL store's very chain, and no database code."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest

from timeline.events import Origin
from timeline.store import EventQuery, Store
from timeline.store.memory import MemoryStore

from .helpers import FakeClock, correction, new_event, note, with_clock


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The SQL backend the memory store is compared with."""
    return str(request.param)


def test_the_same_appends_chain_and_read_back_as_in_sql(store: Store) -> None:
    stores: list[Store] = []
    for empty in (MemoryStore(), store):
        clock = FakeClock(datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=UTC))
        clocked = with_clock(empty, clock)
        clocked.catalog.create("libya", "Africa/Tripoli")
        run = clocked.imports.start("libya", "acled.csv", "acled", None)
        first = new_event(
            "libya", "control", "2020-05-18", key="watiya", zone="Africa/Tripoli", place="watiya",
            by="gna", origin=Origin("acled:1", 1, "a" * 64, 7),
        )  # fmt: skip
        clocked.log.append([first, note("libya", "2019-04~/2020?", key="fuzzy")], import_run=run)
        clock.advance(3600)
        fix = correction("libya", first.id, key="fix", text="ü")
        clocked.log.append([fix, note("libya", "..", key="open")])
        stores.append(clocked)

    memory, sql = ([*s.log.select(EventQuery(order="recorded"))] for s in stores)
    assert [(e.seq, e.hash, e.prev_hash) for e in memory] == [
        (e.seq, e.hash, e.prev_hash) for e in sql
    ]
    assert memory == sql


def test_the_memory_store_needs_no_database_code() -> None:
    code = (
        "import sys, timeline.store.memory\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'click'})\n"
        "print(loaded)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
