"""A stand-in for the store's lookups, for drafting and validation tests."""

from __future__ import annotations

from collections.abc import Iterable

from timeline.events import Event


class FakeLookups:
    """Stored events by id, as drafting sees them."""

    def __init__(self, events: Iterable[Event] = ()) -> None:
        self.events = {e.id: e for e in events}

    def event(self, event_id: str) -> Event | None:
        return self.events.get(event_id)

    def offensive_named(self, timeline: str, name: str) -> list[str]:
        return [
            e.id
            for e in self.events.values()
            if e.kind == "offensive.started"
            and e.timeline == timeline
            and str(e.fields.get("name")).casefold() == name.casefold()
        ]
