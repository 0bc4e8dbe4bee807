"""The history of one actor or place as intervals: who held it, who was there, who backed whom.

Pure module. `history` folds the effective events with the projector `timeline at` answers
from, and follows the facts that concern the entity in its control, presence and support
sections:

- a place: its controllers, the forces present at it, and the materiel changes there;
- an actor: the places it held, where its forces were, the support it gave or received,
  and the changes to the materiel it held or supplied.

No rule of its own decides what an event does: an interval opens when the section starts a
new fact (a new holding, presence or relation, not a confirmation, update or renewal of one),
and closes when the section replaces the fact, or marks the event that will end it
(`Presence.removed_by`, `Support.removed_by`) and no later event takes that back. So an
interval reads at an instant T as the answer at T does:

- a holding is in effect from the start of `opened_by` until the start of `closed_by`, the
  event reporting the next holder (the answer then shows the new holder);
- a presence or a support relation from the start of `opened_by` until the end of
  `closed_by`: while that event may still be under way, the fact may still be in effect.

Materiel is not a matter of intervals but of counts: its history lists each change to a stock
the entity holds, supplied or is at, as `timeline diff` lists transitions (see
`timeline.projections.transitions`): what each transfer, loss or capture did to the count.

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
from timeline.projections.basis import text_field
from timeline.projections.control import Contest
from timeline.projections.diff import entity_id
from timeline.projections.presence import Presence
from timeline.projections.state import Projector
from timeline.projections.support import Relation
from timeline.projections.transitions import Stepper

Interval = dict[str, Any]


@dataclass(frozen=True)
class History:
    """Intervals of one entity's history, each in the order they opened."""

    entity: dict[str, str]
    type: str
    control: tuple[Interval, ...] = ()
    presence: tuple[Interval, ...] = ()
    support: tuple[Interval, ...] = ()
    contests: tuple[Interval, ...] = ()
    materiel: tuple[Interval, ...] = ()
    # The knowledge the history was bounded by, as ISO text (None: no bound), and the events
    # the publication bound left out for having no publication date.
    as_known: str | None = None
    as_published: str | None = None
    unpublished: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The history as a JSON document::

        {"entity": {"id", "name"}, "type": "actor" | "place",
         "as_known", "as_published", "unpublished",
         "control": [{"place", "controller", "taken_from", "from", "until", "opened_by",
                      "closed_by", "certain", "partial", "partial_since"}],
         "presence": [{"actor", "place", "strength", "on_behalf_of", "from", "until",
                       "opened_by", "closed_by", "certain"}],
         "support": [{"backer", "backed", "role", "kinds", "from", "until", "opened_by",
                      "closed_by", "certain"}],
         "contests": [{"place", "parties", "from", "until", "opened_by", "closed_by",
                       "certain"}],
         "materiel": [{"date", "kind", "event", "event_kind", "title", "place", "actor",
                       "from", "to", "item", "holder", "supplier", "how",
                       "beyond_holding", "sources"}]}

        `from`/`until` are date texts (`until` null while the interval is open); `support`
        is empty for places. A holding is `partial` when the side held part of the place at
        some time in the interval, from `partial_since`; holdings of several sides at once
        overlap. A contest lists every party it had; an actor's history lists the contests it
        was a party to. `materiel` lists the changes to the stocks at a place, or held or
        supplied by an actor, in date order: `from` and `to` are the stock's count (null:
        unknown, or no stock yet). A presence's `strength` and `on_behalf_of` are the last
        known in the interval; a relation's `kinds` are every kind it had in the interval.
        """
        return copy.deepcopy(
            {
                "entity": self.entity,
                "type": self.type,
                "as_known": self.as_known,
                "as_published": self.as_published,
                "unpublished": self.unpublished,
                "control": list(self.control),
                "presence": list(self.presence),
                "support": list(self.support),
                "contests": list(self.contests),
                "materiel": list(self.materiel),
            }
        )


@dataclass
class _Open:
    """An interval not closed yet."""

    order: int  # fold position of the opening event, to list intervals as they opened
    opened: Event
    subject: dict[str, Any]
    closing: str | None = None  # the event that ends the fact once over, if one does
    strength: int | None = None
    kinds: dict[str, None] | None = None  # support: every kind of the interval, in order seen


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
        self.projector = Projector()
        # Only the kinds these sections fold are fed: the others change none of their facts,
        # and a fact whose end is over is dropped when the next fed event moves the fold on,
        # with the same state as had it been dropped sooner.
        # Materiel changes are read as the diff's transitions are, on the same projector.
        self.materiel = Stepper(registry, self.projector, sections=("materiel",))
        self.materiel_kinds = self.materiel.kinds()
        self.kinds = {
            *self.projector.control.handlers(),
            *self.projector.presence.handlers(),
            *self.projector.support.handlers(),
            *self.materiel_kinds,
        }
        self.order = 0
        # The events folded so far, by id: the facts name the events opening and ending them.
        self.events: dict[str, Event] = {}
        self.holdings: dict[tuple[str, str], _Open] = {}  # (place, actor) -> its holding
        self.contests: dict[str, _Open] = {}  # place -> the contest over it
        self.presences: dict[tuple[str, str | None], _Open] = {}
        self.relations: dict[tuple[str, str], _Open] = {}
        self.control_out: list[tuple[int, Interval]] = []
        self.contest_out: list[tuple[int, Interval]] = []
        self.presence_out: list[tuple[int, Interval]] = []
        self.support_out: list[tuple[int, Interval]] = []
        self.materiel_out: list[Interval] = []

    def ref(self, entity_id: str | None, entity_type: str) -> dict[str, str] | None:
        return self.registry.ref(entity_id, entity_type)

    def wanted_place(self, place: str | None) -> bool:
        return self.entity_type == "place" and place == self.entity_id

    def wanted_actor(self, *actors: str | None) -> bool:
        return self.entity_type == "actor" and self.entity_id in actors

    def apply(self, event: Event) -> None:
        self.order += 1
        if event.kind not in self.kinds:
            return
        if event.kind in self.materiel_kinds:
            for change in self.materiel.apply(event):
                if self.wanted_place(entity_id(change["place"])) or self.wanted_actor(
                    entity_id(change["holder"]), entity_id(change["supplier"])
                ):
                    self.materiel_out.append(change)
            return
        self.projector.apply(event)
        self.events[event.id] = event
        fields = event.fields
        # Follow the facts the event may have changed (those its fields name). A fact the fold
        # dropped on the way (a removal now over) is noticed when next followed, or at the end.
        if event.kind in ("control", "control.contested"):
            place = text_field(fields, "place")
            if place is not None:
                self.follow_place(place, event)
        elif event.kind in ("deployment", "withdrawal"):
            actor = text_field(fields, "actor")
            if actor is None:
                return
            place = text_field(fields, "place")
            forces = self.projector.presence
            if event.kind == "withdrawal" and place is None:
                places = [p.place for p in forces.of_actor(actor)]  # from every place
            else:
                places = [place]
            for where in places:
                self.follow_presence(actor, where, forces.get(actor, where))
        else:
            backer = text_field(fields, "backer")
            backed = text_field(fields, "backed")
            if backer is not None and backed is not None:
                self.follow_relation(backer, backed, self.projector.support.get(backer, backed))

    def ending(self, current: _Open, replaced_by: str | None) -> Event | None:
        # A presence or relation goes only by the event marked as ending it; a holding, when
        # the next one opens.
        closing = current.closing or replaced_by
        return self.events[closing] if closing is not None else None

    # control -------------------------------------------------------------------------------

    def follow_place(self, place: str, event: Event) -> None:
        """Close the holdings and the contest of `place` the event ended, open those it began."""
        state = self.projector.control.places.get(place)
        holdings = {held.opened: held for held in state.holders} if state else {}
        for key in [k for k in self.holdings if k[0] == place]:
            current = self.holdings[key]
            held = holdings.get(current.opened.id)
            if held is None or held.controller != key[1]:  # replaced
                del self.holdings[key]
                self._close_holding(current, event)
            elif held.partial and current.subject["partial_since"] is None:
                # Another side took a part (or a report said part): from then on, a part.
                split = self.events.get(held.split or "") or current.opened
                current.subject["partial"] = True
                current.subject["partial_since"] = split.date.text
        for held in holdings.values():
            key = (place, held.controller)
            if key in self.holdings:
                continue  # a report of the same holding changes nothing of its interval
            if self.wanted_place(place) or self.wanted_actor(held.controller):
                opened = self.events[held.opened]
                self.holdings[key] = _Open(
                    self.order,
                    opened,
                    {
                        "place": self.ref(place, "place"),
                        "controller": self.ref(held.controller, "actor"),
                        "taken_from": self.ref(held.previous, "actor"),
                        "partial": held.partial,
                        "partial_since": opened.date.text if held.partial else None,
                    },
                )
        self.follow_contest(place, state.contest if state else None, event)

    def _close_holding(self, held: _Open, closing: Event | None) -> None:
        self.control_out.append(_close(held, closing))

    def follow_contest(self, place: str, contest: Contest | None, event: Event) -> None:
        current = self.contests.get(place)
        if current is not None and (contest is None or contest.opened != current.opened.id):
            del self.contests[place]
            self._close_contest(current, event)
            current = None
        if contest is None:
            return
        if current is None:
            if not (self.wanted_place(place) or self.wanted_actor(*contest.parties)):
                return
            current = self.contests[place] = _Open(
                self.order, self.events[contest.opened], {"place": self.ref(place, "place")}
            )
            current.kinds = {}
        # Every party the contest had while it lasted, in the order they were named.
        current.kinds = {**(current.kinds or {}), **dict.fromkeys(contest.parties)}

    def _close_contest(self, current: _Open, closing: Event | None) -> None:
        order, interval = _close(current, closing)
        interval["parties"] = [self.ref(p, "actor") for p in current.kinds or ()]
        self.contest_out.append((order, interval))

    # presence ------------------------------------------------------------------------------

    def follow_presence(self, actor: str, place: str | None, presence: Presence | None) -> None:
        key = (actor, place)
        opened = presence.opened if presence is not None else None
        current = self.presences.get(key)
        if current is not None and current.opened.id != opened:  # replaced, or gone
            del self.presences[key]
            self._close_presence(current, self.ending(current, opened))
            current = None
        if presence is None:
            return
        if current is None:
            if not (self.wanted_actor(actor) or self.wanted_place(place)):
                return
            current = self.presences[key] = _Open(
                self.order,
                self.events[presence.opened],
                {"actor": self.ref(actor, "actor"), "place": self.ref(place, "place")},
            )
        current.subject["on_behalf_of"] = self.ref(presence.on_behalf_of, "actor")
        current.strength = presence.strength
        current.closing = presence.removed_by

    def _close_presence(self, current: _Open, closing: Event | None) -> None:
        order, interval = _close(current, closing)
        interval["strength"] = current.strength
        self.presence_out.append((order, interval))

    # support -------------------------------------------------------------------------------

    def follow_relation(self, backer: str, backed: str, relation: Relation | None) -> None:
        key = (backer, backed)
        opened = relation.opened if relation is not None else None
        current = self.relations.get(key)
        if current is not None and current.opened.id != opened:  # replaced, or gone
            del self.relations[key]
            self._close_relation(key, current, self.ending(current, opened))
            current = None
        if relation is None:
            return
        if current is None:
            if not self.wanted_actor(backer, backed):
                return
            current = self.relations[key] = _Open(
                self.order,
                self.events[relation.opened],
                {"backer": self.ref(backer, "actor"), "backed": self.ref(backed, "actor")},
                kinds={},
            )
        current.kinds = {**(current.kinds or {}), **dict.fromkeys(relation.kinds)}
        current.closing = self.projector.support.removed_by(relation)

    def _close_relation(self, key: tuple[str, str], current: _Open, closing: Event | None) -> None:
        order, interval = _close(current, closing)
        interval["role"] = "backer" if key[0] == self.entity_id else "backed"
        interval["kinds"] = list(current.kinds or ())
        self.support_out.append((order, interval))

    def finish(self) -> History:
        # What is still open closes by the event marked as ending it, if there is one: once
        # that event is over, the fold would drop the fact.
        for held in self.holdings.values():
            self._close_holding(held, None)
        for contest in self.contests.values():
            self._close_contest(contest, None)
        for current in self.presences.values():
            self._close_presence(current, self.ending(current, None))
        for key, relation in self.relations.items():
            self._close_relation(key, relation, self.ending(relation, None))
        entity = self.registry.ref(self.entity_id, self.entity_type) or {}

        def ordered(items: list[tuple[int, Interval]]) -> tuple[Interval, ...]:
            return tuple(interval for _, interval in sorted(items, key=lambda pair: pair[0]))

        return History(
            entity=entity,
            type=self.entity_type,
            control=ordered(self.control_out),
            contests=ordered(self.contest_out),
            presence=ordered(self.presence_out),
            support=ordered(self.support_out) if self.entity_type == "actor" else (),
            materiel=tuple(self.materiel_out),
        )


def followed_kinds() -> frozenset[str]:
    """The kinds of event a history folds: those the control, presence and support sections
    handle. Every event of these kinds can end a fact, whether or not it names the entity
    (a place taken without saying from whom ends its holder's holding)."""
    return frozenset(_Fold("", "actor", Registry()).kinds)


def history(
    entity_id: str, entity_type: str, events: Iterable[Event], registry: Registry
) -> History:
    """The history of an actor or place over effective `events`, given in fold order.

    Folds them as `timeline at` does (see the module's docstring), at a cost linear in the
    events given: each one is folded once, and only the facts it names are looked at.
    """
    if entity_type not in ("actor", "place"):
        raise ValueError(f"entity type must be 'actor' or 'place', not {entity_type!r}")
    fold = _Fold(entity_id, entity_type, registry)
    for event in events:
        fold.apply(event)
    return fold.finish()
