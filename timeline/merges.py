"""Merges of entities: the actor or place an event's entity is attributed to at its date.

Pure module. `actor.merged` and `place.merged` events say that, over the period of their
valid date (all time when they have none), what the log names SOURCE is TARGET: two actors
an import defined for one government, a dataset's name that meant one side for a few years.
Nothing stored is rewritten; readers pass the events they fold through `Merges.attribute`,
which names the target in place of the source in every entity field of an event whose
date begins within the period. A later-recorded merge of the same source wins where periods
overlap, and merges chain (A into B, B into C: A's events go to C where both periods hold).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from timeline.dates import OPEN_END, OPEN_START
from timeline.events import Event
from timeline.vocabulary import COMMON_FIELDS, KINDS, FieldType

MERGE_KINDS = {"actor.merged": "actor", "place.merged": "place"}


@dataclass(frozen=True, slots=True)
class Merge:
    """SOURCE is TARGET (both of `type`) for events whose date begins in [start, end)."""

    type: str
    source: str
    target: str
    start: datetime = OPEN_START
    end: datetime = OPEN_END
    event_id: str | None = None
    # The period as the merge's date gives it: `2011-08-24/2012-08-08`, `../..` for all time.
    period: str = "../.."

    def covers(self, instant: datetime) -> bool:
        """Whether an event beginning at `instant` falls within the merge's period."""
        return self.start <= instant < self.end

    @property
    def whole(self) -> bool:
        """Whether the merge holds for all time (it was given no period)."""
        return self.start <= OPEN_START and self.end >= OPEN_END

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Whether the merge's period and [start, end) share an instant."""
        return self.start < end and start < self.end


def merge_from_event(event: Event) -> Merge:
    """The merge an `actor.merged` or `place.merged` event records."""
    entity_type = MERGE_KINDS[event.kind]
    return Merge(
        entity_type,
        str(event.fields[entity_type]),
        str(event.fields["into"]),
        event.date.start,
        event.date.end,
        event.id,
        event.date.text,
    )


def _entity_fields(kind: str) -> dict[str, str | None]:
    """Each entity field of a kind (its own and those any kind takes) and the type of entity
    it names: "actor", "place", or None for a list of either (`about`)."""
    types = {
        FieldType.ACTOR: "actor",
        FieldType.ACTORS: "actor",
        FieldType.PLACE: "place",
        FieldType.ENTITIES: None,
        FieldType.ACTOR_COUNTS: "actor",
    }
    spec = KINDS[kind]
    out: dict[str, str | None] = {}
    for name in [*COMMON_FIELDS, *(f.name for f in spec.fields)]:
        field = spec.field(name)
        if field is not None and field.type in types:
            out[name] = types[field.type]
    return out


_ENTITY_FIELDS = {kind: _entity_fields(kind) for kind in KINDS}


class Merges:
    """The merges of a timeline, in recording order (later ones win where they overlap)."""

    def __init__(self, merges: Iterable[Merge] = ()) -> None:
        self._by_source: dict[tuple[str, str], list[Merge]] = {}
        self._sources: dict[str, set[str]] = {"actor": set(), "place": set()}
        for merge in merges:
            self.add(merge)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Merges:
        """The merges recorded by the `actor.merged` / `place.merged` events among `events`
        (in recording order)."""
        ordered = sorted((e for e in events if e.kind in MERGE_KINDS), key=lambda e: e.seq)
        return cls(merge_from_event(e) for e in ordered)

    def add(self, merge: Merge) -> None:
        """Record one more merge (it wins over those recorded before it)."""
        self._by_source.setdefault((merge.type, merge.source), []).append(merge)
        self._sources.setdefault(merge.type, set()).add(merge.source)

    def __bool__(self) -> bool:
        return bool(self._by_source)

    def of(self, entity_type: str, entity_id: str) -> list[Merge]:
        """The merges of one source, in recording order."""
        return list(self._by_source.get((entity_type, entity_id), ()))

    def merged_whole(self, entity_type: str, entity_id: str) -> bool:
        """Whether the entity is merged into another for all time."""
        return any(m.whole for m in self._by_source.get((entity_type, entity_id), ()))

    def target(self, entity_type: str, entity_id: str, at: datetime) -> str:
        """The entity `entity_id` stands for in an event beginning at `at` (itself when no
        merge covers it), following chains of merges."""
        seen = {entity_id}
        current = entity_id
        while True:
            found = self._by_source.get((entity_type, current))
            if not found:
                return current
            step = next((m.target for m in reversed(found) if m.covers(at)), None)
            if step is None or step in seen:
                return current
            seen.add(step)
            current = step

    def reaches(
        self, entity_type: str, start_id: str, wanted: str, start: datetime, end: datetime
    ) -> bool:
        """Whether some chain of merges overlapping [start, end) leads from `start_id` to
        `wanted`: merging `wanted` into `start_id` over that period would make a cycle."""
        stack, seen = [start_id], {start_id}
        while stack:
            current = stack.pop()
            if current == wanted:
                return True
            for merge in self._by_source.get((entity_type, current), ()):
                if merge.overlaps(start, end) and merge.target not in seen:
                    seen.add(merge.target)
                    stack.append(merge.target)
        return False

    def attribute(self, event: Event) -> Event:
        """The event with each merged entity of its fields replaced by the entity it is
        attributed to at the event's date (the event itself when nothing changes)."""
        if not self._by_source:
            return event
        at = event.date.start
        changed: dict[str, Any] = {}
        for name, entity_type in _ENTITY_FIELDS.get(event.kind, {}).items():
            value = event.fields.get(name)
            if isinstance(value, str):
                mapped = self._attributed(value, entity_type, at)
                if mapped != value:
                    changed[name] = mapped
            elif isinstance(value, list):
                items = [self._attributed(v, entity_type, at) for v in value]
                if items != value:
                    # Two sides merged into one are one side.
                    changed[name] = list(dict.fromkeys(items))
            elif isinstance(value, dict):
                # Counts by actor (`fatalities_among`): two sides merged into one add up.
                counts: dict[str, Any] = {}
                for key, count in value.items():
                    mapped = self._attributed(key, entity_type, at)
                    before = counts.get(mapped)
                    both = isinstance(before, int) and isinstance(count, int)
                    counts[mapped] = before + count if both else count
                if counts != value:
                    changed[name] = counts
        if not changed:
            return event
        return replace(event, fields={**event.fields, **changed})

    def _attributed(self, value: Any, entity_type: str | None, at: datetime) -> Any:
        if not isinstance(value, str):
            return value
        # A field of either type (`about`) holds an actor's or a place's id: the merges of
        # the type whose source it is apply (actors first, should an id be both).
        for t in (entity_type,) if entity_type else ("actor", "place"):
            if value in self._sources.get(t, ()):
                return self.target(t, value, at)
        return value
