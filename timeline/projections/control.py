"""Control of places: who holds each place or part of it, since when, from whom they took it,
who fights for it, and how well each holding is corroborated.

A place's control is a list of holdings (one per side holding it or a part of it) and, while
one is on, a contest:

- A `control` event without `partial` says `by` holds the whole place: every other holding
  ends, and so does the contest. When `by` already held the whole place and no other `from`
  is given, the event confirms that holding (`since` stays with the event that opened it).
- A `control` event with `partial: true` says `by` holds part of the place: the other sides
  keep their parts (a side that held the whole now holds part of it). When `by` already holds
  (part of) the place, the event confirms that holding, whatever its `from`.
- A `control.contested` event says the place is fought over between its `parties` from its
  date; the holdings stay as they were. A later one names the parties as they are then (the
  contest goes on from its first date); a later `control` without `partial` ends it.

The controller of a place is the side whose holding opened last: the only holder, or, in a
divided place, the side that last took a part of it.

Corroboration: each holding counts the events that support it (the one that opened it and
every `control` event confirming it while it lasts, as described above; corrections add
their sources to the event they correct, so those count too), the distinct outlets among
their sources, the datasets they were imported from, and the date of the latest of them.
Clashes or strikes at a place do not confirm who holds it and are not counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from timeline.events import Event
from timeline.projections.basis import (
    Handler,
    Ledger,
    Section,
    View,
    fold_name,
    list_field,
    text_field,
    unique,
)

HELD = "held"
PARTIAL = "partial"
DIVIDED = "divided"
CONTESTED = "contested"

# "Egypt Today (Reuters)" carries a Reuters report, and "Reuters (The Daily Star)" is Reuters
# as The Daily Star printed it: either way the name in brackets may be the outlet.
_BRACKETED = re.compile(r"^(.*?)\s*\(([^()]*)\)\s*$")


def outlet_names(name: str) -> set[str]:
    """The folded names a source's name stands for: itself, and both parts of "A (B)"."""
    names = {fold_name(name)}
    match = _BRACKETED.match(name)
    if match:
        names.update(fold_name(part) for part in match.groups() if part.strip())
    return names - {""}


def count_outlets(names: Iterable[str]) -> int:
    """How many independent outlets `names` are: sources sharing a name (a wire report and a
    paper that printed it, "Reuters" and "Egypt Today (Reuters)") are one outlet."""
    groups: list[set[str]] = []
    for name in names:
        own = outlet_names(name)
        if not own:
            continue
        joined = [g for g in groups if g & own]
        for group in joined:
            own |= group
            groups.remove(group)
        groups.append(own)
    return len(groups)


def dataset_of(event: Event) -> str | None:
    """The dataset an event was imported from (`acled` for `acled:LBY9289`), if any."""
    if event.origin is None:
        return None
    dataset = event.origin.key.split(":", 1)[0]
    return dataset or None


@dataclass(slots=True)
class Corroboration:
    """What supports one holding: its events, their outlets and datasets, the latest date."""

    outlets: list[str] = field(default_factory=list)  # distinct source names, as first written
    datasets: list[str] = field(default_factory=list)
    events: int = 0
    latest: str = ""  # date text of the latest supporting event, in fold order

    def add(self, event: Event) -> None:
        """One more event supports the holding."""
        self.events += 1
        self.latest = event.date.text
        dataset = dataset_of(event)
        if dataset is not None and dataset not in self.datasets:
            self.datasets.append(dataset)
        known = {fold_name(name) for name in self.outlets}
        for source in event.sources:
            key = fold_name(source.name)
            # An imported event names its dataset among its sources ("ACLED", "UCDP GED"):
            # that is the dataset, counted as such, not an outlet.
            if not key or key in known or (dataset and key.startswith(fold_name(dataset))):
                continue
            known.add(key)
            self.outlets.append(source.name)

    def render(self) -> dict[str, Any]:
        """The corroboration as JSON-ready data."""
        sources = count_outlets(self.outlets)
        return {
            "sources": sources,
            "datasets": len(self.datasets),
            "events": self.events,
            "latest": self.latest,
            "single_source": sources <= 1,
            "source_names": list(self.outlets),
            "dataset_names": list(self.datasets),
        }

    def to_json(self) -> list[Any]:
        """The corroboration as JSON-ready data, for snapshots."""
        return [self.outlets, self.datasets, self.events, self.latest]

    @classmethod
    def load(cls, data: Sequence[Any]) -> Corroboration:
        """Read what `to_json` wrote."""
        outlets, datasets, events, latest = data
        return cls(list(outlets), list(datasets), int(events), str(latest))


