"""The library's front door: what the CLI (or a notebook) calls.

Each function takes a Store and plain values, does one job, and raises `TimelineError`s
with one-line messages; printing is the caller's business.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from timeline import database
from timeline.dates import DateError, FuzzyDate, parse_fuzzy, parse_instant
from timeline.entities import Entity, Registry, entity_from_fields
from timeline.errors import InvalidInput, NotFound, ValidationError
from timeline.events import Event, NewEvent
from timeline.revisions import apply_revisions, effective_events
from timeline.store import Store, TimelineInfo

if TYPE_CHECKING:
    # Imported where documents are drafted: reading (`timeline at`) needs neither them nor
    # the YAML parser they bring, which cost every answer a twentieth to a tenth of the
    # time SQLAlchemy's import takes.
    from timeline.documents import Drafter, Item


def open_store(url: str | None = None, *, announce: Callable[[str], None] | None = None) -> Store:
    """Open the database named by `url`, TIMELINE_DB or the default, schema at head.

    A brand-new *default* database is loaded with the shipped seeds on first use (announced
    through `announce`); a database named explicitly starts empty. An upgrade of an older
    SQLite schema is announced there too (see `database.ensure_schema`).
    """
    explicit = url or os.environ.get(database.ENV_VAR)
    if explicit:
        return Store(database.open_engine(explicit, announce=announce))
    path = database.default_path()
    store = Store(database.open_engine(database.default_url(), announce=announce))
    # "New" means no timeline yet, rather than no file: a first run killed while loading
    # the seeds leaves a file, and the next run finishes the job.
    if not store.timeline_names():
        from timeline.seeds import load_all_seeds

        loaded = load_all_seeds(store)
        if announce is not None:
            names = ", ".join(loaded) or "none"
            announce(f"new database {path}: loaded the shipped timelines ({names})")
    return store


def pick_timeline(store: Store, name: str | None) -> TimelineInfo:
    """The timeline named, or the only one there is; a one-line error otherwise."""
    if name is not None:
        return store.timeline(name)
    names = store.timeline_names()
    if len(names) == 1:
        return store.timeline(names[0])
    if not names:
        raise InvalidInput(
            "--timeline: the database has no timeline yet; create one with "
            "`timeline create NAME --zone ZONE` or load the shipped ones with `timeline seed`"
        )
    raise InvalidInput(f"--timeline: required, the database has several: {', '.join(names)}")


def parse_date(text: str, zone: str, option: str) -> FuzzyDate:
    """A fuzzy date from the user, or InvalidInput naming the option."""
    try:
        return parse_fuzzy(text, zone)
    except DateError as err:
        raise InvalidInput(f"{option}: {err}") from None


def parse_moment(text: str | None, zone: str, option: str) -> datetime | None:
    """An instant from the user ("at" semantics: a day means its end), or None."""
    if text is None:
        return None
    try:
        return parse_instant(text, zone)
    except DateError as err:
        raise InvalidInput(f"{option}: {err}") from None


# -- entities ----------------------------------------------------------------------------------


def load_registry(store: Store, timeline: str, as_known: datetime | None = None) -> Registry:
    """The actors and places of a timeline, as known at `as_known` (now when None)."""
    # Read on every answer: the definitions' fields only, without building whole events.
    definitions = list(store.definitions(timeline, as_known=as_known))
    revisions = store.definition_revisions(timeline, as_known=as_known)
    if not revisions:
        registry = Registry()
        for _, kind, fields in definitions:
            registry.add(entity_from_fields(kind, fields))
        return registry
    events = store.select(ids=[event_id for event_id, _, _ in definitions], with_record=False)
    return Registry.from_events(effective_events([*events, *revisions]))


def resolve_entity(
    store: Store, timeline: str, name: str, as_known: datetime | None = None
) -> Entity:
    """The actor or place `name` designates (id, name or alias, any case)."""
    return load_registry(store, timeline, as_known).resolve(name)


class StoreLookups:
    """Drafting's view of the database: stored events with their revisions applied."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def event(self, event_id: str) -> Event | None:
        """The stored event, revisions applied (a retracted one is still found)."""
        try:
            stored = self.store.get(event_id)
        except NotFound:
            return None
        revisions = self.store.revisions_of([stored.id])
        revised = apply_revisions(stored, revisions)
        if revised is None:
            # Retracted: still the event its corrections describe, so that a second
            # retraction is recognised as the same one.
            corrections = [r for r in revisions if r.kind == "correction"]
            revised = apply_revisions(stored, corrections) or stored
        return revised

    def offensive_named(self, timeline: str, name: str) -> list[str]:
        """Ids of the `offensive.started` events called `name`."""
        folded = name.casefold()
        return [
            e.id
            for e in self.store.select(timeline, kinds=["offensive.started"])
            if str(e.fields.get("name", "")).casefold() == folded
        ]


