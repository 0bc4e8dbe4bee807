"""Reviewing the actors and places imports defined: which await review, with what a person
needs to decide on them, and the decisions (a merge into another entity, for a period or for
good; acceptance as a new entity), each recorded as an event.

An import defines every name it does not know as a new entity flagged `review: true`. One
stays on the list until it is accepted (`actor.accepted`) or merged into another entity for
all time (`actor.merged` without a period); merged for a period, it stays with the events
left outside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from timeline import api, lookups
from timeline.dates import DateError, FuzzyDate, parse_fuzzy
from timeline.entities import ENTITY_TYPES, Entity, Registry
from timeline.errors import InvalidInput
from timeline.folding import effective_stream
from timeline.merges import Merge
from timeline.store import Store, TimelineInfo
from timeline.vocabulary import entity_references

# The closest existing entities listed with each entity awaiting review.
CLOSEST = 3


@dataclass(frozen=True, slots=True)
class Pending:
    """An entity awaiting review, with what the log says of it."""

    entity: Entity
    # The datasets whose records name it (the first part of their origins: acled, ucdp).
    datasets: tuple[str, ...]
    # The events attributed to it (the merges recorded moved the others away), and the
    # dates of the earliest-starting and latest-ending of them.
    events: int
    first: FuzzyDate | None
    last: FuzzyDate | None
    closest: tuple[Entity, ...]
    merges: tuple[tuple[Merge, Entity | None], ...]

    def to_json(self) -> dict[str, Any]:
        """The record `timeline actors review --format json` prints."""
        return {
            "id": self.entity.id,
            "name": self.entity.name,
            "type": self.entity.type,
            "datasets": list(self.datasets),
            "events": self.events,
            "from": self.first.text if self.first is not None else None,
            "to": self.last.text if self.last is not None else None,
            "closest": [e.ref() for e in self.closest],
            "merged": [
                {
                    "into": target.ref() if target is not None else {"id": m.target},
                    "period": m.period,
                }
                for m, target in self.merges
            ],
        }


def pending(store: Store, info: TimelineInfo, entity_type: str) -> list[Pending]:
    """The actors or places of a timeline that imports defined and no one has reviewed yet,
    those named by the most events first."""
    _check_type(entity_type)
    registry = lookups.load_registry(store, info.name)
    waiting = {
        e.id: e
        for e in registry
        if e.type == entity_type
        and e.review
        and not registry.merges.merged_whole(entity_type, e.id)
    }
    if not waiting:
        return []
    counts = dict.fromkeys(waiting, 0)
    datasets: dict[str, dict[str, None]] = {i: {} for i in waiting}
    first: dict[str, FuzzyDate] = {}
    last: dict[str, FuzzyDate] = {}
    # One pass over the log in effect, attributed through the merges: a review reads it all,
    # an answer never does.
    for event in effective_stream(store, info.name, None):
        for entity_id in entity_references(event.kind, event.fields):
            if entity_id not in waiting:
                continue
            counts[entity_id] += 1
            if event.origin is not None:
                datasets[entity_id][event.origin.key.split(":", 1)[0]] = None
            if entity_id not in first or event.date.start < first[entity_id].start:
                first[entity_id] = event.date
            if entity_id not in last or event.date.end > last[entity_id].end:
                last[entity_id] = event.date
    out = [
        Pending(
            entity,
            tuple(sorted(datasets[entity.id])),
            counts[entity.id],
            first.get(entity.id),
            last.get(entity.id),
            _closest(registry, entity),
            tuple(
                (m, registry.get(m.target, entity_type))
                for m in registry.merges.of(entity_type, entity.id)
            ),
        )
        for entity in waiting.values()
    ]
    out.sort(key=lambda p: (-p.events, p.entity.name.casefold(), p.entity.id))
    return out


def _closest(registry: Registry, entity: Entity) -> tuple[Entity, ...]:
    ids = registry.closest(entity.name, entity.type, CLOSEST, exclude=entity.id)
    found = (registry.get(i, entity.type) for i in ids)
    return tuple(e for e in found if e is not None)


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision recorded: its event's id, and whether the very same one was stored."""

    event_id: str
    already: bool


