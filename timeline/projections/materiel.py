"""Materiel at places: what was delivered where, to whom, by whom, how many.

`materiel.transferred` events add up per (place, holder, item, supplier): the counts given
are summed (the count is null when no transfer gave one), `since` is the first transfer, and
every transfer is cited. Items are matched case-insensitively; the first spelling is shown.
"""

from __future__ import annotations

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
    transfers: list[str] = field(default_factory=list)

    def to_json(self) -> list[Any]:
        """The stock as JSON-ready data."""
        return [
            self.place,
            self.holder,
            self.item,
            self.supplier,
            self.since,
            self.count,
            self.transfers,
        ]

    @property
    def key(self) -> str:
        """The key transfers are aggregated by."""
        return key_of(self.place, self.holder, fold_name(self.item), self.supplier)


class Materiel(Section):
    """Aggregated materiel transfers."""

    name = "materiel"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.stocks: dict[str, Stock] = {}

    def handlers(self) -> dict[str, Handler]:
        """The event kinds this section folds, and how."""
        return {"materiel.transferred": self.on_transferred}

    def on_transferred(self, event: Event) -> None:
        """Materiel arrives."""
        item = text_field(event.fields, "item")
        if item is None:
            return
        stock = Stock(
            text_field(event.fields, "place"),
            text_field(event.fields, "holder"),
            item,
            text_field(event.fields, "supplier"),
            event.date.text,
        )
        stock = self.stocks.setdefault(stock.key, stock)
        count = int_field(event.fields, "count")
        if count is not None:
            stock.count = (stock.count or 0) + count
        stock.transfers.append(event.id)
        self.ledger.acquire(event)

    def render(self, view: View) -> list[dict[str, Any]]:
        """Every stock, by place name, holder name, item, then supplier name."""
        stocks = sorted(
            self.stocks.values(),
            key=lambda s: (
                view.sort_name(s.place, "place"),
                view.sort_name(s.holder, "actor"),
                fold_name(s.item),
                view.sort_name(s.supplier, "actor"),
            ),
        )
        return [
            {
                "place": view.ref(s.place, "place"),
                "holder": view.ref(s.holder, "actor"),
                "supplier": view.ref(s.supplier, "actor"),
                "item": s.item,
                "count": s.count,
                "since": s.since,
                **view.cite(s.transfers),
            }
            for s in stocks
        ]

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return [s.to_json() for s in self.stocks.values()]

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.stocks = {}
        for item in data:
            stock = Stock(*item)
            stock.transfers = list(stock.transfers)
            self.stocks[stock.key] = stock
