"""Write seeds/libya/outline.geojson: Libya's border from Natural Earth (public domain), as the
npm package `world-atlas` 2.0.2 redistributes it (countries-50m.json, TopoJSON).

Run once, by hand, with the unpacked package (`npm pack world-atlas && tar xzf world-atlas-*.tgz`):

    python docs/make_outline.py package/countries-50m.json > seeds/libya/outline.geojson

TopoJSON keeps shared borders once, as delta-encoded quantized arcs; a polygon's ring lists the
arcs it runs along (~i: arc i reversed). The ring is decoded here and simplified with
Douglas-Peucker to about 2 km, which a country-sized map cannot show anyway.
"""

from __future__ import annotations

import itertools
import json
import sys
from typing import Any

LIBYA = "434"  # ISO 3166-1 numeric
TOLERANCE = 0.02  # degrees


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Every arc of the topology in lon/lat, undoing the quantization and delta encoding."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((round(x * sx + tx, 5), round(y * sy + ty, 5)))
        arcs.append(points)
    return arcs


def ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """A closed ring from the arcs it runs along; consecutive arcs share an end point."""
    points: list[tuple[float, float]] = []
    for index in indices:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas-Peucker on an open polyline (the ends are kept)."""
    if len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
    worst, far = 0.0, 0
    for i, (x, y) in enumerate(points[1:-1], start=1):
        if length == 0:
            distance = ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
        else:
            distance = abs((y2 - y1) * x - (x2 - x1) * y + x2 * y1 - y2 * x1) / length
        if distance > worst:
            worst, far = distance, i
    if worst <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[: far + 1], tolerance)[:-1] + simplify(points[far:], tolerance)


def main(path: str) -> None:
    with open(path, encoding="utf-8") as stream:
        topology = json.load(stream)
    arcs = decode_arcs(topology)
    (country,) = (g for g in topology["objects"]["countries"]["geometries"] if g.get("id") == LIBYA)
    assert country["type"] == "Polygon", country["type"]
    rings = []
    for indices in country["arcs"]:
        points = ring(indices, arcs)
        # Split the closed ring in two so that Douglas-Peucker keeps both halves' far points.
        half = len(points) // 2
        simplified = simplify(points[: half + 1], TOLERANCE)[:-1] + simplify(
            points[half:], TOLERANCE
        )
        # RFC 7946 wants exterior rings counterclockwise (positive shoelace area), holes not.
        area = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(simplified))
        if (area < 0) == (not rings):
            simplified.reverse()
        rings.append([list(p) for p in simplified])
    feature = {
        "type": "Feature",
        "properties": {
            "name": "Libya",
            "iso_n3": LIBYA,
            "source": "Natural Earth 1:50m admin 0 countries, v4.1.0, via the npm package "
            "world-atlas 2.0.2 (public domain); simplified to 0.02 degrees",
        },
        "geometry": {"type": "Polygon", "coordinates": rings},
    }
    json.dump({"type": "FeatureCollection", "features": [feature]}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
