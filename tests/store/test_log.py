"""The event log: append and read back, select, get, and the hash chain."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from timeline.dates import UTC, parse_fuzzy
from timeline.errors import InvalidInput, NotFound, TimelineError
from timeline.events import NewEvent, Origin, Source, stable_id
from timeline.store import EventQuery, Store

from .helpers import (
    FakeClock,
    correction,
    ids,
    new_event,
    note,
    rehash_from,
    retraction,
    tamper,
    truncate,
    with_clock,
)

# -- append and read back ----------------------------------------------------------------------


def test_every_attribute_round_trips(libya: Store) -> None:
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


def test_seq_increases_and_recorded_at_never_runs_backwards(libya: Store) -> None:
    clock = FakeClock(datetime(2024, 1, 1, 12, tzinfo=UTC))
    store = with_clock(libya, clock)
    assert store.log.recording_head("libya") is None
    first = store.log.append([note("libya", "2019"), note("libya", "2018")]).added
    clock.advance(-3600)  # the machine's clock is set back an hour
    second = store.log.append([note("libya", "2017")]).added
    assert store.log.recording_head("libya") == first[0].recorded_at
    clock.advance(7200)
    third = store.log.append([note("libya", "2016")]).added
    assert store.log.recording_head("libya") == third[0].recorded_at

    log = list(store.log.select(EventQuery(order="recorded")))
    assert [e.seq for e in log] == [1, 2, 3, 4]
    assert ids(log) == ids(first + second + third)
    assert [e.recorded_at for e in log] == sorted(e.recorded_at for e in log)
    assert first[0].recorded_at == first[1].recorded_at  # one batch, one recording time
    assert second[0].recorded_at == first[0].recorded_at
    assert third[0].recorded_at == datetime(2024, 1, 1, 13, tzinfo=UTC)


def test_appending_a_stored_id_is_a_no_op(libya: Store) -> None:
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


# Texts that a row format could take for its own markers: a COPY's separators, escapes, its
# NULL (\N) and its end of data (\.), quotes, and characters beyond the BMP.
AWKWARD = ["a\tb", "line\nbreak\r\n", "back\\slash", "\\N", "\\.", "\\", "'\"", "ü 😀 \u2028", " "]


def test_awkward_texts_round_trip_and_keep_the_chain(libya: Store) -> None:
    events = [
        NewEvent(
            id=stable_id("libya", f"awkward-{n}"),
            timeline="libya",
            kind="note",
            title=text,
            date=parse_fuzzy("2020-05-18"),
            fields={"text": text, text: [text, None, True, 7]},
            sources=(Source(text, f"https://example.org/{n}", "2020-05-18"),),
            origin=Origin(f"acled:{text}", 1, "ab" * 32, 1589800000),
            record={"notes": text},
        )
        for n, text in enumerate(AWKWARD)
    ]
    libya.log.append(events)
    for event in events:
        stored = libya.log.get(event.id)
        assert (stored.title, stored.fields, stored.sources) == (
            event.title,
            event.fields,
            event.sources,
        )
        assert (stored.origin, stored.record) == (event.origin, event.record)
    assert libya.log.verify().ok


def test_an_empty_batch_stores_nothing(libya: Store) -> None:
    result = libya.log.append([])
    assert (result.added, result.unchanged) == ([], 0)
    assert libya.log.count() == 0


def test_a_batch_is_atomic(libya: Store) -> None:
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


def test_revisions_must_name_an_existing_event(libya: Store) -> None:
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


def test_select_filters(libya: Store) -> None:
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


def test_select_as_known(libya: Store) -> None:
    clock = FakeClock(datetime(2020, 5, 20, 9, tzinfo=UTC))
    store = with_clock(libya, clock)
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


def test_select_orders(libya: Store) -> None:
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


def test_events_of_some_kinds_come_in_every_order_asked(libya: Store) -> None:
    # SQLite reads these from the (timeline, kind) index and sorts them itself.
    kinds = ["note", "control"]
    year = note("libya", "2019")
    january = note("libya", "2019-01")
    eve = note("libya", "2018-12-31")
    other = new_event("libya", "clash", "2018-06")  # of a kind not asked for
    libya.log.append([year, other, january, eve])
    later = note("libya", "2019-01")
    libya.log.append([later])

    valid = [eve.id, january.id, later.id, year.id]
    assert ids(libya.log.select(EventQuery("libya", kinds=kinds))) == valid
    assert ids(libya.log.select(EventQuery("libya", kinds=kinds, descending=True))) == valid[::-1]
    assert ids(libya.log.select(EventQuery("libya", kinds=kinds, limit=2))) == valid[:2]
    recorded = [year.id, january.id, eve.id, later.id]
    assert ids(libya.log.select(EventQuery("libya", kinds=kinds, order="recorded"))) == recorded
    assert (
        ids(libya.log.select(EventQuery("libya", kinds=kinds, order="recorded", descending=True)))
        == recorded[::-1]
    )


def test_definitions_of_some_entities_come_in_recording_order(libya: Store) -> None:
    clock = FakeClock(datetime(2020, 5, 20, 9, tzinfo=UTC))
    store = with_clock(libya, clock)
    # More ids than one statement takes, so that the SQL store asks in several.
    places = [
        new_event("libya", "place.defined", "..", place=f"town-{i}", name=f"Town {i}")
        for i in range(1_200)
    ]
    gna = new_event("libya", "actor.defined", "..", actor="gna", name="GNA")
    store.log.append([*places[:700], gna, note("libya", "2020")])
    first_known = clock.now
    clock.advance(60)
    renamed = new_event("libya", "actor.defined", "..", actor="gna", name="Government")
    store.log.append([*places[700:], renamed])

    def defined(**bounds: Any) -> list[tuple[str, str | None]]:
        return [
            (event_id, fields.get("name"))
            for event_id, _, fields in store.log.definitions("libya", **bounds)
        ]

    wanted = ["gna", "town-1150", "town-3", "nobody", *(f"town-{i}" for i in range(600))]
    assert defined(entities=wanted) == [
        *((p.id, p.fields["name"]) for p in places[:600]),
        (gna.id, "GNA"),
        (places[1150].id, "Town 1150"),
        (renamed.id, "Government"),
    ]
    assert defined(entities=["gna"], as_known=first_known) == [(gna.id, "GNA")]
    assert defined(entities=[]) == []
    # Without `entities`, every definition, as before.
    assert len(defined()) == 1_202


def test_a_read_shares_equal_dates_and_sources_between_rows(store: Store) -> None:
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


def test_a_read_shares_the_short_texts_of_fields_between_rows(store: Store) -> None:
    # A fold keeps the entity ids of hundreds of thousands of facts: one text per id, not one
    # per event that names it.
    store.catalog.create("libya", "UTC")
    text = "x" * 65
    store.log.append(
        [
            new_event("libya", "clash", "2020-05-18", actors=["gna", "lna"], place="sirte"),
            new_event("libya", "clash", "2020-05-19", actors=["lna"], place="sirte"),
            new_event("libya", "note", "2020-05-20", text=text),
            new_event("libya", "note", "2020-05-21", text=text),
        ]
    )
    first, second, third, fourth = store.log.select(EventQuery("libya", order="recorded"))
    assert first.fields == {"actors": ["gna", "lna"], "place": "sirte"}
    assert first.fields["place"] is second.fields["place"]
    assert first.fields["actors"][1] is second.fields["actors"][0]
    # Long texts are kept as read: notes and names of their own are rarely repeated.
    assert third.fields["text"] == fourth.fields["text"] == text
    assert third.fields["text"] is not fourth.fields["text"]


# -- get -------------------------------------------------------------------------------------


def test_get_by_id_and_prefix(libya: Store) -> None:
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
    assert libya.log.get(event.id[:8].upper()).id == event.id
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
    # A LIKE or GLOB wildcard in a prefix is a character, not a pattern.
    for pattern in ("aaaaaaaa%", "aaaaaaa_", "aaaaaaaa*", "aaaaaaa?", "aaaaaaa[a]"):
        with pytest.raises(NotFound):
            libya.log.get(pattern)


# -- append-only and tamper evidence -----------------------------------------------------------


def test_a_source_record_is_stored_as_the_dataset_gave_it(libya: Store) -> None:
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


def test_verify_a_clean_log(libya: Store) -> None:
    assert libya.log.verify().ok
    assert libya.log.verify().checked == 0
    libya.log.append([note("libya", "2019"), note("libya", "2020")])
    libya.log.append([note("libya", "2021", origin=Origin("ucdp:7", 1, "f" * 64, 3))])
    result = libya.log.verify()
    assert result.ok
    assert result.checked == 3
    assert result.first_bad_seq is None


@pytest.mark.parametrize(
    ("how", "bad_seq", "reason"),
    [("edit", 3, "content"), ("delete", 4, "link")],
    ids=["edited", "deleted"],
)
def test_verify_detects_tampering(libya: Store, how: str, bad_seq: int, reason: str) -> None:
    libya.log.append([note("libya", f"20{n:02d}") for n in range(5)])
    tamper(libya, how, 3)

    result = libya.log.verify()
    assert not result.ok
    assert result.first_bad_seq == bad_seq
    assert reason in (result.reason or "")
    assert result.checked == 2


def appended_in_batches(store: Store) -> None:
    # Three appends: the chain's head is recorded after each (seq 2, 4 and 6).
    for batch in range(3):
        store.log.append([note("libya", f"20{2 * batch + n:02d}") for n in range(2)])


@pytest.mark.parametrize(
    ("after", "missing_head"), [(5, 6), (4, 6), (0, 2)], ids=["last row", "last batch", "every row"]
)
def test_verify_finds_rows_removed_from_the_end(
    libya: Store, after: int, missing_head: int
) -> None:
    appended_in_batches(libya)
    truncate(libya, after)
    result = libya.log.verify()
    assert not result.ok
    assert result.first_bad_seq == missing_head  # the first head recorded past the new end
    assert "removed from its end" in (result.reason or "")


def test_verify_finds_a_chain_hashed_again_from_an_edited_row(libya: Store) -> None:
    appended_in_batches(libya)
    rehash_from(libya, 3)
    result = libya.log.verify()
    assert not result.ok
    assert result.first_bad_seq == 4  # the first recorded head after the edit
    assert "re-hashed" in (result.reason or "")


def test_verify_reports_the_head_and_checks_an_expected_one(libya: Store) -> None:
    assert libya.log.verify().head is None
    libya.log.append([note("libya", "2019")])
    first = libya.log.verify().head
    assert first is not None
    assert first[0] == 1
    appended_in_batches(libya)
    head = libya.log.verify().head
    assert head is not None
    assert head[0] == 7
    assert libya.log.verify(expect_head=first[1]).ok  # an earlier head is still in the log
    assert libya.log.verify(expect_head=head[1]).ok
    missing = libya.log.verify(expect_head="0" * 64)
    assert not missing.ok
    assert "no row has the expected head" in (missing.reason or "")


def test_verify_accepts_rows_of_an_older_kind_version(libya: Store) -> None:
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


def test_a_query_keeps_the_events_of_one_dataset(libya: Store) -> None:
    acled = note("libya", "2019-01", origin=Origin("acled:LBY1"))
    ucdp = note("libya", "2019-02", origin=Origin("ucdp:7"))
    lookalike = note("libya", "2019-03", origin=Origin("ACLED:LBY2"))  # another dataset
    bare = note("libya", "2019-04", origin=Origin("LBY3"))  # no dataset prefix: its own
    own = note("libya", "2019-05")
    libya.log.append([acled, ucdp, lookalike, bare, own])

    def of(dataset: str, **more: Any) -> list[str]:
        return ids(libya.log.select(EventQuery("libya", dataset=dataset, **more)))

    assert of("acled") == [acled.id]
    assert of("ucdp") == [ucdp.id]
    assert of("timeline") == [bare.id, own.id]
    assert of("acled", valid_from=parse_fuzzy("2019-02", "UTC").start) == []
    assert of("timeline", valid_from=parse_fuzzy("2019-05", "UTC").start, limit=1) == [own.id]
