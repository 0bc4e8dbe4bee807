"""What changed between two answers: "what changed between April and June 2020?".

Pure module. The net view is computed from the two answers alone (so it works on filtered
answers too, and costs what the answers cost). Facts are matched by their identity in each
section (`KEYS`): the place for control, the started event for offensives, (backer, backed)
for support, (actor, place) for presence, (place, holder, item, supplier) for materiel, the
name for ceasefires. A `Diff` may also carry every transition in between, event by event
(see `timeline.projections.transitions`), which the net view cannot see.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from timeline.dates import format_instant
from timeline.projections.basis import fold_name
from timeline.projections.state import Answer, Item

Key = tuple[str | None, ...]


def entity_id(ref: Any) -> str | None:
    """The id of an entity reference (`{"id", "name"}`), None for none."""
    return ref["id"] if isinstance(ref, dict) else None


_id = entity_id


def _index(items: Iterable[Item], key: Callable[[Item], Key]) -> dict[Key, Item]:
    return {key(item): item for item in items}


def _support_key(item: Item) -> Key:
    return (_id(item["backer"]), _id(item["backed"]))


def _presence_key(item: Item) -> Key:
    return (_id(item["actor"]), _id(item["place"]))


def _materiel_key(item: Item) -> Key:
    return (
        _id(item["place"]),
        _id(item["holder"]),
        fold_name(item["item"]),
        _id(item["supplier"]),
    )


def _offensive_key(item: Item) -> Key:
    # Answers from this package carry the started event's id; fall back on the first event.
    return (item.get("id") or (item["events"][0] if item["events"] else item["name"]),)


def _control_key(item: Item) -> Key:
    return (_id(item["place"]),)


def _ceasefire_key(item: Item) -> Key:
    return (fold_name(item["name"]),)


# How each section's facts are told apart: the same key in two answers is the same fact.
KEYS: dict[str, Callable[[Item], Key]] = {
    "control": _control_key,
    "offensives": _offensive_key,
    "support": _support_key,
    "presence": _presence_key,
    "materiel": _materiel_key,
    "ceasefires": _ceasefire_key,
}


def _split(before: dict[Key, Item], after: dict[Key, Item]) -> tuple[list[Item], list[Item]]:
    """(items only in `after`, items only in `before`), each in its answer's order."""
    begun = [item for key, item in after.items() if key not in before]
    ended = [item for key, item in before.items() if key not in after]
    return begun, ended


