"""The geometry of a map of the state at an instant: projection, extent, markers and labels.

Pure module. A `Scene` is in points (1/72 inch) on a canvas whose origin is the lower left
corner, so that the drawing only has to copy it: markers are where the projection puts their
places, labels are where the greedy placement found room for them, and the outline is a list
of projected rings.

The projection is equirectangular with the longitudes shrunk by the cosine of the middle
latitude: over one country it keeps shapes close to true, and needs no projection library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from timeline.entities import Entity
from timeline.errors import InvalidInput
from timeline.pictures.colours import NOBODY

Box = tuple[float, float, float, float]  # x0, y0, x1, y1
Point = tuple[float, float]

WIDTH = 640.0  # the map's width in points, without the legend
MARGIN = 24.0
TITLE_HEIGHT = 40.0
LEGEND_WIDTH = 210.0
FONT_SIZE = 7.0
MARKER_RADIUS = 4.5
# DejaVu Sans, matplotlib's default font: its average glyph is about 0.6 em wide.
CHAR_WIDTH = 0.6
LINE_HEIGHT = 1.25
# Where a label may sit around its marker, tried in this order: right, left, above, below,
# then the diagonals (as unit directions; the gap keeps the text off the marker).
_SPOTS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1))
_GAP = MARKER_RADIUS + 1.5


@dataclass(frozen=True)
class Projection:
    """Longitude/latitude to canvas points: x = (lon - west) * k * scale + dx, and so on."""

    west: float
    south: float
    k: float  # cos of the middle latitude
    scale: float  # points per degree of latitude
    dx: float
    dy: float

    def __call__(self, lon: float, lat: float) -> Point:
        return (
            (lon - self.west) * self.k * self.scale + self.dx,
            (lat - self.south) * self.scale + self.dy,
        )


def fit(bounds: Box, width: float = WIDTH, margin: float = MARGIN) -> tuple[Projection, float]:
    """The projection that fits `bounds` (west, south, east, north, in degrees) into `width`
    points less the margins, and the height of the map it makes."""
    west, south, east, north = bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidInput(f"{bounds!r} are not west, south, east, north in degrees")
    k = math.cos(math.radians((south + north) / 2))
    # A single place (or a line of them) still gets a map a degree wide around it.
    span_x = max((east - west) * k, 1.0)
    span_y = max(north - south, 1.0)
    scale = min((width - 2 * margin) / span_x, (width - 2 * margin) / span_y)
    used_x, used_y = (east - west) * k * scale, (north - south) * scale
    height = span_y * scale + 2 * margin
    projection = Projection(west, south, k, scale, (width - used_x) / 2, (height - used_y) / 2)
    return projection, height


def bounds_of(points: Iterable[Point], pad: float = 0.05) -> Box:
    """West, south, east, north of lon/lat points, widened by `pad` of their span (at least
    a tenth of a degree, so that a marker never sits on the frame)."""
    lons, lats = [], []
    for lon, lat in points:
        lons.append(lon)
        lats.append(lat)
    if not lons:
        raise InvalidInput("nothing with coordinates to draw", subject="places")
    px = max((max(lons) - min(lons)) * pad, 0.1)
    py = max((max(lats) - min(lats)) * pad, 0.1)
    return (
        max(min(lons) - px, -180.0),
        max(min(lats) - py, -90.0),
        min(max(lons) + px, 180.0),
        min(max(lats) + py, 90.0),
    )


def outline_rings(geojson: Mapping[str, Any]) -> list[list[Point]]:
    """The rings of every Polygon and MultiPolygon in a GeoJSON object, as lon/lat lists."""
    rings: list[list[Point]] = []

    def geometry(value: Mapping[str, Any]) -> None:
        kind = value.get("type")
        if kind == "FeatureCollection":
            for feature in value.get("features", ()):
                geometry(feature)
        elif kind == "Feature" and value.get("geometry"):
            geometry(value["geometry"])
        elif kind == "Polygon":
            rings.extend([(float(x), float(y)) for x, y, *_ in r] for r in value["coordinates"])
        elif kind == "MultiPolygon":
            for polygon in value["coordinates"]:
                rings.extend([(float(x), float(y)) for x, y, *_ in r] for r in polygon)

    geometry(geojson)
    return rings


def text_box(text: str, x: float, y: float, dx: int, dy: int, size: float = FONT_SIZE) -> Box:
    """The box a one-line label of `text` takes beside the point (x, y) in direction
    (dx, dy): to the right of it, left of it, centred above or below it, or at a corner."""
    w, h = len(text) * CHAR_WIDTH * size, LINE_HEIGHT * size
    if dx > 0:
        x0 = x + _GAP
    elif dx < 0:
        x0 = x - _GAP - w
    else:
        x0 = x - w / 2
    if dy > 0:
        y0 = y + _GAP * (0.6 if dx else 1)
    elif dy < 0:
        y0 = y - _GAP * (0.6 if dx else 1) - h
    else:
        y0 = y - h / 2
    return (x0, y0, x0 + w, y0 + h)


def overlaps(a: Box, b: Box) -> bool:
    """Whether two boxes share more than an edge."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(box: Box, frame: Box) -> bool:
    """Whether `box` lies within `frame`."""
    return frame[0] <= box[0] and box[2] <= frame[2] and frame[1] <= box[1] and box[3] <= frame[3]


