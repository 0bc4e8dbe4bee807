"""The event: one immutable fact of a timeline, as drafted and as stored.

Pure module: no I/O. A `NewEvent` is what a caller asks the store to append; the store turns
it into an `Event` by assigning its place in the log (`seq`), the time it learned it
(`recorded_at`) and the links of the hash chain.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import orjson

from timeline import choices
from timeline.dates import OPEN_END, DateError, FuzzyDate, parse_fuzzy
from timeline.limits import INT64_MAX, INT64_MIN

# All stable ids live under one namespace so that the same (timeline, key) gives the same
# UUID in every database: that is what makes re-imports no-ops.
ID_NAMESPACE = uuid.UUID("6b1f4b7e-5d0e-4c59-9f64-2a8f1c3e9d10")

GENESIS_HASH = "0" * 64

# Declared beside the other choices the command line offers (see timeline.choices).
CONFIDENCE_LEVELS = choices.CONFIDENCE_LEVELS


@dataclass(frozen=True, slots=True)
class Source:
    """Where a fact was published: the publication, its date as text, and a URL if known.

    `retrospective` marks an account published long after the fact (a later report looking
    back), as opposed to one reporting it at the time.
    """

    name: str
    url: str | None = None
    published: str | None = None
    retrospective: bool = False

    def to_json(self) -> dict[str, Any]:
        """The source as a document mapping, leaving out what is unknown (and
        `retrospective` unless it is true, so that the stored text of every other source,
        which the hash chain covers, stays as it was)."""
        out: dict[str, Any] = {"name": self.name}
        if self.url:
            out["url"] = self.url
        if self.published:
            out["published"] = self.published
        if self.retrospective:
            out["retrospective"] = True
        return out


@dataclass(frozen=True, slots=True)
class Origin:
    """The dataset record an event came from, and which version of it.

    `key` is the dataset and its record key (`acled:LBY9289`); `version` counts the versions
    of that record this database has seen (1 for the first); `content_hash` fingerprints the
    record as the source published it, so an unchanged record is recognised without being
    mapped again; `stamp` is the source's own revision time when it has one.
    """

    key: str
    version: int = 1
    content_hash: str | None = None
    stamp: int | None = None

    @property
    def dataset(self) -> str:
        """The dataset of the record: its key's prefix (`acled` of `acled:LBY9289`)."""
        return dataset_of_key(self.key)


# The dataset of a timeline's own events (seeds, documents, `timeline add`): not imported.
NATIVE_DATASET = "timeline"


