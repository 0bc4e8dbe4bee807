"""Hypothesis strategies: random valid logs of effective events over a few actors and places."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from hypothesis import strategies as st

from timeline.dates import parse_fuzzy
from timeline.events import Event, Source

from .helpers import RECORDED

ACTORS = ["a1", "a2"]
PLACES = ["p1", "p2"]
NAMES = ["Op One", "op one", "Op Two"]
CEASEFIRES = ["C1", "c2"]
ITEMS = ["drones", "Drones", "tanks"]
SUPPORT_KINDS = ["air", "arms", "drones"]
SOURCES = [
    Source("Agency A", published="2020-01-01"),
    Source("Agency B", url="https://b.example"),
    Source("Paper (Agency A)", published="2020-01-02"),
]
KINDS = [
    "control",
    "control.contested",
    "offensive.started",
    "offensive.ended",
    "support.started",
    "support.ended",
    "deployment",
    "withdrawal",
    "materiel.transferred",
    "materiel.lost",
    "ceasefire.proposed",
    "ceasefire.in_force",
    "ceasefire.violated",
    "ceasefire.collapsed",
    "ceasefire.ended",
    "agreement",
    "statement",
    "claim",
    "denial",
    "clash",
    "strike",
    "note",
    "actor.defined",
]
# The kinds that make and unmake facts come up more often, so that short logs still meet a
# withdrawal of forces that were deployed, the end of a started offensive, and so on.
WEIGHTED = [*KINDS, *["control", "deployment", "withdrawal", "support.started"] * 2]
WEIGHTED += ["support.ended", "offensive.started", "offensive.ended", "claim", "denial"]
# The kinds that make and unmake the facts a history follows, and one that touches none of
# them: long logs of these meet the rarer turns (forces back before a withdrawal is over,
# support renewed before its end is) in about one example in four.
FACT_KINDS = [
    "control",
    "control",
    "control.contested",
    "deployment",
    "deployment",
    "withdrawal",
    "withdrawal",
]
FACT_KINDS += ["support.started", "support.started", "support.ended", "note"]

FIRST_DAY = date(2020, 1, 1)
DAYS = 90
START = datetime(2019, 12, 20, tzinfo=UTC)  # instants to answer at range from here
SPAN_MINUTES = 200 * 24 * 60

# Strategies are built once, here, rather than inside the composites below on every draw:
# a new strategy is validated each time it is drawn from, which cost most of the time of
# the property tests (same values either way).
actors = st.sampled_from(ACTORS)
places = st.sampled_from(PLACES)
maybe_place = st.none() | places
_DAY_OFFSETS = st.integers(0, DAYS)
_DATE_FORMS = st.sampled_from(["day", "day", "day", "month", "week", "minute", "interval"])
_HOURS = st.integers(0, 23)
_MINUTES = st.integers(0, 59)
_INTERVAL_DAYS = st.integers(1, 40)
_DAY_SUFFIXES = st.sampled_from(["", "", "~", "?"])
_BOOLEANS = st.booleans()
_NAMES = st.sampled_from(NAMES)
_CEASEFIRES = st.sampled_from(CEASEFIRES)
_ITEMS = st.sampled_from(ITEMS)
_HOW_LOST = st.sampled_from(["destroyed", "captured", "lost", "withdrawn"])
_STRENGTHS = st.integers(1, 1000)
_COUNTS = st.integers(0, 50)
_PARTIES = st.lists(actors, max_size=2)
_CONTESTING = st.lists(actors, min_size=1, max_size=2)
_SUPPORT_KINDS = st.lists(st.sampled_from(SUPPORT_KINDS), max_size=2)
_ABOUT = st.lists(actors | places, max_size=2)
_ONE_IN_FOUR = st.integers(0, 3)
_FATALITIES = st.integers(0, 30)
_SOURCE_LISTS = st.lists(st.sampled_from(SOURCES), max_size=2, unique=True)


@st.composite
def date_texts(draw: st.DrawFn) -> str:
    """A fuzzy date text: a day, a month, a week, a minute, or an interval of days."""
    day = FIRST_DAY + timedelta(days=draw(_DAY_OFFSETS))
    form = draw(_DATE_FORMS)
    if form == "month":
        return f"{day:%Y-%m}"
    if form == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if form == "minute":
        return f"{day:%Y-%m-%d}T{draw(_HOURS):02d}:{draw(_MINUTES):02d}"
    if form == "interval":
        last = day + timedelta(days=draw(_INTERVAL_DAYS))
        return f"{day:%Y-%m-%d}/{last:%Y-%m-%d}"
    return f"{day:%Y-%m-%d}" + draw(_DAY_SUFFIXES)


def _optional(draw: st.DrawFn, fields: dict[str, Any], name: str, strategy: Any) -> None:
    if draw(_BOOLEANS):
        fields[name] = draw(strategy)


@cache
def _kinds(kinds: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(kinds)


@cache
def _refs(n: int) -> st.SearchStrategy[str]:
    return st.integers(1, n).map(lambda i: f"e{i}")


@st.composite
def kind_fields(draw: st.DrawFn, n: int, kinds: list[str] = WEIGHTED) -> tuple[str, dict[str, Any]]:
    """A kind (one of `kinds`) and valid fields for it; event references are ids e1..en."""
    return _kind_fields(draw, n, kinds)


def _kind_fields(draw: st.DrawFn, n: int, kinds: list[str]) -> tuple[str, dict[str, Any]]:
    kind = draw(_kinds(tuple(kinds)))
    ref = _refs(n)
    fields: dict[str, Any] = {}
    if kind == "control":
        fields = {"place": draw(places), "by": draw(actors)}
        _optional(draw, fields, "from", actors)
        _optional(draw, fields, "partial", _BOOLEANS)
    elif kind == "control.contested":
        fields = {"place": draw(places), "parties": draw(_CONTESTING)}
    elif kind == "offensive.started":
        fields = {"actor": draw(actors), "name": draw(_NAMES)}
        _optional(draw, fields, "target", places)
    elif kind == "offensive.ended":
        fields = {"offensive": draw(ref | _NAMES)}
    elif kind in ("support.started", "support.ended"):
        fields = {"backer": draw(actors), "backed": draw(actors)}
        _optional(draw, fields, "kinds", _SUPPORT_KINDS)
    elif kind == "deployment":
        fields = {"actor": draw(actors)}
        _optional(draw, fields, "place", places)
        _optional(draw, fields, "strength", _STRENGTHS)
        _optional(draw, fields, "on_behalf_of", actors)
    elif kind == "withdrawal":
        fields = {"actor": draw(actors)}
        _optional(draw, fields, "place", places)
        _optional(draw, fields, "strength", _STRENGTHS)
        _optional(draw, fields, "complete", _BOOLEANS)
    elif kind == "materiel.transferred":
        fields = {"item": draw(_ITEMS)}
        _optional(draw, fields, "count", _COUNTS)
        _optional(draw, fields, "place", places)
        _optional(draw, fields, "holder", actors)
        _optional(draw, fields, "supplier", actors)
    elif kind == "materiel.lost":
        how = draw(_HOW_LOST)
        fields = {"item": draw(_ITEMS), "how": how}
        _optional(draw, fields, "count", _COUNTS)
        _optional(draw, fields, "place", places)
        _optional(draw, fields, "holder", actors)
        _optional(draw, fields, "supplier", actors)
        if how == "captured":
            _optional(draw, fields, "captured_by", actors)
    elif kind.startswith("ceasefire."):
        fields = {"ceasefire": draw(_CEASEFIRES)}
        name = "by" if kind == "ceasefire.violated" else "parties"
        _optional(draw, fields, name, _PARTIES)
    elif kind == "agreement":
        fields = {"name": "deal", "parties": draw(_PARTIES)}
        _optional(draw, fields, "ceasefire", _CEASEFIRES)
    elif kind in ("statement", "claim"):
        fields = {"by": draw(actors), "text": "says so"}
        _optional(draw, fields, "about", _ABOUT)
        if kind == "claim":
            _optional(draw, fields, "asserts", ref)
    elif kind == "denial":
        fields = {"by": draw(actors), "denies": draw(ref)}
    elif kind in ("clash", "strike", "note"):
        _optional(draw, fields, "actors", _PARTIES)
        _optional(draw, fields, "place", places)
        if kind == "strike":
            _optional(draw, fields, "by", actors)
    elif kind == "actor.defined":
        fields = {"actor": draw(actors), "name": "An actor"}
    if kind not in ("actor.defined",) and draw(_ONE_IN_FOUR) == 0:
        fields["fatalities"] = draw(_FATALITIES)
    return kind, fields


def _key(text: str) -> tuple[datetime, datetime]:
    parsed = parse_fuzzy(text, "UTC")
    return parsed.start, parsed.end


@cache
def _date_text_lists(min_size: int, max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(date_texts(), min_size=min_size, max_size=max_size, unique_by=_key)


@st.composite
def logs(
    draw: st.DrawFn, min_size: int = 3, max_size: int = 25, kinds: list[str] = WEIGHTED
) -> list[Event]:
    """A log of effective events with distinct (start, end), so fold order never ties; their
    kinds are drawn from `kinds`."""
    texts = draw(_date_text_lists(min_size, max_size))
    events = []
    for i, text in enumerate(texts, start=1):
        kind, fields = _kind_fields(draw, len(texts), kinds)
        sources = tuple(draw(_SOURCE_LISTS))
        events.append(
            Event(
                seq=i,
                id=f"e{i}",
                timeline="t",
                kind=kind,
                title=f"{kind} {i}",
                date=parse_fuzzy(text, "UTC"),
                fields=fields,
                recorded_at=RECORDED,
                sources=sources,
            )
        )
    return events


instants = st.integers(0, SPAN_MINUTES).map(lambda m: START + timedelta(minutes=m))


@st.composite
def logs_and_instants(
    draw: st.DrawFn, min_size: int = 12, max_size: int = 30
) -> tuple[list[Event], datetime]:
    """A log and an instant to answer at, placed among the log's events (uniform instants
    would mostly fall before or after all of them): shortly after one event's start, where
    intervals straddle it, or after the last event."""
    events = draw(logs(min_size=min_size, max_size=max_size))
    starts = sorted(e.date.start for e in events)
    anchor = starts[draw(st.integers(len(starts) // 2, len(starts) - 1))]
    offset = draw(
        st.sampled_from([timedelta(microseconds=1), timedelta(hours=12), timedelta(days=3)])
        | st.integers(1, 60 * 24 * 40).map(lambda m: timedelta(minutes=m))
    )
    return events, anchor + offset
