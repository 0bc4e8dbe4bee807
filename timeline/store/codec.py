"""The row codec: how an event becomes a stored row and back, how a row's hash is computed,
and how snapshot states are compressed. Pure: every store implementation shares it, so that
the in-memory log and the SQL log chain and decode rows identically.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from timeline.dates import FuzzyDate, Precision, from_micros, to_micros
from timeline.events import (
    GENESIS_HASH,
    Event,
    NewEvent,
    Origin,
    Source,
    chain_hash,
    dumps_canonical,
    first_published,
)
from timeline.revisions import REVISION_KINDS
from timeline.store.records import EncodedSnapshot, Snapshot, VerifyResult
from timeline.vocabulary import upcast

# Zstandard level for snapshot states. On a fold state of a million-event log (ids repeated
# over and over) level 3 writes 40% fewer bytes than zlib's fastest level, several times
# faster, and reads back four times faster: reading is on the path of every answer.
SNAPSHOT_COMPRESSION = 3
# Snapshots written before Zstandard are zlib streams; they are read as such until rewritten.
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def decompress_state(blob: bytes) -> bytes:
    """The JSON of a stored snapshot state (Zstandard, or zlib from before); ValueError for
    bytes that are neither."""
    data = bytes(blob)
    if data.startswith(_ZSTD_MAGIC):
        import zstandard  # here, not at the top: commands that read no snapshot start faster

        try:
            return zstandard.decompress(data)
        except zstandard.ZstdError as err:
            raise ValueError(f"unreadable snapshot state: {err}") from None
    try:
        return zlib.decompress(data)
    except zlib.error as err:
        raise ValueError(f"unreadable snapshot state: {err}") from None


def compress_state(snapshot: Snapshot | EncodedSnapshot) -> bytes:
    """The stored bytes of a snapshot's state: its JSON, compressed with Zstandard."""
    import zstandard

    if isinstance(snapshot, EncodedSnapshot):
        data = snapshot.state_json
    else:
        data = orjson.dumps(snapshot.state, option=orjson.OPT_NON_STR_KEYS)
    return zstandard.compress(data, SNAPSHOT_COMPRESSION)


def snapshot_digest(
    timeline: str, boundary_us: int, known_through_us: int, event_count: int, blob: bytes
) -> str:
    """The digest a stored snapshot carries: of its timeline, boundary, knowledge time, count
    and stored state, so that a state changed in the database (a fatality total, a
    controller) is refused by the answers that would read it."""
    import hashlib

    head = f"{timeline}\x1f{boundary_us}\x1f{known_through_us}\x1f{event_count}\x1f"
    return hashlib.sha256(head.encode("utf-8") + bytes(blob)).hexdigest()


def load_state(blob: bytes) -> dict[str, Any]:
    """The state of a stored snapshot; ValueError when the bytes cannot be read."""
    try:
        state = orjson.loads(decompress_state(blob))
    except orjson.JSONDecodeError as err:
        raise ValueError(f"unreadable snapshot state: {err}") from None
    if not isinstance(state, dict):
        raise ValueError("unreadable snapshot state: not an object")
    return state


# The columns a row's hash covers, in this order: everything but the hashes themselves.
HASHED_COLUMNS = (
    "seq", "id", "timeline", "kind", "kind_version", "title", "payload", "record", "date_text",
    "valid_from", "valid_to", "precision", "approximate", "uncertain", "recorded_at",
    "reported_at", "sources", "confidence", "origin", "origin_version", "origin_hash",
    "origin_stamp", "import_run", "target",
)  # fmt: skip
# `published_at` is derived from hashed columns (the sources and `reported_at`, read in the
# timeline's zone), so it needs no place in the hash of its own.
ROW_COLUMNS = (*HASHED_COLUMNS, "hash", "prev_hash", "published_at")


def row_content(values: Sequence[Any]) -> bytes:
    """The bytes a row's hash covers: its stored values in `HASHED_COLUMNS` order, each
    written as `type length:text` so that no two different rows share an encoding.

    Not JSON: the payload and record columns are JSON already, and encoding them again as
    strings would cost an import more than its inserts do.
    """
    parts = []
    for value in values:
        if value is None:
            parts.append("n")
        elif isinstance(value, bool | int):
            # Booleans come back from SQLite as integers; hash them as the integers they are.
            parts.append(f"i{int(value)}")
        else:
            text = str(value)
            parts.append(f"s{len(text)}:{text}")
    return "\x1f".join(parts).encode("utf-8")


