"""The registry of actors and places, built from `actor.defined` and `place.defined` events.

Pure module. Entity fields of events take an id, a name or an alias; the registry turns any of
those into the entity's id, whatever the case, accents and spacing (`timeline.choices.fold`),
and says which entities come closest when a name matches none or several.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NamedTuple

from timeline.choices import fold
from timeline.dates import OPEN_END, OPEN_START, DateError, format_instant, parse_fuzzy
from timeline.errors import UnknownEntity
from timeline.events import Event
from timeline.merges import MERGE_KINDS, Merges, merge_from_event

ENTITY_TYPES = ("actor", "place")
DEFINITION_KINDS = {"actor.defined": "actor", "place.defined": "place"}
ACCEPT_KINDS = {"actor.accepted": "actor", "place.accepted": "place"}
# The events the registry is made of: definitions and the decisions taken on them (merges,
# acceptance after review). They describe the vocabulary, not the conflict: never folded.
REGISTRY_KINDS = frozenset({*DEFINITION_KINDS, *MERGE_KINDS, *ACCEPT_KINDS})


def defined_entity(kind: str, fields: Mapping[str, Any]) -> str | None:
    """The id an `actor.defined` or `place.defined` event defines (None for any other kind,
    or a definition without one): what the store indexes definitions by."""
    entity_type = DEFINITION_KINDS.get(kind)
    if entity_type is None:
        return None
    value = fields.get(entity_type)
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class DatedName:
    """A name an entity goes by in one period only: from the start of the fuzzy date
    `since` to the end of `until` (texts; None leaves that end open)."""

    name: str
    since: str | None = None
    until: str | None = None

    def label(self) -> str:
        """The period in words: `until 2011-08-23`, `from 2016-03-30`, `2012/2014`."""
        if self.since and self.until:
            return f"{self.since}/{self.until}"
        return f"from {self.since}" if self.since else f"until {self.until}"


@dataclass(frozen=True, slots=True)
class Entity:
    """An actor or a place as its latest definition describes it."""

    id: str
    type: str
    name: str
    # Every alias, those valid in one period only (`dated`) among them.
    aliases: tuple[str, ...] = ()
    category: str | None = None
    lat: float | None = None
    lon: float | None = None
    speaks_for: str | None = None
    description: str | None = None
    review: bool = False
    event_id: str | None = None
    dated: tuple[DatedName, ...] = ()

    def ref(self) -> dict[str, str]:
        """The entity as answers show it: `{"id", "name"}`."""
        return {"id": self.id, "name": self.name}

    def names(self) -> Iterator[str]:
        """Every spelling that resolves to this entity (at some date, for dated aliases)."""
        yield self.id
        yield self.name
        yield from self.aliases


# Imports and native documents look the same few hundred names up for every event; folding
# one (NFKD, casefold) cost more than the registry lookup it keys. Pure, so cached as is.
@functools.lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    return fold(text)


def entity_from_definition(event: Event) -> Entity:
    """The entity an `actor.defined` or `place.defined` event describes."""
    return entity_from_fields(event.kind, event.fields, event.id)


def entity_from_fields(kind: str, fields: Mapping[str, Any], event_id: str | None = None) -> Entity:
    """The entity the fields of an `actor.defined` or `place.defined` event describe."""
    entity_type = DEFINITION_KINDS[kind]
    lat, lon = fields.get("lat"), fields.get("lon")
    aliases, dated = _aliases(fields.get("aliases"))
    return Entity(
        id=str(fields[entity_type]),
        type=entity_type,
        name=str(fields.get("name") or fields[entity_type]),
        aliases=aliases,
        category=fields.get("type"),
        lat=float(lat) if isinstance(lat, int | float) else None,
        lon=float(lon) if isinstance(lon, int | float) else None,
        speaks_for=fields.get("speaks_for"),
        description=fields.get("description"),
        review=bool(fields.get("review", False)),
        event_id=event_id,
        dated=dated,
    )


def _aliases(value: Any) -> tuple[tuple[str, ...], tuple[DatedName, ...]]:
    """The names of an `aliases` field (texts, or `{name, from, until}` mappings), and the
    dated ones among them."""
    if not value:
        return (), ()
    names: list[str] = []
    dated: list[DatedName] = []
    plain: set[str] = set()
    for item in value if isinstance(value, list | tuple) else [value]:
        if isinstance(item, Mapping):
            name = str(item.get("name") or "")
            if not name:
                continue
            since, until = item.get("from"), item.get("until")
            if since or until:
                dated.append(
                    DatedName(name, str(since) if since else None, str(until) if until else None)
                )
            else:
                plain.add(_fold(name))
        else:
            name = str(item)
            plain.add(_fold(name))
        if name not in names:
            names.append(name)
    # A name listed whenever as well as for a period is valid whenever.
    return tuple(names), tuple(d for d in dated if _fold(d.name) not in plain)


class _Period(NamedTuple):
    start: datetime
    end: datetime
    label: str


# How an entity may go by a name: None, whenever; otherwise only in these periods.
_Validity = list[_Period] | None
_Key = tuple[str, str]


class Registry:
    """Actors and places by id, with an index of every name and alias (dated aliases valid
    in their periods, read in the timeline's time `zone`), and the merges among them."""

    def __init__(self, entities: Iterable[Entity] = (), *, zone: str = "UTC") -> None:
        self.zone = zone
        self._by_id: dict[tuple[str, str], Entity] = {}
        # The name index is built on first use: most readers (an answer without --entity)
        # only look entities up by id. Every definition added counts, so a name an entity
        # was later renamed from still resolves to it; a name a later definition lists
        # again takes the period it gives there.
        self._added: list[Entity] = []
        self._name_index: dict[str, dict[_Key, _Validity]] | None = None
        # The words of each indexed name, folded one by one and sorted (see `closest`).
        self._words: dict[str, str] = {}
        self.merges = Merges()
        for entity in entities:
            self.add(entity)

    @classmethod
    def from_events(cls, events: Iterable[Event], *, zone: str = "UTC") -> Registry:
        """A registry of the definitions among `events` (later definitions of an id win),
        with the merges and acceptances recorded among them."""
        registry = cls(zone=zone)
        decisions = []
        for event in events:
            if event.kind in DEFINITION_KINDS:
                registry.add(entity_from_definition(event))
            elif event.kind in MERGE_KINDS or event.kind in ACCEPT_KINDS:
                decisions.append(event)
        registry.decide(decisions)
        return registry

    def decide(self, events: Iterable[Event]) -> None:
        """Apply merges and acceptances (`actor.merged`, `place.accepted`, ...) in recording
        order."""
        for event in sorted(events, key=lambda e: e.seq):
            if event.kind in MERGE_KINDS:
                self.merges.add(merge_from_event(event))
            elif event.kind in ACCEPT_KINDS:
                entity_type = ACCEPT_KINDS[event.kind]
                found = self._by_id.get((entity_type, str(event.fields.get(entity_type))))
                if found is not None and found.review:
                    self._by_id[(entity_type, found.id)] = replace(found, review=False)

    def add(self, entity: Entity) -> None:
        """Add or redefine an entity; a redefinition keeps the aliases it had before (a
        name it lists again takes its new period, or none)."""
        key = (entity.type, entity.id)
        previous = self._by_id.get(key)
        if previous is not None:
            merged = tuple(dict.fromkeys((*previous.aliases, *entity.aliases)))
            relisted = {_fold(name) for name in entity.aliases}
            kept = tuple(d for d in previous.dated if _fold(d.name) not in relisted)
            entity = replace(entity, aliases=merged, dated=(*kept, *entity.dated))
        self._by_id[key] = entity
        self._added.append(entity)
        if self._name_index is not None:
            self._index_names(self._name_index, entity)

    @property
    def _by_name(self) -> dict[str, dict[_Key, _Validity]]:
        if self._name_index is None:
            self._name_index = {}
            for entity in self._added:
                self._index_names(self._name_index, entity)
        return self._name_index

    def _index_names(self, index: dict[str, dict[_Key, _Validity]], entity: Entity) -> None:
        key = (entity.type, entity.id)
        periods: dict[str, list[_Period]] = {}
        for dated in entity.dated:
            period = self._period(dated)
            if period is not None:
                periods.setdefault(_fold(dated.name), []).append(period)
        for name in entity.names():
            folded = _fold(name)
            self._words.setdefault(folded, _sorted_words(name))
            # The id and the name are valid whenever; an alias listed only with periods is
            # valid in those.
            plain = name in (entity.id, entity.name) or folded not in periods
            index.setdefault(folded, {})[key] = None if plain else periods[folded]

    def _period(self, dated: DatedName) -> _Period | None:
        try:
            start = parse_fuzzy(dated.since, self.zone).start if dated.since else None
            end = parse_fuzzy(dated.until, self.zone).end if dated.until else None
        except DateError:
            return None  # validated when stored: only a hand-made row could get here
        return _Period(start or OPEN_START, end or OPEN_END, dated.label())

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

    def prefetch(self, entity_ids: Iterable[str]) -> None:
        """Read the entities with these ids now, in one go, if the registry reads them on
        demand; this one holds every entity already."""

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

    def find(
        self, name: str, entity_type: str | None = None, at: datetime | None = None
    ) -> list[Entity]:
        """Every entity an id, name or alias matches, case-insensitively. At an instant
        `at` (the start of an event's date), a name valid then only by a dated alias means
        the entities it is dated for, before any that go by it whenever; names valid only
        in other periods do not match. Without `at`, every entity the name ever meant."""
        uses = self._uses(name, entity_type)
        # An exact id beats a coincidental alias of another entity.
        exact = [key for key in uses if key[1] == name]
        if exact:
            keys = exact
        elif at is None:
            keys = list(uses)
        else:
            dated = [k for k, v in uses.items() if v is not None and _valid(v, at)]
            keys = dated or [k for k, v in uses.items() if v is None]
        return [self._by_id[k] for k in sorted(keys)]

    def _uses(self, name: str, entity_type: str | None) -> dict[_Key, _Validity]:
        uses = self._by_name.get(_fold(name), {})
        if entity_type is None:
            return uses
        return {k: v for k, v in uses.items() if k[0] == entity_type}

    def dated(self, name: str, entity_type: str | None = None) -> bool:
        """Whether what `name` means depends on the date: some entity goes by it in a
        period only, or an entity it names is merged into another for a period."""
        for key, validity in self._uses(name, entity_type).items():
            if validity is not None or self.merges.of(*key):
                return True
        return False

    def resolve(
        self,
        name: str,
        entity_type: str | None = None,
        *,
        field: str = "",
        subject: str | None = None,
        at: datetime | None = None,
    ) -> Entity:
        """The one entity `name` designates, or an `UnknownEntity` naming the closest matches
        (prefixed with the document `field` it came from; about the call's argument
        `subject`). At an instant `at` (an event's date), the name means what it meant then
        (see `find`), and an entity merged into another then is that other."""
        found = self.find(name, entity_type, at)
        what = entity_type or "actor or place"
        where = f"{field}: " if field else ""
        if len(found) == 1:
            entity = found[0]
            if at is None:
                return entity
            target = self.merges.target(entity.type, entity.id, at)
            return self._by_id.get((entity.type, target), entity)
        if found:
            choices = ", ".join(self._described(e, name) for e in found)
            raise UnknownEntity(
                f"{where}{name!r} is ambiguous: it names {choices}", subject=subject
            )
        uses = self._uses(name, entity_type)
        if at is not None and uses:
            meanings = ", ".join(self._described(self._by_id[k], name) for k in sorted(uses))
            raise UnknownEntity(
                f"{where}{what} {name!r} names no {what} at {format_instant(at)}: it names "
                f"{meanings}",
                subject=subject,
            )
        close = self.closest(name, entity_type)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise UnknownEntity(f"{where}unknown {what} {name!r}{hint}", subject=subject)

    def _described(self, entity: Entity, name: str) -> str:
        """`gna (Government of National Accord)`, with the periods `name` is valid in."""
        validity = self._by_name.get(_fold(name), {}).get((entity.type, entity.id))
        periods = f" {', '.join(p.label for p in validity)}" if validity else ""
        return f"{entity.id} ({entity.name}){periods}"

    def closest(
        self,
        name: str,
        entity_type: str | None = None,
        limit: int = 5,
        *,
        exclude: str | None = None,
    ) -> list[str]:
        """Ids of the entities whose names come closest to `name` (but `exclude`)."""
        candidates: dict[str, list[str]] = {}
        for folded, keys in self._by_name.items():
            ids = sorted(k[1] for k in keys if entity_type is None or k[0] == entity_type)
            ids = [i for i in ids if i != exclude]
            if ids:
                candidates[folded] = ids
        folded_name = _fold(name)
        words = _sorted_words(name)
        scored: list[tuple[float, str]] = []
        for folded in candidates:
            score = _similarity(folded_name, words, folded, self._words.get(folded, folded))
            # A name that holds the one asked for comes close whatever its length.
            if score >= 0.5 or (folded_name and folded_name in folded):
                scored.append((-score, folded))
        scored.sort()
        return list(dict.fromkeys(i for _, m in scored for i in candidates[m]))[:limit]


# Reads the (kind, fields) of the definitions of the given ids, or of every entity for None,
# in recording order.
DefinitionReader = Callable[[Collection[str] | None], Iterable[tuple[str, Mapping[str, Any]]]]


class RegistryOnDemand(Registry):
    """A registry that reads an entity's definitions when it is first asked for by id, and
    every definition when first asked for by name or walked through. An answer names a few
    hundred entities; an imported war defines tens of thousands, and reading all of them was
    half the time of an answer early in a war of a million events.

    `read` must see what a whole registry would be made of: definitions without revisions
    (see `timeline.lookups.load_registry`)."""

    def __init__(self, read: DefinitionReader, *, zone: str = "UTC") -> None:
        super().__init__(zone=zone)
        self._read = read
        self._asked: set[str] = set()
        self._whole = False
        self._accepted: set[_Key] = set()

    def decide(self, events: Iterable[Event]) -> None:
        """Apply merges and acceptances, remembering the acceptances of entities not read
        yet for when they are."""
        events = list(events)
        for event in events:
            entity_type = ACCEPT_KINDS.get(event.kind)
            if entity_type is not None:
                self._accepted.add((entity_type, str(event.fields.get(entity_type))))
        super().decide(events)

    def prefetch(self, entity_ids: Iterable[str]) -> None:
        """Read the definitions of these ids now, in one go, if not read yet; texts that are
        no entity's id are passed over."""
        wanted = {i for i in entity_ids if i not in self._asked}
        if self._whole or not wanted:
            return
        self._asked |= wanted
        self._take(self._read(wanted))

    def get(self, entity_id: str, entity_type: str | None = None) -> Entity | None:
        """The entity with this exact id (see `Registry.get`), read when first asked for."""
        if not self._whole and entity_id not in self._asked:
            self.prefetch((entity_id,))
        return super().get(entity_id, entity_type)

    def _take(self, definitions: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        for kind, fields in definitions:
            entity = entity_from_fields(kind, fields)
            if entity.review and (entity.type, entity.id) in self._accepted:
                entity = replace(entity, review=False)
            self.add(entity)

    def _read_whole(self) -> None:
        if self._whole:
            return
        # Read again from the start: an entity's definitions are added in recording order.
        self._whole = True
        self._by_id.clear()
        self._added.clear()
        self._name_index = None
        self._take(self._read(None))

    @property
    def _by_name(self) -> dict[str, dict[_Key, _Validity]]:
        self._read_whole()
        return super()._by_name

    def __len__(self) -> int:
        self._read_whole()
        return super().__len__()

    def __iter__(self) -> Iterator[Entity]:
        self._read_whole()
        return super().__iter__()


def _valid(periods: list[_Period], at: datetime) -> bool:
    return any(p.start <= at < p.end for p in periods)


def _sorted_words(text: str) -> str:
    """The words of a name, each folded, in sorted order: `forces gaddafi`."""
    return " ".join(sorted(w for w in (_fold(part) for part in _WORDS.split(text)) if w))


_WORDS = re.compile(r"[\W_]+")


def _similarity(name: str, words: str, other: str, other_words: str) -> float:
    """How alike two names are, 0 to 1: their folded texts as difflib compares them, or
    their words in sorted order, whichever is closer ("Forces of Muammar Gaddafi" and
    "Gaddafi forces" share words in another order)."""
    # Here, not at the top: only a review or a name not found compares names, and an
    # answer that does neither need not load difflib.
    import difflib

    best = 0.0
    for one, two in ((name, other), (words, other_words)):
        matcher = difflib.SequenceMatcher(None, one, two)
        if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
            best = max(best, matcher.ratio())
    return best
