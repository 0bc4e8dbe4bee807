"""Answers from the log: the state at an instant, what changed between two, an entity's
history. Each folds only what it needs (see `timeline.folding`).

Each takes two knowledge bounds, which combine: `as_known` keeps what this database had
recorded by then, `as_published` what had been published by then (an event counts from the
earliest publication date among its sources, or its `reported` time: see
`timeline.events.first_published`). Under a publication bound, events with no publication
date at all are left out, and the answer says how many.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from timeline import lookups
from timeline.dates import format_instant
from timeline.entities import REGISTRY_KINDS, RegistryOnDemand
from timeline.errors import InvalidInput
from timeline.events import spelled_as_event_id
from timeline.folding import (
    FoldCache,
    collector_paused,
    datasets_continuing,
    entity_events,
    projector_at,
)
from timeline.projections import SECTIONS, Answer, AnswerStream, Content
from timeline.store import EventQuery, Store, TimelineInfo
from timeline.store.effective import effective

if TYPE_CHECKING:
    from timeline.projections.diff import Diff
    from timeline.projections.history import History


def state_at(
    store: Store,
    info: TimelineInfo,
    at: datetime,
    *,
    as_known: datetime | None = None,
    as_published: datetime | None = None,
    sections: Sequence[str] = (),
    entities: Sequence[str] = (),
    recent_limit: int = 50,
    limit: int | None = None,
    cache: FoldCache | None = None,
    head: int | None = None,
) -> Answer:
    """The state of a timeline at the instant `at`, as known at `as_known` (now when None)
    and published by `as_published` (no bound when None), narrowed to some sections or to
    what concerns some entities (names, ids or aliases). A long-running reader passes a
    `cache` it keeps between answers (the same answer, sooner), and the log's `head`
    (`last_seq`) if it has read it in the same transaction already. `limit` keeps at most
    that many facts in each list section (see `Answer.limit`)."""
    with state_stream(
        store,
        info,
        at,
        as_known=as_known,
        as_published=as_published,
        sections=sections,
        entities=entities,
        recent_limit=recent_limit,
        limit=limit,
        cache=cache,
        head=head,
    ) as stream:
        return stream.collect()


@contextmanager
def state_stream(
    store: Store,
    info: TimelineInfo,
    at: datetime,
    *,
    as_known: datetime | None = None,
    as_published: datetime | None = None,
    sections: Sequence[str] = (),
    entities: Sequence[str] = (),
    recent_limit: int = 50,
    limit: int | None = None,
    cache: FoldCache | None = None,
    head: int | None = None,
) -> Iterator[AnswerStream]:
    """`state_at`'s answer with its facts made as they are read (see `AnswerStream`), for a
    reader that writes each out in turn: an answer of a hundred thousand facts then never
    holds them all at once (with a `limit`, the facts it keeps). Read the stream inside the
    block: the folded state it is made from goes when the block ends."""
    if limit is not None and limit < 1:
        raise InvalidInput(f"a limit of {limit} facts per section: give 1 or more", subject="limit")
    for name in sections:
        if name not in SECTIONS:
            raise InvalidInput(f"{name!r} is not one of {', '.join(SECTIONS)}", subject="section")
    with collector_paused():
        # The registry is the timeline's vocabulary, not a fact anyone published: only the
        # recording bound applies to it.
        # One read of the log's head serves both the registry and the fold from a cache.
        if cache is not None and head is None:
            head = store.log.last_seq()
        if cache is None:
            # Read as the answer names entities: a long war defines tens of thousands.
            registry = lookups.registry_on_demand(store, info, as_known)
        else:
            load = partial(lookups.load_registry, store, info.name, as_known)
            assert head is not None
            registry = cache.registry(head, info.name, as_known, load)
        entity_ids = [registry.resolve(name, subject="entity").id for name in entities]
        if cache is None:
            projector = projector_at(
                store, info.name, at, as_known, as_published, merges=registry.merges
            )
        else:
            assert head is not None
            projector = cache.projector_at(
                store, head, info.name, at, as_known, as_published, registry.merges
            )
        if isinstance(registry, RegistryOnDemand):
            # The names of the state's entities read in one go, not one by one as facts name
            # them. (A cached registry holds them all already.)
            # Event ids are most of a late state's texts, and no entity's. (One that were would
            # be read when named.)
            registry.prefetch(t for t in projector.texts() if not spelled_as_event_id(t))
        continuing = datasets_continuing(
            store, info.name, projector.datasets_to_follow(at), at, as_known, as_published
        )
        stream = projector.stream(
            at,
            registry,
            timeline=info.name,
            as_known=as_known,
            recent_limit=recent_limit,
            continuing=continuing,
        )
        if entity_ids and (not sections or "fatalities" in sections):
            # The figures of the entities' events alone, each toll decided as the whole
            # timeline's are (the same coverage and policy).
            own = entity_events(store, info.name, entity_ids, at, as_known, as_published)
            figures = projector.fatalities_of(own, at, registry, continuing=continuing)
            entities_named = [{"id": e, "name": registry.name_of(e)} for e in entity_ids]
            stream = replace(
                stream,
                contents=_with_fatalities(stream.contents, {**figures, "entities": entities_named}),
            )
        # Only the stream holds the state from here: it goes when the stream is closed.
        del projector
        if as_published is not None:
            unpublished = count_unpublished(store, info.name, as_known, before=at)
            stream = replace(stream, as_published=as_published, unpublished=unpublished)
        if sections or entity_ids:
            stream = stream.filter(sections or None, entity_ids or None)
        try:
            if limit is not None:
                stream = stream.limit(limit)
            yield stream
        finally:
            # Freed here, while the collector is paused: reference counting frees the state,
            # and the collector, once it runs again, has nothing of it left to walk.
            stream.close()
            del stream


def _with_fatalities(
    contents: Iterator[tuple[str, Content]], figures: dict[str, Any]
) -> Iterator[tuple[str, Content]]:
    """`contents` with these fatality figures in place of the timeline's."""
    for name, content in contents:
        yield name, figures if name == "fatalities" else content


