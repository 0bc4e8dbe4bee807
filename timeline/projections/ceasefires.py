"""Ceasefires: their status, parties and violations, per ceasefire name.

`ceasefire.proposed` / `.in_force` / `.collapsed` / `.ended` set the status they name; an
`agreement` with a `ceasefire` field puts that ceasefire in force; `ceasefire.violated` makes
a ceasefire in force (or already violated, or not heard of before) `violated`, and counts one
violation for each actor in `by` whatever the status. Parties are the union of the parties
any of these events gives. Every ceasefire is kept: there are few.

`certain` says whether the event behind the current status is certainly over; violations
whose events are not are counted apart, under `violations_uncertain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from timeline.events import Event
from timeline.projections.basis import Ledger, Section, View, fold_name, list_field, text_field

STATUS_OF_KIND = {
    "ceasefire.proposed": "proposed",
    "ceasefire.in_force": "in_force",
    "ceasefire.violated": "violated",
    "ceasefire.collapsed": "collapsed",
    "ceasefire.ended": "ended",
    "agreement": "in_force",
}
# The statuses a violation turns into `violated`; None is a ceasefire first heard of through
# its violation (it must have been in force to be violated).
VIOLABLE = (None, "in_force", "violated")


@dataclass(slots=True)
class Ceasefire:
    """One ceasefire, as its events so far describe it."""

    name: str
    status: str | None = None
    status_by: str | None = None
    since: str | None = None
    parties: list[str] = field(default_factory=list)
    violations: list[list[Any]] = field(default_factory=list)  # [event id, [actor ids]]
    events: list[str] = field(default_factory=list)

    def to_json(self) -> list[Any]:
        """The ceasefire as JSON-ready data."""
        return [
            self.name,
            self.status,
            self.status_by,
            self.since,
            self.parties,
            self.violations,
            self.events,
        ]


class Ceasefires(Section):
    """Every ceasefire by name."""

    name = "ceasefires"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.ceasefires: dict[str, Ceasefire] = {}
        self.handlers = dict.fromkeys(STATUS_OF_KIND, self.on_event)

    def on_event(self, event: Event) -> None:
        """A ceasefire is proposed, takes effect, is violated, collapses or ends."""
        name = text_field(event.fields, "ceasefire")
        if name is None:
            return  # e.g. an agreement that is not about a ceasefire
        ceasefire = self.ceasefires.setdefault(fold_name(name), Ceasefire(name))
        status = STATUS_OF_KIND[event.kind]
        if event.kind == "ceasefire.violated":
            ceasefire.violations.append([event.id, list_field(event.fields, "by")])
            if ceasefire.status not in VIOLABLE:
                status = ceasefire.status or status  # a violation does not revive it
        # A repeated report of the same status keeps the event that first set it.
        if status != ceasefire.status:
            ceasefire.status, ceasefire.status_by, ceasefire.since = (
                status,
                event.id,
                event.date.text,
            )
        for party in list_field(event.fields, "parties"):
            if party not in ceasefire.parties:
                ceasefire.parties.append(party)
        ceasefire.events.append(event.id)
        self.ledger.acquire(event)

    def render(self, view: View) -> list[dict[str, Any]]:
        """Every ceasefire, by name."""
        items = []
        for key in sorted(self.ceasefires):
            c = self.ceasefires[key]
            certain: dict[str, int] = {}
            uncertain: dict[str, int] = {}
            for event_id, actors in c.violations:
                counts = certain if view.ended(event_id) else uncertain
                for actor in actors:
                    counts[actor] = counts.get(actor, 0) + 1
            cited = view.cite(c.events)
            cited["certain"] = c.status_by is None or view.ended(c.status_by)
            items.append(
                {
                    "name": c.name,
                    "status": c.status,
                    "parties": view.refs(c.parties),
                    "violations": dict(sorted(certain.items())),
                    "violations_uncertain": dict(sorted(uncertain.items())),
                    "since": c.since,
                    **cited,
                }
            )
        return items

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return [c.to_json() for c in self.ceasefires.values()]

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.ceasefires = {}
        for item in data:
            ceasefire = Ceasefire(*item)
            self.ceasefires[fold_name(ceasefire.name)] = ceasefire
