"""Claims and their denials, and what denials do to the facts they touch.

A `denial` denies an event (`denies` is its id) or a `claim` (and through it the event the
claim `asserts`). A fact resting on a denied event is `contested`, and a denied claim is
`contested` in the claims section, with the actors that denied it.

The section shows the claims that started in the 90 days before the answer's instant, and the
older claims that assert an event a fact in the answer rests on. The state keeps just those:
a 90-day window of claims, the claims cited facts' events are asserted by, and a 90-day
window of denials, so that a denial met before the event or claim it denies (fuzzy dates can
put it first in fold order) still finds it when it comes, if it comes within 90 days.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from timeline.dates import to_micros
from timeline.events import Event
from timeline.projections.basis import (
    DAY,
    Entry,
    Handler,
    Ledger,
    Section,
    Source,
    View,
    dedupe_sources,
    event_sources,
    list_field,
    text_field,
)

WINDOW = 90 * DAY


@dataclass(slots=True)
class Claim:
    """One claim, with the denials it met."""

    id: str
    start: int
    end: int
    date: str
    by: str | None
    text: str
    about: list[str]
    asserts: str | None
    sources: list[Source]
    denials: list[list[Any]] = field(default_factory=list)  # [denial id, actor, sources]
    refs: int = 0  # ledger entries (events cited by facts) this claim asserts

    def to_json(self) -> list[Any]:
        """The claim as JSON-ready data."""
        return [
            self.id,
            self.start,
            self.end,
            self.date,
            self.by,
            self.text,
            self.about,
            self.asserts,
            self.sources,
            self.denials,
            self.refs,
        ]


@dataclass(slots=True)
class Denial:
    """A denial in the window, waiting for what it denies."""

    id: str
    start: int
    denies: str
    by: str | None
    sources: list[Source]

    def to_json(self) -> list[Any]:
        """The denial as JSON-ready data."""
        return [self.id, self.start, self.denies, self.by, self.sources]


class Claims(Section):
    """Claims in the window or behind cited facts, and denials in the window."""

    name = "claims"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.claims: dict[str, Claim] = {}
        self.window: deque[str] = deque()  # ids of claims in fold order, for pruning
        self.asserting: dict[str, list[str]] = {}  # event id -> ids of claims asserting it
        self.denials: deque[Denial] = deque()
        self.denying: dict[str, list[Denial]] = {}  # denied id -> denials in the window
        self.now = 0  # the last applied start, to tell whether a claim is out of the window
        ledger.listen(self.on_acquire, self.on_release)

    def handlers(self) -> dict[str, Handler]:
        """The event kinds this section folds, and how."""
        return {"claim": self.on_claim, "denial": self.on_denial}

    def on_claim(self, event: Event) -> None:
        """Someone claims something, perhaps asserting an event."""
        claim = Claim(
            event.id,
            to_micros(event.date.start),
            to_micros(event.date.end),
            event.date.text,
            text_field(event.fields, "by"),
            text_field(event.fields, "text") or event.title,
            list_field(event.fields, "about"),
            text_field(event.fields, "asserts"),
            event_sources(event),
        )
        self.claims[claim.id] = claim
        self.window.append(claim.id)
        for denial in self.denying.get(claim.id, ()):
            self._deny_claim(claim, denial)
        if claim.asserts is not None:
            self.asserting.setdefault(claim.asserts, []).append(claim.id)
            entry = self.ledger.get(claim.asserts)
            if entry is not None:
                self._link(entry, claim)

    def on_denial(self, event: Event) -> None:
        """Someone denies an event or a claim."""
        denies = text_field(event.fields, "denies")
        if denies is None:
            return
        denial = Denial(
            event.id,
            to_micros(event.date.start),
            denies,
            text_field(event.fields, "by"),
            event_sources(event),
        )
        self.denials.append(denial)
        self.denying.setdefault(denies, []).append(denial)
        claim = self.claims.get(denies)
        if claim is not None:
            self._deny_claim(claim, denial)
        entry = self.ledger.get(denies)
        if entry is not None:
            entry.deny(denial.id, denial.by)

    def _deny_claim(self, claim: Claim, denial: Denial) -> None:
        if any(d[0] == denial.id for d in claim.denials):
            return
        claim.denials.append([denial.id, denial.by, denial.sources])
        entry = self.ledger.get(claim.asserts) if claim.asserts is not None else None
        if entry is not None and claim.id in entry.claims:
            entry.deny(denial.id, denial.by)

    def _link(self, entry: Entry, claim: Claim) -> None:
        """The event `entry` stands for is asserted by `claim`: its denials are the event's."""
        if claim.id in entry.claims:
            return
        entry.add_claim(claim.id)
        claim.refs += 1
        for denial_id, by, _ in claim.denials:
            entry.deny(denial_id, by)

    def on_acquire(self, event_id: str, entry: Entry) -> None:
        """A fact cites an event for the first time: attach denials and claims known of it."""
        for denial in self.denying.get(event_id, ()):
            entry.deny(denial.id, denial.by)
        for claim_id in self.asserting.get(event_id, ()):
            claim = self.claims.get(claim_id)
            if claim is not None:
                self._link(entry, claim)

    def on_release(self, event_id: str, entry: Entry) -> None:
        """No fact cites the event any more: its claims may leave with it."""
        for claim_id in entry.claims:
            claim = self.claims.get(claim_id)
            if claim is not None:
                claim.refs -= 1
                self._maybe_forget(claim)

    def _maybe_forget(self, claim: Claim) -> None:
        if claim.refs > 0 or claim.start >= self.now - WINDOW:
            return
        del self.claims[claim.id]
        if claim.asserts is not None:
            rest = [c for c in self.asserting.get(claim.asserts, ()) if c != claim.id]
            if rest:
                self.asserting[claim.asserts] = rest
            else:
                self.asserting.pop(claim.asserts, None)

    def advance(self, now: int) -> None:
        """Drop the claims and denials too old for any answer (but not cited claims)."""
        self.now = now
        while self.window and self._start(self.window[0]) < now - WINDOW:
            claim = self.claims.get(self.window.popleft())
            if claim is not None:
                self._maybe_forget(claim)
        while self.denials and self.denials[0].start < now - WINDOW:
            denial = self.denials.popleft()
            rest = [d for d in self.denying.get(denial.denies, ()) if d.id != denial.id]
            if rest:
                self.denying[denial.denies] = rest
            else:
                self.denying.pop(denial.denies, None)

    def _start(self, claim_id: str) -> int:
        claim = self.claims.get(claim_id)
        # A claim already forgotten has nothing to keep: treat it as old.
        return claim.start if claim is not None else -(2**63)

    def render(self, view: View) -> Iterator[dict[str, Any]]:
        """Recent claims and the claims behind the answer's facts, newest first, each made as
        it is read.

        Render it after the other sections: they note in the view the claims they cite.
        """
        since = view.at - WINDOW
        shown = [c for c in self.claims.values() if c.start >= since or c.id in view.cited_claims]
        shown.sort(key=lambda c: (-c.start, -c.end, c.id))
        return (
            {
                "id": c.id,
                "text": c.text,
                "by": view.ref(c.by, "actor"),
                "about": view.refs(c.about),
                "asserts": c.asserts,
                "denied_by": view.refs(dict.fromkeys(by for _, by, _ in c.denials if by)),
                "status": "contested" if c.denials else "uncontested",
                "since": c.date,
                "certain": c.end <= view.at,
                "events": [c.id, *(d[0] for d in c.denials)],
                "sources": dedupe_sources([c.sources, *(d[2] for d in c.denials)]),
            }
            for c in shown
        )

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return {
            "claims": [c.to_json() for c in self.claims.values()],
            "window": list(self.window),
            "denials": [d.to_json() for d in self.denials],
            "now": self.now,
        }

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.claims = {}
        self.asserting = {}
        for item in data["claims"]:
            claim = Claim(*item)
            claim.about = list(claim.about)
            claim.denials = [list(d) for d in claim.denials]
            self.claims[claim.id] = claim
            if claim.asserts is not None:
                self.asserting.setdefault(claim.asserts, []).append(claim.id)
        self.window = deque(data["window"])
        self.denials = deque(Denial(*d) for d in data["denials"])
        self.denying = {}
        for denial in self.denials:
            self.denying.setdefault(denial.denies, []).append(denial)
        self.now = int(data["now"])
