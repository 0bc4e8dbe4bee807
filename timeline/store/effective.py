"""The events in effect: what the log holds, with its corrections and retractions applied.

The one place where stored events meet their revisions. Works on any `EventLog`: the
revisions of the events asked about are read in one pass, and applied in recording order
(see `timeline.revisions`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from timeline.events import Event
from timeline.revisions import REVISION_KINDS, apply_revisions, fold_order
from timeline.store.interfaces import EventLog
from timeline.store.query import EventQuery


def revisions_by_target(
    log: EventLog,
    ids: Iterable[str],
    *,
    as_known: datetime | None = None,
    as_published: datetime | None = None,
    with_record: bool = True,
) -> dict[str, list[Event]]:
    """The revisions recorded (by `as_known`, and public by `as_published`) of each of these
    events that has any."""
    out: dict[str, list[Event]] = defaultdict(list)
    for revision in log.revisions_of(
        ids, as_known=as_known, as_published=as_published, with_record=with_record
    ):
        if revision.target:
            out[revision.target].append(revision)
    return dict(out)


def revise(
    log: EventLog,
    events: Iterable[Event],
    *,
    as_known: datetime | None = None,
    as_published: datetime | None = None,
    with_record: bool = True,
) -> dict[str, Event | None]:
    """Each of these stored events as its revisions left it, by id: None for one withdrawn."""
    originals = {event.id: event for event in events}
    revisions = revisions_by_target(
        log, originals, as_known=as_known, as_published=as_published, with_record=with_record
    )
    return {
        event_id: apply_revisions(event, revisions[event_id]) if event_id in revisions else event
        for event_id, event in originals.items()
    }


def effective(log: EventLog, query: EventQuery) -> list[Event]:
    """The events the query selects, revisions applied and withdrawn ones left out, in fold
    order (valid start, valid end, recording). The revisions among the selected rows are not
    events in effect of their own; each original's revisions are read whether or not the
    query selects them."""
    originals = [event for event in log.select(query) if event.kind not in REVISION_KINDS]
    revised = revise(
        log,
        originals,
        as_known=query.as_known,
        as_published=query.as_published,
        with_record=query.with_record,
    )
    return sorted((e for e in revised.values() if e is not None), key=fold_order)
