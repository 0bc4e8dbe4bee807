"""The data of an in-memory store: the log's rows with their indexes, and the small tables."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from timeline.events import Event
from timeline.store.codec import ROW_COLUMNS, RowDecoder

# A stored event: its values in `codec.ROW_COLUMNS` order, exactly as the SQL store inserts it.
Row = tuple[Any, ...]

_COLUMN = {name: index for index, name in enumerate(ROW_COLUMNS)}
SEQ, ID, TIMELINE, KIND = _COLUMN["seq"], _COLUMN["id"], _COLUMN["timeline"], _COLUMN["kind"]
DATE_TEXT, VALID_FROM, VALID_TO = _COLUMN["date_text"], _COLUMN["valid_from"], _COLUMN["valid_to"]
RECORDED_AT, ORIGIN, TARGET = _COLUMN["recorded_at"], _COLUMN["origin"], _COLUMN["target"]
ORIGIN_VERSION, ORIGIN_HASH = _COLUMN["origin_version"], _COLUMN["origin_hash"]
ORIGIN_STAMP, HASH = _COLUMN["origin_stamp"], _COLUMN["hash"]


@dataclass(frozen=True, slots=True)
class TimelineRow:
    """A row of the timeline catalog."""

    zone: str
    title: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """A stored snapshot (keyed by timeline, boundary and known_through, in microseconds):
    its state compressed as the SQL store keeps it, so that it is a copy no caller can
    change, and a fold state costs its compressed size."""

    event_count: int
    state: bytes
    superseded_at: int | None = None


@dataclass(frozen=True, slots=True)
class ImportRow:
    """A row of the import-run ledger (instants in microseconds)."""

    id: int
    timeline: str
    source: str
    format: str
    content_hash: str | None
    started_at: int
    status: str
    host: str
    pid: int
    finished_at: int | None = None
    new: int = 0
    corrected: int = 0
    retracted: int = 0
    unchanged: int = 0
    rejected: int = 0
    error: str | None = None
    high_water: int | None = None
    feed: str | None = None


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A row of the feeds table."""

    timeline: str
    format: str
    url: str
    created_at: int


SnapshotKey = tuple[str, int, int]


@dataclass(slots=True)
class Tables:
    """One state of the small tables, and how many rows of the log belong to it.

    A transaction works on a copy and publishes it whole at commit. Their rows are frozen:
    a change replaces a row, so that a copy of the dictionaries is a copy of the tables.
    """

    length: int = 0
    timelines: dict[str, TimelineRow] = field(default_factory=dict)
    snapshots: dict[SnapshotKey, SnapshotRow] = field(default_factory=dict)
    imports: dict[int, ImportRow] = field(default_factory=dict)
    feeds: dict[str, FeedRow] = field(default_factory=dict)
    # Each chain's head after each append: hash by timeline and seq (see schema.heads).
    heads: dict[tuple[str, int], str] = field(default_factory=dict)
    # Each timeline's last row: its seq, hash and recording micros (what `codec.chain` links
    # the next to), kept so that an append need not look for it.
    tips: dict[str, tuple[int, str, int]] = field(default_factory=dict)

    def copy(self) -> Tables:
        """A copy to change without changing this one."""
        return Tables(
            self.length,
            dict(self.timelines),
            dict(self.snapshots),
            dict(self.imports),
            dict(self.feeds),
            dict(self.heads),
            dict(self.tips),
        )


