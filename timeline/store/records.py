"""The values the store hands back: timelines, appends, chain checks, import runs, snapshots."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from timeline.dates import UTC
from timeline.events import Event

Clock = Callable[[], datetime]

# Import runs count their records under these names (the columns of the `imports` table).
COUNT_NAMES = ("new", "corrected", "retracted", "unchanged", "rejected")


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class TimelineInfo:
    """A timeline and a summary of its events."""

    name: str
    zone: str
    title: str | None
    events: int = 0
    first: str | None = None
    last: str | None = None


@dataclass(slots=True)
class AppendResult:
    """What an append did: the events it stored, and how many were already there."""

    added: list[Event] = field(default_factory=list)
    unchanged: int = 0


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of walking the hash chain."""

    checked: int
    first_bad_seq: int | None = None
    reason: str | None = None
    # The seq and hash of the last row checked: a value to keep outside the database and
    # expect on a later verify (a log cut back to an earlier head no longer has it last).
    # Of the one timeline verified (named, or the only one with events); None otherwise.
    head: tuple[int, str] | None = None
    # The timeline of the bad row (None when there is none, or when it is a row of the chain
    # the whole log kept before each timeline had its own).
    timeline: str | None = None
    # Each verified timeline's head, (name, seq, hash), by name: what to keep outside.
    heads: tuple[tuple[str, int, str], ...] = ()

    @property
    def ok(self) -> bool:
        """True when every row verified."""
        return self.first_bad_seq is None


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a timeline's own chain starts, in a log that was one chain before (schema
    revision 0007): the timeline's last seq in that chain, the chain's head (seq and hash)
    at the upgrade, and the hash the timeline's next row links to, which commits to both
    (`codec.anchor_hash`). A timeline created since has none: its chain starts at genesis."""

    timeline: str
    seq: int
    global_seq: int
    global_hash: str
    hash: str
    recorded_at: int


class OriginVersion(NamedTuple):
    """The latest version this database holds of one source record.

    A named tuple rather than a dataclass: an import builds one for every record of every
    batch, unchanged ones included, and a tuple is built several times faster.
    """

    key: str
    event_id: str
    kind: str
    version: int
    content_hash: str | None
    stamp: int | None
    root_id: str


@dataclass(frozen=True, slots=True)
class ImportRun:
    """One recorded run of `timeline import`."""

    id: int
    timeline: str
    source: str
    format: str
    content_hash: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    new: int
    corrected: int
    retracted: int
    unchanged: int
    rejected: int
    error: str | None
    # The named feed the run read, and the newest source stamp it saw (completed runs).
    feed: str | None = None
    high_water: int | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    """A named live feed: a dataset API URL (never credentials) read into a timeline, and
    its latest run."""

    name: str
    timeline: str
    format: str
    url: str
    created_at: datetime
    last_run: ImportRun | None = None
    # Where its next incremental run starts: the newest stamp a completed run saw.
    high_water: int | None = None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A stored fold state: every effective event starting before `boundary` is in it."""

    boundary: datetime
    event_count: int
    known_through: datetime
    state: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EncodedSnapshot:
    """A fold state to store, already written out as it is stored (its JSON, compressed:
    see `codec.compress_parts`): a million-event fold takes a snapshot every few hundred
    events, and holding them as Python objects, or as JSON text, would cost more memory
    than the stored bytes do."""

    boundary: datetime
    event_count: int
    known_through: datetime
    blob: bytes