def diff_between(
    store: Store,
    info: TimelineInfo,
    first: datetime,
    second: datetime,
    *,
    as_known: datetime | None = None,
    as_published: datetime | None = None,
    cache: FoldCache | None = None,
    head: int | None = None,
    net: bool = False,
) -> Diff:
    """What changed between two instants (the second after the first), under the same
    knowledge bounds at both (through `cache` and `head`, as `state_at`): the net change
    from the state at the first to the state at the second, and (unless `net`) every
    transition in between, event by event, those whose dates straddle either instant
    included."""
    if second <= first:
        raise InvalidInput(
            f"{second.isoformat()} is not after {first.isoformat()}", subject="second"
        )
    before, after = (
        state_at(
            store,
            info,
            at,
            as_known=as_known,
            as_published=as_published,
            cache=cache,
            head=head,
        )
        for at in (first, second)
    )
    # Here, not at the top: `timeline at` neither compares nor follows, and need not load
    # either module.
    from timeline.projections.diff import diff
    from timeline.projections.transitions import transitions, watched_kinds

    result = diff(before, after)
    if net:
        return result
    # Every event of the kinds that make and unmake facts, from the start of the log: an
    # event dated "2011/.." may straddle the first instant, and a correction may have moved
    # any of them. The cost is linear in the timeline's events of those kinds, as a
    # history's is (clashes and strikes, most of an imported log, are not read).
    query = EventQuery(
        info.name,
        kinds=watched_kinds(),
        as_known=as_known,
        as_published=as_published,
        with_record=False,
    )
    with collector_paused():
        registry = lookups.load_registry(store, info.name, as_known)
        moves = transitions(effective(store.log, query), registry, first, second)
    return replace(result, transitions=tuple(moves))


def history_of(
    store: Store,
    info: TimelineInfo,
    name: str,
    *,
    as_known: datetime | None = None,
    as_published: datetime | None = None,
) -> History:
    """A place's controllers, or an actor's control, presence and support, as intervals."""
    from timeline.projections.history import followed_kinds, history

    registry = lookups.load_registry(store, info.name, as_known)
    entity = registry.resolve(name, subject="entity")
    # Every event of the kinds a history follows, not only those naming the entity: the
    # control event that ends a holding need not name the holder, nor a withdrawal the place
    # it leaves; and a correction may have added the entity to an event that did not name it.
    # The cost is linear in the timeline's events of those kinds (control, presence and
    # support: few beside the clashes and strikes that make up most of an imported log).
    kinds = followed_kinds()
    query = EventQuery(
        info.name, kinds=kinds, as_known=as_known, as_published=as_published, with_record=False
    )
    # Each event as the merges recorded by then attribute it.
    events = [registry.merges.attribute(e) for e in effective(store.log, query)]
    result = history(entity.id, entity.type, events, registry)
    return replace(
        result,
        as_known=format_instant(as_known) if as_known is not None else None,
        as_published=format_instant(as_published) if as_published is not None else None,
        unpublished=(
            None
            if as_published is None
            else count_unpublished(store, info.name, as_known, kinds=kinds)
        ),
    )


def count_unpublished(
    store: Store,
    timeline: str,
    as_known: datetime | None,
    *,
    before: datetime | None = None,
    kinds: Collection[str] | None = None,
) -> int:
    """How many events (revisions included, the registry's not) recorded by `as_known` have no
    publication date at all: what a publication bound leaves out whatever its instant. Only
    those starting before `before`, and of some kinds, when given."""
    query = EventQuery(
        timeline,
        kinds=kinds,
        exclude_kinds=None if kinds is not None else tuple(REGISTRY_KINDS),
        valid_before=before,
        as_known=as_known,
        published=False,
        with_record=False,
    )
    return sum(1 for _ in store.log.select(query))
