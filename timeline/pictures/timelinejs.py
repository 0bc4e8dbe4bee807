"""A timeline's events in the JSON format of TimelineJS3 (Knight Lab's timeline viewer).

Pure module. The document is `{"title", "events", "eras"}`: each event is a slide with a
`start_date` (and an `end_date` when its date is a range) given as `{year, month, day}` down
to the date's precision only, its fuzzy date text as `display_date`, `text.headline` (the
title) and `text.text` (HTML: what the event's fields say, then its sources, linked where they
have a URL), `group` (the kind) and `unique_id` (the event id). Eras are the offensives (from
`offensive.started` to the `offensive.ended` naming it) and the ceasefires in force (from
`ceasefire.in_force` or an `agreement` that puts one in force, to its collapse or end);
those still running end with the last event's date.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from timeline.dates import FuzzyDate, Precision
from timeline.entities import REGISTRY_KINDS, Registry
from timeline.events import Event
from timeline.projections.fatalities import POLICY_KIND

# The parts of a date TimelineJS is given, by the date's precision: no more than is known.
_PARTS = {
    Precision.UNKNOWN: ("year",),
    Precision.YEAR: ("year",),
    Precision.MONTH: ("year", "month"),
    Precision.WEEK: ("year", "month", "day"),
    Precision.DAY: ("year", "month", "day"),
    Precision.MINUTE: ("year", "month", "day", "hour", "minute"),
}
_CEASEFIRE_ENDS = ("ceasefire.collapsed", "ceasefire.ended")


def date_object(instant: datetime, precision: Precision, zone: str) -> dict[str, int]:
    """A TimelineJS date object for an instant, in `zone`, down to `precision`."""
    local = instant.astimezone(ZoneInfo(zone))
    return {part: getattr(local, part) for part in _PARTS[precision]}


def _dates(date: FuzzyDate, zone: str) -> tuple[dict[str, int], dict[str, int] | None]:
    start = date_object(date.start, date.precision, zone)
    # The interval is half-open: its last instant is a microsecond before `end`.
    end = date_object(date.end - timedelta(microseconds=1), date.precision, zone)
    return start, (None if end == start else end)


def _describe(event: Event, registry: Registry) -> str:
    parts = []
    for key, value in event.fields.items():
        if key in ("record", "text") or value in (None, "", []):
            continue
        values = value if isinstance(value, list) else [value]
        shown = ", ".join(registry.name_of(v) if isinstance(v, str) else str(v) for v in values)
        parts.append(f"<b>{html.escape(key)}</b>: {html.escape(shown)}")
    text = event.fields.get("text")
    lines = [f"<p>{html.escape(str(text))}</p>"] if text else []
    if parts:
        lines.append("<p>" + "; ".join(parts) + "</p>")
    sources = []
    for source in event.sources:
        label = html.escape(source.name + (f", {source.published}" if source.published else ""))
        if source.url:
            sources.append(f'<a href="{html.escape(source.url, quote=True)}">{label}</a>')
        else:
            sources.append(label)
    if sources:
        lines.append("<p>Sources: " + "; ".join(sources) + "</p>")
    return "".join(lines)


def _era(start: FuzzyDate, end: datetime, headline: str, zone: str) -> dict[str, Any]:
    first = date_object(start.start, start.precision, zone)
    last = date_object(max(end, start.end) - timedelta(microseconds=1), Precision.DAY, zone)
    return {"start_date": first, "end_date": last, "text": {"headline": headline}}


def _eras(events: list[Event], zone: str) -> list[dict[str, Any]]:
    if not events:
        return []
    final = max(e.date.end for e in events)
    eras = []
    offensives: dict[str, Event] = {}
    ceasefires: dict[str, Event] = {}
    for event in events:
        fields: Mapping[str, Any] = event.fields
        if event.kind == "offensive.started":
            offensives[event.id] = event
        elif event.kind == "offensive.ended":
            named = str(fields.get("offensive", ""))
            for key, started in list(offensives.items()):
                name = str(started.fields.get("name") or started.title)
                if named in (key, name) or named.casefold() == name.casefold():
                    eras.append(_era(started.date, event.date.end, name, zone))
                    del offensives[key]
        elif event.kind == "ceasefire.in_force" or (
            event.kind == "agreement" and fields.get("ceasefire")
        ):
            ceasefires.setdefault(str(fields.get("ceasefire")), event)
        elif event.kind in _CEASEFIRE_ENDS and str(fields.get("ceasefire")) in ceasefires:
            name = str(fields.get("ceasefire"))
            eras.append(_era(ceasefires.pop(name).date, event.date.end, name, zone))
    for started in offensives.values():
        name = str(started.fields.get("name") or started.title)
        eras.append(_era(started.date, final, name, zone))
    for name, started in ceasefires.items():
        eras.append(_era(started.date, final, name, zone))
    return sorted(eras, key=lambda e: tuple(e["start_date"].values()))


def timeline_js(
    events: Iterable[Event], registry: Registry, *, zone: str, title: str, name: str
) -> dict[str, Any]:
    """The TimelineJS3 document of effective events (definitions and policies left out), in fold
    order; `title` heads the title slide, `name` is the timeline's."""
    # Definitions, merges and fatality policies are no events of the war.
    shown = [e for e in events if e.kind not in REGISTRY_KINDS and e.kind != POLICY_KIND]
    slides = []
    for event in shown:
        start, end = _dates(event.date, zone)
        slide: dict[str, Any] = {
            "start_date": start,
            "display_date": event.date.text,
            "text": {
                "headline": html.escape(event.title),
                "text": _describe(event, registry),
            },
            "group": event.kind,
            "unique_id": event.id,
        }
        if end is not None:
            slide["end_date"] = end
        slides.append(slide)
    return {
        "title": {"text": {"headline": html.escape(title), "text": html.escape(name)}},
        "events": slides,
        "eras": _eras(shown, zone),
    }
