"""Building events, moving clocks and rewriting history, for the store contract tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from timeline.dates import parse_fuzzy
from timeline.events import Event, NewEvent, Origin, stable_id
from timeline.store import Store
from timeline.store.memory import MemoryStore
from timeline.store.records import Clock
from timeline.store.sql import SqlStore

_keys = itertools.count()


def new_event(
    timeline: str,
    kind: str,
    date: str,
    *,
    key: str | None = None,
    title: str | None = None,
    zone: str = "UTC",
    origin: Origin | None = None,
    **fields: Any,
) -> NewEvent:
    """A NewEvent with a stable id (from `key`, or a fresh one)."""
    key = key if key is not None else f"test-{next(_keys)}"
    return NewEvent(
        id=stable_id(timeline, key),
        timeline=timeline,
        kind=kind,
        title=title or f"{kind} {date}",
        date=parse_fuzzy(date, zone),
        fields=fields,
        origin=origin,
    )


def note(timeline: str, date: str, key: str | None = None, **fields: Any) -> NewEvent:
    """A note (a kind with no fields of its own)."""
    return new_event(timeline, "note", date, key=key, **fields)


def correction(timeline: str, target: str, date: str = "2020", **fields: Any) -> NewEvent:
    """A correction of `target`."""
    return new_event(timeline, "correction", date, target=target, **fields)


def retraction(timeline: str, target: str, reason: str = "wrong") -> NewEvent:
    """A retraction of `target`."""
    return new_event(timeline, "retraction", "2020", target=target, reason=reason)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        """Move the clock (backwards too); returns the new time."""
        self.now += timedelta(seconds=seconds)
        return self.now


def ids(events: Iterable[Event]) -> list[str]:
    """The ids of events, in their order."""
    return [e.id for e in events]


def with_clock(store: Store, clock: Clock) -> Store:
    """Another store over the same data, its recording times from `clock`."""
    if isinstance(store, MemoryStore):
        return MemoryStore(store.database, clock=clock)
    assert isinstance(store, SqlStore)
    return SqlStore(store.engine, clock=clock)


def tamper(store: Store, how: str, seq: int) -> None:
    """Rewrite history as someone with direct access to the data would: "edit" the title of
    row `seq`, or "delete" it. In SQL that takes turning the append-only triggers off; the
    memory store has test hooks for it."""
    if isinstance(store, MemoryStore):
        if how == "edit":
            store.database.tamper_with_row(seq, title="forged")
        else:
            store.database.delete_row(seq)
        return
    assert isinstance(store, SqlStore)
    disable_append_only(store)
    statement = (
        "UPDATE events SET title = 'forged' WHERE seq = :s"
        if how == "edit"
        else "DELETE FROM events WHERE seq = :s"
    )
    with store.engine.begin() as conn:
        conn.execute(sa.text(statement), {"s": seq})


def disable_append_only(store: SqlStore) -> None:
    """What someone with direct database access would do to rewrite history."""
    with store.engine.begin() as conn:
        if store.backend == "sqlite":
            conn.execute(sa.text("DROP TRIGGER events_no_update"))
            conn.execute(sa.text("DROP TRIGGER events_no_delete"))
        else:
            conn.execute(sa.text("ALTER TABLE events DISABLE TRIGGER USER"))


def truncate(store: Store, after: int) -> None:
    """Remove every row after seq `after` from the log (and nothing from its recorded heads),
    as someone with direct access to the data would to hide the latest events."""
    if isinstance(store, MemoryStore):
        for seq in sorted((row[0] for row in store.database.rows if row[0] > after), reverse=True):
            store.database.delete_row(seq)
        return
    assert isinstance(store, SqlStore)
    disable_append_only(store)
    with store.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM events WHERE seq > :s"), {"s": after})


def rehash_from(store: Store, seq: int) -> None:
    """Edit the title of row `seq` and compute the chain again from there on, so that the
    chain alone verifies: what a forger who knows the codec would do."""
    from timeline.events import chain_hash
    from timeline.store.codec import HASHED_COLUMNS, ROW_COLUMNS, row_content

    width = len(HASHED_COLUMNS)
    if isinstance(store, MemoryStore):
        rows = [dict(zip(ROW_COLUMNS, row, strict=True)) for row in store.database.rows]
    else:
        assert isinstance(store, SqlStore)
        disable_append_only(store)
        with store.engine.connect() as conn:
            result = conn.execute(
                sa.text(f"SELECT {', '.join(ROW_COLUMNS)} FROM events ORDER BY seq")
            )
            rows = [dict(row._mapping) for row in result]
    previous = None
    for row in rows:
        if row["seq"] == seq:
            row["title"] = "forged"
        if row["seq"] >= seq:
            assert previous is not None
            row["prev_hash"] = previous["hash"]
            values = [row[name] for name in HASHED_COLUMNS]
            row["hash"] = chain_hash(row["prev_hash"], row_content(values))
            assert len(values) == width
            if isinstance(store, MemoryStore):
                store.database.tamper_with_row(
                    row["seq"], title=row["title"], hash=row["hash"], prev_hash=row["prev_hash"]
                )
            else:
                assert isinstance(store, SqlStore)
                with store.engine.begin() as conn:
                    conn.execute(
                        sa.text(
                            "UPDATE events SET title = :t, hash = :h, prev_hash = :p WHERE seq = :s"
                        ),
                        {
                            "t": row["title"],
                            "h": row["hash"],
                            "p": row["prev_hash"],
                            "s": row["seq"],
                        },
                    )
        previous = row
