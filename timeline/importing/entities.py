"""The actors and places a dataset names, as entity ids: found in the timeline's registry,
or defined on the spot (flagged for review, never dropped)."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from timeline.dates import parse_fuzzy
from timeline.entities import Entity, Registry
from timeline.errors import UnknownEntity, ValidationError
from timeline.events import NewEvent, event_id_for
from timeline.importers.sources import SourceRecord
from timeline.vocabulary import KINDS, FieldType, Resolver, kind_spec


def slugify(name: str) -> str:
    """A lowercase id from a name: `Forces of Libya (2014-)` -> `forces-of-libya-2014`."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    return (slug or "unnamed")[:64].rstrip("-")


class EntityNames:
    """A dataset's names of actors and places resolved to the ids of one timeline's registry;
    names it does not know become definition events, flagged for review."""

    def __init__(self, registry: Registry, timeline: str, fmt: str) -> None:
        self.registry = registry
        self.timeline = timeline
        self.fmt = fmt
        # Validates fields whose names this resolved already.
        self.ids = IdResolver(registry)
        self._names: dict[tuple[str, str], str] = {}

    def resolve_fields(
        self, record: SourceRecord, definitions: list[NewEvent], at: datetime
    ) -> dict[str, Any]:
        """The record's fields with entity names made ids, as the names were meant at `at`
        (the start of the record's date: a dated alias, a merge for a period); the
        definitions of entities it names for the first time are appended to
        `definitions`."""
        spec = kind_spec(record.kind)
        out: dict[str, Any] = {}
        for name, value in record.fields.items():
            if name == "record":
                continue  # kept with the event, beside its fields
            field_spec = spec.field(name)
            if field_spec is None:
                raise ValidationError(f"{name}: unknown field for kind {record.kind}", field=name)
            kind = field_spec.type
            if kind is FieldType.PLACE and isinstance(value, str):
                out[name] = self._place(value, record, definitions, at)
            elif kind is FieldType.ACTOR and isinstance(value, str):
                out[name] = self._actor(value, definitions, at)
            elif kind in (FieldType.ACTORS, FieldType.ENTITIES) and isinstance(value, list):
                ids = [self._actor(v, definitions, at) for v in value if isinstance(v, str) and v]
                out[name] = list(dict.fromkeys(ids))
            elif kind is FieldType.ACTOR_COUNTS and isinstance(value, dict):
                out[name] = self._actor_counts(value, definitions, at)
            else:
                out[name] = value
        return out

    def _actor(self, name: str, definitions: list[NewEvent], at: datetime) -> str:
        # Datasets repeat the same few hundred names across a million rows: a name that
        # means the same whatever the date is looked up once.
        known = self._names.get(("actor", name))
        if known is not None:
            return known
        found = self._known("actor", name, at)
        entity_id = found if found else self._define("actor", name, {}, definitions)
        if not self.registry.dated(name, "actor"):
            self._names["actor", name] = entity_id
        return entity_id

    def _actor_counts(
        self, counts: dict[str, Any], definitions: list[NewEvent], at: datetime
    ) -> dict[str, Any]:
        # Two names of one actor (the dataset's sides resolve to one entity) add up.
        out: dict[str, Any] = {}
        for name, count in counts.items():
            if not isinstance(name, str) or not name:
                continue
            actor = self._actor(name, definitions, at)
            previous = out.get(actor)
            both = isinstance(previous, int) and isinstance(count, int)
            out[actor] = previous + count if both else count
        return out

    def _known(self, entity_type: str, name: str, at: datetime) -> str | None:
        """The id `name` means at `at` (through the merges then), None when it means none."""
        found = self.registry.find(name, entity_type, at)
        if len(found) > 1:
            raise UnknownEntity(
                f"{entity_type} {name!r} is ambiguous: {', '.join(e.id for e in found)}"
            )
        if not found:
            return None
        return self.registry.merges.target(entity_type, found[0].id, at)

    def _place(
        self, name: str, record: SourceRecord, definitions: list[NewEvent], at: datetime
    ) -> str:
        known = self._names.get(("place", name))
        if known is not None:
            return known
        found = self._known("place", name, at)
        if found is not None:
            if not self.registry.dated(name, "place"):
                self._names["place", name] = found
            return found
        extra: dict[str, Any] = {}
        hint = record.place
        if hint is not None and hint.name == name:
            if hint.lat is not None and hint.lon is not None:
                extra.update(lat=hint.lat, lon=hint.lon)
            if hint.admin1:
                extra["description"] = f"in {hint.admin1}"
        entity_id = self._define("place", name, extra, definitions)
        if not self.registry.dated(name, "place"):
            self._names["place", name] = entity_id
        return entity_id

    def _define(
        self, entity_type: str, name: str, extra: dict[str, Any], definitions: list[NewEvent]
    ) -> str:
        # An entity the registry does not know is defined, flagged for review, never dropped;
        # its id derives from its name so that overlapping runs define it once.
        slug = slugify(name)
        existing = self.registry.get(slug, entity_type)
        if existing is not None and existing.name.casefold() != name.casefold():
            slug = f"{slug[:55]}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"
        fields = {entity_type: slug, "name": name, "review": True, **extra}
        kind = f"{entity_type}.defined"
        event = NewEvent(
            id=event_id_for(self.timeline, None, f"entity:{entity_type}:{slug}"),
            timeline=self.timeline,
            kind=kind,
            title=f"{name} (from {self.fmt}, to review)",
            date=parse_fuzzy("../.."),
            fields=fields,
            kind_version=KINDS[kind].version,
        )
        definitions.append(event)
        self.registry.add(
            Entity(
                id=slug,
                type=entity_type,
                name=name,
                review=True,
                lat=extra.get("lat"),
                lon=extra.get("lon"),
            )
        )
        return slug


class IdResolver(Resolver):
    """Validation after the runner resolved names: entity fields already hold ids."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def entity(
        self, name: str, entity_type: str | None, field: str, at: datetime | None = None
    ) -> str:
        if self.registry.get(name, entity_type) is not None:
            return name
        return self.registry.resolve(name, entity_type, field=field, at=at).id

    def event(self, reference: str, field: str, kinds: tuple[str, ...] = ()) -> str:
        raise ValidationError(f"{field}: dataset records cannot refer to events", field=field)

    def offensive(self, reference: str, field: str) -> str:
        raise ValidationError(f"{field}: dataset records cannot refer to events", field=field)
