"""Forces present: which actor has forces where, how many, for whom.

Per (actor, place or none): a `deployment` opens or updates the presence (strength replaced
when given, `on_behalf_of` when given; a deployment after a withdrawal began puts the forces
back to `present`). A `withdrawal`:

- with `complete: false` makes the presence `withdrawing`;
- with a `strength` below the strength present reduces it, and the presence goes on;
- otherwise removes the presence. Until the fold has passed the withdrawal's end, the
  presence stays in the state; an answer at an instant the withdrawal straddles shows it as
  `withdrawing`, uncertain.

A withdrawal without a place withdraws the actor from every place. With a strength and more
than one place, where the troops left from is unknown, so every presence becomes
`withdrawing` instead.
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
    int_field,
    key_of,
    text_field,
    unique,
)

PRESENT = "present"
WITHDRAWING = "withdrawing"


@dataclass(slots=True)
class Presence:
    """One actor's forces at one place (or at no place in particular)."""

    actor: str
    place: str | None
    since: str
    opened: str
    strength: int | None = None
    # The deployment that set the strength, then each partial withdrawal since.
    strength_by: list[str] = field(default_factory=list)
    on_behalf_of: str | None = None
    behalf_by: str | None = None
    status: str = PRESENT
    status_by: str | None = None  # the withdrawal behind `withdrawing` or a pending removal
    removing: bool = False  # `status_by` is a complete withdrawal, not certainly over

    def basis(self) -> list[str]:
        """The events the presence rests on."""
        return unique([self.opened, *self.strength_by, self.behalf_by, self.status_by])

    @property
    def removed_by(self) -> str | None:
        """The complete withdrawal that ends the presence once that event is over (None while
        the forces stay). Answers, pruning and histories all end a presence by this."""
        return self.status_by if self.removing else None

    def to_json(self) -> list[Any]:
        """The presence as JSON-ready data."""
        return [
            self.actor,
            self.place,
            self.since,
            self.opened,
            self.strength,
            self.strength_by,
            self.on_behalf_of,
            self.behalf_by,
            self.status,
            self.status_by,
            self.removing,
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> Presence:
        """Read what `to_json` wrote."""
        presence = cls(*data)
        presence.strength_by = list(presence.strength_by)
        return presence


class Forces(Section):
    """Presences per (actor, place)."""

    name = "presence"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.presences: dict[str, Presence] = {}
        self.by_actor: dict[str, list[str]] = {}
        self.deadlines = Deadlines()

    def handlers(self) -> dict[str, Handler]:
        """The event kinds this section folds, and how."""
        return {"deployment": self.on_deployment, "withdrawal": self.on_withdrawal}

    def get(self, actor: str, place: str | None) -> Presence | None:
        """The presence of `actor`'s forces at `place` (None: at no place in particular)."""
        return self.presences.get(key_of(actor, place))

    def of_actor(self, actor: str) -> list[Presence]:
        """Every presence of `actor`'s forces."""
        return [self.presences[key] for key in self.by_actor.get(actor, ())]

    def on_deployment(self, event: Event) -> None:
        """Forces arrive, or their strength or sponsor is updated."""
        actor = text_field(event.fields, "actor")
        if actor is None:
            return
        place = text_field(event.fields, "place")
        key = key_of(actor, place)
        presence = self.presences.get(key)
        before: list[str] = []
        if presence is None:
            presence = Presence(actor, place, event.date.text, event.id)
            self.presences[key] = presence
            self.by_actor.setdefault(actor, []).append(key)
        else:
            before = presence.basis()
        strength = int_field(event.fields, "strength")
        if strength is not None:
            presence.strength = strength
            presence.strength_by = [event.id]
        on_behalf_of = text_field(event.fields, "on_behalf_of")
        if on_behalf_of is not None:
            presence.on_behalf_of = on_behalf_of
            presence.behalf_by = event.id
        presence.status, presence.status_by, presence.removing = PRESENT, None, False
        self.ledger.rebase(before, presence.basis(), event)

    def on_withdrawal(self, event: Event) -> None:
        """Forces leave one place, or every place."""
        actor = text_field(event.fields, "actor")
        if actor is None:
            return
        place = text_field(event.fields, "place")
        if place is not None:
            keys = [key_of(actor, place)] if key_of(actor, place) in self.presences else []
        else:
            keys = list(self.by_actor.get(actor, ()))
        complete = event.fields.get("complete", True) is not False
        strength = int_field(event.fields, "strength")
        if strength is not None and strength <= 0:
            strength = None  # nobody left: read it as a withdrawal without a strength
        # A strength withdrawn "from everywhere" cannot be split among several places.
        if place is None and strength is not None and len(keys) > 1:
            complete = False
        for key in keys:
            self._withdraw(key, event, complete, strength)

    def _withdraw(self, key: str, event: Event, complete: bool, strength: int | None) -> None:
        presence = self.presences[key]
        before = presence.basis()
        if not complete:
            presence.status, presence.status_by, presence.removing = WITHDRAWING, event.id, False
        elif (
            strength is not None and presence.strength is not None and strength < presence.strength
        ):
            presence.strength -= strength
            presence.strength_by.append(event.id)
        else:
            presence.status, presence.status_by, presence.removing = WITHDRAWING, event.id, True
            self.deadlines.add(to_micros(event.date.end), key)
        self.ledger.rebase(before, presence.basis(), event)

    def advance(self, now: int) -> None:
        """Remove the presences whose complete withdrawal is over by `now`."""
        for key in self.deadlines.due(now):
            presence = self.presences.get(key)
            if presence is None:
                continue
            removal = presence.removed_by
            if removal is not None and self.ledger.entries[removal].end <= now:
                self._remove(key, presence)

    def _remove(self, key: str, presence: Presence) -> None:
        del self.presences[key]
        keys = [k for k in self.by_actor.get(presence.actor, ()) if k != key]
        if keys:
            self.by_actor[presence.actor] = keys
        else:
            self.by_actor.pop(presence.actor, None)
        self.ledger.rebase(presence.basis(), [], None)

    def render(self, view: View) -> Iterator[dict[str, Any]]:
        """The presences in effect, by actor name, then place name, each made as it is read."""
        shown = [
            p
            for p in self.presences.values()
            if (removal := p.removed_by) is None or not view.ended(removal)
        ]
        shown.sort(
            key=lambda p: (view.sort_name(p.actor, "actor"), view.sort_name(p.place, "place"))
        )
        return (
            {
                "actor": view.ref(p.actor, "actor"),
                "place": view.ref(p.place, "place"),
                "strength": p.strength,
                "on_behalf_of": view.ref(p.on_behalf_of, "actor"),
                "status": p.status,
                "since": p.since,
                **view.cite(p.basis()),
            }
            for p in shown
        )

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return {
            "presences": [p.to_json() for p in self.presences.values()],
            "deadlines": self.deadlines.to_json(),
        }

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.presences = {}
        self.by_actor = {}
        for item in data["presences"]:
            presence = Presence.from_json(item)
            key = key_of(presence.actor, presence.place)
            self.presences[key] = presence
            self.by_actor.setdefault(presence.actor, []).append(key)
        self.deadlines = Deadlines(data["deadlines"])
