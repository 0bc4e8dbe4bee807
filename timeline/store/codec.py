"""The row codec: how an event becomes a stored row and back, how a row's hash is computed,
and how snapshot states are compressed. Pure: every store implementation shares it, so that
the in-memory log and the SQL log chain and decode rows identically.
"""

from __future__ import annotations

import json
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson

from timeline.dates import FuzzyDate, Precision, from_micros, to_micros
from timeline.entities import defined_entity
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
from timeline.store.records import Anchor, EncodedSnapshot, Snapshot, VerifyResult
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
            if zstandard.frame_content_size(data) >= 0:
                return zstandard.decompress(data)
            # Written in parts (`compress_parts`): its frame does not say its size up front.
            return zstandard.ZstdDecompressor().decompressobj().decompress(data)
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
        return snapshot.blob
    data = orjson.dumps(snapshot.state, option=orjson.OPT_NON_STR_KEYS)
    return zstandard.compress(data, SNAPSHOT_COMPRESSION)


def compress_parts(parts: Iterable[bytes]) -> tuple[bytes, int]:
    """The stored bytes of a state written out as JSON in consecutive parts, and the length
    of that JSON. Compressed part by part: the whole text of a large state is never held at
    once (~65 MB at a million events of a growing war, for ~20 MB compressed)."""
    import zstandard

    compressor = zstandard.ZstdCompressor(level=SNAPSHOT_COMPRESSION).compressobj()
    blob = bytearray()
    size = 0
    for part in parts:
        size += len(part)
        blob += compressor.compress(part)
    blob += compressor.flush()
    return bytes(blob), size


def snapshot_digest(
    timeline: str, boundary_us: int, known_through_us: int, event_count: int, blob: bytes
) -> str:
    """The digest a stored snapshot carries: of its timeline, boundary, knowledge time, count
    and stored state, so that a state changed in the database (a fatality total, a
    controller) is refused by the answers that would read it."""
    import hashlib

    head = f"{timeline}\x1f{boundary_us}\x1f{known_through_us}\x1f{event_count}\x1f"
    # Fed in two pieces: joined first, a large state (~20 MB at a million events) was copied.
    digest = hashlib.sha256(head.encode("utf-8"))
    digest.update(blob)
    return digest.hexdigest()


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
# timeline's zone), and `entity` (the id a definition defines) from the payload, so neither
# needs a place in the hash of its own.
ROW_COLUMNS = (*HASHED_COLUMNS, "hash", "prev_hash", "published_at", "entity")
_SEQ, _TIMELINE, _HASH = (ROW_COLUMNS.index(name) for name in ("seq", "timeline", "hash"))


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
    entity = defined_entity(event.kind, event.fields)
    return (*values, chain_hash(prev_hash, row_content(values)), prev_hash, published, entity)


# The head of a timeline's chain a batch is appended after: its last seq, hash and recording
# time in microseconds (or its anchor's, see `Anchor`).
Tip = tuple[int, str, int]


def chain(
    pending: Sequence[NewEvent],
    tips: Mapping[str, Tip],
    now: datetime,
    import_run: int | None,
    zones: Mapping[str, str],
) -> tuple[list[tuple[Any, ...]], list[Event], datetime]:
    """The rows of a batch, each chained to the row before it in its own timeline: after that
    timeline's tip in `tips` (from seq 0 and the genesis hash when it has none); the Events
    they store, in the batch's order; and their recording time: `now`, or the latest tip's
    when the clock went back, so that knowledge time never runs backwards along a chain.
    `zones` gives each timeline's zone, in which the sources' publication dates are read.
    Every store chains with this, so that the same appends give the same chains whatever
    keeps the rows."""
    recorded_us = max([to_micros(now), *(tip[2] for tip in tips.values())])
    recorded_at = from_micros(recorded_us)
    heads = {name: (tip[0], tip[1]) for name, tip in tips.items()}
    rows: list[tuple[Any, ...]] = []
    added: list[Event] = []
    for event in pending:
        seq, prev_hash = heads.get(event.timeline, (0, GENESIS_HASH))
        seq += 1
        published = first_published(event.sources, event.reported_at, zones[event.timeline])
        row = event_row(event, seq, recorded_us, import_run, prev_hash, published)
        digest = row[_HASH]
        rows.append(row)
        added.append(
            stored_event(event, seq, recorded_at, import_run, digest, prev_hash, published)
        )
        heads[event.timeline] = (seq, digest)
    return rows, added, recorded_at


def batch_heads(rows: Sequence[Sequence[Any]]) -> dict[str, tuple[int, str]]:
    """Each timeline's new head (seq and hash) after a batch of rows `chain` made: what the
    heads table records."""
    heads: dict[str, tuple[int, str]] = {}
    for row in rows:
        heads[row[_TIMELINE]] = (row[_SEQ], row[_HASH])
    return heads


def anchor_hash(timeline: str, seq: int, global_seq: int, global_hash: str) -> str:
    """The hash a timeline's own chain starts from, in a log that was one chain before: it
    commits to that chain's head (`global_seq`, `global_hash`) and to the timeline's last seq
    in it, so that neither can change without the timeline's every later row failing to
    link (see `Anchor`)."""
    return chain_hash(global_hash, row_content(("anchor", timeline, seq, global_seq)))


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


