"""Merges of entities: which entity an event's names are attributed to at its date, and the
folds that see it (pure: no store)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.projections import strategies
from tests.projections.helpers import RECORDED, REGISTRY, make, taken_from
from timeline.dates import OPEN_END, OPEN_START, parse_fuzzy
from timeline.entities import REGISTRY_KINDS
from timeline.events import Event
from timeline.folding import fold_everything
from timeline.merges import Merge, Merges, merge_from_event


def at(text: str) -> datetime:
    return parse_fuzzy(text).start


def merge(source: str, target: str, period: str = "../..", seq: int = 100) -> Event:
    """An `actor.merged` event of `source` into `target` over the period its date gives."""
    return Event(
        seq=seq,
        id=f"m{seq}",
        timeline="t",
        kind="actor.merged",
        title=f"{source} merged into {target}",
        date=parse_fuzzy(period),
        fields={"actor": source, "into": target},
        recorded_at=RECORDED,
    )


def test_a_merge_holds_over_its_period_only() -> None:
    merges = Merges([Merge("actor", "gol", "ntc", at("2011-08-24"), at("2012-08-09"))])
    assert merges.target("actor", "gol", at("2011-09-15")) == "ntc"
    assert merges.target("actor", "gol", at("2011-08-23")) == "gol"
    assert merges.target("actor", "gol", at("2012-08-09")) == "gol"
    # Only actors: a place of the same id is not merged.
    assert merges.target("place", "gol", at("2011-09-15")) == "gol"


def test_the_later_recorded_merge_wins_and_merges_chain() -> None:
    merges = Merges.from_events(
        [
            merge("a", "c", "2012/2013", seq=2),
            merge("a", "b", "2011/2014", seq=1),
            merge("c", "d", "2013", seq=3),
        ]
    )
    assert merges.target("actor", "a", at("2011-06")) == "b"
    assert merges.target("actor", "a", at("2012-06")) == "c"
    assert merges.target("actor", "a", at("2013-06")) == "d"  # a into c, c into d
    assert merges.target("actor", "a", at("2015")) == "a"
    assert not merges.merged_whole("actor", "a")
    assert [m.target for m in merges.of("actor", "a")] == ["b", "c"]


def test_a_cycle_is_found_before_it_is_made_and_never_loops() -> None:
    merges = Merges([Merge("actor", "a", "b", at("2011"), at("2013"))])
    assert merges.reaches("actor", "b", "b", at("2020"), at("2021"))
    assert not merges.reaches("actor", "b", "a", at("2011"), at("2013"))
    assert merges.reaches("actor", "a", "b", at("2012"), OPEN_END)
    assert not merges.reaches("actor", "a", "b", at("2013"), OPEN_END)
    # Recorded anyway (a hand-made document), a cycle stops where it would repeat.
    merges.add(Merge("actor", "b", "a"))
    assert merges.target("actor", "a", at("2012")) in ("a", "b")


def test_a_whole_merge_has_no_period() -> None:
    whole = merge_from_event(merge("a", "b"))
    assert whole == Merge("actor", "a", "b", OPEN_START, OPEN_END, "m100", "../..")
    assert whole.whole
    assert Merges([whole]).merged_whole("actor", "a")
    assert merge_from_event(merge("a", "b", "2016-03-30/..")).period == "2016-03-30/.."


def test_every_entity_field_is_attributed_and_lists_keep_one_of_each() -> None:
    merges = Merges(
        [
            Merge("actor", "gol", "ntc", at("2011-08-24"), at("2012-08-09")),
            Merge("place", "sirte-town", "sirte"),
        ]
    )
    clash = make(1, "clash", "2011-09-15", actors=["gol", "ntc"], place="sirte-town")
    assert merges.attribute(clash).fields == {"actors": ["ntc"], "place": "sirte"}
    control = make(2, "control", "2011-10-20", place="sirte-town", by="gol", **taken_from("x"))
    assert merges.attribute(control).fields == {"place": "sirte", "by": "ntc", "from": "x"}
    note = make(3, "note", "2012-01", about=["gol", "sirte-town", "other"])
    assert merges.attribute(note).fields["about"] == ["ntc", "sirte", "other"]
    # An event with nothing merged is the very same event.
    untouched = make(4, "clash", "2013", actors=["gol"], place="misrata")
    assert merges.attribute(untouched) is untouched
    assert Merges().attribute(clash) is clash


def test_the_naive_fold_takes_the_merges_among_its_events() -> None:
    events = [
        make(1, "clash", "2020-01-05", actors=["a1", "a2"], fatalities=3),
        make(2, "clash", "2020-02-05", actors=["a1"], fatalities=4),
        merge("a1", "a3", "2020-02"),
    ]
    fatalities = fold_everything(events).answer(at("2020-03"), REGISTRY, timeline="t").fatalities
    assert fatalities["by_actor"] == {"a1": 3, "a2": 3, "a3": 4}


# -- properties ---------------------------------------------------------------------------------

DAY = timedelta(days=1)


@st.composite
def periods(draw: st.DrawFn) -> tuple[datetime, datetime, str]:
    """A period of whole days over the strategies' span, open at either end or not."""
    first = strategies.FIRST_DAY + draw(st.integers(-5, strategies.DAYS)) * DAY
    last = first + draw(st.integers(0, 60)) * DAY
    since = None if draw(st.integers(0, 4)) == 0 else first
    until = None if draw(st.integers(0, 4)) == 0 else last
    text = f"{since.isoformat() if since else '..'}/{until.isoformat() if until else '..'}"
    parsed = parse_fuzzy(text)
    return parsed.start, parsed.end, text