def event_row(
    event: NewEvent,
    seq: int,
    recorded_us: int,
    import_run: int | None,
    prev_hash: str,
    published_at: datetime | None = None,
) -> tuple[Any, ...]:
    """The stored row of an event (values in `ROW_COLUMNS` order), its hash chained to
    `prev_hash`."""
    date = event.date
    origin = event.origin
    values = (
        seq,
        event.id,
        event.timeline,
        event.kind,
        event.kind_version,
        event.title,
        dumps_canonical(event.fields),
        dumps_record(event.record) if event.record is not None else None,
        date.text,
        to_micros(date.start),
        to_micros(date.end),
        date.precision.value,
        date.approximate,
        date.uncertain,
        recorded_us,
        to_micros(event.reported_at) if event.reported_at else None,
        dumps_canonical([s.to_json() for s in event.sources]),
        event.confidence,
        origin.key if origin else None,
        origin.version if origin else None,
        origin.content_hash if origin else None,
        origin.stamp if origin else None,
        import_run,
        event.target if event.kind in REVISION_KINDS else None,
    )
    published = to_micros(published_at) if published_at is not None else None
    return (*values, chain_hash(prev_hash, row_content(values)), prev_hash, published)


def chain(
    pending: Sequence[NewEvent],
    head: tuple[int, str, int] | None,
    now: datetime,
    import_run: int | None,
    zones: Mapping[str, str],
) -> tuple[list[tuple[Any, ...]], list[Event], datetime]:
    """The rows of a batch appended after the log's `head` (its last seq, hash and recording
    micros; None for an empty log), each chained to the one before; the Events they store;
    and their recording time: `now`, or the head's when the clock went back, so that
    knowledge time never runs backwards along the log. `zones` gives each timeline's zone,
    in which the sources' publication dates are read. Every store chains with this, so that
    the same appends give the same chain whatever keeps the rows."""
    seq, prev_hash, last_recorded = head if head is not None else (0, GENESIS_HASH, 0)
    recorded_us = max(to_micros(now), last_recorded)
    recorded_at = from_micros(recorded_us)
    rows: list[tuple[Any, ...]] = []
    added: list[Event] = []
    for event in pending:
        seq += 1
        published = first_published(event.sources, event.reported_at, zones[event.timeline])
        row = event_row(event, seq, recorded_us, import_run, prev_hash, published)
        digest = row[-3]
        rows.append(row)
        added.append(
            stored_event(event, seq, recorded_at, import_run, digest, prev_hash, published)
        )
        prev_hash = digest
    return rows, added, recorded_at


def dumps_record(record: Mapping[str, Any]) -> str:
    """The stored text of a source record."""
    # Kept in the dataset's own column order: it is stored text, never compared, so any JSON
    # that reads back the same will do. orjson writes a record of an export five times faster;
    # the standard encoder takes what orjson refuses (integers beyond 64 bits, say).
    try:
        return orjson.dumps(record).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def stored_event(
    event: NewEvent,
    seq: int,
    recorded_at: datetime,
    import_run: int | None,
    digest: str,
    prev: str,
    published_at: datetime | None = None,
) -> Event:
    """The Event an appended NewEvent became, without reading its row back."""
    return Event(
        seq=seq,
        id=event.id,
        timeline=event.timeline,
        kind=event.kind,
        title=event.title,
        date=event.date,
        fields=event.fields,
        recorded_at=recorded_at,
        kind_version=event.kind_version,
        sources=event.sources,
        confidence=event.confidence,
        reported_at=event.reported_at,
        origin=event.origin,
        import_run=import_run,
        hash=digest,
        prev_hash=prev,
        record=event.record,
        published_at=published_at,
    )


def read_json(text: str) -> Any:
    """A stored JSON column's value."""
    # orjson reads the stored JSON several times faster, and answers read hundreds of rows;
    # the json module, which wrote it, still reads what orjson refuses (NaN, huge integers).
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def row_to_event(row: Mapping[Any, Any], *, with_record: bool = True) -> Event:
    """An Event from a row of the events table, upcast to the current version of its kind."""
    return RowDecoder().event(row, with_record=with_record)


_PRECISIONS = {p.value: p for p in Precision}