def _interned(fields: dict[str, Any]) -> dict[str, Any]:
    # The short texts of an event's fields, and of its lists, made the one shared copy of each:
    # a fold keeps the entity ids of every fact it holds (hundreds of thousands in a long
    # war), which the JSON decoder makes anew for every event naming them. Peak RSS of
    # `rebuild` of a growing war, the version before in the same session: at 318,000 events
    # 189 -> 176 MB (two runs each), at 1,060,000 events 477 -> 428 MB (143 s, now 138 s).
    # Long texts (notes, titles) are seldom repeated.
    for key, value in fields.items():
        if type(value) is str and len(value) <= 64:
            fields[key] = sys.intern(value)
        elif type(value) is list:
            fields[key] = [sys.intern(v) if type(v) is str and len(v) <= 64 else v for v in value]
    return fields


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
            kind, version, fields = upcast(kind, version, _interned(fields))
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
    *,
    start: tuple[int, str] = (0, GENESIS_HASH),
) -> VerifyResult:
    """Check a chain of rows (values in `HASHED_COLUMNS` order, then hash and previous hash)
    in recording order against itself and against the `heads` recorded as it grew (hash by
    seq), and that a row has the hash `expect_head` when one is given; the first fault, if
    any. The chain alone cannot tell a log cut short at its end, or re-hashed from an edited
    row on, from an honest one: the recorded heads can, and a head kept outside the database
    can when the heads were tampered with too. The chain starts after `start` (a seq and
    the hash its first row links to): genesis, or a timeline's anchor."""
    heads = heads or {}
    previous_seq, previous_hash = start
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


# One timeline's chain to verify: its name, its rows by seq (as `verify_rows` reads them),
# and the heads recorded for it (hash by seq).
Chain = tuple[str, Iterable[Sequence[Any]], Mapping[int, str]]


def verify_log(
    chains: Iterable[Chain],
    *,
    anchors: Mapping[str, Anchor] | None = None,
    legacy: Iterable[Sequence[Any]] = (),
    legacy_heads: Mapping[int, str] | None = None,
    expect_head: str | None = None,
    timeline: str | None = None,
) -> VerifyResult:
    """Verify a log of per-timeline chains: each of `chains` from its timeline's anchor (or
    genesis) against its recorded heads; and, in a log that was one chain before, that chain
    (`legacy`: its rows by seq, `legacy_heads` recorded as it grew) up to the very head every
    anchor commits to. `timeline` names the one timeline asked about (its rows are the ones
    counted, and the ones `expect_head` is looked for among; `chains` then holds its chain
    alone), or None for all; the first fault, if any."""
    anchors = anchors or {}
    found = expect_head is None
    counted = 0
    last_legacy: dict[str, tuple[int, str]] = {}
    width = len(HASHED_COLUMNS)

    def watch(rows: Iterable[Sequence[Any]], legacy_rows: bool) -> Iterator[Sequence[Any]]:
        nonlocal found, counted
        for row in rows:
            name = row[2]
            if legacy_rows:
                last_legacy[name] = (row[0], row[width])
            if timeline is None or name == timeline:
                counted += 1
                if row[width] == expect_head:
                    found = True
            yield row

    if anchors:
        fault = _check_anchors(anchors)
        if fault is not None:
            return fault
        some = next(iter(anchors.values()))
        result = verify_rows(watch(legacy, True), legacy_heads, start=(0, GENESIS_HASH))
        if not result.ok:
            return VerifyResult(
                result.checked,
                result.first_bad_seq,
                f"{result.reason} (in the chain of the whole log before each timeline had its own)",
            )
        ends = result.head or (0, GENESIS_HASH)
        if ends != (some.global_seq, some.global_hash):
            return VerifyResult(
                counted,
                some.global_seq,
                f"is not the end of the log's chain before each timeline had its own (it ends "
                f"at seq {ends[0]}): rows were removed from it, or it was re-hashed",
            )
    heads: list[tuple[str, int, str]] = []
    for name, rows, recorded in chains:
        anchor = anchors.get(name)
        start = (anchor.seq, anchor.hash) if anchor is not None else (0, GENESIS_HASH)
        before = counted
        result = verify_rows(watch(rows, False), recorded, start=start)
        if not result.ok:
            return VerifyResult(
                before + result.checked, result.first_bad_seq, result.reason, timeline=name
            )
        head = result.head or last_legacy.get(name)
        if head is not None:
            heads.append((name, *head))
    only = [h for h in heads if timeline is None or h[0] == timeline]
    single = (only[0][1], only[0][2]) if len(only) == 1 else None
    if not found:
        last = max((h[1] for h in only), default=0)
        return VerifyResult(
            counted,
            last,
            f"no row has the expected head {expect_head}: the log was cut back before it, "
            "or re-hashed",
            timeline=timeline,
        )
    return VerifyResult(counted, head=single, heads=tuple(sorted(heads)))


def _check_anchors(anchors: Mapping[str, Anchor]) -> VerifyResult | None:
    # Every anchor commits to one head of the chain before, and hashes what it says.
    heads = {(a.global_seq, a.global_hash) for a in anchors.values()}
    for name in sorted(anchors):
        anchor = anchors[name]
        if len(heads) > 1 or anchor.hash != anchor_hash(
            name, anchor.seq, anchor.global_seq, anchor.global_hash
        ):
            return VerifyResult(
                0,
                anchor.seq,
                f"the anchor of timeline {name!r} does not hash what it records: the anchors "
                "were changed",
                timeline=name,
            )
    return None
