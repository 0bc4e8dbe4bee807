"""The OpenAPI document of the server (`/openapi.json`), written out by hand.

Pure module. The schemas describe the documents the library writes (`Answer.to_json()`,
`Diff.to_json()`, `History.to_json()`, `event_record`, ...), which the README's "JSON of
`timeline at --format json`" promises to keep: keys are added, never removed or renamed, so
every object here allows keys it does not list. tests/serving/test_openapi.py checks real
answers against them, and schemathesis checks the server against the whole document.
"""

from __future__ import annotations

from typing import Any

from timeline import __version__
from timeline.choices import SECTIONS
from timeline.projections.transitions import CHANGE_KINDS
from timeline.serving.questions import MAX_PAGE, MAX_RECENT, PAGE, QUESTIONS, RECENT
from timeline.vocabulary import LOSS_HOW


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


STRING = {"type": "string"}
INTEGER = {"type": "integer"}
BOOLEAN = {"type": "boolean"}
ENTITY = _object({"id": STRING, "name": STRING})
MAYBE_ENTITY = _nullable(ENTITY)
IDS = {"type": "array", "items": STRING}
SOURCE = {"type": "object", "properties": {"name": STRING, "url": STRING, "published": STRING}}
SOURCES = {"type": "array", "items": SOURCE}
FACT = {"since": _nullable(STRING), "certain": BOOLEAN, "events": IDS}
COUNTS = {"type": "object", "additionalProperties": INTEGER}
POINT = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}


