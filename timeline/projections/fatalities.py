"""Fatality totals: every event in effect with an integer `fatalities` field counts.

Whatever its kind (clashes and strikes, but imported ACLED/UCDP rows put the figure on notes
and control changes too). An event certainly over by the answer's instant counts in `total`;
one the instant falls inside counts in `uncertain` only. `last_30_days` counts the certain
events that started in the 30 days before the instant; `by_actor` gives, per actor, the
fatalities of the certain events it took part in (`actors`, `by`, `actor`).

The state is a settled total (events over before the last applied start, hence over at any
instant an answer may be asked at), the few events still open, and a 30-day window.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from timeline.dates import to_micros
from timeline.events import Event
from timeline.projections.basis import DAY, Deadlines, Ledger, Section, View, int_field, list_field

WINDOW = 30 * DAY


def participants(event: Event) -> list[str]:
    """The actors an event says took part: `actors`, `by` and `actor`."""
    found: dict[str, None] = {}
    for name in ("actors", "by", "actor"):
        for actor in list_field(event.fields, name):
            found[actor] = None
    return list(found)


class Fatalities(Section):
    """Fatality totals, settled and open."""

    name = "fatalities"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.total = 0
        self.by_actor: dict[str, int] = {}
        self.open: dict[str, list[Any]] = {}  # event id -> [end, fatalities, actors]
        self.deadlines = Deadlines()
        self.window: deque[list[int]] = deque()  # [start, end, fatalities], in fold order

    def count(self, event: Event) -> None:
        """Count an event's fatalities, if it gives any (called for every event)."""
        n = int_field(event.fields, "fatalities")
        if n is None or n <= 0:
            return
        end = to_micros(event.date.end)
        self.open[event.id] = [end, n, participants(event)]
        self.deadlines.add(end, event.id)
        self.window.append([to_micros(event.date.start), end, n])

    def advance(self, now: int) -> None:
        """Settle the events over by `now`; drop window entries too old for any answer."""
        for event_id in self.deadlines.due(now):
            item = self.open.pop(event_id, None)
            if item is None:
                continue
            _, n, actors = item
            self.total += n
            for actor in actors:
                self.by_actor[actor] = self.by_actor.get(actor, 0) + n
        # Any answer is asked at an instant after `now`, so its 30 days start after now - 30.
        while self.window and self.window[0][0] < now - WINDOW:
            self.window.popleft()

    def render(self, view: View) -> dict[str, Any]:
        """The totals at the view's instant."""
        total, uncertain = self.total, 0
        by_actor = dict(self.by_actor)
        for end, n, actors in self.open.values():
            if end <= view.at:
                total += n
                for actor in actors:
                    by_actor[actor] = by_actor.get(actor, 0) + n
            else:
                uncertain += n
        since = view.at - WINDOW
        recent = sum(n for start, end, n in self.window if start >= since and end <= view.at)
        return {
            "total": total,
            "uncertain": uncertain,
            "last_30_days": recent,
            "by_actor": dict(sorted(by_actor.items())),
            # The names of the actors in `by_actor`, so that a reader of the JSON alone can
            # show them.
            "actors": {actor: view.registry.name_of(actor) for actor in sorted(by_actor)},
        }

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return {
            "total": self.total,
            "by_actor": self.by_actor,
            "open": self.open,
            "deadlines": self.deadlines.to_json(),
            "window": list(self.window),
        }

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.total = int(data["total"])
        self.by_actor = {k: int(v) for k, v in data["by_actor"].items()}
        self.open = {k: list(v) for k, v in data["open"].items()}
        self.deadlines = Deadlines(data["deadlines"])
        self.window = deque(list(w) for w in data["window"])