def drafter(store: Store, info: TimelineInfo) -> Drafter:
    """A drafter for documents of one timeline, seeing what the database holds."""
    from timeline.documents import Drafter

    return Drafter(info.name, info.zone, load_registry(store, info.name), StoreLookups(store))


# -- writing -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Added:
    """The outcome of adding events: what was stored and what was already there."""

    events: list[Event]
    drafts: list[NewEvent]
    unchanged: int


def add_documents(store: Store, info: TimelineInfo, documents: Sequence[Item]) -> Added:
    """Validate documents and append them as one batch: all of them or none."""
    draft = drafter(store, info)
    drafts = [draft.draft(item) for item in documents if not item.is_header]
    result = store.append(drafts)
    return Added(result.added, drafts, result.unchanged)


def add_event(store: Store, info: TimelineInfo, document: Mapping[str, Any]) -> Added:
    """Validate one event document and append it."""
    from timeline.documents import Item

    return add_documents(store, info, [Item("", document)])


def correct_event(
    store: Store,
    event_id: str,
    *,
    date: str | None = None,
    title: str | None = None,
    fields: Mapping[str, Any] | None = None,
    sources: Sequence[Mapping[str, Any]] = (),
) -> Added:
    """Record a correction of an event: a new event replacing its date, title or fields."""
    target = store.get(event_id)
    info = store.timeline(target.timeline)
    # Replaced fields travel in their own mapping: a field may itself be called `target`.
    document: dict[str, Any] = {"kind": "correction", "target": target.id}
    if fields:
        document["fields"] = dict(fields)
    if date is not None:
        document["date"] = date
    if title is not None:
        document["title"] = title
    if sources:
        document["sources"] = list(sources)
    return add_event(store, info, document)


def retract_event(store: Store, event_id: str, reason: str) -> Added:
    """Record the withdrawal of an event, with the reason."""
    target = store.get(event_id)
    info = store.timeline(target.timeline)
    return add_event(store, info, {"kind": "retraction", "target": target.id, "reason": reason})


# -- reading -----------------------------------------------------------------------------------


def list_events(
    store: Store,
    info: TimelineInfo,
    *,
    kinds: Sequence[str] = (),
    between: tuple[str, str] | None = None,
    entity: str | None = None,
    as_known: str | None = None,
) -> Iterator[Event]:
    """The recorded events of a timeline in valid-time order, filtered (revisions included,
    so that the log reads as it was written)."""
    known = parse_moment(as_known, info.zone, "--as-known")
    start = end = None
    if between is not None:
        first = parse_date(between[0], info.zone, "--between")
        last = parse_date(between[1], info.zone, "--between")
        if last.end <= first.start:
            raise InvalidInput(f"--between: {between[1]!r} ends before {between[0]!r} starts")
        start, end = first.start, last.end
    entity_id = None
    if entity is not None:
        try:
            entity_id = resolve_entity(store, info.name, entity, known).id
        except InvalidInput as err:
            raise InvalidInput(f"--entity: {err}") from None
    for kind in kinds:
        from timeline.vocabulary import kind_spec

        try:
            kind_spec(kind)
        except ValidationError as err:
            raise InvalidInput(f"--kind: {err}") from None
    return store.select(
        info.name,
        kinds=list(kinds) or None,
        valid_from=start,
        valid_before=end,
        as_known=known,
        entity=entity_id,
    )
