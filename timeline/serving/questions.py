"""The questions the server answers: one function per endpoint, from a store and a query to
the document the command line prints for the same question.

Each calls the library functions the `timeline` command calls (`answers.state_at`,
`api.list_events`, `picturing.state_geojson`, ...) and shapes nothing of its own, except the
two documents only the web page asks for (`range`, `map.json`). Nothing here knows HTTP:
`timeline.serving.app` turns these into responses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from timeline import answers, api, picturing
from timeline.dates import OPEN_END, format_instant, from_micros, parse_fuzzy, to_micros
from timeline.documents import event_record
from timeline.events import Event
from timeline.folding import FoldCache
from timeline.serving.parameters import BadParameter, Cursor, Query
from timeline.store import EventQuery, Store, TimelineInfo

# What the knowledge slider and every question can be asked "as of": what the database had
# recorded by then, what had been published by then, or both; each reaches every question
# below that takes `**knowledge(...)`.
KNOWLEDGE = ("as_known", "as_published")

# The events endpoint's page size: by default, and at most.
PAGE = 100
MAX_PAGE = 1000
# The `recent` section of an answer, as `timeline at --recent` takes it.
RECENT = 25
MAX_RECENT = 200


@dataclass(frozen=True, slots=True)
class Reply:
    """What a question answers: a JSON value (or text, for SVG), and for a page of a listing
    the cursor of the next page, if there is one."""

    body: Any
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class Folds:
    """The server's fold states, and the log's head as the question's transaction sees it
    (the server reads it for the ETag: the answers need not read it again)."""

    cache: FoldCache
    head: int


@dataclass(frozen=True, slots=True)
class Question:
    """One endpoint: its path under /api/, the parameters it takes, what it answers with
    (from a store, the query, and the server's fold states, which only the answers at an
    instant use), and which of its parameters carries each argument the library may
    complain about."""

    path: str
    parameters: tuple[str, ...]
    media_type: str
    answer: Callable[[Store, Query, Folds], Reply]
    subjects: dict[str, str] = field(default_factory=dict)


def _timeline(store: Store, query: Query) -> TimelineInfo:
    return api.pick_timeline(store, query.one("timeline"))


class Knowledge(TypedDict):
    """The library's knowledge-bound keyword arguments."""

    as_known: datetime | None
    as_published: datetime | None


def knowledge(query: Query, zone: str) -> Knowledge:
    """The knowledge time(s) a question is asked at, as the library's keyword arguments."""
    return {
        "as_known": query.instant("as_known", zone),
        "as_published": query.instant("as_published", zone),
    }


def timelines(store: Store, query: Query, folds: Folds) -> Reply:
    """`timeline timelines --format json`."""
    return Reply(api.timeline_records(store))


def _answer(
    store: Store, query: Query, info: TimelineInfo, folds: Folds, *, shared: bool = False
) -> dict[str, Any]:
    return answers.state_at(
        store,
        info,
        query.required_instant("date", info.zone),
        **knowledge(query, info.zone),
        sections=query.values("section"),
        entities=query.values("entity"),
        recent_limit=query.integer("recent", RECENT, 0, MAX_RECENT),
        cache=folds.cache,
        head=folds.head,
    ).to_json(shared=shared)


def at(store: Store, query: Query, folds: Folds) -> Reply:
    """`timeline at DATE --format json`."""
    # Serialised as soon as it is returned and never changed: no copy of the facts.
    return Reply(_answer(store, query, _timeline(store, query), folds, shared=True))


def state_geojson(store: Store, query: Query, folds: Folds) -> Reply:
    """`timeline at DATE --format geojson`."""
    info = _timeline(store, query)
    answer = _answer(store, query, info, folds)
    return Reply(picturing.state_geojson(store, info, answer, query.instant("as_known", info.zone)))


def diff(store: Store, query: Query, folds: Folds) -> Reply:
    """`timeline diff D1 D2 --format json` (`net=true`: `--net`)."""
    info = _timeline(store, query)
    first = query.required_instant("from", info.zone)
    second = query.required_instant("to", info.zone)
    return Reply(
        answers.diff_between(
            store,
            info,
            first,
            second,
            **knowledge(query, info.zone),
            cache=folds.cache,
            head=folds.head,
            net=query.flag("net"),
        ).to_json()
    )


def history(store: Store, query: Query, folds: Folds) -> Reply:
    """`timeline history ENTITY --format json`."""
    info = _timeline(store, query)
    return Reply(
        answers.history_of(
            store, info, query.required("entity"), **knowledge(query, info.zone)
        ).to_json()
    )