@dataclass(slots=True)
class Holding:
    """One side's hold on one place, or on part of it."""

    controller: str
    previous: str | None  # the side it was taken from, if known
    since: str  # date text of the event that opened the holding
    opened: str  # that event's id
    confirmed: str | None = None  # the latest later report of the same holding
    partial: bool = False  # the side holds part of the place
    # The event that made a holding of the whole place a holding of part of it (another
    # side's part, or a report of its own), when that is not the opening event.
    split: str | None = None
    support: Corroboration = field(default_factory=Corroboration)

    def basis(self) -> list[str]:
        """The events the holding rests on."""
        return unique([self.opened, self.confirmed, self.split])

    def confirm(self, event: Event) -> None:
        """A later event reports the same holding."""
        self.confirmed = event.id
        self.support.add(event)

    def to_json(self) -> list[Any]:
        """The holding as JSON-ready data."""
        return [
            self.controller,
            self.previous,
            self.since,
            self.opened,
            self.confirmed,
            self.partial,
            self.split,
            self.support.to_json(),
        ]

    @classmethod
    def load(cls, data: Sequence[Any]) -> Holding:
        """Read what `to_json` wrote."""
        controller, previous, since, opened, confirmed, partial, split, support = data
        return cls(
            controller,
            previous,
            since,
            opened,
            confirmed,
            bool(partial),
            split,
            Corroboration.load(support),
        )


@dataclass(slots=True)
class Contest:
    """A place fought over between parties, from a date."""

    parties: list[str]
    since: str  # date text of the event that began the contest
    opened: str
    updated: str | None = None  # the latest later event naming the parties

    def basis(self) -> list[str]:
        """The events the contest rests on."""
        return unique([self.opened, self.updated])

    def to_json(self) -> list[Any]:
        """The contest as JSON-ready data."""
        return [self.parties, self.since, self.opened, self.updated]


@dataclass(slots=True)
class PlaceControl:
    """Who holds a place (one side, or several sides each part of it), and any contest."""

    holders: list[Holding] = field(default_factory=list)  # in the order they opened
    contest: Contest | None = None

    @property
    def controller(self) -> Holding | None:
        """The holding that opened last (None while no side is known to hold the place)."""
        return self.holders[-1] if self.holders else None

    def holding(self, actor: str) -> Holding | None:
        """The actor's holding of (part of) the place, if it has one."""
        for held in self.holders:
            if held.controller == actor:
                return held
        return None

    @property
    def status(self) -> str:
        """`contested` while a contest is on; otherwise `divided` when several sides hold
        parts, `partial` when the one side known holds part, `held` when it holds it all."""
        if self.contest is not None:
            return CONTESTED
        if len(self.holders) > 1:
            return DIVIDED
        if self.holders and self.holders[0].partial:
            return PARTIAL
        return HELD

    def basis(self) -> list[str]:
        """The events the place's control rests on: the controller's holding first."""
        ids: list[str | None] = []
        for held in reversed(self.holders):
            ids += held.basis()
        if self.contest is not None:
            ids += self.contest.basis()
        return unique(ids)

    def to_json(self) -> list[Any]:
        """The place's control as JSON-ready data."""
        return [
            [held.to_json() for held in self.holders],
            self.contest.to_json() if self.contest else None,
        ]

    @classmethod
    def load(cls, data: Sequence[Any]) -> PlaceControl:
        """Read what `to_json` wrote."""
        holders, contest = data
        return cls(
            [Holding.load(held) for held in holders],
            Contest(*contest) if contest is not None else None,
        )


