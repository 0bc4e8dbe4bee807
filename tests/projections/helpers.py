"""Building events and asking the projector, for the projection tests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from timeline.dates import parse_fuzzy, parse_instant, to_micros
from timeline.entities import Entity, Registry
from timeline.events import Event, Source
from timeline.projections import Answer, Projector
from timeline.revisions import fold_order

RECORDED = datetime(2024, 1, 1, tzinfo=UTC)


def make(
    seq: int,
    kind: str,
    date: str,
    *,
    id: str | None = None,
    title: str | None = None,
    sources: Sequence[Source] = (),
    **fields: Any,
) -> Event:
    """An effective event; `id` defaults to `e<seq>`. Write `**taken_from(x)` for `from`."""
    return Event(
        seq=seq,
        id=id or f"e{seq}",
        timeline="t",
        kind=kind,
        title=title or f"{kind} {seq}",
        date=parse_fuzzy(date, "UTC"),
        fields=fields,
        recorded_at=RECORDED,
        sources=tuple(sources),
    )


def taken_from(actor: str) -> dict[str, Any]:
    """The `from` field, which is a Python keyword."""
    return {"from": actor}


def instant(when: str | datetime) -> datetime:
    """The instant `timeline at` reads from a date text (the end of that day, in UTC)."""
    return when if isinstance(when, datetime) else parse_instant(when, "UTC")


def before(events: Iterable[Event], when: str | datetime) -> list[Event]:
    """The events the store feeds for an answer at `when`: start before it, in fold order."""
    cut = instant(when)
    return sorted((e for e in events if e.date.start < cut), key=fold_order)


def fold(events: Iterable[Event]) -> Projector:
    """A projector fed `events` in fold order."""
    projector = Projector()
    for event in sorted(events, key=fold_order):
        projector.apply(event)
    return projector


def answer(
    events: Iterable[Event],
    when: str | datetime,
    registry: Registry | None = None,
    *,
    recent_limit: int = 50,
) -> Answer:
    """The answer at `when` over `events`, as the store would compute it."""
    projector = Projector()
    for event in before(events, when):
        projector.apply(event)
    return projector.answer(
        instant(when), registry or REGISTRY, timeline="t", recent_limit=recent_limit
    )


def ids(items: Iterable[dict[str, Any]], key: str) -> list[str | None]:
    """The entity id under `key` of each item."""
    return [item[key]["id"] if item[key] else None for item in items]


def micros(when: str) -> int:
    """Microseconds of an instant text."""
    return to_micros(instant(when))


REGISTRY = Registry(
    [
        Entity("gna", "actor", "Government of National Accord", ("GNA",)),
        Entity("lna", "actor", "Libyan National Army", ("LNA",)),
        Entity("turkey", "actor", "Turkey"),
        Entity("russia", "actor", "Russia"),
        Entity("wagner", "actor", "Wagner Group"),
        Entity("uae", "actor", "United Arab Emirates"),
        Entity("tripoli", "place", "Tripoli"),
        Entity("al-watiya", "place", "Al Watiya Air Base"),
        Entity("sirte", "place", "Sirte"),
        Entity("gharyan", "place", "Gharyan"),
    ]
)