def events(store: Store, query: Query, folds: Folds) -> Reply:
    """`timeline events --format json`, a page at a time: at most `limit` events, and the
    cursor of the next page while there are more."""
    info = _timeline(store, query)
    first, last = query.fuzzy("from", info.zone), query.fuzzy("to", info.zone)
    if (first is None) != (last is None):
        missing = "to" if last is None else "from"
        raise BadParameter(missing, None, "required with 'from' and 'to' (give both or neither)")
    limit = query.integer("limit", PAGE, 1, MAX_PAGE)
    token = query.one("cursor")
    cursor = Cursor.decode(token) if token is not None else None
    if cursor is not None:
        known = cursor.known
    else:
        # Pinned to what was recorded when the first page was read: later pages list the
        # same log, whatever imports add in between.
        known = query.instant("as_known", info.zone) or store.log.recording_head(info.name)
    found = api.list_events(
        store,
        info,
        kinds=query.values("kind"),
        between=(first, last) if first is not None and last is not None else None,
        entity=query.one("entity"),
        as_known=known,
        as_published=query.instant("as_published", info.zone),
        starting=from_micros(cursor.valid_from) if cursor is not None else None,
    )
    page: list[Event] = []
    more = None
    for event in found:
        key = (to_micros(event.date.start), to_micros(event.date.end), event.seq)
        if cursor is not None and key <= (cursor.valid_from, cursor.valid_to, cursor.seq):
            continue
        if len(page) == limit:
            more = page[-1]
            break
        page.append(event)
    if hasattr(found, "close"):
        found.close()
    after = None
    if more is not None:
        after = Cursor(known, to_micros(more.date.start), to_micros(more.date.end), more.seq)
    return Reply([event_record(e) for e in page], after.encode() if after else None)


def map_svg(store: Store, query: Query, folds: Folds) -> Reply:
    """`timeline map DATE -o map.svg`: the map drawn with matplotlib (the `pictures` extra)."""
    from timeline.pictures import drawing

    drawing.require_matplotlib()
    return Reply(drawing.svg_of(_scene(store, query)))


def map_json(store: Store, query: Query, folds: Folds) -> Reply:
    """The map's geometry, as `map.svg` draws it (in points, origin at the lower left): the
    web page draws it in the browser, without matplotlib."""
    return Reply(dataclasses.asdict(_scene(store, query)))


def _scene(store: Store, query: Query) -> Any:
    info = _timeline(store, query)
    instant = query.required_instant("date", info.zone)
    return picturing.map_scene(store, info, instant, **knowledge(query, info.zone))


def timeline_range(store: Store, query: Query, folds: Folds) -> Reply:
    """What the web page's sliders run over: the timeline's days (in its zone) and the span
    of its recording times."""
    info = _timeline(store, query)
    summary = next(t for t in store.catalog.summaries() if t.name == info.name)
    zone = ZoneInfo(info.zone)
    days = None
    if summary.first is not None and summary.last is not None:
        start = parse_fuzzy(summary.first, info.zone).start
        last = parse_fuzzy(summary.last, info.zone)
        # The interval is half-open: its last day is the one before its end; an open-ended
        # last date ("2019/..") ends the range where it starts.
        end = last.end if last.end < OPEN_END else last.start + timedelta(days=1)
        days = {
            "first": start.astimezone(zone).date().isoformat(),
            "last": (end - timedelta(microseconds=1)).astimezone(zone).date().isoformat(),
        }
    first_recorded = next(
        iter(store.log.select(EventQuery(info.name, order="recorded", limit=1, with_record=False))),
        None,
    )
    head = store.log.recording_head(info.name)
    known = None
    if first_recorded is not None and head is not None:
        known = {"first": format_instant(first_recorded.recorded_at), "last": format_instant(head)}
    return Reply(
        {
            "timeline": info.name,
            "zone": info.zone,
            "title": info.title,
            "events": summary.events,
            "days": days,
            "known": known,
        }
    )


_AT = ("timeline", "date", *KNOWLEDGE, "section", "entity", "recent")
_DATE = ("timeline", "date", *KNOWLEDGE)
# The library names the arguments of its calls (`subject`); the server, its parameters.
_COMMON = {
    "timeline": "timeline",
    "as_known": "as_known",
    "as_published": "as_published",
    "entity": "entity",
}

QUESTIONS = {
    q.path: q
    for q in (
        Question("timelines", (), "application/json", timelines),
        Question("range", ("timeline",), "application/json", timeline_range, _COMMON),
        Question(
            "at", _AT, "application/json", at, {**_COMMON, "section": "section", "at": "date"}
        ),
        Question(
            "state.geojson",
            _AT,
            "application/geo+json",
            state_geojson,
            {**_COMMON, "section": "section", "at": "date"},
        ),
        Question(
            "diff",
            ("timeline", "from", "to", *KNOWLEDGE, "net"),
            "application/json",
            diff,
            {**_COMMON, "first": "from", "second": "to"},
        ),
        Question(
            "history", ("timeline", "entity", *KNOWLEDGE), "application/json", history, _COMMON
        ),
        Question(
            "events",
            ("timeline", "kind", "from", "to", "entity", *KNOWLEDGE, "limit", "cursor"),
            "application/json",
            events,
            {**_COMMON, "kind": "kind", "between": "from"},
        ),
        Question("map.svg", _DATE, "image/svg+xml", map_svg, {**_COMMON, "at": "date"}),
        Question("map.json", _DATE, "application/json", map_json, {**_COMMON, "at": "date"}),
    )
}
