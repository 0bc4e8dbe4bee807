"""The registry of actors and places, built from `actor.defined` and `place.defined` events.

Pure module. Entity fields of events take an id, a name or an alias; the registry turns any of
those into the entity's id, whatever the case, accents and spacing (`timeline.choices.fold`),
and says which entities come closest when a name matches none or several.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from timeline.choices import fold
from timeline.errors import UnknownEntity
from timeline.events import Event

ENTITY_TYPES = ("actor", "place")
DEFINITION_KINDS = {"actor.defined": "actor", "place.defined": "place"}


@dataclass(frozen=True, slots=True)
class Entity:
    """An actor or a place as its latest definition describes it."""

    id: str
    type: str
    name: str
    aliases: tuple[str, ...] = ()
    category: str | None = None
    lat: float | None = None
    lon: float | None = None
    speaks_for: str | None = None
    description: str | None = None
    review: bool = False
    event_id: str | None = None

    def ref(self) -> dict[str, str]:
        """The entity as answers show it: `{"id", "name"}`."""
        return {"id": self.id, "name": self.name}

    def names(self) -> Iterator[str]:
        """Every spelling that resolves to this entity."""
        yield self.id
        yield self.name
        yield from self.aliases


def _fold(text: str) -> str:
    return fold(text)


def entity_from_definition(event: Event) -> Entity:
    """The entity an `actor.defined` or `place.defined` event describes."""
    return entity_from_fields(event.kind, event.fields, event.id)


def entity_from_fields(kind: str, fields: Mapping[str, Any], event_id: str | None = None) -> Entity:
    """The entity the fields of an `actor.defined` or `place.defined` event describe."""
    entity_type = DEFINITION_KINDS[kind]
    lat, lon = fields.get("lat"), fields.get("lon")
    aliases = fields.get("aliases")
    return Entity(
        id=str(fields[entity_type]),
        type=entity_type,
        name=str(fields.get("name") or fields[entity_type]),
        aliases=tuple(map(str, aliases)) if aliases else (),
        category=fields.get("type"),
        lat=float(lat) if isinstance(lat, int | float) else None,
        lon=float(lon) if isinstance(lon, int | float) else None,
        speaks_for=fields.get("speaks_for"),
        description=fields.get("description"),
        review=bool(fields.get("review", False)),
        event_id=event_id,
    )


class Registry:
    """Actors and places by id, with an index of every name and alias."""

    def __init__(self, entities: Iterable[Entity] = ()) -> None:
        self._by_id: dict[tuple[str, str], Entity] = {}
        # The name index is built on first use: most readers (an answer without --entity)
        # only look entities up by id. Every definition added counts, so a name an entity
        # was later renamed from still resolves to it.
        self._added: list[Entity] = []
        self._name_index: dict[str, set[tuple[str, str]]] | None = None
        for entity in entities:
            self.add(entity)

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> Registry:
        """A registry of the definitions among `events` (later definitions of an id win)."""
        registry = cls()
        for event in events:
            if event.kind in DEFINITION_KINDS:
                registry.add(entity_from_definition(event))
        return registry

    def add(self, entity: Entity) -> None:
        """Add or redefine an entity; a redefinition keeps the aliases it had before."""
        key = (entity.type, entity.id)
        previous = self._by_id.get(key)
        if previous is not None:
            merged = tuple(dict.fromkeys((*previous.aliases, *entity.aliases)))
            entity = replace(entity, aliases=merged)
        self._by_id[key] = entity
        self._added.append(entity)
        if self._name_index is not None:
            self._index_names(self._name_index, entity)

    @property
    def _by_name(self) -> dict[str, set[tuple[str, str]]]:
        if self._name_index is None:
            self._name_index = {}
            for entity in self._added:
                self._index_names(self._name_index, entity)
        return self._name_index

    @staticmethod
    def _index_names(index: dict[str, set[tuple[str, str]]], entity: Entity) -> None:
        key = (entity.type, entity.id)
        for name in entity.names():
            index.setdefault(_fold(name), set()).add(key)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Entity]:
        return iter(self._by_id.values())

    def get(self, entity_id: str, entity_type: str | None = None) -> Entity | None:
        """The entity with this exact id, of the given type (or either type)."""
        types = (entity_type,) if entity_type else ENTITY_TYPES
        for t in types:
            found = self._by_id.get((t, entity_id))
            if found is not None:
                return found
        return None

    def ref(self, entity_id: str | None, entity_type: str | None = None) -> dict[str, str] | None:
        """`{"id", "name"}` for an id; an id the registry does not know shows as its own name."""
        return None if entity_id is None else self.ref_of(entity_id, entity_type)

    def ref_of(self, entity_id: str, entity_type: str | None = None) -> dict[str, str]:
        """`{"id", "name"}` for an id (never None); an unknown id shows as its own name."""
        found = self.get(entity_id, entity_type)
        return found.ref() if found else {"id": entity_id, "name": entity_id}

    def name_of(self, entity_id: str) -> str:
        """The display name of an id (the id itself when unknown)."""
        found = self.get(entity_id)
        return found.name if found else entity_id

    def find(self, name: str, entity_type: str | None = None) -> list[Entity]:
        """Every entity an id, name or alias matches, case-insensitively."""
        keys = self._by_name.get(_fold(name), set())
        found = [self._by_id[k] for k in sorted(keys)]
        if entity_type:
            found = [e for e in found if e.type == entity_type]
        # An exact id beats a coincidental alias of another entity.
        exact = [e for e in found if e.id == name]
        return exact or found

    def resolve(
        self,
        name: str,
        entity_type: str | None = None,
        *,
        field: str = "",
        subject: str | None = None,
    ) -> Entity:
        """The one entity `name` designates, or an `UnknownEntity` naming the closest matches
        (prefixed with the document `field` it came from; about the call's argument
        `subject`)."""
        found = self.find(name, entity_type)
        what = entity_type or "actor or place"
        where = f"{field}: " if field else ""
        if len(found) == 1:
            return found[0]
        if found:
            choices = ", ".join(f"{e.id} ({e.name})" for e in found)
            raise UnknownEntity(
                f"{where}{name!r} is ambiguous: it names {choices}", subject=subject
            )
        close = self.closest(name, entity_type)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise UnknownEntity(f"{where}unknown {what} {name!r}{hint}", subject=subject)

    def closest(self, name: str, entity_type: str | None = None, limit: int = 5) -> list[str]:
        """Ids of the entities whose names come closest to `name`."""
        candidates: dict[str, str] = {}
        for folded, keys in self._by_name.items():
            for key in keys:
                if entity_type is None or key[0] == entity_type:
                    candidates.setdefault(folded, key[1])
        matches = difflib.get_close_matches(_fold(name), list(candidates), n=limit * 3, cutoff=0.5)
        folded_name = _fold(name)
        matches += [c for c in candidates if folded_name and folded_name in c and c not in matches]
        return list(dict.fromkeys(candidates[m] for m in matches))[:limit]
