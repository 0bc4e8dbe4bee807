"""Publication time: every store derives when an event was first public, and reads by it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from timeline.dates import UTC, parse_instant
from timeline.events import NewEvent, Source
from timeline.store import EventQuery, Store

from .helpers import correction, ids, note


def dated(timeline: str, date: str, *published: str | None, key: str | None = None) -> NewEvent:
    """A note with one source per publication date given (None: a source with no date)."""
    return replace(
        note(timeline, date, key=key),
        sources=tuple(Source(f"outlet {i}", published=p) for i, p in enumerate(published)),
    )


def test_an_event_is_public_from_its_earliest_dated_source(libya: Store) -> None:
    late, early, month, undated, nothing = (
        dated("libya", "2020-05-10", "2020-05-20"),
        dated("libya", "2020-05-10", "2020-05-20", None, "2020-05-12"),
        dated("libya", "2016-05", "2016-05"),
        dated("libya", "2020-05-10", None),
        dated("libya", "2020-05-10"),
    )
    added = libya.log.append([late, early, month, undated, nothing]).added
    # A day counts from its end, a month from the end of the month (the timeline is UTC).
    expected = {
        late.id: datetime(2020, 5, 21, tzinfo=UTC),
        early.id: datetime(2020, 5, 13, tzinfo=UTC),
        month.id: datetime(2016, 6, 1, tzinfo=UTC),
        undated.id: None,
        nothing.id: None,
    }
    assert {e.id: e.published_at for e in added} == expected
    stored = libya.log.select(EventQuery("libya"))
    assert {e.id: e.published_at for e in stored} == expected


def test_the_reported_time_counts_when_it_is_earlier(libya: Store) -> None:
    reported = datetime(2020, 5, 11, 9, 30, tzinfo=UTC)
    event = replace(dated("libya", "2020-05-10", "2020-05-20"), reported_at=reported)
    alone = replace(dated("libya", "2020-05-10"), reported_at=reported)
    libya.log.append([event, alone])
    assert libya.log.get(event.id).published_at == reported
    assert libya.log.get(alone.id).published_at == reported


def test_publication_dates_are_read_in_the_timelines_zone(store: Store) -> None:
    store.catalog.create("tripoli", "Africa/Tripoli")
    event = dated("tripoli", "2020-05-18", "2020-05-18")
    store.log.append([event])
    # The end of 18 May in Tripoli (UTC+2): the instant `at 2020-05-18` means there.
    assert store.log.get(event.id).published_at == parse_instant("2020-05-18", "Africa/Tripoli")


def test_select_by_publication(libya: Store) -> None:
    first = dated("libya", "2020-05-01", "2020-05-02", key="first")
    second = dated("libya", "2020-05-03", "2020-05-09", key="second")
    undated = dated("libya", "2020-05-02", None, key="undated")
    libya.log.append([first, second, undated])

    def select(**bounds: Any) -> list[str]:
        return ids(libya.log.select(EventQuery("libya", **bounds)))

    assert select(as_published=datetime(2020, 5, 3, tzinfo=UTC)) == [first.id]
    assert select(as_published=datetime(2020, 5, 2, 23, 59, tzinfo=UTC)) == []
    assert select(as_published=datetime(2021, 1, 1, tzinfo=UTC)) == [first.id, second.id]
    assert select(published=False) == [undated.id]
    assert select(published=True) == [first.id, second.id]
    assert select() == [first.id, undated.id, second.id]


def test_revisions_are_bounded_by_their_own_publication(libya: Store) -> None:
    event = dated("libya", "2020-05-01", "2020-05-02")
    libya.log.append([event])
    fix = replace(
        correction("libya", event.id, "2020-05-01", text="later"),
        sources=(Source("outlet", published="2020-06-01"),),
    )
    libya.log.append([fix])
    june = datetime(2020, 6, 2, tzinfo=UTC)
    may = datetime(2020, 5, 20, tzinfo=UTC)
    assert ids(libya.log.revisions_of([event.id], as_published=june)) == [fix.id]
    assert libya.log.revisions_of([event.id], as_published=may) == []
    assert ids(libya.log.revisions_of([event.id])) == [fix.id]
