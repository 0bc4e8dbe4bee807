"""The logic above the store runs on the in-memory store exactly as on a database: the seeds
answer the same, and an import is as idempotent (fast tests of imports need no database)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import answering
from timeline.importing import ImportOptions, run_import
from timeline.seeds import load_seed
from timeline.store.memory import MemoryStore

FIXTURES = Path(__file__).parent / "importers" / "fixtures"


@pytest.fixture(scope="module")
def libya_memory() -> MemoryStore:
    """The shipped Libya timeline in memory."""
    store = MemoryStore()
    load_seed(store, "libya")
    return store


@pytest.mark.parametrize("date", ["2011-10-20", "2015-12-31", "2019-04-10", "2020-05-26"])
def test_the_seeds_answer_in_memory_as_in_the_database(
    libya_memory: MemoryStore, libya_at: Callable[..., dict[str, Any]], date: str
) -> None:
    info = libya_memory.catalog.get("libya")
    in_memory = answering.state_at(libya_memory, info, date).to_json()
    in_database = libya_at(date)
    for answer in (in_memory, in_database):
        # The recording instants differ between two loads; everything else is the same.
        answer.pop("as_known", None)
        answer.pop("known_through", None)
    assert in_memory == in_database


def test_an_import_into_memory_is_idempotent() -> None:
    store = MemoryStore()
    store.catalog.create("libya", "Africa/Tripoli")
    source = [str(FIXTURES / "acled_current.csv")]
    first = run_import(store, source, ImportOptions(fmt="acled"))
    again = run_import(store, source, ImportOptions(fmt="acled"))
    assert first.counts.new > 0
    assert again.counts.as_dict() == {
        "new": 0,
        "corrected": 0,
        "retracted": 0,
        "unchanged": first.counts.new,
        "rejected": 0,
    }
    assert store.log.verify().ok
    (latest, earlier) = store.imports.runs("libya")[:2]
    assert (latest.status, earlier.status) == ("ok", "ok")
