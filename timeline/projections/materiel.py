"""Materiel at places: what was delivered where, to whom, by whom, how many, and what of it
was lost.

`materiel.transferred` events add up per (place, holder, item, supplier): the counts given
are summed (the count is null while no event gave one), `since` is the first event, and
every event is cited. Items are matched case-insensitively; the first spelling is shown.

`materiel.lost` (how: destroyed, captured, lost or withdrawn) takes materiel away from the
stocks of its item that match what it names of place, holder and supplier (a field it leaves
out matches any), the earliest stock first, each down to zero and never below:

- with a count, that many go; what the known holdings cannot cover is counted on the stock
  the loss names exactly (made at zero if there is none) as `lost_beyond_holding`: the count
  stays at zero, and the flag says the loss was larger than the holding on record;
- a stock whose count is unknown (null) takes the rest of the loss, and stays unknown;
- without a count the number lost is unknown, and so is the count of the stock it came from;
- `captured` with `captured_by` adds what was captured to the captor's stock of the item at
  the same place (no supplier), which names whom it was `captured` from.

A stock stays listed at zero, with its losses: an answer shows what was there and went.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from timeline.events import Event
from timeline.projections.basis import (
    Handler,
    Ledger,
    Section,
    View,
    fold_name,
    int_field,
    key_of,
    text_field,
)


@dataclass(slots=True)
class Stock:
    """Materiel of one kind held by one actor at one place, from one supplier."""

    place: str | None
    holder: str | None
    item: str
    supplier: str | None
    since: str
    count: int | None = None
    events: list[str] = field(default_factory=list)  # every event the stock rests on
    # What losses took from it: [event id, date text, how, count (None: unknown), captor,
    # how many of that count no known holding covered].
    losses: list[list[Any]] = field(default_factory=list)
    beyond: int = 0  # the sum of the last column of `losses`
    # Captures that added to it: [event id, date text, count (None: unknown), taken from].
    captures: list[list[Any]] = field(default_factory=list)

    def to_json(self) -> list[Any]:
        """The stock as JSON-ready data."""
        return [
            self.place,
            self.holder,
            self.item,
            self.supplier,
            self.since,
            self.count,
            self.events,
            self.losses,
            self.beyond,
            self.captures,
        ]

    @classmethod
    def from_json(cls, data: list[Any]) -> Stock:
        """Read what `to_json` wrote (a state written before losses were known has only
        the first seven columns)."""
        stock = cls(*data)
        stock.events = list(stock.events)
        stock.losses = [list(loss) for loss in stock.losses]
        stock.captures = [list(capture) for capture in stock.captures]
        return stock

    @property
    def key(self) -> str:
        """The key events are aggregated by."""
        return key_of(self.place, self.holder, fold_name(self.item), self.supplier)


class Materiel(Section):
    """Materiel transferred, lost and captured, per stock."""

    name = "materiel"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.stocks: dict[str, Stock] = {}

    def handlers(self) -> dict[str, Handler]:
        """The event kinds this section folds, and how."""
        return {"materiel.transferred": self.on_transferred, "materiel.lost": self.on_lost}

    def _stock(
        self,
        place: str | None,
        holder: str | None,
        item: str,
        supplier: str | None,
        event: Event,
        count: int | None,
    ) -> Stock:
        """The stock of that key, made with `count` and `since` the event if there is none."""
        stock = Stock(place, holder, item, supplier, event.date.text, count)
        return self.stocks.setdefault(stock.key, stock)

    def _cite(self, stock: Stock, event: Event) -> None:
        if event.id not in stock.events:
            stock.events.append(event.id)
            self.ledger.acquire(event)

    def on_transferred(self, event: Event) -> None:
        """Materiel arrives."""
        fields = event.fields
        item = text_field(fields, "item")
        if item is None:
            return
        place, holder = text_field(fields, "place"), text_field(fields, "holder")
        stock = self._stock(place, holder, item, text_field(fields, "supplier"), event, None)
        count = int_field(fields, "count")
        if count is not None:
            stock.count = (stock.count or 0) + count
        self._cite(stock, event)

    def on_lost(self, event: Event) -> None:
        """Materiel is destroyed, captured, lost or withdrawn (see the module's docstring)."""
        fields = event.fields
        item = text_field(fields, "item")
        if item is None:
            return
        how = text_field(fields, "how") or "lost"
        place = text_field(fields, "place")
        holder = text_field(fields, "holder")
        supplier = text_field(fields, "supplier")
        captor = text_field(fields, "captured_by") if how == "captured" else None
        count = int_field(fields, "count")
        folded = fold_name(item)
        matches = [
            s
            for s in self.stocks.values()
            if fold_name(s.item) == folded
            and (place is None or s.place == place)
            and (holder is None or s.holder == holder)
            and (supplier is None or s.supplier == supplier)
        ]

        def take(stock: Stock, number: int | None, beyond: int = 0) -> None:
            last = stock.losses[-1] if stock.losses else None
            if last is not None and last[0] == event.id:  # a second share of the same loss
                last[3] = None if number is None or last[3] is None else last[3] + number
                last[5] += beyond
            else:
                stock.losses.append([event.id, event.date.text, how, number, captor, beyond])
            stock.beyond += beyond
            self._cite(stock, event)

        if count is None:
            # How many went is unknown: so is what is left of the stock they came from.
            stock = next((s for s in matches if s.count != 0), None) or self._stock(
                place, holder, item, supplier, event, None
            )
            stock.count = None
            take(stock, None)
        elif count > 0:
            remaining = count
            for stock in matches:
                if remaining == 0:
                    break
                if stock.count is None:  # a holding of unknown size covers what is left
                    take(stock, remaining)
                    remaining = 0
                elif stock.count > 0:
                    share = min(stock.count, remaining)
                    stock.count -= share
                    take(stock, share)
                    remaining -= share
            if remaining:
                # More went than any known holding held: the stock the loss names stays at
                # zero, and says by how much the loss went beyond it.
                stock = self._stock(place, holder, item, supplier, event, 0)
                take(stock, remaining, remaining)
        if captor is not None and (count is None or count > 0):
            gained = self._stock(place, captor, item, None, event, 0)
            gained.count = None if count is None or gained.count is None else gained.count + count
            gained.captures.append([event.id, event.date.text, count, holder])
            self._cite(gained, event)

    def render(self, view: View) -> Iterator[dict[str, Any]]:
        """Every stock, by place name, holder name, item, then supplier name, each made as it
        is read."""
        stocks = sorted(
            self.stocks.values(),
            key=lambda s: (
                view.sort_name(s.place, "place"),
                view.sort_name(s.holder, "actor"),
                fold_name(s.item),
                view.sort_name(s.supplier, "actor"),
            ),
        )
        return (
            {
                "place": view.ref(s.place, "place"),
                "holder": view.ref(s.holder, "actor"),
                "supplier": view.ref(s.supplier, "actor"),
                "item": s.item,
                "count": s.count,
                "since": s.since,
                "lost": sum(loss[3] for loss in s.losses if loss[3] is not None),
                "lost_beyond_holding": s.beyond,
                "losses": [
                    {
                        "event": event_id,
                        "date": date,
                        "how": how,
                        "count": number,
                        "captured_by": view.ref(captor, "actor"),
                        "beyond_holding": beyond,
                    }
                    for event_id, date, how, number, captor, beyond in s.losses
                ],
                "captured": [
                    {
                        "event": event_id,
                        "date": date,
                        "count": number,
                        "from": view.ref(taken_from, "actor"),
                    }
                    for event_id, date, number, taken_from in s.captures
                ],
                **view.cite(s.events),
            }
            for s in stocks
        )

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return [s.to_json() for s in self.stocks.values()]

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.stocks = {}
        for item in data:
            stock = Stock.from_json(item)
            self.stocks[stock.key] = stock