def _list(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


# How well a holding is attested (timeline/projections/control.py).
CORROBORATION = _object(
    {
        "sources": INTEGER,
        "datasets": INTEGER,
        "events": INTEGER,
        "latest": STRING,
        "single_source": BOOLEAN,
        "source_names": IDS,
        "dataset_names": IDS,
    }
)


# One dataset's own fatality figures in an answer: null where it has no data.
DATASET_FIGURES = _object(
    {
        "name": STRING,
        "total": _nullable(INTEGER),
        "uncertain": _nullable(INTEGER),
        "last_30_days": _nullable(INTEGER),
        "counted": INTEGER,
        "coverage": _nullable(_object({"from": STRING, "to": STRING, "continues": BOOLEAN})),
        "in_policy": BOOLEAN,
        "described": _nullable(INTEGER),
        "among": COUNTS,
        "civilians": _nullable(INTEGER),
        "unknown": _nullable(INTEGER),
        "in_events_of": COUNTS,
    }
)


# The knowledge bounds an answer was given under (null: none), and how many events the
# publication bound left out for having no publication date.
KNOWLEDGE_KEYS = {
    "as_known": _nullable(STRING),
    "as_published": _nullable(STRING),
    "unpublished": _nullable(INTEGER),
}


ANSWER = _object(
    {"timeline": STRING, "at": STRING, **KNOWLEDGE_KEYS},
    {
        # How many facts a limit left out of each section it cut short (absent: none).
        "left_out": COUNTS,
        "control": _list(
            _object(
                {"place": ENTITY, "controller": MAYBE_ENTITY, "from": MAYBE_ENTITY, **FACT},
                {
                    "sources": SOURCES,
                    "contested": BOOLEAN,
                    "status": {
                        "type": "string",
                        "enum": ["held", "partial", "divided", "contested"],
                    },
                    "partial": BOOLEAN,
                    "holders": _list(
                        _object(
                            {
                                "actor": ENTITY,
                                "from": MAYBE_ENTITY,
                                "partial": BOOLEAN,
                                **FACT,
                                "corroboration": CORROBORATION,
                            },
                            {"sources": SOURCES},
                        )
                    ),
                    "contest": _nullable(
                        _object({"parties": _list(ENTITY), **FACT}, {"sources": SOURCES})
                    ),
                    "corroboration": _nullable(CORROBORATION),
                },
            )
        ),
        "offensives": _list(
            _object({"actor": ENTITY, "target": MAYBE_ENTITY, "name": STRING, **FACT})
        ),
        "support": _list(_object({"backer": ENTITY, "backed": ENTITY, "kinds": IDS, **FACT})),
        "presence": _list(
            _object(
                {
                    "actor": ENTITY,
                    "place": MAYBE_ENTITY,
                    "strength": _nullable(INTEGER),
                    "on_behalf_of": MAYBE_ENTITY,
                    "status": STRING,
                    "contested": BOOLEAN,
                    **FACT,
                }
            )
        ),
        "materiel": _list(
            _object(
                {
                    "place": MAYBE_ENTITY,
                    "holder": MAYBE_ENTITY,
                    "supplier": MAYBE_ENTITY,
                    "item": STRING,
                    "count": _nullable(INTEGER),
                    **FACT,
                },
                {
                    "lost": INTEGER,
                    "lost_beyond_holding": INTEGER,
                    "losses": _list(
                        _object(
                            {
                                "event": STRING,
                                "date": STRING,
                                "how": {"type": "string", "enum": list(LOSS_HOW)},
                                "count": _nullable(INTEGER),
                                "captured_by": MAYBE_ENTITY,
                                "beyond_holding": INTEGER,
                            }
                        )
                    ),
                    "captured": _list(
                        _object(
                            {
                                "event": STRING,
                                "date": STRING,
                                "count": _nullable(INTEGER),
                                "from": MAYBE_ENTITY,
                            }
                        )
                    ),
                },
            )
        ),
        "ceasefires": _list(
            _object(
                {
                    "name": STRING,
                    "status": STRING,
                    "parties": _list(ENTITY),
                    "violations": COUNTS,
                    "since": _nullable(STRING),
                    "events": IDS,
                }
            )
        ),
        "fatalities": _object(
            {"total": INTEGER, "uncertain": INTEGER, "last_30_days": INTEGER, "by_actor": COUNTS},
            {
                "actors": {"type": "object", "additionalProperties": STRING},
                "described": INTEGER,
                "among": COUNTS,
                "civilians": INTEGER,
                "unknown": INTEGER,
                "in_events_of": COUNTS,
                "by_dataset": {"type": "object", "additionalProperties": DATASET_FIGURES},
                "policy": _object(
                    {
                        "prefer": _list(STRING),
                        "default": BOOLEAN,
                        "since": _nullable(STRING),
                        "events": IDS,
                    }
                ),
                "periods": _list(
                    _object({"dataset": _nullable(STRING), "from": STRING, "until": STRING})
                ),
                "entities": _list(ENTITY),
            },
        ),
        "claims": _list(
            _object(
                {"text": STRING, "by": MAYBE_ENTITY, "denied_by": _list(ENTITY), "events": IDS},
                {"status": STRING},
            )
        ),
        "recent": _list(
            _object({"id": STRING, "date": STRING, "kind": STRING, "title": _nullable(STRING)})
        ),
    },
)

# One change of a diff's transitions, or of a history's materiel; `from`/`to` hold what the
# kind changes (an entity, a status, kinds, a count), and each kind adds keys of its own.
TRANSITION = _object(
    {
        "date": STRING,
        "kind": {"type": "string", "enum": list(CHANGE_KINDS)},
        "event": STRING,
        "event_kind": STRING,
        "title": _nullable(STRING),
        "place": MAYBE_ENTITY,
        "actor": MAYBE_ENTITY,
        "from": {},
        "to": {},
        "sources": SOURCES,
    },
    {"possibly_in_range": BOOLEAN},
)

_BEGUN_ENDED = {"begun": _list({"type": "object"}), "ended": _list({"type": "object"})}
DIFF = _object(
    {
        "timeline": STRING,
        "from": STRING,
        "to": STRING,
        **KNOWLEDGE_KEYS,
        "control": _list(
            _object(
                {"place": ENTITY, "from": MAYBE_ENTITY, "to": MAYBE_ENTITY, **FACT},
                {
                    "from_status": _nullable(STRING),
                    "to_status": _nullable(STRING),
                    "holders": _list(ENTITY),
                    "contested_by": _list(ENTITY),
                },
            )
        ),
        "offensives": _object(_BEGUN_ENDED),
        "support": _object({**_BEGUN_ENDED, "changed": _list({"type": "object"})}),
        "presence": _object(
            {
                "arrived": _list({"type": "object"}),
                "left": _list({"type": "object"}),
                "changed": _list({"type": "object"}),
            }
        ),
        "materiel": _object(
            {
                "added": _list({"type": "object"}),
                "removed": _list({"type": "object"}),
                "changed": _list({"type": "object"}),
            }
        ),
        "ceasefires": _list({"type": "object"}),
        "fatalities": _object({"total": INTEGER, "uncertain": INTEGER, "by_actor": COUNTS}),
    },
    # Not in the net view (`net=true`).
    {"transitions": _list(TRANSITION)},
)

_INTERVAL = {
    "from": _nullable(STRING),
    "until": _nullable(STRING),
    "opened_by": _nullable(STRING),
    "closed_by": _nullable(STRING),
    "certain": BOOLEAN,
}
HISTORY = _object(
    {
        "entity": ENTITY,
        "type": {"type": "string", "enum": ["actor", "place"]},
        **KNOWLEDGE_KEYS,
        "control": _list(
            _object(
                {"place": ENTITY, "controller": ENTITY, **_INTERVAL},
                {"partial": BOOLEAN, "partial_since": _nullable(STRING)},
            )
        ),
        "contests": _list(_object({"place": ENTITY, "parties": _list(ENTITY), **_INTERVAL})),
        "presence": _list(_object({"actor": ENTITY, "place": MAYBE_ENTITY, **_INTERVAL})),
        "support": _list(_object({"backer": ENTITY, "backed": ENTITY, **_INTERVAL})),
    },
    {"materiel": _list(TRANSITION)},
)

EVENT = _object(
    {
        "id": STRING,
        "seq": INTEGER,
        "timeline": STRING,
        "kind": STRING,
        "date": STRING,
        "valid_from": STRING,
        "valid_to": STRING,
        "title": _nullable(STRING),
        "fields": {"type": "object"},
        "sources": SOURCES,
        "confidence": _nullable(STRING),
        "origin": _nullable(STRING),
        "recorded_at": STRING,
    }
)

TIMELINE = _object(
    {
        "name": STRING,
        "zone": STRING,
        "events": INTEGER,
        "first": _nullable(STRING),
        "last": _nullable(STRING),
        "title": _nullable(STRING),
    }
)

GEOJSON = _object(
    {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": _list(
            _object(
                {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "geometry": _object(
                        {"type": {"type": "string", "enum": ["Point"]}, "coordinates": POINT}
                    ),
                    "properties": _object(
                        {"feature": {"type": "string", "enum": ["place", "force", "materiel"]}}
                    ),
                }
            )
        ),
    },
    {"timeline": STRING, "at": STRING, **KNOWLEDGE_KEYS},
)