class RowDecoder:
    """Turns rows of the events table into Events, sharing what repeats between rows.

    A read of hundreds or millions of rows meets the same few dates and source lists over and
    over; both are immutable, so rows with equal columns get the very same objects instead of
    parsing and building them again (half the cost of a row).
    """

    def __init__(self) -> None:
        self._dates: dict[tuple[Any, ...], FuzzyDate] = {}
        self._sources: dict[str, tuple[Source, ...]] = {}

    def event(self, row: Mapping[Any, Any], *, with_record: bool = True) -> Event:
        """The Event of one row, upcast to the current version of its kind."""
        kind, version = row["kind"], row["kind_version"]
        fields = read_json(row["payload"])
        if isinstance(fields, dict):
            kind, version, fields = upcast(kind, version, fields)
        origin = (
            Origin(
                row["origin"], row["origin_version"] or 1, row["origin_hash"], row["origin_stamp"]
            )
            if row["origin"] is not None
            else None
        )
        date_key = (
            row["date_text"],
            row["valid_from"],
            row["valid_to"],
            row["precision"],
            row["approximate"],
            row["uncertain"],
        )
        date = self._dates.get(date_key)
        if date is None:
            if len(self._dates) >= _DECODER_CACHE_LIMIT:
                self._dates.clear()
            text, start, end, precision, approximate, uncertain = date_key
            date = self._dates[date_key] = FuzzyDate(
                text=text,
                start=from_micros(start),
                end=from_micros(end),
                precision=_PRECISIONS.get(precision) or Precision(precision),
                approximate=bool(approximate),
                uncertain=bool(uncertain),
            )
        sources_text = row["sources"]
        sources = self._sources.get(sources_text)
        if sources is None:
            if len(self._sources) >= _DECODER_CACHE_LIMIT:
                self._sources.clear()
            sources = self._sources[sources_text] = tuple(
                Source(**s) for s in read_json(sources_text)
            )
        return Event(
            seq=row["seq"],
            id=row["id"],
            timeline=row["timeline"],
            kind=kind,
            title=row["title"],
            date=date,
            fields=fields,
            recorded_at=from_micros(row["recorded_at"]),
            kind_version=version,
            sources=sources,
            confidence=row["confidence"],
            reported_at=(
                from_micros(row["reported_at"]) if row["reported_at"] is not None else None
            ),
            origin=origin,
            import_run=row["import_run"],
            hash=row["hash"],
            prev_hash=row["prev_hash"],
            record=read_json(text) if with_record and (text := row.get("record")) else None,
            published_at=(
                from_micros(value) if (value := row.get("published_at")) is not None else None
            ),
        )


# Distinct dates or source lists a decoder remembers before starting afresh: a long read
# (a refresh streams every row) keeps its memory flat.
_DECODER_CACHE_LIMIT = 50_000


def verify_rows(
    rows: Iterable[Sequence[Any]],
    heads: Mapping[int, str] | None = None,
    expect_head: str | None = None,
) -> VerifyResult:
    """Check a chain of rows (values in `HASHED_COLUMNS` order, then hash and previous hash)
    in recording order against itself and against the `heads` recorded as it grew (hash by
    seq), and that a row has the hash `expect_head` when one is given; the first fault, if
    any. The chain alone cannot tell a log cut short at its end, or re-hashed from an edited
    row on, from an honest one: the recorded heads can, and a head kept outside the database
    can when the heads were tampered with too."""
    heads = heads or {}
    previous_hash = GENESIS_HASH
    previous_seq = 0
    checked = 0
    found_expected = expect_head is None
    width = len(HASHED_COLUMNS)
    for row in rows:
        seq, digest, prev = row[0], row[width], row[width + 1]
        if seq <= previous_seq:
            return VerifyResult(checked, seq, "seq out of order")
        if prev != previous_hash:
            return VerifyResult(checked, seq, "does not link to the previous row")
        if chain_hash(previous_hash, row_content(row[:width])) != digest:
            return VerifyResult(checked, seq, "content does not match its hash")
        recorded = heads.get(seq)
        if recorded is not None and recorded != digest:
            return VerifyResult(
                checked, seq, "is not the head recorded at it: the chain was re-hashed"
            )
        if digest == expect_head:
            found_expected = True
        previous_hash, previous_seq = digest, seq
        checked += 1
    beyond = [seq for seq in heads if seq > previous_seq]
    if beyond:
        return VerifyResult(
            checked,
            min(beyond),
            f"is missing: a head was recorded at it, and the log ends at seq {previous_seq} "
            "(rows were removed from its end)",
        )
    if not found_expected:
        return VerifyResult(
            checked,
            previous_seq,
            f"no row has the expected head {expect_head}: the log was cut back before it, "
            "or re-hashed",
        )
    return VerifyResult(checked, head=(previous_seq, previous_hash) if checked else None)