class MemoryDatabase:
    """The data that in-memory stores share: an append-only list of rows, indexed by id,
    record key and revision target, and the last committed state of the small tables.

    Rows past `committed.length` belong to the open transaction; readers stop before them.
    An index lists the positions of rows in recording order, so that cutting the log back
    pops each cut row from the end of its lists.
    """

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.committed = Tables()
        self.lock = threading.Lock()
        self._by_id: dict[str, int] = {}
        self._by_origin: dict[tuple[str, str], list[int]] = {}
        self._by_target: dict[str, list[int]] = {}
        # Each row decoded once, with and without its record: an Event is frozen and its
        # fields a read-only Mapping, so every read may share it (decoding every row of every
        # read was most of the cost of a fold on this store). Keyed by the row object, held
        # beside it so that an id is never reused while cached: a tampered row is a new one.
        self._decoded: dict[tuple[int, bool], tuple[Row, Event]] = {}
        self._decoder = RowDecoder()

    def event(self, row: Row, *, with_record: bool = True) -> Event:
        """The Event of a stored row, decoded by the codec on first read."""
        key = (id(row), with_record)
        hit = self._decoded.get(key)
        if hit is not None and hit[0] is row:
            return hit[1]
        mapping = dict(zip(ROW_COLUMNS, row, strict=True))
        event = self._decoder.event(mapping, with_record=with_record)
        self._decoded[key] = (row, event)
        return event

    # -- the log -------------------------------------------------------------------------------

    def push(self, row: Row) -> None:
        """Append a row (under the writer lock) and index it."""
        position = len(self.rows)
        self.rows.append(row)
        self._index(row, position)

    def truncate(self, length: int) -> None:
        """Undo every append past the first `length` rows."""
        # Newest first: each row's position is then the last entry of its index lists.
        for row in reversed(self.rows[length:]):
            self._decoded.pop((id(row), True), None)
            self._decoded.pop((id(row), False), None)
            del self._by_id[row[ID]]
            if row[ORIGIN] is not None:
                self._by_origin[row[TIMELINE], row[ORIGIN]].pop()
            if row[TARGET] is not None:
                self._by_target[row[TARGET]].pop()
        del self.rows[length:]

    def visible(self, length: int) -> Iterator[Row]:
        """The first `length` rows, in recording order."""
        rows = self.rows
        for position in range(length):
            yield rows[position]

    def find(self, event_id: str, length: int) -> Row | None:
        """The row of an event among the first `length`, if it is there."""
        position = self._by_id.get(event_id)
        return self.rows[position] if position is not None and position < length else None

    def with_origin(self, timeline: str, key: str, length: int) -> list[Row]:
        """Every version of a record stored in a timeline, among the first `length` rows."""
        return self._at(self._by_origin.get((timeline, key), ()), length)

    def revising(self, target: str, length: int) -> list[Row]:
        """The revisions of an event among the first `length` rows, in recording order."""
        return self._at(self._by_target.get(target, ()), length)

    def _at(self, positions: list[int] | tuple[()], length: int) -> list[Row]:
        # Copied before reading: the writer may append to the list meanwhile.
        return [self.rows[p] for p in list(positions) if p < length]

    def _index(self, row: Row, position: int) -> None:
        self._by_id[row[ID]] = position
        if row[ORIGIN] is not None:
            self._by_origin.setdefault((row[TIMELINE], row[ORIGIN]), []).append(position)
        if row[TARGET] is not None:
            self._by_target.setdefault(row[TARGET], []).append(position)

    # -- test hooks ----------------------------------------------------------------------------

    def tamper_with_row(self, seq: int, timeline: str | None = None, **columns: Any) -> None:
        """For tests of `verify` only: rewrite columns of a stored row (row `seq` of
        `timeline`, or of any timeline) in place, as someone with access to the process's
        memory could, bypassing every rule of the log."""
        position = self._position_of(seq, timeline)
        values = dict(zip(ROW_COLUMNS, self.rows[position], strict=True))
        unknown = set(columns) - set(values)
        if unknown:
            raise KeyError(f"no such columns: {sorted(unknown)}")
        self.rows[position] = tuple({**values, **columns}.values())

    def delete_row(self, seq: int, timeline: str | None = None) -> None:
        """For tests of `verify` only: take a row out of the log, as `tamper_with_row` does."""
        del self.rows[self._position_of(seq, timeline)]
        self.committed = replace(self.committed, length=self.committed.length - 1)
        self._by_id.clear()
        self._by_origin.clear()
        self._by_target.clear()
        for position, row in enumerate(self.rows):
            self._index(row, position)

    def _position_of(self, seq: int, timeline: str | None) -> int:
        for position, row in enumerate(self.rows):
            if row[SEQ] == seq and timeline in (None, row[TIMELINE]):
                return position
        raise KeyError(f"no row {seq}")
