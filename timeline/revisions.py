"""Corrections and retractions, applied: from the log as recorded to the events in effect.

Pure module. Nothing in the log is edited; a `correction` carries the corrected date and
title of its target and the fields it replaces, a `retraction` withdraws its target. The
effective view applies them in recording order, so the latest word on an event wins (a
correction recorded after a retraction reinstates the event).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from timeline.events import Event

REVISION_KINDS = frozenset({"correction", "retraction"})


def apply_revisions(event: Event, revisions: Iterable[Event]) -> Event | None:
    """The effective form of `event` after `revisions` (its corrections and retractions,
    in any order), or None when the last of them withdrew it."""
    current: Event | None = event
    for revision in sorted(revisions, key=lambda r: r.seq):
        if revision.kind == "retraction":
            current = None
            continue
        base = current or event
        replaced = revision.fields.get("fields") or {}
        # A replaced field set to null removes it (a re-imported record that lost a value).
        merged = {k: v for k, v in {**base.fields, **replaced}.items() if v is not None}
        # A correction typed by a person adds its sources to the event's; one that restates
        # a whole record (a re-import of a revised dataset row or document) says what the
        # record cites now, so a source the record dropped is no longer cited.
        if revision.fields.get("restates"):
            sources = tuple(revision.sources)
        else:
            sources = tuple(dict.fromkeys((*base.sources, *revision.sources)))
        current = base.revised(
            title=revision.title or base.title,
            date=revision.date,
            fields=merged,
            sources=sources,
            confidence=revision.confidence or base.confidence,
        )
    return current


def effective_events(events: Iterable[Event]) -> Iterator[Event]:
    """The events in effect among `events`: revisions applied, revision events left out.

    Holds the whole input in memory; the store applies revisions window by window instead.
    """
    originals: list[Event] = []
    revisions: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event.kind in REVISION_KINDS and event.target:
            revisions[event.target].append(event)
        else:
            originals.append(event)
    for event in originals:
        revised = apply_revisions(event, revisions.get(event.id, ()))
        if revised is not None:
            yield revised


def fold_order(event: Event) -> tuple[object, ...]:
    """The order projections fold events in: valid start, then valid end, then recording."""
    return (event.date.start, event.date.end, event.seq)
