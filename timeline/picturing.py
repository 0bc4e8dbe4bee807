"""Pictures from a store: the state as GeoJSON, maps, charts, TimelineJS, HTML reports.

Reads what a picture needs (the answer at an instant, the places, the events of a window)
and hands it to the pure modules of `timeline.pictures`; `timeline.pictures.drawing`, and so
matplotlib, is imported only by the functions that write an image.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from timeline import answers, lookups, resource_dir
from timeline.entities import REGISTRY_KINDS, Registry
from timeline.errors import InvalidInput
from timeline.events import Event
from timeline.pictures import charts, colours, geojson, mapping
from timeline.projections.fatalities import POLICY_KIND
from timeline.projections.history import history
from timeline.store import EventQuery, Store, TimelineInfo
from timeline.store.effective import effective

OUTLINE = "outline.geojson"
# The control chart shows this many places when none are named.
CONTESTED_PLACES = 6


def outline_of(info: TimelineInfo) -> dict[str, Any] | None:
    """The outline shipped beside a timeline's seeds (`seeds/NAME/outline.geojson`), if any."""
    path = resource_dir("seeds") / info.name / OUTLINE
    if not path.is_file():
        return None
    with path.open(encoding="utf-8") as stream:
        loaded: dict[str, Any] = json.load(stream)
    return loaded


def actor_colours(store: Store, info: TimelineInfo, registry: Registry) -> dict[str, str]:
    """Every actor's colour: the actors that ever held a place first, then the others, each
    in the order of their definitions; from the whole log, so that the colours are the same
    whatever the date or the state of knowledge a picture shows."""
    holders = {
        str(e.fields.get("by"))
        for e in store.log.select(EventQuery(info.name, kinds=["control"], with_record=False))
    }
    actors = [e.id for e in registry if e.type == "actor"]
    ordered = [a for a in actors if a in holders] + sorted(holders - set(actors))
    return colours.assign([*ordered, *actors])


def state_geojson(
    store: Store, info: TimelineInfo, answer: Mapping[str, Any], as_known: datetime | None = None
) -> dict[str, Any]:
    """The answer (`Answer.to_json()`) as a GeoJSON FeatureCollection of the timeline's
    located places, as known at `as_known`."""
    registry = lookups.load_registry(store, info.name, as_known)
    return geojson.state_collection(answer, registry)


def map_scene(
    store: Store,
    info: TimelineInfo,
    at: datetime,
    *,
    as_known: datetime | None = None,
    as_published: datetime | None = None,
) -> mapping.Scene:
    """The map of the state at `at` as known at `as_known` and published by `as_published`."""
    answer = answers.state_at(
        store,
        info,
        at,
        as_known=as_known,
        as_published=as_published,
        sections=("control", "offensives"),
        recent_limit=0,
    ).to_json()
    registry = lookups.load_registry(store, info.name, as_known)
    current = registry if as_known is None else lookups.load_registry(store, info.name)
    return mapping.scene(
        answer,
        registry,
        actor_colours(store, info, current),
        outline=outline_of(info),
        title=info.title or info.name,
    )


def draw_map(
    store: Store, info: TimelineInfo, at: datetime, output: Path, *, as_known: datetime | None
) -> mapping.Scene:
    """Write the map of the state at `at` to `output` (.png or .svg); returns its scene."""
    from timeline.pictures import drawing

    drawing.picture_format(output)
    drawing.require_matplotlib()
    scene = map_scene(store, info, at, as_known=as_known)
    drawing.draw(scene, output)
    return scene


def _events(
    store: Store,
    info: TimelineInfo,
    kinds: Sequence[str] | None = None,
    registry: Registry | None = None,
) -> list[Event]:
    query = EventQuery(
        info.name,
        kinds=list(kinds) if kinds else None,
        exclude_kinds=None if kinds else list(REGISTRY_KINDS),
        with_record=False,
    )
    events = effective(store.log, query)
    if registry is None:
        return events
    # Each event as the registry's merges attribute it.
    return [registry.merges.attribute(e) for e in events]


def _window(
    events: Sequence[Event], between: tuple[datetime, datetime] | None
) -> tuple[datetime, datetime]:
    if between is not None:
        start, end = between
        if end <= start:
            raise InvalidInput(
                f"{end.isoformat()} is not after {start.isoformat()}", subject="between"
            )
        return start, end
    if not events:
        raise InvalidInput("the timeline has no events to chart", subject="timeline")
    return min(e.date.start for e in events), max(e.date.end for e in events)


