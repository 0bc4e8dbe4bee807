"""The timeline catalog: creating timelines, finding them, summarising their events."""

from __future__ import annotations

import pytest

from timeline.errors import InvalidInput, NotFound
from timeline.store import Store

from .helpers import new_event, note


def test_timelines_summarise_their_events(store: Store) -> None:
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
def test_create_timeline_rejects_a_bad_name(store: Store, name: str) -> None:
    with pytest.raises(InvalidInput, match="timeline name"):
        store.catalog.create(name, "UTC")
    assert store.catalog.summaries() == []


def test_create_timeline_rejects_a_duplicate(store: Store) -> None:
    store.catalog.create("libya", "Africa/Tripoli")
    with pytest.raises(InvalidInput, match="exists already"):
        store.catalog.create("libya", "UTC")
    assert [(t.name, t.zone) for t in store.catalog.summaries()] == [("libya", "Africa/Tripoli")]


def test_create_timeline_rejects_a_bad_zone(store: Store) -> None:
    with pytest.raises(Exception, match="Mars/Olympus"):
        store.catalog.create("libya", "Mars/Olympus")
    assert store.catalog.summaries() == []


def test_a_bad_zone_is_invalid_input(store: Store) -> None:
    with pytest.raises(InvalidInput, match="Mars/Olympus"):
        store.catalog.create("libya", "Mars/Olympus")


def test_a_timeline_is_found_by_its_exact_name(store: Store) -> None:
    assert store.catalog.names() == []
    with pytest.raises(NotFound, match=r"no timeline 'libya' \(timelines: none\)"):
        store.catalog.get("libya")
    assert store.catalog.zone("libya") is None
    info = store.catalog.create("libya", "Africa/Tripoli", "Libyan civil war")
    assert (info.name, info.zone, info.title) == ("libya", "Africa/Tripoli", "Libyan civil war")
    assert store.catalog.get("libya") == info
    assert store.catalog.zone("libya") == "Africa/Tripoli"
    with pytest.raises(NotFound):
        store.catalog.get("Libya")


def test_summaries_count_each_timeline_apart_and_pass_over_open_dates(store: Store) -> None:
    store.catalog.create("libya", "UTC")
    store.catalog.create("syria", "UTC")
    store.log.append(
        [
            note("libya", "../2011-02"),  # counted, but says nothing of when it begins
            note("libya", "2011-03-19"),
            note("libya", "2014/.."),  # counted; its open end runs latest
            note("syria", "2012"),
            new_event("syria", "place.defined", "../..", place="aleppo", name="Aleppo"),
        ]
    )
    libya, syria = store.catalog.summaries()
    assert (libya.events, libya.first, libya.last) == (3, "2011-03-19", "2014/..")
    assert (syria.events, syria.first, syria.last) == (1, "2012", "2012")