def place_labels(
    anchors: Sequence[tuple[str, float, float]],
    frame: Box,
    *,
    avoid: Sequence[Box] = (),
    size: float = FONT_SIZE,
) -> list[Box | None]:
    """Greedy label placement: for each (text, x, y), in order (most important first), the
    first spot around its point whose box stays in `frame` and overlaps neither a label placed
    before nor any box in `avoid` (the markers); None when no spot is free."""
    placed: list[Box] = []
    result: list[Box | None] = []
    for text, x, y in anchors:
        found = None
        for dx, dy in _SPOTS:
            box = text_box(text, x, y, dx, dy, size)
            if not inside(box, frame):
                continue
            if any(overlaps(box, other) for other in placed) or any(
                overlaps(box, other) for other in avoid
            ):
                continue
            found = box
            break
        if found is not None:
            placed.append(found)
        result.append(found)
    return result


@dataclass(frozen=True)
class Marker:
    """One located place on the map, as the state at the instant has it."""

    place: str
    name: str
    x: float
    y: float
    controller: str | None
    controller_name: str | None
    colour: str
    certain: bool
    contested: bool
    targeted_by: tuple[str, ...]

    def box(self) -> Box:
        """The square the marker covers."""
        r = MARKER_RADIUS
        return (self.x - r, self.y - r, self.x + r, self.y + r)


@dataclass(frozen=True)
class Label:
    """A place's name, at the box the placement found for it."""

    text: str
    box: Box


@dataclass(frozen=True)
class Scene:
    """Everything a map shows, in canvas points (origin at the lower left)."""

    width: float  # the map's, without the legend
    height: float  # the map's, without the title
    title: str
    subtitle: str
    outline: tuple[tuple[Point, ...], ...]
    markers: tuple[Marker, ...]
    labels: tuple[Label, ...]
    legend: tuple[tuple[str, str], ...]  # (actor name, colour), in the markers' order
    font_size: float = FONT_SIZE


def fought_over(held: Mapping[str, Any]) -> bool:
    """Whether a place's control (an item of an answer's `control`) is in question: contested
    between parties, divided between sides, or resting on an event someone denies."""
    return held.get("status") in ("contested", "divided") or bool(held.get("contested"))


def scene(
    answer: Mapping[str, Any],
    places: Iterable[Entity],
    colours: Mapping[str, str],
    *,
    outline: Mapping[str, Any] | None = None,
    title: str = "",
    width: float = WIDTH,
) -> Scene:
    """The map of an `Answer.to_json()` document: every place of `places` that has
    coordinates, coloured by its controller (`colours` by actor id), over the outline's
    extent (the places' extent when there is no outline)."""
    located = sorted(
        (p for p in places if p.type == "place" and p.lat is not None and p.lon is not None),
        key=lambda p: (p.name.casefold(), p.id),
    )
    rings = outline_rings(outline) if outline else []
    lonlat: list[Point] = [
        (p.lon, p.lat) for p in located if p.lon is not None and p.lat is not None
    ]
    extent = bounds_of([pt for ring in rings for pt in ring] or lonlat, pad=0.02 if rings else 0.05)
    if rings and lonlat:
        # Places outside the outline (a base abroad) widen the map rather than fall off it.
        extent = _union(extent, bounds_of(lonlat))
    projection, height = fit(extent, width)
    control = {c["place"]["id"]: c for c in answer.get("control", ())}
    targets: dict[str, list[str]] = {}
    for offensive in answer.get("offensives", ()):
        if offensive.get("target"):
            targets.setdefault(offensive["target"]["id"], []).append(str(offensive["name"]))
    markers = []
    for place in located:
        x, y = projection(place.lon or 0.0, place.lat or 0.0)  # both set: see `located`
        held = control.get(place.id)
        controller = held["controller"] if held else None
        markers.append(
            Marker(
                place=place.id,
                name=place.name,
                x=x,
                y=y,
                controller=controller["id"] if controller else None,
                controller_name=controller["name"] if controller else None,
                colour=colours.get(controller["id"], NOBODY) if controller else NOBODY,
                certain=bool(held.get("certain", True)) if held else True,
                contested=fought_over(held) if held else False,
                targeted_by=tuple(targets.get(place.id, ())),
            )
        )
    # Labels of places that matter most first: contested, targeted, held, then the rest.
    order = sorted(
        markers,
        key=lambda m: (not m.contested, not m.targeted_by, m.controller is None, m.name),
    )
    boxes = place_labels(
        [(m.name, m.x, m.y) for m in order],
        (0.0, 0.0, width, height),
        avoid=[m.box() for m in markers],
    )
    labels = tuple(Label(m.name, box) for m, box in zip(order, boxes, strict=True) if box)
    legend: dict[str, tuple[str, str]] = {}
    for m in markers:
        if m.controller is not None and m.controller not in legend:
            legend[m.controller] = (m.controller_name or m.controller, m.colour)
    return Scene(
        width=width,
        height=height,
        title=title,
        subtitle=_subtitle(answer),
        outline=tuple(tuple(projection(lon, lat) for lon, lat in ring) for ring in rings),
        markers=tuple(markers),
        labels=labels,
        legend=tuple(sorted(legend.values())),
    )


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _subtitle(answer: Mapping[str, Any]) -> str:
    known = answer.get("as_known")
    knowledge = f"as known at {known}" if known else "with everything recorded"
    return f"{answer.get('timeline')} at {answer.get('at')}, {knowledge}"