def chart(
    store: Store,
    info: TimelineInfo,
    kind: str,
    *,
    between: tuple[datetime, datetime] | None = None,
    places: Sequence[str] = (),
    per: str = "month",
    by: str = "actor",
) -> charts.BarChart | charts.ControlChart:
    """The data of a chart (`kind` one of `charts.KINDS`) over [start, end) of `between`
    (the whole timeline when None); `places` (names, ids or aliases) for the control chart;
    for the fatalities chart, `per` month or week and `by` actor or dataset."""
    if kind not in charts.KINDS:
        raise InvalidInput(f"{kind!r} is not one of {', '.join(charts.KINDS)}", subject="kind")
    if per not in charts.PERIODS:
        raise InvalidInput(f"{per!r} is not one of {', '.join(charts.PERIODS)}", subject="per")
    if by not in charts.BREAKDOWNS:
        raise InvalidInput(f"{by!r} is not one of {', '.join(charts.BREAKDOWNS)}", subject="by")
    if (per, by) != ("month", "actor") and kind != "fatalities":
        raise InvalidInput(
            f"per {per} by {by}: only the fatalities chart is drawn per week or by dataset",
            subject="per",
        )
    registry = lookups.load_registry(store, info.name)
    if places and kind != "control":
        raise InvalidInput("places are only charted by the control chart", subject="places")
    chosen = [registry.resolve(p, "place", subject="place").id for p in places]
    events = _events(
        store, info, ["control", "control.contested"] if kind == "control" else None, registry
    )
    # A fatality policy is no event of the war: undated, it would stretch the window to year 1.
    start, end = _window([e for e in events if e.kind != POLICY_KIND], between)
    if kind == "events":
        return charts.events_by_month(events, info.zone, start, end)
    palette = actor_colours(store, info, registry)
    if kind == "fatalities":
        names = {e.id: e.name for e in registry if e.type == "actor"}
        return charts.fatalities(events, info.zone, start, end, palette, names, per=per, by=by)
    histories = {
        p.id: history(p.id, "place", events, registry).to_json()
        for p in registry
        if p.type == "place"
    }
    chosen = chosen or charts.most_contested(
        list(histories.values()), start, end, info.zone, CONTESTED_PLACES
    )
    return charts.control_chart([histories[p] for p in chosen], info.zone, start, end, palette)


def draw_chart(
    store: Store,
    info: TimelineInfo,
    kind: str,
    output: Path,
    *,
    between: tuple[datetime, datetime] | None = None,
    places: Sequence[str] = (),
    per: str = "month",
    by: str = "actor",
) -> charts.BarChart | charts.ControlChart:
    """Write a chart to `output` (.png or .svg); returns its data."""
    from timeline.pictures import drawing

    drawing.picture_format(output)
    drawing.require_matplotlib()
    data = chart(store, info, kind, between=between, places=places, per=per, by=by)
    drawing.draw(data, output)
    return data


def report(
    store: Store,
    info: TimelineInfo,
    dates: Sequence[datetime],
    output: Path,
    *,
    as_known: datetime | None = None,
) -> int:
    """Write a self-contained HTML report to `output` (.html): for each date (in time order)
    the map and the briefing, then the fatalities and control charts up to the last date;
    returns how many dates it shows."""
    from timeline.pictures import drawing
    from timeline.pictures import report as page

    if output.suffix.lower() not in (".html", ".htm"):
        raise InvalidInput(f"{str(output)!r}: the file name must end in .html", subject="output")
    if not dates:
        raise InvalidInput("no date to report on", subject="dates")
    drawing.require_matplotlib()
    instants = sorted(set(dates))
    pages = []
    for instant in instants:
        answer = answers.state_at(store, info, instant, as_known=as_known).to_json()
        scene = map_scene(store, info, instant, as_known=as_known)
        pages.append(page.Page(str(answer["at"]), drawing.svg_of(scene), answer))
    events = _events(store, info)
    first = min((e.date.start for e in events), default=instants[-1])
    window = (first, instants[-1]) if first < instants[-1] else None
    figures = [
        (title, drawing.svg_of(chart(store, info, kind, between=window)))
        for title, kind in (
            ("Fatalities per month", "fatalities"),
            ("Who held which place", "control"),
        )
    ]
    title = info.title or info.name
    knowledge = f", as known at {as_known.isoformat()}" if as_known else ""
    output.write_text(page.render(title + knowledge, pages, figures), encoding="utf-8")
    return len(pages)