def dataset_of_key(key: str | None) -> str:
    """The dataset a record key names (`acled:LBY9289`: `acled`); `timeline`, the timeline's
    own, for no key or one without a dataset prefix."""
    if key is None:
        return NATIVE_DATASET
    prefix, separator, _ = key.partition(":")
    return prefix if separator and prefix else NATIVE_DATASET


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event as a caller drafts it, before the store records it."""

    id: str
    timeline: str
    kind: str
    title: str
    date: FuzzyDate
    fields: Mapping[str, Any] = field(default_factory=dict)
    kind_version: int = 1
    sources: tuple[Source, ...] = ()
    confidence: str | None = None
    reported_at: datetime | None = None
    origin: Origin | None = None
    record: Mapping[str, Any] | None = None

    @property
    def target(self) -> str | None:
        """The event a correction or retraction acts on."""
        value = self.fields.get("target")
        return value if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Event:
    """An event as stored: immutable, placed in the log and in the hash chain."""

    seq: int
    id: str
    timeline: str
    kind: str
    title: str
    date: FuzzyDate
    fields: Mapping[str, Any]
    recorded_at: datetime
    kind_version: int = 1
    sources: tuple[Source, ...] = ()
    confidence: str | None = None
    reported_at: datetime | None = None
    origin: Origin | None = None
    import_run: int | None = None
    hash: str = ""
    prev_hash: str = ""
    # The source record it was imported from; None when not imported, or not read.
    record: Mapping[str, Any] | None = None
    # When it was first public (see `first_published`); derived from the sources and
    # `reported_at` when the store records it, so not covered by the hash on its own.
    published_at: datetime | None = None

    @property
    def target(self) -> str | None:
        """The event a correction or retraction acts on."""
        value = self.fields.get("target")
        return value if isinstance(value, str) else None

    def revised(self, **changes: Any) -> Event:
        """A copy with some attributes replaced (used to apply corrections in memory)."""
        return replace(self, **changes)


def first_published(
    sources: tuple[Source, ...], reported_at: datetime | None, zone: str
) -> datetime | None:
    """When an event was first public: the earliest of its `reported_at` instant and the
    publication dates of its sources, or None when it has neither.

    A source's date counts from its end, read in the timeline's zone: a source published
    "2020-05-18" is certainly public once that day is over in the timeline (the instant
    `--as-published 2020-05-18` names), and one published "2016-05" once May is over, since
    nothing says which day of it. A date that does not parse, or is open-ended, says nothing.
    """
    instants = [reported_at] if reported_at is not None else []
    for source in sources:
        if source.published:
            end = _publication_end(source.published, zone)
            if end is not None:
                instants.append(end)
    return min(instants, default=None)


# An import's rows repeat a few publication dates over and over.
@functools.lru_cache(maxsize=4096)
def _publication_end(text: str, zone: str) -> datetime | None:
    try:
        end = parse_fuzzy(text, zone).end
    except DateError:
        return None
    return end if end < OPEN_END else None


_NAMESPACE_BYTES = ID_NAMESPACE.bytes


def stable_id(timeline: str, key: str) -> str:
    """The UUID an event with this key gets in this timeline, the same in every database."""
    # uuid.uuid5 spelled out (RFC 4122: SHA-1 of namespace and name, version and variant
    # bits set), without building a UUID object to print it: an import derives one id per
    # record, and this takes 40% of uuid5's time. A test holds it to uuid.uuid5.
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + f"{timeline}\x1f{key}".encode()).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    x = digest[:16].hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def spelled_as_event_id(text: str) -> bool:
    """Whether `text` is spelled as stored event ids are (a UUID in its canonical form, as
    `stable_id` writes it): a cheap test, for texts by the thousand, that reads no digits."""
    return len(text) == 36 and text[8] == text[13] == text[18] == text[23] == "-"


def is_uuid(text: str) -> bool:
    """Whether `text` is a UUID in any of its usual spellings."""
    try:
        uuid.UUID(text)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def event_id_for(timeline: str, given: str | None, fallback_key: str) -> str:
    """The id of a drafted event: the UUID given, a UUID derived from a given slug, or
    from `fallback_key` (its origin, or its content) when none was given."""
    if given:
        return str(uuid.UUID(given)) if is_uuid(given) else stable_id(timeline, f"slug:{given}")
    return stable_id(timeline, fallback_key)


def dumps_canonical(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: equal values, equal text."""
    # The stored payload of every event, which the hash chain covers, so its text must not
    # change. orjson writes the same text as the json module for texts, integers within 64
    # bits, booleans and None in dicts with text keys, lists and tuples (tests hold the two
    # to it, every code point included) and is ten times faster: two of these per appended
    # event were a tenth of an import's time. Anything else (a float, whose exponent orjson
    # spells otherwise, a huge integer, a subclass) goes to the json module as before.
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        except TypeError:  # orjson.JSONEncodeError: a text holding a lone surrogate
            pass
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _plain(value: Any) -> bool:
    # Whether orjson writes `value` exactly as the json module does (see dumps_canonical).
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(INT64_MIN <= value <= INT64_MAX)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) is not str and not _plain(item)):
                return False
        return True
    if kind is list or kind is tuple:
        # A loop rather than all(): the generator cost more than the checks of a short list.
        for item in value:  # noqa: SIM110
            if type(item) is not str and not _plain(item):
                return False
        return True
    return False


def chain_hash(prev_hash: str, content: bytes) -> str:
    """The hash of one row: it covers the row's content and the hash of the row before it."""
    return hashlib.sha256(prev_hash.encode("ascii") + content).hexdigest()


def content_key(draft: NewEvent) -> str:
    """A key from an event's content, for events that have neither an id nor an origin:
    the same event typed twice gets the same id and is stored once."""
    digest = hashlib.sha256(
        dumps_canonical(
            [
                draft.kind,
                draft.title,
                draft.fields,
                draft.date.text,
                [s.to_json() for s in draft.sources],
                draft.confidence,
            ]
        ).encode("utf-8")
    ).hexdigest()
    return f"content:{digest}"
