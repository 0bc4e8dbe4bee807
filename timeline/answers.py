"""Answers from the log: the state at an instant, what changed between two, an entity's
history. Each folds only what it needs (see `timeline.folding`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from timeline import lookups
from timeline.errors import InvalidInput
from timeline.folding import collector_paused, projector_at
from timeline.projections import SECTIONS, Answer, Diff, History, diff, history
from timeline.projections.history import followed_kinds
from timeline.store import EventQuery, Store, TimelineInfo
from timeline.store.effective import effective


def state_at(
    store: Store,
    info: TimelineInfo,
    at: datetime,
    *,
    as_known: datetime | None = None,
    sections: Sequence[str] = (),
    entities: Sequence[str] = (),
    recent_limit: int = 50,
) -> Answer:
    """The state of a timeline at the instant `at`, as known at `as_known` (now when None),
    narrowed to some sections or to what concerns some entities (names, ids or aliases)."""
    for name in sections:
        if name not in SECTIONS:
            raise InvalidInput(f"{name!r} is not one of {', '.join(SECTIONS)}", subject="section")
    with collector_paused():
        registry = lookups.load_registry(store, info.name, as_known)
        entity_ids = [registry.resolve(name, subject="entity").id for name in entities]
        projector = projector_at(store, info.name, at, as_known)
        answer = projector.answer(
            at, registry, timeline=info.name, as_known=as_known, recent_limit=recent_limit
        )
        # Freed here, while the collector is paused: only the answer is left for it to see.
        del projector
    if sections or entity_ids:
        answer = answer.filter(sections or None, entity_ids or None)
    return answer


def diff_between(
    store: Store,
    info: TimelineInfo,
    first: datetime,
    second: datetime,
    *,
    as_known: datetime | None = None,
) -> Diff:
    """What changed between two instants (the second after the first)."""
    if second <= first:
        raise InvalidInput(
            f"{second.isoformat()} is not after {first.isoformat()}", subject="second"
        )
    before = state_at(store, info, first, as_known=as_known)
    after = state_at(store, info, second, as_known=as_known)
    return diff(before, after)


def history_of(
    store: Store, info: TimelineInfo, name: str, *, as_known: datetime | None = None
) -> History:
    """A place's controllers, or an actor's control, presence and support, as intervals."""
    registry = lookups.load_registry(store, info.name, as_known)
    entity = registry.resolve(name, subject="entity")
    # Every event of the kinds a history follows, not only those naming the entity: the
    # control event that ends a holding need not name the holder, nor a withdrawal the place
    # it leaves; and a correction may have added the entity to an event that did not name it.
    # The cost is linear in the timeline's events of those kinds (control, presence and
    # support: few beside the clashes and strikes that make up most of an imported log).
    query = EventQuery(info.name, kinds=followed_kinds(), as_known=as_known, with_record=False)
    return history(entity.id, entity.type, effective(store.log, query), registry)
