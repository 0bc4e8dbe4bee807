"""Every change between two instants, event by event: what `timeline diff` lists.

Pure module. The net view (`timeline.projections.diff`) compares the answers at two instants,
so a place taken and retaken in between shows no change at all, and an event whose fuzzy date
straddles the first instant is already in the first answer. Here the effective events are
folded one at a time, with the projector `timeline at` answers from, and each event's change
is what the sections it touches show before and after it: a transition.

The sections are read as if every event folded so far were over (an end not certainly
reached yet still ends the offensive, the support or the presence: the transition is the
event's effect, dated by the event). Identities are those of the net view: the place for
control, the started event for offensives, (backer, backed) for support, (actor, place) for
presence, (place, holder, item, supplier) for materiel, the name for ceasefires; so folding
the transitions of the events that start between two instants onto the first answer gives
the second (tests/projections/test_transitions.py checks it).

A transition is a JSON-ready mapping::

    {"date", "kind", "event", "event_kind", "title", "possibly_in_range",
     "place": {..} | null, "actor": {..} | null, "from", "to", ...kind's keys, "sources"}

`kind` names the change (see `CHANGE_KINDS`); `from` and `to` are the fact's value before
and after (null: the fact was not there): the controller for control, "active" for an
offensive, the kinds for support, the status for presence, the count for materiel, the
status for a ceasefire. An event whose interval is not wholly inside the range (it straddles
one end or both) is `possibly_in_range`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from timeline.dates import OPEN_END, to_micros
from timeline.entities import Registry
from timeline.events import Event
from timeline.projections.basis import View, event_sources, text_field
from timeline.projections.diff import KEYS, Key, control_shape, control_state, entity_id
from timeline.projections.state import Projector

Item = dict[str, Any]

# Sections are read at an instant after every event's end: each event's effect in full.
_OVER = to_micros(OPEN_END) + 1

# The sections whose facts transitions follow, in the order an event's changes are listed.
WATCHED = ("control", "offensives", "support", "presence", "materiel", "ceasefires")

# Every `kind` a transition may have.
CHANGE_KINDS = (
    "control",
    "control.confirmed",
    "offensive.begun",
    "offensive.ended",
    "support.begun",
    "support.ended",
    "support.changed",
    "presence.arrived",
    "presence.left",
    "presence.changed",
    "materiel.added",
    "materiel.removed",
    "materiel.changed",
    "ceasefire",
    "ceasefire.violated",
)


def _change(kind: str, place: Any, actor: Any, before: Any, after: Any, **more: Any) -> Item:
    return {"kind": kind, "place": place, "actor": actor, "from": before, "to": after, **more}


def _by_key(items: Iterable[Item], section: str) -> dict[Key, Item]:
    key = KEYS[section]
    return {key(item): item for item in items}


def _control(before: Sequence[Item], after: Sequence[Item]) -> list[Item]:
    old = _by_key(before, "control")
    out = []
    for key, item in _by_key(after, "control").items():
        was = old.get(key)
        # A change of controller, or of the status, the sides holding parts or the parties
        # contesting it under the same controller (a place becoming divided or fought over).
        if was is not None and control_state(was) == control_state(item):
            continue
        # With no earlier controller, the event's own `from` is whom the place was taken from.
        taken_from = was["controller"] if was is not None else item["from"]
        out.append(
            _change(
                "control",
                item["place"],
                item["controller"],
                taken_from,
                item["controller"],
                **control_shape(was, item),
            )
        )
    return out


def _offensives(before: Sequence[Item], after: Sequence[Item]) -> list[Item]:
    old, new = _by_key(before, "offensives"), _by_key(after, "offensives")

    def change(kind: str, item: Item, was: str | None, now: str | None) -> Item:
        return _change(
            kind, item["target"], item["actor"], was, now, name=item["name"], offensive=item["id"]
        )

    return [
        change("offensive.begun", i, None, "active") for k, i in new.items() if k not in old
    ] + [change("offensive.ended", i, "active", None) for k, i in old.items() if k not in new]


def _support(before: Sequence[Item], after: Sequence[Item]) -> list[Item]:
    old, new = _by_key(before, "support"), _by_key(after, "support")
    out = []
    for key, item in new.items():
        was = old.get(key)
        kinds = list(item["kinds"])
        if was is None:
            kind, was_kinds = "support.begun", None
        elif set(was["kinds"]) != set(kinds):
            kind, was_kinds = "support.changed", list(was["kinds"])
        else:
            continue
        out.append(
            _change(
                kind,
                None,
                item["backer"],
                was_kinds,
                kinds,
                backed=item["backed"],
                added=sorted(set(kinds) - set(was_kinds or ())),
                removed=sorted(set(was_kinds or ()) - set(kinds)),
            )
        )
    for key, was in old.items():
        if key not in new:
            kinds = list(was["kinds"])
            out.append(
                _change(
                    "support.ended",
                    None,
                    was["backer"],
                    kinds,
                    None,
                    backed=was["backed"],
                    added=[],
                    removed=sorted(kinds),
                )
            )
    return out


def _presence(before: Sequence[Item], after: Sequence[Item]) -> list[Item]:
    old, new = _by_key(before, "presence"), _by_key(after, "presence")
    empty: Item = {"status": None, "strength": None, "on_behalf_of": None}
    out = []
    for key in [*new, *(k for k in old if k not in new)]:
        was, item = old.get(key), new.get(key)
        a, b = was or empty, item or empty
        if was is not None and item is not None:
            same = (a["status"], a["strength"], entity_id(a["on_behalf_of"])) == (
                b["status"],
                b["strength"],
                entity_id(b["on_behalf_of"]),
            )
            if same:
                continue
            kind = "presence.changed"
        else:
            kind = "presence.arrived" if was is None else "presence.left"
        fact = item or was
        assert fact is not None
        out.append(
            _change(
                kind,
                fact["place"],
                fact["actor"],
                a["status"],
                b["status"],
                strength={"from": a["strength"], "to": b["strength"]},
                on_behalf_of={"from": a["on_behalf_of"], "to": b["on_behalf_of"]},
            )
        )
    return out


def _materiel(before: Sequence[Item], after: Sequence[Item]) -> list[Item]:
    old, new = _by_key(before, "materiel"), _by_key(after, "materiel")
    out = []
    for key in [*new, *(k for k in old if k not in new)]:
        was, item = old.get(key), new.get(key)
        if was is not None and item is not None:
            # An event that leaves the count as it was (unknown before and after) still
            # changed the stock: it is one more delivery, or loss, of it.
            if was["count"] == item["count"] and was["events"] == item["events"]:
                continue
            kind = "materiel.changed"
        else:
            kind = "materiel.added" if was is None else "materiel.removed"
        fact = item or was
        assert fact is not None
        beyond = (item or {}).get("lost_beyond_holding", 0) - (was or {}).get(
            "lost_beyond_holding", 0
        )
        out.append(
            _change(
                kind,
                fact["place"],
                fact["holder"],
                was["count"] if was is not None else None,
                item["count"] if item is not None else None,
                item=fact["item"],
                holder=fact["holder"],
                supplier=fact["supplier"],
                beyond_holding=max(beyond, 0),
            )
        )
    return out


def _violations(item: Item | None) -> dict[str, int]:
    if item is None:
        return {}
    counts = dict(item.get("violations") or {})
    for actor, number in (item.get("violations_uncertain") or {}).items():
        counts[actor] = counts.get(actor, 0) + number
    return counts


def _ceasefires(before: Sequence[Item], after: Sequence[Item]) -> list[Item]:
    old = _by_key(before, "ceasefires")
    out = []
    for key, item in _by_key(after, "ceasefires").items():
        was = old.get(key)
        was_status = was["status"] if was is not None else None
        counts, was_counts = _violations(item), _violations(was)
        rose = [a for a in sorted(counts) if counts[a] > was_counts.get(a, 0)]
        if was_status == item["status"] and not rose:
            continue
        names = {ref["id"]: ref for ref in item.get("violators") or ()}
        out.append(
            _change(
                "ceasefire" if was_status != item["status"] else "ceasefire.violated",
                None,
                None,
                was_status,
                item["status"],
                name=item["name"],
                by=[names.get(a, {"id": a, "name": a}) for a in rose],
            )
        )
    return out


# Each watched section's changes between two renderings of it.
CHANGES: dict[str, Callable[[Sequence[Item], Sequence[Item]], list[Item]]] = {
    "control": _control,
    "offensives": _offensives,
    "support": _support,
    "presence": _presence,
    "materiel": _materiel,
    "ceasefires": _ceasefires,
}


class Stepper:
    """Folds effective events one at a time into a projector, saying what each changed."""

    def __init__(
        self,
        registry: Registry,
        projector: Projector | None = None,
        sections: Sequence[str] = WATCHED,
    ) -> None:
        self.projector = projector if projector is not None else Projector()
        self._view = View(_OVER, registry, self.projector.ledger)
        # Each section's rendering (every section has one, though the base class declares none).
        self._renders: dict[str, Callable[[View], Iterable[Item]]] = {}
        self._routes: dict[str, list[str]] = {}
        for name in sections:
            section = getattr(self.projector, name)
            self._renders[name] = section.render
            for kind in section.handlers():
                self._routes.setdefault(kind, []).append(name)

    def kinds(self) -> frozenset[str]:
        """The kinds of event that change the watched sections."""
        return frozenset(self._routes)

    def _render(self, names: Sequence[str]) -> dict[str, list[Item]]:
        # Made now, before the event changes the state they are made from.
        return {name: list(self._renders[name](self._view)) for name in names}

    def apply(self, event: Event, *, watch: bool = True) -> list[Item]:
        """Fold `event` in (events come in fold order); with `watch`, the transitions it made,
        each with the event's envelope (all but `possibly_in_range`)."""
        names = self._routes.get(event.kind, ())
        if not watch or not names:
            self.projector.apply(event)
            return []
        before = self._render(names)
        self.projector.apply(event)
        after = self._render(names)
        changes = [c for name in names for c in CHANGES[name](before[name], after[name])]
        if event.kind == "control" and "control" in after:
            changes += _confirmed(event, changes, after["control"])
        if event.kind.startswith("materiel."):
            how = "transferred" if event.kind == "materiel.transferred" else None
            how = how or text_field(event.fields, "how") or "lost"
            for change in changes:
                change["how"] = how
        return [_envelope(event, change) for change in changes]