SCENE = _object(
    {
        "width": {"type": "number"},
        "height": {"type": "number"},
        "title": STRING,
        "subtitle": STRING,
        "outline": _list(_list(POINT)),
        "markers": _list(
            _object(
                {
                    "place": STRING,
                    "name": STRING,
                    "x": {"type": "number"},
                    "y": {"type": "number"},
                    "controller": _nullable(STRING),
                    "controller_name": _nullable(STRING),
                    "colour": STRING,
                    "certain": BOOLEAN,
                    "contested": BOOLEAN,
                    "targeted_by": IDS,
                }
            )
        ),
        "labels": _list(
            _object(
                {
                    "text": STRING,
                    "box": {"type": "array", "items": {"type": "number"}, "minItems": 4},
                }
            )
        ),
        "legend": _list(_list(STRING)),
    }
)

_SPAN = _nullable(_object({"first": STRING, "last": STRING}))
RANGE = _object(
    {
        "timeline": STRING,
        "zone": STRING,
        "title": _nullable(STRING),
        "events": INTEGER,
        "days": _SPAN,
        "known": _SPAN,
    }
)

ERROR = _object(
    {"error": STRING},
    {"parameter": _nullable(STRING), "value": _nullable(STRING)},
)

# Formats of this document's own, so that a client (and schemathesis) can tell what a string
# parameter holds: a fuzzy date or instant, a timeline's name, an actor's or place's name.
DATE = {"type": "string", "format": "fuzzy-date"}
TIMELINE_NAME = {"type": "string", "format": "timeline-name"}
ENTITY_NAME = {"type": "string", "format": "entity-name"}

_DATE_TEXT = (
    "a date or timestamp in the timeline's zone: 2020-05-26 (the end of that day), "
    "2020-05, 2020-05-26T12:00:00Z, now"
)
PARAMETERS: dict[str, dict[str, Any]] = {
    "timeline": {
        "description": "Which timeline (default: the only one).",
        "schema": TIMELINE_NAME,
    },
    "date": {"description": f"The instant asked about: {_DATE_TEXT}.", "schema": DATE},
    "as_known": {
        "description": f"Use only what the database had recorded by then: {_DATE_TEXT}.",
        "schema": DATE,
    },
    "as_published": {
        "description": (
            "Use only what had been published by then (an event counts from its earliest "
            f"source's publication date; events with none are left out): {_DATE_TEXT}."
        ),
        "schema": DATE,
    },
    "section": {
        "description": "Only this section (repeatable).",
        "schema": _list({"type": "string", "enum": list(SECTIONS)}),
        "style": "form",
        "explode": True,
    },
    "entity": {
        "description": "An actor or place: id, name or alias, any case.",
        "schema": ENTITY_NAME,
    },
    "recent": {
        "description": "How many recent events to list at most.",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_RECENT, "default": RECENT},
    },
    "kind": {
        "description": "Only events of this kind (repeatable).",
        "schema": _list(STRING),
        "style": "form",
        "explode": True,
    },
    "limit": {
        "description": "How many events a page holds at most.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": PAGE},
    },
    "cursor": {
        "description": "Where the previous page ended: from its Link header (rel=next).",
        "schema": STRING,
    },
    "net": {
        "description": "Only the net change from the state at `from` to the state at `to`, "
        "without `transitions` (`timeline diff --net`).",
        "schema": {"type": "boolean", "default": False},
    },
}