@dataclass(frozen=True)
class Diff:
    """The changes from one answer to another. Items are JSON-ready mappings."""

    timeline: str
    before: str  # the instants, as ISO text
    after: str
    control: tuple[Item, ...] = ()
    offensives_begun: tuple[Item, ...] = ()
    offensives_ended: tuple[Item, ...] = ()
    support_begun: tuple[Item, ...] = ()
    support_ended: tuple[Item, ...] = ()
    support_changed: tuple[Item, ...] = ()
    presence_arrived: tuple[Item, ...] = ()
    presence_left: tuple[Item, ...] = ()
    presence_changed: tuple[Item, ...] = ()
    materiel_added: tuple[Item, ...] = ()
    materiel_removed: tuple[Item, ...] = ()
    materiel_changed: tuple[Item, ...] = ()
    ceasefires: tuple[Item, ...] = ()
    fatalities: dict[str, Any] = field(default_factory=dict)
    # The knowledge both answers were bounded by, as ISO text (None: no bound), and the
    # events the publication bound left out for having no publication date.
    as_known: str | None = None
    as_published: str | None = None
    unpublished: int | None = None
    # Every transition between the two instants, in date order (None: the net view only).
    transitions: tuple[Item, ...] | None = None

    def is_empty(self) -> bool:
        """Whether nothing changed at all."""
        lists = (
            self.transitions or (),
            self.control,
            self.offensives_begun,
            self.offensives_ended,
            self.support_begun,
            self.support_ended,
            self.support_changed,
            self.presence_arrived,
            self.presence_left,
            self.presence_changed,
            self.materiel_added,
            self.materiel_removed,
            self.materiel_changed,
            self.ceasefires,
        )
        return not any(lists) and not any(
            self.fatalities.get(k) for k in ("total", "uncertain", "by_actor")
        )

    def to_json(self) -> dict[str, Any]:
        """The diff as a JSON document::

        {"timeline", "from", "to", "as_known", "as_published", "unpublished",
         "control": [{"place", "from", "to", "since", "certain", "events", "sources",
                      "from_status", "to_status", "holders", "contested_by"}],
         "offensives": {"begun": [..], "ended": [..]},
         "support": {"begun": [..], "ended": [..],
                     "changed": [{"backer", "backed", "added", "removed", "kinds", "events"}]},
         "presence": {"arrived": [..], "left": [..],
                      "changed": [{"actor", "place", "status": {"from", "to"} | null,
                                   "strength": {"from", "to"} | null, "events"}]},
         "materiel": {"added": [..], "removed": [..],
                      "changed": [{"place", "holder", "supplier", "item", "from_count",
                                   "to_count", "events"}]},
         "ceasefires": [{"name", "from_status", "to_status", "since", "events"}],
         "fatalities": {"total", "uncertain", "by_actor"},
         "transitions": [{"date", "kind", "event", "event_kind", "title",
                          "possibly_in_range", "place", "actor", "from", "to", ...,
                          "sources"}]}

        A control change is a change of controller, or of status (`held`, `partial`,
        `divided`, `contested`), holders or contesting parties with the same controller.
        Begun/arrived/added items are the facts as the later answer shows them; ended/left/
        removed items as the earlier one did. `transitions` is there unless the diff is the
        net view only (see `timeline.projections.transitions` for its items).
        """
        out: dict[str, Any] = {
            "timeline": self.timeline,
            "from": self.before,
            "to": self.after,
            "as_known": self.as_known,
            "as_published": self.as_published,
            "unpublished": self.unpublished,
            "control": list(self.control),
            "offensives": {
                "begun": list(self.offensives_begun),
                "ended": list(self.offensives_ended),
            },
            "support": {
                "begun": list(self.support_begun),
                "ended": list(self.support_ended),
                "changed": list(self.support_changed),
            },
            "presence": {
                "arrived": list(self.presence_arrived),
                "left": list(self.presence_left),
                "changed": list(self.presence_changed),
            },
            "materiel": {
                "added": list(self.materiel_added),
                "removed": list(self.materiel_removed),
                "changed": list(self.materiel_changed),
            },
            "ceasefires": list(self.ceasefires),
            "fatalities": self.fatalities,
        }
        if self.transitions is not None:
            out["transitions"] = list(self.transitions)
        return copy.deepcopy(out)


def _control(before: Answer, after: Answer) -> list[Item]:
    old = {_id(i["place"]): i for i in before.control}
    new = {_id(i["place"]): i for i in after.control}
    changes = []
    for place, item in new.items():
        was = old.get(place)
        if was is not None and control_state(was) == control_state(item):
            continue
        changes.append(
            {
                "place": item["place"],
                # With no earlier controller on record, the later answer's `from` is the best
                # knowledge of whom the place was taken from.
                "from": was["controller"] if was is not None else item["from"],
                "to": item["controller"],
                "since": item["since"],
                "certain": item["certain"],
                "events": list(item["events"]),
                "sources": list(item.get("sources", [])),
                **control_shape(was, item),
            }
        )
    for place, was in old.items():
        if place not in new:
            changes.append(
                {
                    "place": was["place"],
                    "from": was["controller"],
                    "to": None,
                    "since": None,
                    "certain": was["certain"],
                    "events": list(was["events"]),
                    "sources": list(was.get("sources", [])),
                    **control_shape(was, None),
                }
            )
    return changes


def control_state(item: Item) -> Key:
    """What a change of a place's control is: of its controller, its status (held, partial,
    divided, contested), the sides holding parts of it, or the parties contesting it."""
    holders = sorted(str(_id(h.get("actor"))) for h in item.get("holders") or ())
    contest = item.get("contest") or {}
    parties = sorted(str(_id(p)) for p in contest.get("parties") or ())
    return (
        _id(item["controller"]),
        item.get("status"),
        ",".join(holders),
        ",".join(parties),
    )


def control_shape(was: Item | None, item: Item | None) -> Item:
    """The status before and after, and the holders and contest after (none when gone)."""
    contest = (item or {}).get("contest")
    return {
        "from_status": was.get("status") if was is not None else None,
        "to_status": item.get("status") if item is not None else None,
        "holders": [h["actor"] for h in (item or {}).get("holders") or ()],
        "contested_by": list(contest["parties"]) if contest else [],
    }


def _support_changed(old: dict[Key, Item], new: dict[Key, Item]) -> list[Item]:
    changed = []
    for key, item in new.items():
        was = old.get(key)
        if was is None:
            continue
        added = sorted(set(item["kinds"]) - set(was["kinds"]))
        removed = sorted(set(was["kinds"]) - set(item["kinds"]))
        if added or removed:
            changed.append(
                {
                    "backer": item["backer"],
                    "backed": item["backed"],
                    "added": added,
                    "removed": removed,
                    "kinds": list(item["kinds"]),
                    "events": list(item["events"]),
                }
            )
    return changed