def _confirmed(event: Event, changes: list[Item], control: Sequence[Item]) -> list[Item]:
    """A control event that changed no controller: a report that the holder still holds the
    place. Listed too, so that every control event in a range is in its transitions."""
    place = text_field(event.fields, "place")
    if place is None or any(entity_id(c["place"]) == place for c in changes):
        return []
    for item in control:
        if entity_id(item["place"]) == place:
            holder = item["controller"]
            return [_change("control.confirmed", item["place"], holder, holder, holder)]
    return []


def _envelope(event: Event, change: Item) -> Item:
    return {
        "date": event.date.text,
        "kind": change.pop("kind"),
        "event": event.id,
        "event_kind": event.kind,
        "title": event.title,
        **change,
        "sources": event_sources(event),
    }


def transitions(
    events: Iterable[Event], registry: Registry, start: datetime, end: datetime
) -> list[Item]:
    """Every transition of the effective `events` (in fold order, from the start of the log)
    whose interval overlaps [start, end), in fold order; those not wholly inside it are
    `possibly_in_range`. Events wholly before `start` are folded silently, and those starting
    at `end` or later are not needed."""
    stepper = Stepper(registry)
    kinds = stepper.kinds()
    low, high = to_micros(start), to_micros(end)
    out: list[Item] = []
    for event in events:
        if event.kind not in kinds:
            continue  # it changes no watched fact
        begins, ends = to_micros(event.date.start), to_micros(event.date.end)
        if begins >= high:
            break
        possibly = not (low <= begins and ends <= high)
        for change in stepper.apply(event, watch=ends > low):
            change["possibly_in_range"] = possibly
            out.append(_ordered(change))
    return out


_ORDER = ("date", "kind", "event", "event_kind", "title", "possibly_in_range")


def _ordered(change: Item) -> Item:
    """The envelope's keys first, in the documented order."""
    return {**{k: change[k] for k in _ORDER}, **change}


def watched_kinds() -> frozenset[str]:
    """The kinds of event transitions follow (what a diff reads of the log)."""
    return Stepper(Registry()).kinds()
