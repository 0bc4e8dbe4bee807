"""Recent events: the last events applied that started in the 14 days before the instant.

Newest first (reverse fold order). Definitions are not events of the conflict and are left
out. The state is a deque of the events of the last 14 days of the fold, capped at
`CAPACITY`: an answer can ask for at most that many.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import orjson

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
        # Restored from a snapshot and not read yet: the JSON of the events before `events`.
        # An answer after a snapshot usually finds all the recent events it shows among those
        # folded since, so the thousand stored ones are decoded only when it does not.
        self._stored: str | None = None
        self._cutoff = 0  # stored events starting before this are gone (see `advance`)

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
        self._cutoff = max(self._cutoff, now - WINDOW)
        if self.events and self.events[0][0] < now - WINDOW:
            # Starts never decrease along the events: every stored one is older still.
            self._stored = None
            while self.events and self.events[0][0] < now - WINDOW:
                self.events.popleft()

    def _read_stored(self) -> None:
        if self._stored is None:
            return
        stored = [e for e in orjson.loads(self._stored) if e[0] >= self._cutoff]
        self._stored = None
        self.events = deque([*stored, *self.events], maxlen=CAPACITY)

    def render(self, view: View, limit: int) -> list[dict[str, Any]]:
        """Up to `limit` events that started in the 14 days before the instant, newest first."""
        since = view.at - WINDOW
        if self._stored is not None and not self._shown_without_stored(since, limit):
            self._read_stored()
        shown: list[list[Any]] = []
        # Starts never decrease along the deque, so the events in range are a suffix of it.
        for event in reversed(self.events):
            if len(shown) >= limit or event[0] < since:
                break
            shown.append(event)
        # The entities of the events shown, read in one go: a state's other texts do not
        # name them (see `naming_json`), and one by one they took a query each.
        view.prefetch(entity_id for event in shown for entity_id in event[6])
        return [
            {
                "id": event_id,
                "date": date,
                "kind": kind,
                "title": title,
                "entities": view.refs(entities),
                "sources": sources,
            }
            for _, event_id, date, kind, title, sources, entities in shown
        ]

    def _shown_without_stored(self, since: int, limit: int) -> bool:
        # Whether the events folded since the snapshot hold all an answer shows: `limit` of
        # them in range, or one out of range (everything stored is older still).
        for in_range, event in enumerate(reversed(self.events), start=1):
            if event[0] < since or in_range >= limit:
                return True
        return limit <= 0

    def to_json(self) -> Any:
        """The section's state as JSON-ready data: the events as one JSON text, so that a
        restored state reads them only if an answer needs them."""
        self._read_stored()
        return orjson.dumps(list(self.events)).decode()

    def naming_json(self) -> Any:
        """Nothing: `render` reads the entities of the events it shows, a few of the
        thousand this section may hold, and the stored ones are not decoded for it."""
        return []

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.events = deque(maxlen=CAPACITY)
        self._stored = data
        self._cutoff = 0
