"""The fold states a long-running reader keeps (`folding.FoldCache`): answers through them must
be byte for byte the answers without them, at any instant asked in any order, under any
knowledge bounds, after appends that move the log's head (late arrivals, corrections and
retractions reaching back before what is held), and whatever the cache has had to drop.

The property runs on the memory store; the same checks run end to end on SQLite and
PostgreSQL on a smaller log, and on the shipped Libya timeline.
"""

from __future__ import annotations

import itertools
import random
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_answers import Clock, build, definitions, logs
from timeline import answers, folding
from timeline.entities import Registry
from timeline.events import NewEvent
from timeline.revisions import REVISION_KINDS
from timeline.store import Store, TimelineInfo
from timeline.store.memory import MemoryStore
from timeline.store.sql import SqlStore

# Instants across the dates `logs()` draws from (2019-2020), and either side of them.
FIRST_DAY = datetime(2018, 12, 1, tzinfo=UTC)
DAYS = 800


def day(offset: int) -> datetime:
    return FIRST_DAY + timedelta(days=offset)


def answer_bytes(
    store: Store, info: TimelineInfo, at: datetime, cache: folding.FoldCache | None, **bounds: Any
) -> bytes:
    answer = answers.state_at(store, info, at, cache=cache, **bounds)
    return orjson.dumps(answer.to_json(), option=orjson.OPT_NON_STR_KEYS)


def record(
    store: Store,
    clock: Clock,
    timeline: str,
    batches: list[list[dict[str, Any]]],
    made: list[NewEvent],
    first: int = 0,
) -> list[datetime]:
    """Append each batch in turn (a tick of the clock apart); the knowledge time after each.
    Every other event is reported a day after it starts, so that a publication bound keeps
    some and leaves others out."""
    known = []
    for number, batch in enumerate(batches, start=first):
        drafts = []
        for index, spec in enumerate(batch):
            draft = build(timeline, spec, made, f"{number}.{index}")
            if draft.kind not in REVISION_KINDS:
                made.append(draft)
                if len(made) % 2:
                    draft = replace(draft, reported_at=draft.date.start + timedelta(days=1))
            drafts.append(draft)
        store.log.append(drafts)
        known.append(clock.tick())
        clock.tick()
    return known


