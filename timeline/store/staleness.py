"""When snapshots go stale: how far back in valid time newly recorded events reach.

A snapshot holds every effective event starting before its boundary, so an event recorded
after it that starts earlier (a late arrival), or a revision of such an event, makes it stale.
Every store implementation supersedes and filters snapshots by this one rule; each finds the
valid starts of stored events its own way (`earliest_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from timeline.dates import from_micros
from timeline.events import NewEvent
from timeline.revisions import REVISION_KINDS
from timeline.store.timelines import TIMELESS_KINDS

# The earliest valid start among the stored events with these ids and their revisions.
EarliestOf = Callable[[Sequence[str]], datetime | None]


def earliest_reached(appended: Iterable[NewEvent], earliest_of: EarliestOf) -> dict[str, datetime]:
    """For each timeline of an appended batch, the earliest valid start the batch reaches back
    to, counting the stored targets of its revisions (definitions and acceptances hold for
    all time and reach nothing; a merge reaches back to the start of its period)."""
    earliest: dict[str, datetime] = {}
    targets: dict[str, list[str]] = {}
    for event in appended:
        if event.kind in TIMELESS_KINDS:
            continue
        start = event.date.start
        if event.timeline not in earliest or start < earliest[event.timeline]:
            earliest[event.timeline] = start
        if event.kind in REVISION_KINDS and event.target:
            targets.setdefault(event.timeline, []).append(event.target)
    for timeline, ids in targets.items():
        reached = earliest_of(ids)
        if reached is not None and reached < earliest[timeline]:
            earliest[timeline] = reached
    return earliest


def earliest_start(
    rows: Iterable[tuple[str, str, int, str | None]], timeline: str, earliest_of: EarliestOf
) -> datetime | None:
    """The earliest valid start that stored rows (timeline, kind, valid_from in microseconds,
    target) reach back to in `timeline`, counting the targets of the revisions among them."""
    mine = [row for row in rows if row[0] == timeline and row[1] not in TIMELESS_KINDS]
    starts = [from_micros(valid_from) for _, _, valid_from, _ in mine]
    targets = [target for _, _, _, target in mine if target]
    if targets and (start := earliest_of(targets)) is not None:
        starts.append(start)
    return min(starts) if starts else None
