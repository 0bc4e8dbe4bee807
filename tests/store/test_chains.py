"""Each timeline's log is a chain of its own: its seq order, its links, its recorded heads, and
`verify` of one timeline or of all, on the memory store, SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from timeline.errors import NotFound
from timeline.events import GENESIS_HASH
from timeline.store import EventQuery, Store
from timeline.store.memory import MemoryStore
from timeline.store.sql import SqlStore

from .helpers import FakeClock, disable_append_only, note, with_clock


@pytest.fixture
def two(store: Store) -> Store:
    """The store with two timelines, `libya` and `syria`, each with events of its own,
    appended in turns and in one batch of both."""
    store.catalog.create("libya", "UTC")
    store.catalog.create("syria", "UTC")
    store.log.append([note("libya", "2019"), note("libya", "2020")])
    store.log.append([note("syria", "2012")])
    store.log.append([note("libya", "2021"), note("syria", "2013"), note("syria", "2014")])
    return store


def chain_of(store: Store, timeline: str) -> list[tuple[int, str, str]]:
    return [
        (e.seq, e.hash, e.prev_hash)
        for e in store.log.select(EventQuery(timeline, order="recorded"))
    ]


def tamper_title(store: Store, timeline: str, seq: int) -> None:
    """Edit one row of one timeline, as someone with direct access to the data could."""
    if isinstance(store, MemoryStore):
        store.database.tamper_with_row(seq, timeline, title="forged")
        return
    assert isinstance(store, SqlStore)
    disable_append_only(store)
    with store.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE events SET title = 'forged' WHERE timeline = :t AND seq = :s"),
            {"t": timeline, "s": seq},
        )


def test_each_timeline_has_its_own_seq_order_and_chain(two: Store) -> None:
    for timeline, count in (("libya", 3), ("syria", 3)):
        chain = chain_of(two, timeline)
        assert [seq for seq, _, _ in chain] == list(range(1, count + 1))
        # The first links to genesis, each other to the one before it in its own timeline.
        assert chain[0][2] == GENESIS_HASH
        assert all(chain[i][2] == chain[i - 1][1] for i in range(1, count))
    assert two.log.last_seq("libya") == 3
    assert two.log.last_seq("syria") == 3
    assert two.log.last_seq("nowhere") == 0
    assert two.log.last_seq() == 6  # every timeline's together: moves on with every append
    two.log.append([note("syria", "2015")])
    assert (two.log.last_seq("syria"), two.log.last_seq()) == (4, 7)


def test_verify_walks_every_timeline_or_one(two: Store) -> None:
    result = two.log.verify()
    assert (result.ok, result.checked, result.head) == (True, 6, None)  # two heads: none alone
    assert [(name, seq) for name, seq, _ in result.heads] == [("libya", 3), ("syria", 3)]
    libya = two.log.verify(timeline="libya")
    assert (libya.ok, libya.checked) == (True, 3)
    assert libya.head == (3, chain_of(two, "libya")[-1][1])
    # A head kept from one timeline is looked for in that timeline's chain.
    assert two.log.verify(expect_head=libya.head[1]).ok
    assert two.log.verify(timeline="libya", expect_head=libya.head[1]).ok
    assert not two.log.verify(timeline="syria", expect_head=libya.head[1]).ok
    with pytest.raises(NotFound, match="no timeline 'iraq'"):
        two.log.verify(timeline="iraq")


def test_a_tampered_timeline_is_named_and_the_other_still_verifies(two: Store) -> None:
    tamper_title(two, "syria", 2)
    result = two.log.verify()
    assert not result.ok
    assert (result.timeline, result.first_bad_seq) == ("syria", 2)
    assert "content does not match its hash" in (result.reason or "")
    assert not two.log.verify(timeline="syria").ok
    assert two.log.verify(timeline="libya").ok


def test_reads_across_timelines_are_in_recording_order(two: Store) -> None:
    clock = FakeClock(datetime(2030, 1, 1, tzinfo=UTC))
    clocked = with_clock(two, clock)
    late = note("libya", "2022")
    clocked.log.append([late])
    clock.advance(1)
    later = note("syria", "2016")
    clocked.log.append([later])
    events = list(two.log.select(EventQuery(order="recorded")))
    assert [e.id for e in events[-2:]] == [late.id, later.id]
    # Seqs repeat across timelines; recording times never run backwards along the read.
    assert [e.recorded_at for e in events] == sorted(e.recorded_at for e in events)
    newest = next(iter(two.log.select(EventQuery(order="recorded", descending=True, limit=1))))
    assert newest.id == later.id


def test_an_event_id_stays_unique_across_timelines(two: Store) -> None:
    event = note("libya", "2019", key="shared")
    two.log.append([event])
    # The same id in another timeline's batch is the stored event: unchanged, not stored twice.
    result = two.log.append([dataclasses.replace(event, timeline="syria")])
    assert (len(result.added), result.unchanged) == (0, 1)
    assert two.log.get(event.id).timeline == "libya"
    assert two.log.count("syria") == 3