def check_agreement(
    store: Store,
    info: TimelineInfo,
    cache: folding.FoldCache,
    offsets: list[int],
    known: list[datetime],
) -> None:
    """Cached and uncached answers agree at each instant, asked in the order given, now and
    as known after the first batch, and under a publication bound."""
    bounds: list[dict[str, Any]] = [
        {},
        {"as_known": known[0]},
        {"as_published": day(DAYS // 2)},
    ]
    for offset in offsets:
        for bound in bounds:
            at = day(offset)
            expected = answer_bytes(store, info, at, None, **bound)
            assert answer_bytes(store, info, at, cache, **bound) == expected, (at, bound)


COUNTER = itertools.count()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    before=logs(),
    after=logs(),
    offsets=st.lists(st.integers(0, DAYS), min_size=1, max_size=12),
    every=st.integers(1, 4),
    snapshot_every=st.integers(1, 4),
    limit=st.sampled_from([1, 20_000, folding.FOLD_CACHE_BYTES]),
)
def test_cached_answers_are_the_answers_of_the_log(
    before: list[list[dict[str, Any]]],
    after: list[list[dict[str, Any]]],
    offsets: list[int],
    every: int,
    snapshot_every: int,
    limit: int,
) -> None:
    """Before and after appends that move the head: late arrivals, corrections and
    retractions of events the cache already holds change its answers as they change the
    log's; a limit too small to hold anything (1 byte) or a few spans changes nothing."""
    clock = Clock()
    store = MemoryStore(clock=clock)
    timeline = f"c{next(COUNTER)}"
    info = store.catalog.create(timeline, "UTC")
    store.log.append(definitions(timeline))
    made: list[NewEvent] = []
    known = record(store, clock, timeline, before, made)
    folding.refresh_snapshots(store, timeline, every=snapshot_every)
    cache = folding.FoldCache(limit=limit, every=every)
    check_agreement(store, info, cache, offsets, known)
    record(store, clock, timeline, after, made, first=len(before))
    check_agreement(store, info, cache, list(reversed(offsets)), known)
    folding.refresh_snapshots(store, timeline, every=snapshot_every)
    check_agreement(store, info, cache, offsets, known)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_cached_answers_agree_on_sql_before_and_after_an_append(store: SqlStore) -> None:
    clock = Clock()
    clocked = SqlStore(store.engine, clock=clock)
    rng = random.Random(7)
    places, actors = ["tripoli", "sirte", "watiya"], ["gna", "lna", "turkey", "wagner"]
    specs = [
        {
            "kind": rng.choice(["control", "deployment", "clash"]),
            "date": f"{rng.choice([2019, 2020])}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "actor": rng.choice(actors),
            "other": rng.choice(actors),
            "place": rng.choice(places),
            "n": rng.randint(0, 9),
        }
        for _ in range(40)
    ]
    info = clocked.catalog.create("s", "UTC")
    clocked.log.append(definitions("s"))
    made: list[NewEvent] = []
    known = record(clocked, clock, "s", [specs[:30]], made)
    folding.refresh_snapshots(clocked, "s", every=10)
    cache = folding.FoldCache(every=3)
    offsets = rng.sample(range(DAYS), 25)
    check_agreement(clocked, info, cache, offsets, known)
    # Late arrivals across the whole span, a correction moving a held event and a retraction.
    late: list[dict[str, Any]] = [*specs[30:], {"revise": 3, "date": "2019-06-26"}, {"retract": 5}]
    record(clocked, clock, "s", [late], made, first=1)
    check_agreement(clocked, info, cache, offsets, known)


# On SQLite: both databases are checked above, on a log that changes under the cache.
@pytest.mark.parametrize("libya_store", ["sqlite"], indirect=True)
def test_cached_answers_agree_on_the_libya_timeline(libya_store: SqlStore) -> None:
    info = libya_store.catalog.get("libya")
    cache = folding.FoldCache()
    rng = random.Random(11)
    first = datetime(2011, 1, 1, tzinfo=UTC)
    instants = [first + timedelta(days=rng.randrange(3700)) for _ in range(60)]
    known = datetime(2000, 1, 1, tzinfo=UTC)
    for at in instants:
        assert answer_bytes(libya_store, info, at, cache) == answer_bytes(
            libya_store, info, at, None
        )
    # A knowledge time before anything was recorded is kept apart from the answers of now.
    for at in instants[:5]:
        expected = answer_bytes(libya_store, info, at, None, as_known=known)
        assert answer_bytes(libya_store, info, at, cache, as_known=known) == expected


def test_threads_sharing_a_cache_get_the_answers_of_the_log() -> None:
    clock = Clock()
    store = MemoryStore(clock=clock)
    info = store.catalog.create("t", "UTC")
    store.log.append(definitions("t"))
    rng = random.Random(3)
    specs = [
        {
            "kind": "control",
            "date": f"2019-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "actor": rng.choice(["gna", "lna"]),
            "other": "turkey",
            "place": rng.choice(["tripoli", "sirte", "watiya"]),
            "n": 1,
        }
        for _ in range(60)
    ]
    record(store, clock, "t", [specs], [])
    offsets = list(range(0, 400, 3))
    expected = {o: answer_bytes(store, info, day(o), None) for o in offsets}
    cache = folding.FoldCache(every=2)
    wrong: list[int] = []

    def ask(order: list[int]) -> None:
        for offset in order:
            if answer_bytes(store, info, day(offset), cache) != expected[offset]:
                wrong.append(offset)

    threads = [
        threading.Thread(target=ask, args=(random.Random(n).sample(offsets, len(offsets)),))
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def test_an_older_head_is_served_from_the_log_and_a_newer_one_drops_what_is_held() -> None:
    """A reader whose transaction began before an append gets the log it sees, without the
    cache answering from or dropping what it holds for the newer head; a newer head drops it."""
    cache = folding.FoldCache()
    loads: list[int] = []

    def load() -> Registry:
        loads.append(1)
        return Registry()

    first = cache.registry(5, "t", None, load)
    assert cache.registry(5, "t", None, load) is first
    assert len(loads) == 1
    # An older head: read each time, and what is held for head 5 stays.
    cache.registry(4, "t", None, load)
    cache.registry(4, "t", None, load)
    assert len(loads) == 3
    assert cache.registry(5, "t", None, load) is first
    # A newer head: read again.
    assert cache.registry(6, "t", None, load) is not first
    assert len(loads) == 4
