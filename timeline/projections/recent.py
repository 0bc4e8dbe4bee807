"""Recent events: the last events applied that started in the 14 days before the instant.

Newest first (reverse fold order). Definitions are not events of the conflict and are left
out. The state is a deque of the events of the last 14 days of the fold, capped at
`CAPACITY`: an answer can ask for at most that many.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from timeline.dates import to_micros
from timeline.events import Event
from timeline.projections.basis import (
    DAY,
    DEFINITION_KINDS,
    Ledger,
    Section,
    View,
    event_sources,
    mentioned,
)

WINDOW = 14 * DAY
CAPACITY = 1000


class Recent(Section):
    """The latest events, in fold order."""

    name = "recent"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        # [start, id, date text, kind, title, sources, entity ids]
        self.events: deque[list[Any]] = deque(maxlen=CAPACITY)

    def note(self, event: Event) -> None:
        """Remember an event (called for every event)."""
        if event.kind in DEFINITION_KINDS:
            return
        self.events.append(
            [
                to_micros(event.date.start),
                event.id,
                event.date.text,
                event.kind,
                event.title,
                event_sources(event),
                mentioned(event),
            ]
        )

    def advance(self, now: int) -> None:
        """Drop the events too old for any answer (answers are asked after `now`)."""
        while self.events and self.events[0][0] < now - WINDOW:
            self.events.popleft()

    def render(self, view: View, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` events that started in the 14 days before the instant, newest first."""
        since = view.at - WINDOW
        items: list[dict[str, Any]] = []
        # Starts never decrease along the deque, so the events in range are a suffix of it.
        for start, event_id, date, kind, title, sources, entities in reversed(self.events):
            if len(items) >= limit or start < since:
                break
            items.append(
                {
                    "id": event_id,
                    "date": date,
                    "kind": kind,
                    "title": title,
                    "entities": view.refs(entities),
                    "sources": sources,
                }
            )
        return items

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return list(self.events)

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.events = deque((list(e) for e in data), maxlen=CAPACITY)
