"""Ceasefires: their status, parties and violations, per ceasefire name.

`ceasefire.proposed` / `.in_force` / `.collapsed` / `.ended` set the status they name; an
`agreement` with a `ceasefire` field puts that ceasefire in force; `ceasefire.violated` makes
a ceasefire in force (or already violated, or not heard of before) `violated`, and counts one
violation for each actor in `by` whatever the status. Parties are the union of the parties
any of these events gives. Every ceasefire is kept: there are few.

`certain` says whether the event behind the current status is certainly over; violations
whose events are not are counted apart, under `violations_uncertain`.

A ceasefire cites the events behind its last few status changes and its latest violations
(and every violation not certainly over yet), not every report it ever had: a ceasefire
reported violated nightly for years would otherwise make every answer, and every snapshot,
grow with the log. Violations certainly over are kept as counts only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from timeline.dates import to_micros
from timeline.events import Event
from timeline.projections.basis import (
    Deadlines,
    Handler,
    Ledger,
    Section,
    View,
    fold_name,
    list_field,
    text_field,
)

# How many status changes and violations a ceasefire cites (see the module docstring).
CITED_STATUS_CHANGES = 5
CITED_VIOLATIONS = 10

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
    # Violations certainly over at the fold's position: counts per actor.
    counted: dict[str, int] = field(default_factory=dict)
    # Violations that may not be over yet: [event id, end (micros), [actor ids]].
    pending: list[list[Any]] = field(default_factory=list)
    status_events: list[str] = field(default_factory=list)  # the last status changes
    violation_events: list[str] = field(default_factory=list)  # the latest violations
    events: list[str] = field(default_factory=list)  # what it cites, in fold order

    def cited(self) -> list[str]:
        """The events to cite, in fold order, after `status_events`, `violation_events` or
        `pending` changed (`events` already holds every one of them)."""
        keep = {*self.status_events, *self.violation_events, *(p[0] for p in self.pending)}
        return [event_id for event_id in self.events if event_id in keep]

    def to_json(self) -> list[Any]:
        """The ceasefire as JSON-ready data."""
        return [
            self.name,
            self.status,
            self.status_by,
            self.since,
            self.parties,
            self.counted,
            self.pending,
            self.status_events,
            self.violation_events,
            self.events,
        ]


class Ceasefires(Section):
    """Every ceasefire by name."""

    name = "ceasefires"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.ceasefires: dict[str, Ceasefire] = {}
        self.deadlines = Deadlines()  # ceasefires with pending violations, by their ends

    def handlers(self) -> dict[str, Handler]:
        """The event kinds this section folds, and how."""
        return dict.fromkeys(STATUS_OF_KIND, self.on_event)

    def on_event(self, event: Event) -> None:
        """A ceasefire is proposed, takes effect, is violated, collapses or ends."""
        name = text_field(event.fields, "ceasefire")
        if name is None:
            return  # e.g. an agreement that is not about a ceasefire
        key = fold_name(name)
        ceasefire = self.ceasefires.setdefault(key, Ceasefire(name))
        before = ceasefire.events
        ceasefire.events = [*before, event.id]
        status = STATUS_OF_KIND[event.kind]
        if event.kind == "ceasefire.violated":
            end = to_micros(event.date.end)
            ceasefire.pending.append([event.id, end, list_field(event.fields, "by")])
            self.deadlines.add(end, key)
            ceasefire.violation_events = [*ceasefire.violation_events, event.id][-CITED_VIOLATIONS:]
            if ceasefire.status not in VIOLABLE:
                status = ceasefire.status or status  # a violation does not revive it
        # A repeated report of the same status keeps the event that first set it.
        if status != ceasefire.status:
            ceasefire.status, ceasefire.status_by, ceasefire.since = (
                status,
                event.id,
                event.date.text,
            )
            ceasefire.status_events = [*ceasefire.status_events, event.id][-CITED_STATUS_CHANGES:]
        for party in list_field(event.fields, "parties"):
            if party not in ceasefire.parties:
                ceasefire.parties.append(party)
        ceasefire.events = ceasefire.cited()
        self.ledger.rebase(before, ceasefire.events, event)

    def advance(self, now: int) -> None:
        """Violations certainly over by now become counts."""
        for key in set(self.deadlines.due(now)):
            ceasefire = self.ceasefires[key]
            pending = []
            for violation in ceasefire.pending:
                _, end, actors = violation
                if end <= now:
                    for actor in actors:
                        ceasefire.counted[actor] = ceasefire.counted.get(actor, 0) + 1
                else:
                    pending.append(violation)
            if len(pending) < len(ceasefire.pending):
                ceasefire.pending = pending
                before = ceasefire.events
                ceasefire.events = ceasefire.cited()
                self.ledger.rebase(before, ceasefire.events, None)

    def render(self, view: View) -> Iterator[dict[str, Any]]:
        """Every ceasefire, by name, each made as it is read."""
        for key in sorted(self.ceasefires):
            c = self.ceasefires[key]
            certain = dict(c.counted)
            uncertain: dict[str, int] = {}
            for _, end, actors in c.pending:
                counts = certain if end <= view.at else uncertain
                for actor in actors:
                    counts[actor] = counts.get(actor, 0) + 1
            cited = view.cite(c.events)
            cited["certain"] = c.status_by is None or view.ended(c.status_by)
            yield (
                {
                    "name": c.name,
                    "status": c.status,
                    "parties": view.refs(c.parties),
                    "violations": dict(sorted(certain.items())),
                    "violations_uncertain": dict(sorted(uncertain.items())),
                    # The violators by name, for readers of the counts above (keyed by id).
                    "violators": view.refs(sorted({*certain, *uncertain})),
                    "since": c.since,
                    **cited,
                }
            )

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return {
            "ceasefires": [c.to_json() for c in self.ceasefires.values()],
            "deadlines": self.deadlines.to_json(),
        }

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.ceasefires = {}
        for item in data["ceasefires"]:
            ceasefire = Ceasefire(*item)
            self.ceasefires[fold_name(ceasefire.name)] = ceasefire
        self.deadlines = Deadlines(data["deadlines"])
