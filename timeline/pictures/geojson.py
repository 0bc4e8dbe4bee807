"""The state at an instant as a GeoJSON FeatureCollection (RFC 7946).

Pure module. Coordinates are [longitude, latitude] in WGS84, as the RFC orders them. Every
located place is a Point (`"feature": "place"`) with its controller at the instant (null when
none is known), and its status, holders, contest and corroboration as the answer gives them;
forces present and materiel held at a located place are Points of their own
(`"feature": "force"`, `"feature": "materiel"`) on that place. Facts at places without
coordinates have no geometry to give and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from timeline.entities import Entity

# The keys every fact of an answer carries, copied to the feature's properties as they are.
_BASIS = ("since", "certain", "contested", "events", "sources")


def located(places: Iterable[Entity]) -> dict[str, Entity]:
    """The places among `places` that have both coordinates, by id."""
    return {
        p.id: p for p in places if p.type == "place" and p.lat is not None and p.lon is not None
    }


def _point(place: Entity) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [place.lon, place.lat]}


def _basis(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: item.get(key) for key in _BASIS}


def state_collection(answer: Mapping[str, Any], places: Iterable[Entity]) -> dict[str, Any]:
    """A FeatureCollection of the answer's places, forces and materiel.

    `answer` is an `Answer.to_json()` document; `places` the timeline's places (those without
    coordinates are skipped). Place features come first, in name order.
    """
    where = located(places)
    control = {c["place"]["id"]: c for c in answer.get("control", ())}
    targets: dict[str, list[str]] = {}
    for offensive in answer.get("offensives", ()):
        if offensive.get("target"):
            targets.setdefault(offensive["target"]["id"], []).append(offensive["name"])
    features: list[dict[str, Any]] = []
    for place in sorted(where.values(), key=lambda p: (p.name.casefold(), p.id)):
        held = control.get(place.id)
        properties: dict[str, Any] = {
            "feature": "place",
            "id": place.id,
            "name": place.name,
            "type": place.category,
            "controller": held["controller"] if held else None,
            "from": held.get("from") if held else None,
        }
        if held:
            properties.update(_basis(held))
        else:
            properties.update(since=None, certain=True, contested=False, events=[], sources=[])
        # How the place is held (whole, in part, divided, contested) and how well attested.
        properties.update(
            status=held.get("status") if held else None,
            holders=held.get("holders", []) if held else [],
            contest=held.get("contest") if held else None,
            corroboration=held.get("corroboration") if held else None,
        )
        properties["offensives"] = targets.get(place.id, [])
        features.append({"type": "Feature", "geometry": _point(place), "properties": properties})
    for section, feature, keys in (
        ("presence", "force", ("actor", "strength", "on_behalf_of", "status")),
        ("materiel", "materiel", ("item", "count", "holder", "supplier", "lost")),
    ):
        for item in answer.get(section, ()):
            place_ref = item.get("place")
            at = where.get(place_ref["id"]) if place_ref else None
            if at is None:
                continue
            properties = {"feature": feature, "place": place_ref}
            properties.update({key: item.get(key) for key in keys})
            properties.update(_basis(item))
            features.append({"type": "Feature", "geometry": _point(at), "properties": properties})
    return {
        "type": "FeatureCollection",
        "timeline": answer.get("timeline"),
        "at": answer.get("at"),
        "as_known": answer.get("as_known"),
        "features": features,
    }
