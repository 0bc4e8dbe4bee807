"""`timeline export`: a timeline's log in the native format (which imports back loss-free
into an empty database), as CSV, as GeoJSON for GIS tools, or as TimelineJS3 JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import IO, Any

from timeline import choices
from timeline.documents import (
    CSV_COLUMNS,
    csv_record,
    dump_jsonl,
    dump_yaml,
    event_document,
    event_record,
    header_document,
)
from timeline.store import EventQuery, Store, TimelineInfo

# What only GeoJSON and TimelineJS need (the registry of places, revisions applied, the
# TimelineJS builder and html) is imported in their branches: the native formats, the ones
# a large log is exported in, start without it.

# Declared beside the other choices the command line offers (see timeline.choices).
FORMATS = choices.EXPORT_FORMATS


def export(
    store: Store, info: TimelineInfo, fmt: str, out: IO[str], *, as_known: datetime | None = None
) -> int:
    """Write the timeline's events recorded by `as_known` (all when None) in recording order;
    returns how many were written."""
    known = as_known
    # Only the native formats write each event's source record: CSV reads none.
    events = store.log.select(
        EventQuery(info.name, as_known=known, order="recorded", with_record=fmt != "csv")
    )
    count = 0
    if fmt in ("jsonl", "yaml"):
        documents: list[dict[str, Any]] = [header_document(info.name, info.zone, info.title)]

        def stream() -> Any:
            nonlocal count
            yield documents[0]
            for event in events:
                count += 1
                yield event_document(event)

        (dump_jsonl if fmt == "jsonl" else dump_yaml)(stream(), out)
        return count
    if fmt == "csv":
        import csv

        # The one flat schema `timeline events --format csv` writes too.
        writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for event in events:
            writer.writerow(csv_record(event))
            count += 1
        return count
    if fmt == "geojson":
        return _geojson(store, info, known, out)
    if fmt == "timelinejs":
        from timeline import lookups
        from timeline.pictures.timelinejs import timeline_js
        from timeline.store.effective import effective

        # Effective events in valid-time order: a viewer shows what is in effect, corrected.
        registry = lookups.load_registry(store, info.name, known)
        effective_ones = effective(
            store.log, EventQuery(info.name, as_known=known, with_record=False)
        )
        document = timeline_js(
            effective_ones, registry, zone=info.zone, title=info.title or info.name, name=info.name
        )
        json.dump(document, out, ensure_ascii=False)
        out.write("\n")
        return len(document["events"])
    raise ValueError(fmt)


def _geojson(store: Store, info: TimelineInfo, known: datetime | None, out: IO[str]) -> int:
    from timeline import lookups
    from timeline.entities import REGISTRY_KINDS
    from timeline.revisions import effective_events

    registry = lookups.load_registry(store, info.name, known)
    features: list[dict[str, Any]] = []
    for entity in registry:
        if entity.type == "place" and entity.lat is not None and entity.lon is not None:
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [entity.lon, entity.lat]},
                    "properties": {
                        "feature": "place",
                        "id": entity.id,
                        "name": entity.name,
                        "type": entity.category,
                        "review": entity.review,
                    },
                }
            )
    located = 0
    everything = store.log.select(
        EventQuery(info.name, as_known=known, exclude_kinds=list(REGISTRY_KINDS), with_record=False)
    )
    for event in effective_events(everything):
        place_id = event.fields.get("place")
        place = registry.get(place_id, "place") if isinstance(place_id, str) else None
        if place is None or place.lat is None or place.lon is None:
            continue
        record = event_record(event)
        del record["record"]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [place.lon, place.lat]},
                "properties": {
                    "feature": "event",
                    "place": place.id,
                    **{
                        k: record[k]
                        for k in (
                            "id",
                            "kind",
                            "date",
                            "valid_from",
                            "valid_to",
                            "title",
                            "fields",
                            "sources",
                            "confidence",
                            "origin",
                        )
                    },
                },
            }
        )
        located += 1
    json.dump({"type": "FeatureCollection", "features": features}, out, ensure_ascii=False)
    out.write("\n")
    return located