class Control(Section):
    """Holders and contests per place."""

    name = "control"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.places: dict[str, PlaceControl] = {}

    def handlers(self) -> dict[str, Handler]:
        """The event kinds this section folds, and how."""
        return {"control": self.on_control, "control.contested": self.on_contest}

    def on_control(self, event: Event) -> None:
        """A place, or part of it, changes hands (or its holder is confirmed)."""
        fields = event.fields
        place = text_field(fields, "place")
        by = text_field(fields, "by")
        if place is None or by is None:
            return
        taken_from = text_field(fields, "from")
        if taken_from == by:
            taken_from = None
        state = self.places.get(place) or PlaceControl()
        before = state.basis()
        held = state.holding(by)
        if fields.get("partial") is True:
            if held is not None:
                if not held.partial:
                    held.partial, held.split = True, event.id
                held.confirm(event)
            else:
                for other in state.holders:
                    if not other.partial:
                        other.partial, other.split = True, event.id
                new = Holding(by, taken_from, event.date.text, event.id, partial=True)
                new.support.add(event)
                state.holders.append(new)
        elif held is not None and len(state.holders) == 1 and not held.partial and not taken_from:
            held.confirm(event)
            state.contest = None
        else:
            if taken_from is None:
                others = [h.controller for h in state.holders if h.controller != by]
                taken_from = others[-1] if others else None
            new = Holding(by, taken_from, event.date.text, event.id)
            new.support.add(event)
            state.holders = [new]
            state.contest = None
        self.ledger.rebase(before, state.basis(), event)
        self.places[place] = state

    def on_contest(self, event: Event) -> None:
        """A place is fought over between parties (or the parties are named again)."""
        place = text_field(event.fields, "place")
        parties = list_field(event.fields, "parties")
        if place is None or not parties:
            return
        state = self.places.get(place) or PlaceControl()
        before = state.basis()
        if state.contest is None:
            state.contest = Contest(parties, event.date.text, event.id)
        else:
            state.contest.parties = parties
            state.contest.updated = event.id
        self.ledger.rebase(before, state.basis(), event)
        self.places[place] = state

    def render(self, view: View) -> Iterator[dict[str, Any]]:
        """Every place's control, sorted by place name, each made as it is read."""
        for place in sorted(self.places, key=lambda p: view.sort_name(p, "place")):
            state = self.places[place]
            held = state.controller
            contest = state.contest
            holders = [
                {
                    "actor": view.ref(h.controller, "actor"),
                    "from": view.ref(h.previous, "actor"),
                    "since": h.since,
                    "partial": h.partial,
                    **view.cite(h.basis()),
                    "corroboration": h.support.render(),
                }
                for h in reversed(state.holders)
            ]
            yield (
                {
                    "place": view.ref(place, "place"),
                    "controller": view.ref(held.controller, "actor") if held else None,
                    "from": view.ref(held.previous, "actor") if held else None,
                    "since": held.since if held else contest.since if contest else "",
                    **view.cite(state.basis()),
                    "status": state.status,
                    "partial": held.partial if held else False,
                    "holders": holders,
                    "contest": (
                        {
                            "parties": view.refs(contest.parties),
                            "since": contest.since,
                            **view.cite(contest.basis()),
                        }
                        if contest
                        else None
                    ),
                    "corroboration": held.support.render() if held else None,
                }
            )

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return {place: state.to_json() for place, state in self.places.items()}

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.places = {place: PlaceControl.load(state) for place, state in data.items()}
