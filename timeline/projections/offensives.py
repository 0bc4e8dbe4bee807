"""Active offensives: from `offensive.started` until the `offensive.ended` that names it.

An end names its offensive by the started event's id or by the offensive's name
(case-insensitive; a name ends every active offensive of that name). An end that has not
certainly happened by the answer's instant leaves the offensive shown, uncertain, with status
`ending`; once the fold has passed the end's interval the offensive is dropped from the state.
An end met before any matching start in fold order ends nothing.
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
    text_field,
)


@dataclass(slots=True)
class Offensive:
    """One offensive under way."""

    actor: str | None
    target: str | None
    name: str
    since: str
    started: str  # id of the `offensive.started` event
    ending: str | None = None  # id of an `offensive.ended` not certainly over yet
    # fold_name(name), kept: by it ends find offensives and answers sort them.
    folded: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.folded:
            self.folded = fold_name(self.name)

    def basis(self) -> list[str]:
        """The events the offensive's state rests on."""
        if self.ending is None or self.ending == self.started:
            return [self.started]
        return [self.started, self.ending]

    def to_json(self) -> list[Any]:
        """The offensive as JSON-ready data."""
        return [self.actor, self.target, self.name, self.since, self.started, self.ending]


class Offensives(Section):
    """Offensives started and not (certainly) ended."""

    name = "offensives"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.active: dict[str, Offensive] = {}
        self.by_name: dict[str, list[str]] = {}
        self.deadlines = Deadlines()

    def handlers(self) -> dict[str, Handler]:
        """The event kinds this section folds, and how."""
        return {
            "offensive.started": self.on_started,
            "offensive.ended": self.on_ended,
        }

    def on_started(self, event: Event) -> None:
        """An offensive begins."""
        name = text_field(event.fields, "name") or event.title
        offensive = Offensive(
            text_field(event.fields, "actor"),
            text_field(event.fields, "target"),
            name,
            event.date.text,
            event.id,
        )
        self.active[event.id] = offensive
        self.by_name.setdefault(offensive.folded, []).append(event.id)
        self.ledger.rebase([], offensive.basis(), event)

    def on_ended(self, event: Event) -> None:
        """An offensive ends: the one whose id, or every one whose name, the event gives."""
        reference = text_field(event.fields, "offensive")
        if reference is None:
            return
        if reference in self.active:
            targets = [reference]
        else:
            targets = list(self.by_name.get(fold_name(reference), ()))
        end = to_micros(event.date.end)
        for started in targets:
            offensive = self.active[started]
            if offensive.ending is not None and self.ledger.entries[offensive.ending].end <= end:
                continue  # an earlier-ending end already ends it at least as soon
            before = offensive.basis()
            offensive.ending = event.id
            self.ledger.rebase(before, offensive.basis(), event)
            self.deadlines.add(end, started)

    def advance(self, now: int) -> None:
        """Drop the offensives whose end is over by `now`."""
        for started in self.deadlines.due(now):
            offensive = self.active.get(started)
            if offensive is None or offensive.ending is None:
                continue
            if self.ledger.entries[offensive.ending].end <= now:
                self._drop(offensive)

    def _drop(self, offensive: Offensive) -> None:
        del self.active[offensive.started]
        key = offensive.folded
        same = [s for s in self.by_name.get(key, ()) if s != offensive.started]
        if same:
            self.by_name[key] = same
        else:
            self.by_name.pop(key, None)
        self.ledger.rebase(offensive.basis(), [], None)

    def render(self, view: View) -> Iterator[dict[str, Any]]:
        """The offensives in effect, by actor name, then offensive name, each made as it is
        read."""
        shown = [o for o in self.active.values() if o.ending is None or not view.ended(o.ending)]
        shown.sort(key=lambda o: (view.sort_name(o.actor, "actor"), o.folded, o.started))
        return (
            {
                "id": o.started,
                "actor": view.ref(o.actor, "actor"),
                "target": view.ref(o.target, "place"),
                "name": o.name,
                "status": "active" if o.ending is None else "ending",
                "since": o.since,
                **view.cite(o.basis()),
            }
            for o in shown
        )

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return {
            "active": [o.to_json() for o in self.active.values()],
            "deadlines": self.deadlines.to_json(),
        }

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.active = {}
        self.by_name = {}
        for item in data["active"]:
            offensive = Offensive(*item)
            self.active[offensive.started] = offensive
            self.by_name.setdefault(offensive.folded, []).append(offensive.started)
        self.deadlines = Deadlines(data["deadlines"])