def merge(
    store: Store,
    info: TimelineInfo,
    entity_type: str,
    source: str,
    target: str,
    *,
    since: str | None = None,
    until: str | None = None,
) -> Decision:
    """Record that `source` is `target` (ids, names or aliases of actors, or of places), from
    the start of the fuzzy date `since` to the end of `until` (either open when None; all
    time when both are). Every answer then attributes the source's events of that period to
    the target, and later imports resolve its names to the target there."""
    _check_type(entity_type)
    registry = lookups.load_registry(store, info.name)
    merged = registry.resolve(source, entity_type, subject="source")
    into = registry.resolve(target, entity_type, subject="target")
    if merged.id == into.id:
        raise InvalidInput(
            f"{entity_type} {merged.id!r} cannot be merged into itself", subject="target"
        )
    start, end, period = _period(since, until, info.zone)
    if registry.merges.reaches(entity_type, into.id, merged.id, start, end):
        raise InvalidInput(
            f"{into.id!r} is merged into {merged.id!r} over that period already; merging "
            f"{merged.id!r} into it would make a cycle",
            subject="target",
        )
    document: dict[str, Any] = {
        "kind": f"{entity_type}.merged",
        entity_type: merged.id,
        "into": into.id,
        "title": f"{merged.name} merged into {into.name}",
    }
    if period is not None:
        document["date"] = period
        document["title"] += f" ({period})"
    return _record(store, info, document)


def accept(store: Store, info: TimelineInfo, entity_type: str, name: str) -> Decision:
    """Record that an entity an import defined is a new entity of its own, reviewed."""
    _check_type(entity_type)
    registry = lookups.load_registry(store, info.name)
    entity = registry.resolve(name, entity_type, subject="entity")
    if not entity.review or registry.merges.merged_whole(entity_type, entity.id):
        raise InvalidInput(
            f"{entity_type} {entity.id!r} is not awaiting review (an import did not define "
            "it, or it was accepted or merged for good already)",
            subject="entity",
        )
    document = {
        "kind": f"{entity_type}.accepted",
        entity_type: entity.id,
        "title": f"{entity.name} accepted after review",
    }
    return _record(store, info, document)


def _record(store: Store, info: TimelineInfo, document: dict[str, Any]) -> Decision:
    added = api.add_event(store, info, document)
    return Decision(added.drafts[0].id, bool(added.unchanged))


def _check_type(entity_type: str) -> None:
    if entity_type not in ENTITY_TYPES:
        raise ValueError(f"{entity_type!r} is not one of {', '.join(ENTITY_TYPES)}")


def _period(
    since: str | None, until: str | None, zone: str
) -> tuple[datetime, datetime, str | None]:
    """The instants a merge's period runs between, and its text as the event's date."""
    from timeline.dates import OPEN_END, OPEN_START

    bounds: dict[str, FuzzyDate] = {}
    for subject, text in (("since", since), ("until", until)):
        if text is None:
            continue
        try:
            bounds[subject] = parse_fuzzy(text, zone)
        except DateError as err:
            raise InvalidInput(str(err), subject=subject) from None
    start = bounds["since"].start if "since" in bounds else OPEN_START
    end = bounds["until"].end if "until" in bounds else OPEN_END
    if end <= start:
        raise InvalidInput(
            f"{until!r} ends before {since!r} begins: the period is empty", subject="until"
        )
    if not bounds:
        return start, end, None
    text = f"{bounds['since'].text if 'since' in bounds else '..'}/"
    text += bounds["until"].text if "until" in bounds else ".."
    try:
        parse_fuzzy(text, zone)
    except DateError as err:
        raise InvalidInput(f"{text!r} is not a period: {err}", subject="since") from None
    return start, end, text
