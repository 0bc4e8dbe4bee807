"""The history of one actor or place as intervals: who held it, who was there, who backed whom.

Pure module. `history` folds effective events in fold order, with the same rules as the
projections (a report that the same side still holds a place continues its holding; a partial
withdrawal or one still under way does not end a presence; support ends when it is ended
without kinds or when all its kinds are ended), and keeps the intervals that concern the
entity:

- a place: its controllers, and the forces present at it;
- an actor: the places it held, where its forces were, and the support it gave or received.

An interval is `certain` when the events opening and closing it have exact dates (not marked
approximate or uncertain) and the closing one certainly came after the opening one (the
opening event's interval is over when the closing one starts).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from timeline.entities import Registry
from timeline.events import Event
from timeline.projections.basis import int_field, list_field, text_field

Interval = dict[str, Any]


@dataclass(frozen=True)
class History:
    """Intervals of one entity's history, each in the order they opened."""

    entity: dict[str, str]
    type: str
    control: tuple[Interval, ...] = ()
    presence: tuple[Interval, ...] = ()
    support: tuple[Interval, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The history as a JSON document::

        {"entity": {"id", "name"}, "type": "actor" | "place",
         "control": [{"place", "controller", "from", "until", "opened_by", "closed_by",
                      "certain"}],
         "presence": [{"actor", "place", "strength", "on_behalf_of", "from", "until",
                       "opened_by", "closed_by", "certain"}],
         "support": [{"backer", "backed", "role", "kinds", "from", "until", "opened_by",
                      "closed_by", "certain"}]}

        `from`/`until` are date texts (`until` null while the interval is open); `support`
        is empty for places.
        """
        return copy.deepcopy(
            {
                "entity": self.entity,
                "type": self.type,
                "control": list(self.control),
                "presence": list(self.presence),
                "support": list(self.support),
            }
        )


@dataclass
class _Open:
    """An interval not closed yet."""

    order: int  # fold position of the opening event, to list intervals as they opened
    opened: Event
    subject: dict[str, Any]
    strength: int | None = None
    kinds: dict[str, None] | None = None  # support: the kinds current, in order seen
    seen_kinds: dict[str, None] | None = None  # support: every kind of the interval


def _exact(event: Event) -> bool:
    return not (event.date.approximate or event.date.uncertain)


def _close(interval: _Open, closing: Event | None) -> tuple[int, Interval]:
    opened = interval.opened
    if closing is None:
        certain = _exact(opened)
    else:
        certain = _exact(opened) and _exact(closing) and opened.date.end <= closing.date.start
    return interval.order, {
        **interval.subject,
        "from": opened.date.text,
        "until": closing.date.text if closing is not None else None,
        "opened_by": opened.id,
        "closed_by": closing.id if closing is not None else None,
        "certain": certain,
    }


class _Fold:
    def __init__(self, entity_id: str, entity_type: str, registry: Registry) -> None:
        self.entity_id = entity_id
        self.entity_type = entity_type
        self.registry = registry
        self.order = 0
        self.holdings: dict[str, _Open] = {}  # place -> its current holding
        self.presences: dict[tuple[str, str | None], _Open] = {}
        self.support: dict[tuple[str, str], _Open] = {}
        self.control_out: list[tuple[int, Interval]] = []
        self.presence_out: list[tuple[int, Interval]] = []
        self.support_out: list[tuple[int, Interval]] = []

    def ref(self, entity_id: str | None, entity_type: str) -> dict[str, str] | None:
        return self.registry.ref(entity_id, entity_type)

    def wanted_place(self, place: str | None) -> bool:
        return self.entity_type == "place" and place == self.entity_id

    def wanted_actor(self, *actors: str | None) -> bool:
        return self.entity_type == "actor" and self.entity_id in actors

    def apply(self, event: Event) -> None:
        self.order += 1
        handler = {
            "control": self.control,
            "deployment": self.deployment,
            "withdrawal": self.withdrawal,
            "support.started": self.support_started,
            "support.ended": self.support_ended,
        }.get(event.kind)
        if handler is not None:
            handler(event)

    # control -------------------------------------------------------------------------------

    def control(self, event: Event) -> None:
        place = text_field(event.fields, "place")
        by = text_field(event.fields, "by")
        if place is None or by is None:
            return
        taken_from = text_field(event.fields, "from")
        if taken_from == by:
            taken_from = None
        held = self.holdings.get(place)
        if held is not None and held.subject["controller"]["id"] == by and taken_from is None:
            return  # the same holding goes on
        if held is not None:
            self._close_holding(place, held, event)
            if taken_from is None and held.subject["controller"]["id"] != by:
                taken_from = held.subject["controller"]["id"]
        self.holdings[place] = _Open(
            self.order,
            event,
            {
                "place": self.ref(place, "place"),
                "controller": self.ref(by, "actor"),
                "taken_from": self.ref(taken_from, "actor"),
            },
        )

    def _close_holding(self, place: str, held: _Open, closing: Event | None) -> None:
        if self.wanted_place(place) or self.wanted_actor(held.subject["controller"]["id"]):
            self.control_out.append(_close(held, closing))

    # presence ------------------------------------------------------------------------------

    def deployment(self, event: Event) -> None:
        actor = text_field(event.fields, "actor")
        if actor is None:
            return
        place = text_field(event.fields, "place")
        key = (actor, place)
        current = self.presences.get(key)
        if current is None:
            current = _Open(
                self.order,
                event,
                {
                    "actor": self.ref(actor, "actor"),
                    "place": self.ref(place, "place"),
                    "on_behalf_of": None,
                },
            )
            self.presences[key] = current
        strength = int_field(event.fields, "strength")
        if strength is not None:
            current.strength = strength
        behalf = text_field(event.fields, "on_behalf_of")
        if behalf is not None:
            current.subject["on_behalf_of"] = self.ref(behalf, "actor")

    def withdrawal(self, event: Event) -> None:
        actor = text_field(event.fields, "actor")
        if actor is None:
            return
        place = text_field(event.fields, "place")
        keys = [k for k in self.presences if k[0] == actor and (place is None or k[1] == place)]
        if event.fields.get("complete", True) is False:
            return  # still under way: the forces are there
        strength = int_field(event.fields, "strength")
        if strength is not None and strength <= 0:
            strength = None
        if place is None and strength is not None and len(keys) > 1:
            return  # troops left from somewhere: every presence goes on, withdrawing
        for key in keys:
            current = self.presences[key]
            if (
                strength is not None
                and current.strength is not None
                and strength < current.strength
            ):
                current.strength -= strength
                continue
            del self.presences[key]
            self._close_presence(key, current, event)

    def _close_presence(
        self, key: tuple[str, str | None], current: _Open, closing: Event | None
    ) -> None:
        if self.wanted_actor(key[0]) or self.wanted_place(key[1]):
            order, interval = _close(current, closing)
            interval["strength"] = current.strength
            self.presence_out.append((order, interval))

    # support -------------------------------------------------------------------------------

    def support_started(self, event: Event) -> None:
        backer = text_field(event.fields, "backer")
        backed = text_field(event.fields, "backed")
        if backer is None or backed is None:
            return
        key = (backer, backed)
        current = self.support.get(key)
        if current is None:
            current = _Open(
                self.order,
                event,
                {"backer": self.ref(backer, "actor"), "backed": self.ref(backed, "actor")},
                kinds={},
                seen_kinds={},
            )
            self.support[key] = current
        kinds = dict.fromkeys(list_field(event.fields, "kinds"))
        current.kinds = {**(current.kinds or {}), **kinds}
        current.seen_kinds = {**(current.seen_kinds or {}), **kinds}

    def support_ended(self, event: Event) -> None:
        backer = text_field(event.fields, "backer")
        backed = text_field(event.fields, "backed")
        if backer is None or backed is None:
            return
        key = (backer, backed)
        current = self.support.get(key)
        if current is None or current.kinds is None:
            return
        kinds = list_field(event.fields, "kinds")
        had = bool(current.kinds)
        for kind in kinds:
            current.kinds.pop(kind, None)
        if not kinds or (had and not current.kinds):
            del self.support[key]
            self._close_support(key, current, event)

    def _close_support(self, key: tuple[str, str], current: _Open, closing: Event | None) -> None:
        if self.wanted_actor(*key):
            order, interval = _close(current, closing)
            interval["role"] = "backer" if key[0] == self.entity_id else "backed"
            interval["kinds"] = list(current.seen_kinds or ())
            self.support_out.append((order, interval))

    def finish(self) -> History:
        for place, held in self.holdings.items():
            self._close_holding(place, held, None)
        for key, current in self.presences.items():
            self._close_presence(key, current, None)
        for support_key, relation in self.support.items():
            self._close_support(support_key, relation, None)
        entity = self.registry.ref(self.entity_id, self.entity_type) or {}

        def ordered(items: list[tuple[int, Interval]]) -> tuple[Interval, ...]:
            return tuple(interval for _, interval in sorted(items, key=lambda pair: pair[0]))

        return History(
            entity=entity,
            type=self.entity_type,
            control=ordered(self.control_out),
            presence=ordered(self.presence_out),
            support=ordered(self.support_out) if self.entity_type == "actor" else (),
        )


def history(
    entity_id: str, entity_type: str, events: Iterable[Event], registry: Registry
) -> History:
    """The history of an actor or place over effective `events`, given in fold order."""
    if entity_type not in ("actor", "place"):
        raise ValueError(f"entity type must be 'actor' or 'place', not {entity_type!r}")
    fold = _Fold(entity_id, entity_type, registry)
    for event in events:
        fold.apply(event)
    return fold.finish()
