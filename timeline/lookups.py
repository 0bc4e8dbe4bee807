"""Looking things up in a store: the timeline a command means, the actors and places of a
timeline as known at an instant, and stored events as drafting documents sees them."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from timeline.choices import match
from timeline.dates import OPEN_START, FuzzyDate
from timeline.entities import (
    ACCEPT_KINDS,
    REGISTRY_KINDS,
    Entity,
    Registry,
    RegistryOnDemand,
    entity_from_fields,
)
from timeline.errors import InvalidInput, NotFound, NoTimeline
from timeline.events import Event
from timeline.merges import MERGE_KINDS
from timeline.revisions import apply_revisions, effective_events
from timeline.store import EventQuery, Store, TimelineInfo
from timeline.store.effective import effective, revisions_by_target
from timeline.store.timelines import check_timeline_name

if TYPE_CHECKING:
    # Imported where documents are drafted: an answer needs neither them nor the YAML parser
    # they bring (see tests/test_startup.py).
    from timeline.documents import Drafter, Item


# The decisions taken on a timeline's registry: merges and acceptances after review.
DECISION_KINDS = (*MERGE_KINDS, *ACCEPT_KINDS)


def pick_timeline(store: Store, name: str | None) -> TimelineInfo:
    """The timeline named, or the only one there is; a one-line error otherwise."""
    if name is not None:
        try:
            return store.catalog.get(name)
        except NotFound:
            # "Libya" or "LIBYA" for libya: names match by one rule everywhere.
            found = match(name, store.catalog.names())
            if found is None:
                raise
            return store.catalog.get(found)
    names = store.catalog.names()
    if len(names) == 1:
        return store.catalog.get(names[0])
    if not names:
        raise NoTimeline("the database has no timeline yet", subject="timeline")
    raise InvalidInput(
        f"required, the database has several: {', '.join(names)}", subject="timeline"
    )


def header_timeline(
    store: Store, header: Item, wanted: str | None, *, create: bool = True
) -> TimelineInfo:
    """The timeline a document's header (`{timeline, zone, title}`) names: created when there
    is none of that name (unless not `create`: then as it would be), checked when there is
    (its zone must be the header's). `wanted`, a timeline the caller asked for, must be the
    header's. The same document means the same to every reader of it."""
    name = str(header.data.get("timeline") or "")
    zone = str(header.data.get("zone") or "")
    title = header.data.get("title")
    if wanted is not None and wanted != name:
        raise InvalidInput(f"{header.where}: the document is for timeline {name!r}, not {wanted!r}")
    try:
        check_timeline_name(name)
    except InvalidInput as err:
        raise InvalidInput(f"{header.where}: {err}") from None
    try:
        info = store.catalog.get(name)
    except NotFound:
        if not create:
            return TimelineInfo(name, zone, title)
        try:
            info = store.catalog.create(name, zone, title)
        except InvalidInput as err:
            if "exists already" not in str(err):
                raise InvalidInput(f"{header.where}: {err}") from None
            info = store.catalog.get(name)
    if info.zone != zone:
        raise InvalidInput(
            f"{header.where}: zone {zone!r} differs from timeline {name!r}'s zone {info.zone!r}"
        )
    return info


def load_registry(store: Store, timeline: str, as_known: datetime | None = None) -> Registry:
    """The actors and places of a timeline, as known at `as_known` (now when None), with the
    merges and acceptances recorded by then."""
    # The definitions' fields only, without building whole events: an import, a review and
    # the server's cache read all of them (an answer reads those it names: see below).
    revisions = store.log.definition_revisions(timeline, as_known=as_known)
    return _whole_registry(store, timeline, as_known, revisions)


def _whole_registry(
    store: Store, timeline: str, as_known: datetime | None, revisions: list[Event]
) -> Registry:
    definitions = list(store.log.definitions(timeline, as_known=as_known))
    # Dated aliases are read in the timeline's zone: asked for only when there are some.
    zone = "UTC"
    if any(_has_dated_alias(fields) for _, _, fields in definitions):
        zone = store.catalog.zone(timeline) or "UTC"
    if not revisions:
        registry = Registry(zone=zone)
        for _, kind, fields in definitions:
            registry.add(entity_from_fields(kind, fields))
    else:
        events = store.log.select(
            EventQuery(ids=[event_id for event_id, _, _ in definitions], with_record=False)
        )
        registry = Registry.from_events(effective_events([*events, *revisions]), zone=zone)
    registry.decide(registry_decisions(store, timeline, as_known))
    return registry


def registry_on_demand(
    store: Store, info: TimelineInfo, as_known: datetime | None = None
) -> Registry:
    """The registry `load_registry` makes, reading each entity's definitions when it is first
    asked for by id (all of them when first asked by name): what one answer needs, which
    names a few hundred of the entities a long war defines. When a definition has been
    revised, the whole registry is read at once, its revisions applied."""
    revisions = store.log.definition_revisions(info.name, as_known=as_known)
    if revisions:
        return _whole_registry(store, info.name, as_known, revisions)

    def read(entities: Collection[str] | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for _, kind, fields in store.log.definitions(
            info.name, as_known=as_known, entities=entities
        ):
            yield kind, fields

    registry = RegistryOnDemand(read, zone=info.zone or "UTC")
    registry.decide(registry_decisions(store, info.name, as_known))
    return registry


def registry_decisions(store: Store, timeline: str, as_known: datetime | None) -> list[Event]:
    """The merges and acceptances of a timeline recorded by `as_known`, revisions applied,
    in recording order."""
    query = EventQuery(timeline, kinds=DECISION_KINDS, as_known=as_known, with_record=False)
    return sorted(effective(store.log, query), key=lambda e: e.seq)


def _has_dated_alias(fields: Mapping[str, Any]) -> bool:
    aliases = fields.get("aliases")
    return isinstance(aliases, list) and any(isinstance(a, Mapping) for a in aliases)


def resolve_entity(
    store: Store, timeline: str, name: str, as_known: datetime | None = None
) -> Entity:
    """The actor or place `name` designates (id, name or alias, any case)."""
    return load_registry(store, timeline, as_known).resolve(name)


class StoreLookups:
    """Drafting's view of the database: stored events with their revisions applied."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # The offensives of a timeline by name, read once: an import ending many offensives
        # by name read every offensive.started of the timeline for each one (quadratic in a
        # long war). What the database held when drafting began, like the drafter's registry;
        # what the drafter drafts since, it remembers itself.
        self._offensives: dict[str, dict[str, list[str]]] = {}

    def event(self, event_id: str) -> Event | None:
        """The stored event, revisions applied (a retracted one is still found)."""
        try:
            stored = self.store.log.get(event_id)
        except NotFound:
            return None
        revisions = revisions_by_target(self.store.log, [stored.id]).get(stored.id, [])
        revised = apply_revisions(stored, revisions)
        if revised is None:
            # Retracted: still the event its corrections describe, so that a second
            # retraction is recognised as the same one.
            corrections = [r for r in revisions if r.kind == "correction"]
            revised = apply_revisions(stored, corrections) or stored
        return revised

    def offensive_named(self, timeline: str, name: str) -> list[str]:
        """Ids of the `offensive.started` events called `name` (any case)."""
        named = self._offensives.get(timeline)
        if named is None:
            named = {}
            for e in self.store.log.select(EventQuery(timeline, kinds=["offensive.started"])):
                named.setdefault(str(e.fields.get("name", "")).casefold(), []).append(e.id)
            self._offensives[timeline] = named
        return list(named.get(name.casefold(), ()))


def drafter(store: Store, info: TimelineInfo) -> Drafter:
    """A drafter for documents of one timeline, seeing what the database holds."""
    from timeline.documents import Drafter

    return Drafter(info.name, info.zone, load_registry(store, info.name), StoreLookups(store))


@dataclass(frozen=True, slots=True)
class Extent:
    """What a timeline's data covers: its earliest-starting and latest-starting events' dates
    (None when it has none with a start), and when its first event was recorded."""

    first: FuzzyDate | None
    last: FuzzyDate | None
    first_recorded: datetime | None


def extent(
    store: Store,
    info: TimelineInfo,
    *,
    as_known: datetime | None = None,
    as_published: datetime | None = None,
) -> Extent:
    """The dates a timeline's events span, and the instant its log begins. With a knowledge
    bound, the span is that of the events known (recorded by `as_known`, published by
    `as_published`) then: an answer bounded so must not call "latest" an event that was not
    yet known. When the log begins is the log's, whatever the bound."""
    dated = EventQuery(
        info.name,
        exclude_kinds=list(REGISTRY_KINDS),
        as_known=as_known,
        as_published=as_published,
        # Open starts ("../2011") say nothing of when a timeline begins.
        valid_from=OPEN_START + timedelta(microseconds=1),
        limit=1,
        with_record=False,
    )
    edges = [
        next(iter(store.log.select(replace(dated, descending=descending))), None)
        for descending in (False, True)
    ]
    first_recorded = next(
        iter(store.log.select(EventQuery(info.name, order="recorded", limit=1, with_record=False))),
        None,
    )
    first, last = (e.date if e is not None else None for e in edges)
    return Extent(first, last, first_recorded.recorded_at if first_recorded else None)


def check_known(
    store: Store,
    info: TimelineInfo,
    as_known: datetime | None,
    as_published: datetime | None = None,
) -> Extent | None:
    """Refuse a knowledge time before anything of the timeline was recorded: every answer
    would be empty, and an entity asked about unknown. Returns the extent of what was known
    by both bounds (see `extent`), if it read one."""
    if as_known is None:
        return None
    found = extent(store, info, as_known=as_known, as_published=as_published)
    if found.first_recorded is not None and as_known < found.first_recorded:
        raise InvalidInput(
            f"nothing had been recorded in {info.name} by {_iso(as_known)}: its first events "
            f"were recorded at {_iso(found.first_recorded)} (`timeline imports` lists when "
            "each import ran)",
            subject="as_known",
        )
    return found


def outside_data(extent: Extent, instant: datetime) -> str | None:
    """A line saying that `instant` falls before or after everything the timeline holds."""
    if extent.first is not None and instant <= extent.first.start:
        return f"before the timeline's first event ({extent.first.text}): nothing had happened yet"
    if extent.last is not None and instant >= extent.last.end:
        return f"after the timeline's latest event ({extent.last.text}): its data ends there"
    return None


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