def renamed(event: Event, start: datetime, end: datetime) -> Event:
    """The event as it would read had its source named a3 for a1 in [start, end): the
    reference the merged fold is held to."""
    if not start <= event.date.start < end or event.kind in REGISTRY_KINDS:
        return event

    def swap(value: Any) -> Any:
        if value == "a1":
            return "a3"
        if isinstance(value, list) and "a1" in value:
            return list(dict.fromkeys(swap(v) for v in value))
        return value

    # `about` takes actors or places; the strategies' place ids never spell an actor's.
    return replace(event, fields={k: swap(v) for k, v in event.fields.items()})


@settings(max_examples=150, deadline=None)
@given(strategies.logs_and_instants(), periods())
def test_a_merge_for_a_period_changes_nothing_outside_it(
    log_and_instant: tuple[list[Event], datetime], period: tuple[datetime, datetime, str]
) -> None:
    events, instant = log_and_instant
    start, end, text = period
    merged = [*events, merge("a1", "a3", text, seq=len(events) + 1)]
    merges = Merges.from_events(merged)
    for event in events:
        attributed = merges.attribute(event)
        if not start <= event.date.start < end:
            assert attributed is event
        assert attributed == renamed(event, start, end)
    # Answers: the merged fold is the fold of the renamed log, and before the period begins
    # it is the fold of the log as recorded.
    with_merge = fold_everything(merged, before=instant).answer(instant, REGISTRY, timeline="t")
    reference = fold_everything([renamed(e, start, end) for e in events], before=instant).answer(
        instant, REGISTRY, timeline="t"
    )
    assert with_merge.to_json() == reference.to_json()
    if instant <= start:
        without = fold_everything(events, before=instant).answer(instant, REGISTRY, timeline="t")
        assert with_merge.to_json() == without.to_json()


@given(st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcd")), max_size=8))
def test_attribution_always_ends_at_an_entity_and_never_loops(pairs: list[tuple[str, str]]) -> None:
    merges = Merges(Merge("actor", s, t) for s, t in pairs if s != t)
    for name in "abcd":
        target = merges.target("actor", name, datetime(2020, 1, 1, tzinfo=UTC))
        assert target in "abcd"