def _presence_changed(old: dict[Key, Item], new: dict[Key, Item]) -> list[Item]:
    changed = []
    for key, item in new.items():
        was = old.get(key)
        if was is None:
            continue
        status = (
            {"from": was["status"], "to": item["status"]}
            if was["status"] != item["status"]
            else None
        )
        strength = (
            {"from": was["strength"], "to": item["strength"]}
            if was["strength"] != item["strength"]
            else None
        )
        behalf = (
            {"from": was["on_behalf_of"], "to": item["on_behalf_of"]}
            if _id(was["on_behalf_of"]) != _id(item["on_behalf_of"])
            else None
        )
        if status or strength or behalf:
            changed.append(
                {
                    "actor": item["actor"],
                    "place": item["place"],
                    "status": status,
                    "strength": strength,
                    "on_behalf_of": behalf,
                    "events": list(item["events"]),
                }
            )
    return changed


def _materiel_changed(old: dict[Key, Item], new: dict[Key, Item]) -> list[Item]:
    changed = []
    for key, item in new.items():
        was = old.get(key)
        if was is not None and was["count"] != item["count"]:
            changed.append(
                {
                    "place": item["place"],
                    "holder": item["holder"],
                    "supplier": item["supplier"],
                    "item": item["item"],
                    "from_count": was["count"],
                    "to_count": item["count"],
                    "events": [e for e in item["events"] if e not in set(was["events"])],
                }
            )
    return changed


def _ceasefires(before: Answer, after: Answer) -> list[Item]:
    old = {fold_name(i["name"]): i for i in before.ceasefires}
    changes = []
    for item in after.ceasefires:
        was = old.get(fold_name(item["name"]))
        from_status = was["status"] if was is not None else None
        if from_status != item["status"]:
            changes.append(
                {
                    "name": item["name"],
                    "from_status": from_status,
                    "to_status": item["status"],
                    "since": item["since"],
                    "events": list(item["events"]),
                }
            )
    return changes


def _fatalities(before: Answer, after: Answer) -> dict[str, Any]:
    old, new = before.fatalities, after.fatalities
    old_by, new_by = old.get("by_actor", {}), new.get("by_actor", {})
    by_actor = {
        actor: new_by.get(actor, 0) - old_by.get(actor, 0)
        for actor in sorted(set(old_by) | set(new_by))
        if new_by.get(actor, 0) != old_by.get(actor, 0)
    }
    return {
        "total": new.get("total", 0) - old.get("total", 0),
        "uncertain": new.get("uncertain", 0) - old.get("uncertain", 0),
        "by_actor": by_actor,
    }


def diff(before: Answer, after: Answer) -> Diff:
    """The changes from `before` to `after` (usually the same timeline at two instants)."""
    offensives = _split(
        _index(before.offensives, _offensive_key), _index(after.offensives, _offensive_key)
    )
    old_support = _index(before.support, _support_key)
    new_support = _index(after.support, _support_key)
    support = _split(old_support, new_support)
    old_presence = _index(before.presence, _presence_key)
    new_presence = _index(after.presence, _presence_key)
    presence = _split(old_presence, new_presence)
    old_materiel = _index(before.materiel, _materiel_key)
    new_materiel = _index(after.materiel, _materiel_key)
    materiel = _split(old_materiel, new_materiel)
    return Diff(
        timeline=after.timeline,
        before=format_instant(before.at),
        after=format_instant(after.at),
        as_known=format_instant(after.as_known) if after.as_known else None,
        as_published=format_instant(after.as_published) if after.as_published else None,
        # The later answer's count: it covers every event the earlier one left out.
        unpublished=after.unpublished,
        control=tuple(_control(before, after)),
        offensives_begun=tuple(offensives[0]),
        offensives_ended=tuple(offensives[1]),
        support_begun=tuple(support[0]),
        support_ended=tuple(support[1]),
        support_changed=tuple(_support_changed(old_support, new_support)),
        presence_arrived=tuple(presence[0]),
        presence_left=tuple(presence[1]),
        presence_changed=tuple(_presence_changed(old_presence, new_presence)),
        materiel_added=tuple(materiel[0]),
        materiel_removed=tuple(materiel[1]),
        materiel_changed=tuple(_materiel_changed(old_materiel, new_materiel)),
        ceasefires=tuple(_ceasefires(before, after)),
        fatalities=_fatalities(before, after),
    )