# Per question: its summary, its answer's schema, and the parameters it requires.
_DOCUMENTED: dict[str, tuple[str, dict[str, Any], tuple[str, ...]]] = {
    "timelines": ("The timelines (`timeline timelines --format json`).", _list(TIMELINE), ()),
    "range": ("What the page's sliders run over: days and recording times.", RANGE, ()),
    "at": ("The state at an instant (`timeline at DATE --format json`).", ANSWER, ("date",)),
    "state.geojson": (
        "The state as GeoJSON (`timeline at DATE --format geojson`).",
        GEOJSON,
        ("date",),
    ),
    "diff": ("What changed (`timeline diff D1 D2 --format json`).", DIFF, ("from", "to")),
    "history": (
        "An entity's history (`timeline history ENTITY --format json`).",
        HISTORY,
        ("entity",),
    ),
    "events": (
        "The log, a page at a time (`timeline events --format json`).",
        _list(EVENT),
        (),
    ),
    "map.svg": ("The map (`timeline map DATE -o map.svg`).", STRING, ("date",)),
    "map.json": ("The geometry of the map, as `map.svg` draws it.", SCENE, ("date",)),
}

_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("diff", "from"): {"description": f"The earlier instant: {_DATE_TEXT}.", "schema": DATE},
    ("diff", "to"): {"description": f"The later instant: {_DATE_TEXT}.", "schema": DATE},
    ("events", "from"): {
        "description": "Events starting from the start of this fuzzy date (with `to`).",
        "schema": DATE,
    },
    ("events", "to"): {
        "description": "... up to the end of this fuzzy date (with `from`).",
        "schema": DATE,
    },
    ("at", "entity"): {
        "description": "Only facts naming this actor or place (repeatable).",
        "schema": _list(ENTITY_NAME),
        "style": "form",
        "explode": True,
    },
}
_OVERRIDES[("state.geojson", "entity")] = _OVERRIDES[("at", "entity")]


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _operation(path: str) -> dict[str, Any]:
    question = QUESTIONS[path]
    summary, schema, required = _DOCUMENTED[path]
    parameters = []
    for name in question.parameters:
        spec: dict[str, Any] = _OVERRIDES.get((path, name)) or PARAMETERS[name]
        parameters.append({"name": name, "in": "query", "required": name in required, **spec})
    responses: dict[str, Any] = {
        "200": {
            "description": "The answer.",
            "headers": {
                "ETag": {"schema": STRING, "description": "The log's head and the question."}
            },
            "content": {question.media_type: {"schema": schema}},
        },
        "304": {"description": "Not modified since the ETag in If-None-Match."},
        "400": _error_response("A parameter is unknown, repeated, missing or malformed."),
        "503": _error_response("The database cannot answer now (busy, or awaiting an upgrade)."),
    }
    if path == "events":
        responses["200"]["headers"]["Link"] = {
            "schema": STRING,
            "description": 'The next page, while there is one: <?...&cursor=...>; rel="next".',
        }
    if path == "map.svg":
        responses["501"] = _error_response("Drawing needs matplotlib (timeline[pictures]).")
    return {
        "summary": summary,
        "operationId": path.replace(".", "_"),
        "parameters": parameters,
        "responses": responses,
    }


def document() -> dict[str, Any]:
    """The OpenAPI 3.0 document of every endpoint under /api/."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "timeline",
            "version": __version__,
            "description": "Read-only answers from an event-sourced database of armed-conflict "
            "timelines: the same JSON as `timeline ... --format json`.",
        },
        "paths": {f"/api/{path}": {"get": _operation(path)} for path in QUESTIONS},
        "components": {"schemas": {"Error": ERROR}},
    }
