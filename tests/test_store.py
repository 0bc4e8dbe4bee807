"""The store contract, on SQLite and PostgreSQL: append, read, verify, lock, summarise."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool

from timeline.dates import UTC, parse_fuzzy
from timeline.errors import InvalidInput, LockTimeout, NotFound, TimelineError
from timeline.events import Event, NewEvent, Origin, Source, stable_id
from timeline.store import EventQuery
from timeline.store.sql import SqlStore

_keys = itertools.count()


def new_event(
    timeline: str,
    kind: str,
    date: str,
    *,
    key: str | None = None,
    title: str | None = None,
    zone: str = "UTC",
    origin: Origin | None = None,
    **fields: Any,
) -> NewEvent:
    """A NewEvent with a stable id (from `key`, or a fresh one)."""
    key = key if key is not None else f"test-{next(_keys)}"
    return NewEvent(
        id=stable_id(timeline, key),
        timeline=timeline,
        kind=kind,
        title=title or f"{kind} {date}",
        date=parse_fuzzy(date, zone),
        fields=fields,
        origin=origin,
    )


def note(timeline: str, date: str, key: str | None = None, **fields: Any) -> NewEvent:
    return new_event(timeline, "note", date, key=key, **fields)


def correction(timeline: str, target: str, date: str = "2020", **fields: Any) -> NewEvent:
    return new_event(timeline, "correction", date, target=target, **fields)


def retraction(timeline: str, target: str, reason: str = "wrong") -> NewEvent:
    return new_event(timeline, "retraction", "2020", target=target, reason=reason)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def ids(events: Iterator[Event] | list[Event]) -> list[str]:
    return [e.id for e in events]


@pytest.fixture
def libya(store: SqlStore) -> SqlStore:
    """The store with an empty `libya` timeline (UTC, so dates read plainly)."""
    store.catalog.create("libya", "UTC", "Libyan civil war")
    return store


def update_title(store: SqlStore, seq: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE events SET title = 'forged' WHERE seq = :s"), {"s": seq})


def delete_row(store: SqlStore, seq: int) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE seq = :s"), {"s": seq})


def disable_append_only(store: SqlStore) -> None:
    """What someone with direct database access would do to rewrite history."""
    with store.engine.begin() as conn:
        if store.backend == "sqlite":
            conn.execute(sa.text("DROP TRIGGER events_no_update"))
            conn.execute(sa.text("DROP TRIGGER events_no_delete"))
        else:
            conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER USER"))


# -- append and read back ----------------------------------------------------------------------


def test_every_attribute_round_trips(libya: SqlStore) -> None:
    event = NewEvent(
        id=stable_id("libya", "watiya"),
        timeline="libya",
        kind="control",
        title="GNA forces capture Al Watiya air base",
        date=parse_fuzzy("2020-05-18", "Africa/Tripoli"),
        fields={"place": "al-watiya", "by": "gna", "from": "lna", "record": {"n": [1, "ü"]}},
        kind_version=1,
        sources=(
            Source("Daily Sabah", "https://www.dailysabah.com/x", "2020-05-18"),
            Source("Reuters"),
        ),
        confidence="confirmed",
        reported_at=datetime(2020, 5, 18, 14, 30, 15, 123456, tzinfo=UTC),
        origin=Origin("acled:LBY9289", 1, "ab" * 32, 1589800000),
    )
    fuzzy = new_event("libya", "note", "2019-04~/2020?", key="fuzzy")

    result = libya.log.append([event, fuzzy])

    assert result.unchanged == 0
    stored = libya.log.get(event.id)
    assert stored == result.added[0]
    assert (stored.id, stored.timeline, stored.kind, stored.title) == (
        event.id,
        "libya",
        "control",
        event.title,
    )
    assert stored.date == event.date
    assert stored.date.start == datetime(2020, 5, 17, 22, tzinfo=UTC)  # Tripoli is UTC+2
    assert stored.fields == event.fields
    assert stored.sources == event.sources
    assert stored.origin == event.origin
    assert stored.confidence == "confirmed"
    assert stored.reported_at == event.reported_at
    assert stored.kind_version == 1
    assert stored.import_run is None
    back = libya.log.get(fuzzy.id)
    assert back.date == fuzzy.date
    assert back.date.approximate
    assert back.date.uncertain
    assert back.date.text == fuzzy.date.text
    assert (back.origin, back.reported_at, back.sources) == (None, None, ())


def test_seq_increases_and_recorded_at_never_runs_backwards(libya: SqlStore) -> None:
    clock = FakeClock(datetime(2024, 1, 1, 12, tzinfo=UTC))
    store = SqlStore(libya.engine, clock=clock)
    first = store.log.append([note("libya", "2019"), note("libya", "2018")]).added
    clock.advance(-3600)  # the machine's clock is set back an hour
    second = store.log.append([note("libya", "2017")]).added
    clock.advance(7200)
    third = store.log.append([note("libya", "2016")]).added

    log = list(store.log.select(EventQuery(order="recorded")))
    assert [e.seq for e in log] == [1, 2, 3, 4]
    assert ids(log) == ids(first + second + third)
    assert [e.recorded_at for e in log] == sorted(e.recorded_at for e in log)
    assert first[0].recorded_at == first[1].recorded_at  # one batch, one recording time
    assert second[0].recorded_at == first[0].recorded_at
    assert third[0].recorded_at == datetime(2024, 1, 1, 13, tzinfo=UTC)


def test_appending_a_stored_id_is_a_no_op(libya: SqlStore) -> None:
    a, b = note("libya", "2019", "a"), note("libya", "2019", "b")
    libya.log.append([a])

    again = libya.log.append([a, b])
    assert ids(again.added) == [b.id]
    assert again.unchanged == 1

    # The id decides: a different text under a stored id does not overwrite the original.
    renamed = new_event("libya", "note", "2021", key="a", title="rewritten")
    assert libya.log.append([renamed]).unchanged == 1
    assert libya.log.get(a.id).title == a.title

    c = note("libya", "2019", "c")
    twice = libya.log.append([c, c])
    assert ids(twice.added) == [c.id]
    assert twice.unchanged == 1
    assert libya.log.count() == 3
    assert libya.log.verify().ok


def test_an_empty_batch_stores_nothing(libya: SqlStore) -> None:
    result = libya.log.append([])
    assert (result.added, result.unchanged) == ([], 0)
    assert libya.log.count() == 0


def test_a_batch_is_atomic(libya: SqlStore) -> None:
    kept = note("libya", "2018")
    libya.log.append([kept])
    batch = [
        note("libya", "2019"),
        note("libya", "2020"),
        correction("libya", stable_id("libya", "nowhere")),
        note("libya", "2021"),
    ]
    with pytest.raises(NotFound, match="target"):
        libya.log.append(batch)
    assert ids(libya.log.select(EventQuery())) == [kept.id]

    # The same holds when the database itself refuses a row (a duplicate origin version).
    twins = [
        note("libya", "2019", origin=Origin("acled:1")),
        note("libya", "2020", origin=Origin("acled:1")),
    ]
    with pytest.raises(TimelineError, match="could not append"):
        libya.log.append(twins)
    assert libya.log.count() == 1

    with pytest.raises(NotFound, match="nowhere-land"):
        libya.log.append([note("libya", "2019"), note("nowhere-land", "2019")])
    assert libya.log.count() == 1
    assert libya.log.verify().ok


def test_revisions_must_name_an_existing_event(libya: SqlStore) -> None:
    stored = note("libya", "2019")
    libya.log.append([stored])
    missing = stable_id("libya", "missing")

    for revision in (correction("libya", missing), retraction("libya", missing)):
        with pytest.raises(NotFound, match=missing):
            libya.log.append([revision])

    fresh = note("libya", "2020")
    result = libya.log.append(
        [
            correction("libya", stored.id, text="better"),
            fresh,
            retraction("libya", fresh.id),  # its target is earlier in the same batch
        ]
    )
    assert len(result.added) == 3
    assert ids(libya.log.revisions_of([stored.id, fresh.id])) == [
        result.added[0].id,
        result.added[2].id,
    ]


# -- select ----------------------------------------------------------------------------------


def test_select_filters(libya: SqlStore) -> None:
    libya.catalog.create("syria", "Asia/Damascus")
    year = note("libya", "2019", key="year")
    april = note("libya", "2019-04", key="april")
    fourth = new_event("libya", "control", "2019-04-04", key="fourth", place="tripoli", by="lna")
    may = new_event(
        "libya",
        "clash",
        "2020-05-18",
        key="may",
        actors=["gna", "lna"],
        origin=Origin("acled:LBY1"),
    )
    near = new_event("libya", "control", "2020-06", key="near", place="sirte", by="gnaa")
    aside = new_event("syria", "control", "2019-04-10", key="aside", place="idlib", by="lna")
    libya.log.append([year, april, fourth, may, near, aside])
    fix = correction("libya", fourth.id, place="tarhuna")
    libya.log.append([fix])

    assert ids(libya.log.select(EventQuery("syria"))) == [aside.id]
    assert len(list(libya.log.select(EventQuery()))) == 7
    assert ids(libya.log.select(EventQuery("libya", kinds=["control"]))) == [fourth.id, near.id]
    assert ids(libya.log.select(EventQuery("libya", exclude_kinds=["note", "correction"]))) == [
        fourth.id,
        may.id,
        near.id,
    ]
    # Bounds apply to the start of the valid interval, half-open.
    april_1 = datetime(2019, 4, 1, tzinfo=UTC)
    may_1 = datetime(2019, 5, 1, tzinfo=UTC)
    assert ids(libya.log.select(EventQuery("libya", valid_from=april_1, valid_before=may_1))) == [
        april.id,
        fourth.id,
    ]
    assert ids(libya.log.select(EventQuery("libya", valid_before=april_1))) == [year.id]
    assert ids(
        libya.log.select(EventQuery("libya", valid_from=datetime(2020, 6, 1, tzinfo=UTC)))
    ) == [near.id]
    # Entities match exactly, in plain and list fields, never as a substring.
    assert ids(libya.log.select(EventQuery("libya", entity="lna"))) == [fourth.id, may.id]
    assert ids(libya.log.select(EventQuery(entity="lna"))) == [fourth.id, aside.id, may.id]
    assert ids(libya.log.select(EventQuery("libya", entity="gna"))) == [may.id]
    assert ids(libya.log.select(EventQuery("libya", entity="tarhuna"))) == [fix.id]
    assert ids(libya.log.select(EventQuery("libya", origin="acled:LBY1"))) == [may.id]
    assert ids(libya.log.select(EventQuery("libya", origin="acled:LBY"))) == []
    assert ids(libya.log.select(EventQuery(ids=[near.id, year.id, stable_id("x", "y")]))) == [
        year.id,
        near.id,
    ]
    assert ids(libya.log.select(EventQuery(targets=[fourth.id]))) == [fix.id]
    assert ids(
        libya.log.select(EventQuery("libya", kinds=["control"], entity="lna", valid_from=april_1))
    ) == [fourth.id]


def test_select_as_known(libya: SqlStore) -> None:
    clock = FakeClock(datetime(2020, 5, 20, 9, tzinfo=UTC))
    store = SqlStore(libya.engine, clock=clock)
    first = note("libya", "2020-05-10")
    store.log.append([first])
    t1 = clock.now
    clock.advance(86400)
    late = note("libya", "2019-01-01")  # arrives later, but is about earlier times
    store.log.append([late, correction("libya", first.id, text="revised")])

    assert ids(store.log.select(EventQuery(as_known=t1 - timedelta(microseconds=1)))) == []
    assert ids(store.log.select(EventQuery(as_known=t1))) == [first.id]
    assert len(list(store.log.select(EventQuery(as_known=clock.now)))) == 3
    assert store.log.revisions_of([first.id], as_known=t1) == []
    assert len(store.log.revisions_of([first.id], as_known=clock.now)) == 1


def test_select_orders(libya: SqlStore) -> None:
    year = note("libya", "2019")  # starts with january, ends later
    january = note("libya", "2019-01")
    eve = note("libya", "2018-12-31")
    january_again = note("libya", "2019-01")  # same interval, recorded later
    libya.log.append([year, january, eve])
    libya.log.append([january_again])

    valid = [eve.id, january.id, january_again.id, year.id]
    assert ids(libya.log.select(EventQuery("libya"))) == valid
    assert ids(libya.log.select(EventQuery("libya", descending=True))) == valid[::-1]
    assert ids(libya.log.select(EventQuery("libya", limit=2))) == valid[:2]
    recorded = [year.id, january.id, eve.id, january_again.id]
    assert ids(libya.log.select(EventQuery("libya", order="recorded"))) == recorded
    assert ids(
        libya.log.select(EventQuery("libya", order="recorded", descending=True, limit=1))
    ) == [january_again.id]
    with pytest.raises(ValueError, match="order"):
        list(libya.log.select(EventQuery(order="sideways")))  # type: ignore[arg-type]


def test_select_streams(libya: SqlStore) -> None:
    batch = [note("libya", f"2019-01-01T00:{i // 60 % 60:02d}", f"s{i}") for i in range(5000)]
    libya.log.append(batch)
    stream = libya.log.select(EventQuery("libya", order="recorded"))
    assert isinstance(stream, Generator)
    assert [e.seq for e in itertools.islice(stream, 3)] == [1, 2, 3]
    pool = libya.engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedout() == 1
    stream.close()
    # Stopping early gives the connection back: nothing is held, writers are not blocked.
    assert pool.checkedout() == 0
    with libya.writing(lock_timeout=2) as tx:
        tx.log.append([note("libya", "2020")])
    assert libya.log.count() == 5001


# -- get -------------------------------------------------------------------------------------


def test_get_by_id_and_prefix(libya: SqlStore) -> None:
    twin_a = "aaaaaaaa-0000-4000-8000-000000000001"
    twin_b = "aaaaaaaa-0000-4000-8000-000000000002"
    event = note("libya", "2019")
    libya.log.append(
        [
            event,
            NewEvent(twin_a, "libya", "note", "a", event.date),
            NewEvent(twin_b, "libya", "note", "b", event.date),
        ]
    )

    assert libya.log.get(event.id).id == event.id
    assert libya.log.get(event.id.upper()).id == event.id
    assert libya.log.get(event.id[:8]).id == event.id
    assert libya.log.get(twin_a).title == "a"
    for prefix in ("aaaaaaaa", twin_a[:-1]):
        with pytest.raises(InvalidInput, match="ambiguous"):
            libya.log.get(prefix)
    with pytest.raises(InvalidInput, match="8 characters"):
        libya.log.get(event.id[:7])
    with pytest.raises(NotFound, match="bbbbbbbb"):
        libya.log.get("bbbbbbbb")
    with pytest.raises(NotFound):
        libya.log.get(stable_id("libya", "never"))
    # A LIKE wildcard in a prefix is a character, not a pattern.
    with pytest.raises(NotFound):
        libya.log.get("aaaaaaaa%")


# -- append-only and tamper evidence -----------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    ["UPDATE events SET title = 'forged' WHERE seq = 1", "DELETE FROM events WHERE seq = 1"],
    ids=["update", "delete"],
)
def test_the_database_rejects_rewriting_events(libya: SqlStore, statement: str) -> None:
    event = note("libya", "2019")
    libya.log.append([event])
    with pytest.raises(DBAPIError, match="append-only"), libya.engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert libya.log.get(event.id).title == event.title
    assert libya.log.verify().ok


def test_the_database_rejects_emptying_the_log(libya: SqlStore) -> None:
    libya.log.append([note("libya", "2019"), note("libya", "2020")])
    # SQLite runs an unqualified DELETE as a truncation unless a trigger stops it.
    statement = "TRUNCATE events CASCADE" if libya.backend == "postgresql" else "DELETE FROM events"
    with pytest.raises(DBAPIError, match="append-only"), libya.engine.begin() as conn:
        conn.execute(sa.text(statement))
    assert libya.log.count() == 2


def test_a_source_record_is_stored_as_the_dataset_gave_it(libya: SqlStore) -> None:
    import dataclasses

    records: list[dict[str, Any]] = [
        {"event_id_cnty": "LBY1", "notes": 'Line one\nline "two" \u2028 \x01 é', "n": "3"},
        # Beyond 64 bits: the fast encoder refuses it, the standard one takes it.
        {"event_id_cnty": "LBY2", "id": 2**70, "nested": {"b": [1.5, None, True]}},
    ]
    events = [dataclasses.replace(note("libya", "2019"), record=record) for record in records]
    libya.log.append(events)
    stored = {e.id: e.record for e in libya.log.select(EventQuery("libya"))}
    assert [stored[e.id] for e in events] == records
    assert list(stored[events[0].id] or {}) == ["event_id_cnty", "notes", "n"]  # column order
    assert libya.log.verify().ok


def test_verify_a_clean_log(libya: SqlStore) -> None:
    assert libya.log.verify().ok
    assert libya.log.verify().checked == 0
    libya.log.append([note("libya", "2019"), note("libya", "2020")])
    libya.log.append([note("libya", "2021", origin=Origin("ucdp:7", 1, "f" * 64, 3))])
    result = libya.log.verify()
    assert result.ok
    assert result.checked == 3
    assert result.first_bad_seq is None


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "reason"),
    [(update_title, 3, "content"), (delete_row, 4, "link")],
    ids=["edited", "deleted"],
)
def test_verify_detects_tampering(libya: SqlStore, tamper: Any, bad_seq: int, reason: str) -> None:
    libya.log.append([note("libya", f"20{n:02d}") for n in range(5)])
    disable_append_only(libya)
    tamper(libya, 3)

    result = libya.log.verify()
    assert not result.ok
    assert result.first_bad_seq == bad_seq
    assert reason in (result.reason or "")
    assert result.checked == 2


def test_verify_accepts_rows_of_an_older_kind_version(libya: SqlStore) -> None:
    old = NewEvent(
        id=stable_id("libya", "violation"),
        timeline="libya",
        kind="ceasefire.violated",
        title="LNA shells Mitiga airport",
        date=parse_fuzzy("2020-01-12"),
        fields={"ceasefire": "berlin", "by": "lna"},
        kind_version=1,  # as written before `by` became a list
    )
    libya.log.append([old])
    assert libya.log.get(old.id).fields["by"] == ["lna"]
    assert libya.log.verify().ok


# -- one writer at a time ----------------------------------------------------------------------


def test_concurrent_writers_take_turns(libya: SqlStore) -> None:
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


def test_a_second_writer_times_out(libya: SqlStore) -> None:
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


# -- timelines ---------------------------------------------------------------------------------


def test_timelines_summarise_their_events(store: SqlStore) -> None:
    store.catalog.create("syria", "Asia/Damascus")
    store.catalog.create("libya", "Africa/Tripoli", "Libyan civil war")
    zone = "Africa/Tripoli"
    store.log.append(
        [
            new_event("libya", "actor.defined", "../..", actor="lna", name="LNA"),
            new_event("libya", "note", "2019-04-04", zone=zone),
            new_event("libya", "note", "2020-05~", zone=zone),
            new_event("libya", "note", "2019", zone=zone),
            new_event("libya", "note", "2019-06/2019-07", zone=zone),
        ]
    )

    summary = store.catalog.summaries()
    assert [t.name for t in summary] == ["libya", "syria"]
    libya, syria = summary
    assert (libya.zone, libya.title, libya.events) == (zone, "Libyan civil war", 4)
    assert (libya.first, libya.last) == ("2019", "2020-05~")
    assert (syria.zone, syria.title, syria.events, syria.first, syria.last) == (
        "Asia/Damascus",
        None,
        0,
        None,
        None,
    )
    assert store.catalog.names() == ["libya", "syria"]
    assert store.catalog.get("libya").zone == zone
    with pytest.raises(NotFound, match="libya, syria"):
        store.catalog.get("yemen")


@pytest.mark.parametrize("name", ["", "two words", "a/b", "x" * 65, "ünïcode?"])
def test_create_timeline_rejects_a_bad_name(store: SqlStore, name: str) -> None:
    with pytest.raises(InvalidInput, match="timeline name"):
        store.catalog.create(name, "UTC")
    assert store.catalog.summaries() == []


def test_create_timeline_rejects_a_duplicate(store: SqlStore) -> None:
    store.catalog.create("libya", "Africa/Tripoli")
    with pytest.raises(InvalidInput, match="exists already"):
        store.catalog.create("libya", "UTC")
    assert [(t.name, t.zone) for t in store.catalog.summaries()] == [("libya", "Africa/Tripoli")]


def test_create_timeline_rejects_a_bad_zone(store: SqlStore) -> None:
    with pytest.raises(Exception, match="Mars/Olympus"):
        store.catalog.create("libya", "Mars/Olympus")
    assert store.catalog.summaries() == []


def test_a_bad_zone_is_invalid_input(store: SqlStore) -> None:
    with pytest.raises(InvalidInput, match="Mars/Olympus"):
        store.catalog.create("libya", "Mars/Olympus")


# -- origins and import runs -------------------------------------------------------------------


def test_latest_origins(libya: SqlStore) -> None:
    libya.catalog.create("syria", "UTC")
    first = note("libya", "2019", origin=Origin("acled:1", 1, "a" * 64, 100))
    other = note("libya", "2019", origin=Origin("acled:2", 1, "b" * 64, 250))
    elsewhere = note("syria", "2019", origin=Origin("acled:1", 1, "c" * 64, 999))
    ucdp = note("libya", "2019", origin=Origin("ucdp:1", 1, None, 5000))
    libya.log.append([first, other, elsewhere, ucdp])
    revised = new_event(
        "libya",
        "correction",
        "2019",
        origin=Origin("acled:1", 2, "d" * 64, 300),
        target=first.id,
        text="revised",
    )
    libya.log.append([revised])

    latest = libya.origins.latest("libya", ["acled:1", "acled:2", "acled:3", "acled:1"])
    assert set(latest) == {"acled:1", "acled:2"}
    one = latest["acled:1"]
    assert (one.event_id, one.kind, one.version, one.content_hash, one.stamp, one.root_id) == (
        revised.id,
        "correction",
        2,
        "d" * 64,
        300,
        first.id,
    )
    two = latest["acled:2"]
    assert (two.event_id, two.version, two.root_id, two.stamp) == (other.id, 1, other.id, 250)
    assert libya.origins.latest("syria", ["acled:1"])["acled:1"].event_id == elsewhere.id
    assert libya.origins.latest("libya", []) == {}

    # The hashes alone (what every record of an import is compared with first): the latest
    # version's, per timeline; a key never stored is absent.
    hashes = libya.origins.latest_hashes("libya", ["acled:1", "acled:2", "acled:3", "ucdp:1"])
    assert hashes == {"acled:1": "d" * 64, "acled:2": "b" * 64, "ucdp:1": None}
    assert libya.origins.latest_hashes("syria", ["acled:1", "acled:2"]) == {"acled:1": "c" * 64}
    with libya.writing() as writer:
        assert writer.origins.latest_hashes("libya", ["acled:2"]) == {"acled:2": "b" * 64}


def test_origin_lookups_take_more_keys_than_one_statement_can(libya: SqlStore) -> None:
    # SQLite builds of old bind at most 999 parameters per statement.
    events = [
        note("libya", "2019", origin=Origin(f"acled:{n}", 1, f"{n:064d}", n)) for n in range(2500)
    ]
    libya.log.append(events)
    keys = [f"acled:{n}" for n in range(-10, 2510)]
    hashes = libya.origins.latest_hashes("libya", keys)
    assert hashes == {f"acled:{n}": f"{n:064d}" for n in range(2500)}
    latest = libya.origins.latest("libya", keys)
    assert {key: v.event_id for key, v in latest.items()} == {
        f"acled:{n}": e.id for n, e in enumerate(events)
    }


def test_import_runs_are_recorded(libya: SqlStore) -> None:
    clock = FakeClock(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))
    store = SqlStore(libya.engine, clock=clock)
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


def test_a_run_whose_process_died_reads_as_interrupted(libya: SqlStore) -> None:
    run = libya.imports.start("libya", "x.csv", "acled", None)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with libya.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE imports SET pid = :p WHERE id = :i"), {"p": dead.pid, "i": run}
        )
    assert libya.imports.runs()[0].status == "interrupted"


def test_a_read_shares_equal_dates_and_sources_between_rows(store: SqlStore) -> None:
    store.catalog.create("libya", "UTC")
    wire = (Source("Libya Observer", None, "2020-05-19"),)
    store.log.append(
        [
            replace(new_event("libya", "note", "2020-05-18", key="a"), sources=wire),
            replace(new_event("libya", "note", "2020-05-18", key="b"), sources=wire),
            new_event("libya", "note", "2020-05", key="c"),
        ]
    )
    a, b, c = store.log.select(EventQuery("libya", order="recorded"))
    assert a.sources == wire
    # Immutable values read once per read, not once per row: half the cost of a row.
    assert a.date is b.date
    assert a.sources is b.sources
    assert c.date is not a.date
    assert c.date.text == "2020-05"
    assert (a.date.start, a.date.end) == (b.date.start, b.date.end)
