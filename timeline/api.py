"""The library's front door: what the CLI (or a notebook) calls.

Each function takes a Store and plain values, does one job, and raises `TimelineError`s
with one-line messages; printing is the caller's business.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from timeline import database, lookups
from timeline.choices import fold, match
from timeline.dates import FuzzyDate
from timeline.errors import InvalidInput, NotFound, ValidationError
from timeline.events import Event, NewEvent
from timeline.lookups import (
    check_known,
    drafter,
    extent,
    load_registry,
    outside_data,
    pick_timeline,
    resolve_entity,
)
from timeline.store import EventQuery, Store, TimelineInfo
from timeline.vocabulary import KINDS

# The front door re-exports what callers look up before they ask anything.
__all__ = [
    "Added",
    "add_documents",
    "add_event",
    "check_known",
    "correct_event",
    "count_unpublished_events",
    "create_timeline",
    "extent",
    "list_events",
    "load_registry",
    "open_store",
    "outside_data",
    "pick_timeline",
    "resolve_entity",
    "retract_event",
    "timeline_records",
]

if TYPE_CHECKING:
    # Imported where documents are drafted: reading (`timeline at`) needs neither them nor
    # the YAML parser they bring, which cost every answer a twentieth to a tenth of the
    # time SQLAlchemy's import takes.
    from timeline.documents import Item


def open_store(
    url: str | None = None,
    *,
    announce: Callable[[str], None] | None = None,
    must_exist: bool = False,
) -> Store:
    """Open the database named by `url`, TIMELINE_DB or the default, schema at head.

    A brand-new *default* database is loaded with the shipped seeds on first use (announced
    through `announce`); a database named explicitly starts empty. An upgrade of an older
    SQLite schema is announced there too (see `database.ensure_schema`). With `must_exist`
    (a caller that only reads), a SQLite file named explicitly that does not exist is
    NotFound, and nothing is created: not the file, not its folder.
    """
    from timeline.store.sql import SqlStore

    explicit = url or os.environ.get(database.ENV_VAR)
    if explicit:
        if must_exist and (missing := database.missing_file(explicit)) is not None:
            raise NotFound(
                f"no database at {str(missing)!r}: there is nothing to read, and reading "
                "creates no database",
                subject="db",
            )
        return SqlStore(database.open_engine(explicit, announce=announce))
    path = database.default_path()
    store = SqlStore(database.open_engine(database.default_url(), announce=announce))
    # "New" means no timeline yet, rather than no file: a first run killed while loading
    # the seeds leaves a file, and the next run finishes the job.
    if not store.catalog.names():
        from timeline.seeds import load_all_seeds

        loaded = load_all_seeds(store)
        if announce is not None:
            names = ", ".join(loaded) or "none"
            announce(f"new database {path}: loaded the shipped timelines ({names})")
    return store


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
    result = store.log.append(drafts)
    return Added(result.added, drafts, result.unchanged)


def add_document(
    store: Store, documents: Sequence[Item], timeline: str | None = None
) -> tuple[TimelineInfo, Added]:
    """Add the events of one document, all of them or none, into the timeline its header
    names (created when there is none of that name, as an import of the document does), or
    `timeline`, or the only one there is."""
    headers = [item for item in documents if item.is_header]
    names = {str(item.data.get("timeline")) for item in headers}
    if len(names) > 1:
        raise InvalidInput(
            f"{headers[1].where}: a second timeline header; a document added at once holds "
            "one timeline (import it to add several)"
        )
    with store.writing() as tx:
        if headers:
            info = lookups.header_timeline(tx, headers[0], timeline)
        else:
            info = pick_timeline(tx, timeline or _named_timeline(documents))
        return info, add_documents(tx, info, documents)


def create_timeline(
    store: Store,
    name: str,
    zone: str,
    title: str | None = None,
    *,
    fatalities: Sequence[str] | None = None,
) -> TimelineInfo:
    """Create an empty timeline whose dates are read in `zone`. `fatalities` names the
    datasets whose fatality figures its totals take, most preferred first (`ucdp`, `acled`,
    `timeline`: see `timeline.projections.fatalities`), recorded as an undated
    `fatalities.policy` event; without it the default policy holds. All or nothing."""
    from timeline.projections.fatalities import POLICY_KIND, dataset_name

    with store.writing() as tx:
        info = tx.catalog.create(name, zone, title)
        if fatalities is not None:
            prefer = list(fatalities)
            said = ", else ".join(dataset_name(d) for d in prefer)
            document = {
                "kind": POLICY_KIND,
                "title": f"Fatality totals: {said}, where its data reaches",
                "prefer": prefer,
            }
            try:
                add_event(tx, info, document)
            except ValidationError as err:
                # The datasets were the caller's `fatalities`, not a field they wrote.
                message = str(err).removeprefix("prefer: ")
                raise InvalidInput(message, subject="fatalities") from None
    return info


def _named_timeline(documents: Sequence[Item]) -> str | None:
    # Without a header, the `timeline` key of the first event that has one.
    for item in documents:
        if "timeline" in item.data:
            return str(item.data["timeline"])
    return None


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
    target = store.log.get(event_id)
    info = store.catalog.get(target.timeline)
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
    target = store.log.get(event_id)
    info = store.catalog.get(target.timeline)
    return add_event(store, info, {"kind": "retraction", "target": target.id, "reason": reason})


def known_kind(text: str) -> str:
    """The kind of the vocabulary `text` names (any case and spacing), or an error naming the
    closest kinds."""
    import difflib

    found = match(text, sorted(KINDS))
    if found is not None:
        return found
    folded = {fold(kind): kind for kind in KINDS}
    close = difflib.get_close_matches(fold(text), list(folded), n=4, cutoff=0.5)
    # Kinds of the same family ("ceasefire.agreed": the ceasefire.* kinds) come close too.
    family = fold(text).split(".")[0]
    close += [f for f in folded if f.startswith(family + ".") and f not in close]
    hint = (
        f"closest: {', '.join(folded[c] for c in close)}"
        if close
        else f"kinds: {', '.join(sorted(KINDS))}"
    )
    raise InvalidInput(f"unknown kind {text!r}; {hint} (docs/vocabulary.md)", subject="kind")


# -- reading -----------------------------------------------------------------------------------


def list_events(
    store: Store,
    info: TimelineInfo,
    *,
    kinds: Sequence[str] = (),
    between: tuple[FuzzyDate, FuzzyDate] | None = None,
    entity: str | None = None,
    as_known: datetime | None = None,
    as_published: datetime | None = None,
    starting: datetime | None = None,
    with_record: bool = True,
) -> Iterator[Event]:
    """The recorded events of a timeline in valid-time order, filtered (revisions included,
    so that the log reads as it was written): of some kinds, starting between the start of
    one fuzzy date and the end of another, naming an entity, recorded by `as_known`, first
    published by `as_published` (events with no publication date are then left out: see
    `count_unpublished_events`); starting at or after the instant `starting` (where the
    previous page of a listing ended); without each event's source record unless
    `with_record`."""
    query = _events_query(store, info, kinds, between, entity, as_known, starting)
    return store.log.select(replace(query, as_published=as_published, with_record=with_record))


def count_unpublished_events(
    store: Store,
    info: TimelineInfo,
    *,
    kinds: Sequence[str] = (),
    between: tuple[FuzzyDate, FuzzyDate] | None = None,
    entity: str | None = None,
    as_known: datetime | None = None,
) -> int:
    """How many of the events `list_events` would list with these filters have no
    publication date at all: what any publication bound leaves out."""
    query = _events_query(store, info, kinds, between, entity, as_known, None)
    return sum(1 for _ in store.log.select(replace(query, published=False, with_record=False)))


def _events_query(
    store: Store,
    info: TimelineInfo,
    kinds: Sequence[str],
    between: tuple[FuzzyDate, FuzzyDate] | None,
    entity: str | None,
    as_known: datetime | None,
    starting: datetime | None,
) -> EventQuery:
    start = end = None
    if between is not None:
        first, last = between
        if last.end <= first.start:
            raise InvalidInput(
                f"{last.text!r} ends before {first.text!r} starts", subject="between"
            )
        start, end = first.start, last.end
    if starting is not None:
        start = starting if start is None else max(start, starting)
    entity_id = None
    if entity is not None:
        entity_id = load_registry(store, info.name, as_known).resolve(entity, subject="entity").id
    return EventQuery(
        info.name,
        kinds=[known_kind(kind) for kind in kinds] or None,
        valid_from=start,
        valid_before=end,
        as_known=as_known,
        entity=entity_id,
    )


def timeline_records(store: Store) -> list[dict[str, Any]]:
    """Every timeline as a record: name, zone, event count, first and last dates, title
    (what `timeline timelines --format json` prints and `/api/timelines` answers)."""
    return [
        {
            "name": t.name,
            "zone": t.zone,
            "events": t.events,
            "first": t.first,
            "last": t.last,
            "title": t.title,
        }
        for t in store.catalog.summaries()
    ]
