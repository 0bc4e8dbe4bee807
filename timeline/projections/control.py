"""Control of places: who holds each place, since when, and from whom they took it.

The latest `control` event of a place in fold order decides its controller. A report that the
same side still holds the place (no other `from`) does not start a new holding: `since` stays
with the event that opened it, and both events are cited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from timeline.events import Event
from timeline.projections.basis import Handler, Ledger, Section, View, text_field, unique


@dataclass(slots=True)
class Holding:
    """One side's hold on one place."""

    controller: str
    previous: str | None  # the side it was taken from, if known
    since: str  # date text of the event that opened the holding
    opened: str  # that event's id
    confirmed: str | None = None  # the latest later report of the same holding

    def basis(self) -> list[str]:
        """The events the holding rests on."""
        return unique([self.opened, self.confirmed])

    def to_json(self) -> list[Any]:
        """The holding as JSON-ready data."""
        return [self.controller, self.previous, self.since, self.opened, self.confirmed]


class Control(Section):
    """Latest controller per place."""

    name = "control"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.places: dict[str, Holding] = {}

    def handlers(self) -> dict[str, Handler]:
        """The event kinds this section folds, and how."""
        return {"control": self.on_control}

    def on_control(self, event: Event) -> None:
        """A place changes hands (or its holder is confirmed)."""
        place = text_field(event.fields, "place")
        by = text_field(event.fields, "by")
        if place is None or by is None:
            return
        taken_from = text_field(event.fields, "from")
        if taken_from == by:
            taken_from = None
        held = self.places.get(place)
        if held is not None and held.controller == by and taken_from is None:
            before = held.basis()
            held.confirmed = event.id
            self.ledger.rebase(before, held.basis(), event)
            return
        if taken_from is None and held is not None and held.controller != by:
            taken_from = held.controller
        new = Holding(by, taken_from, event.date.text, event.id)
        self.ledger.rebase(held.basis() if held else [], new.basis(), event)
        self.places[place] = new

    def render(self, view: View) -> list[dict[str, Any]]:
        """Every place's controller, sorted by place name."""
        items = []
        for place in sorted(self.places, key=lambda p: view.sort_name(p, "place")):
            held = self.places[place]
            items.append(
                {
                    "place": view.ref(place, "place"),
                    "controller": view.ref(held.controller, "actor"),
                    "from": view.ref(held.previous, "actor"),
                    "since": held.since,
                    **view.cite(held.basis()),
                }
            )
        return items

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return {place: held.to_json() for place, held in self.places.items()}

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.places = {place: Holding(*held) for place, held in data.items()}
