"""Reconciling what a source says with what the store holds, without touching either.

Given a batch of dataset rows and what the store holds of their keys (content hashes, latest
versions, stamps), which records are new, corrected, retracted or unchanged; given a native
document and the stored event of its id, whether it is new, unchanged or a correction. The
runner does the reading and writing; the decisions are here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from timeline.events import Event, NewEvent, Origin, dumps_canonical, stable_id
from timeline.importers.sources import Deletion, RawRow
from timeline.store import OriginVersion
from timeline.vocabulary import KINDS

# The content hash of a retraction's origin (see split_stored).
DELETED = "deleted"


def winning_rows(batch: Sequence[RawRow]) -> dict[str, int]:
    """For each record key in a batch, the position of the row that counts: the one with the
    newest source stamp, the later one among equals (rows without a stamp are equals)."""
    winners: dict[str, int] = {}
    for position, raw in enumerate(batch):
        current = winners.get(raw.key)
        if current is not None:
            stamp, best = raw.stamp, batch[current].stamp
            if stamp is not None and best is not None and stamp < best:
                continue
        winners[raw.key] = position
    return winners


def split_stored(
    batch: Sequence[RawRow],
    winners: Mapping[str, int],
    hashes: Mapping[str, str | None],
    deleted: Collection[str],
) -> tuple[set[str], list[str]]:
    """From the content hashes stored for a batch's keys and its deletions: the keys stored
    with this very content, and the stored keys whose latest version must be read."""
    # A retraction's hash is DELETED, which no content hash equals: a record deleted at the
    # source and published again is never unchanged.
    unchanged = {
        key for key, position in winners.items() if hashes.get(key) == batch[position].content_hash
    }
    changed = [key for key in hashes if key not in unchanged or key in deleted]
    return unchanged, changed


@dataclass(slots=True)
class BatchPlan:
    """What a batch of dataset rows calls for, before any row is mapped: how many rows say
    nothing new, which rows to map (with the latest stored version of their record, None
    for a new one), and which stored records the source withdrew."""

    unchanged: int = 0
    rows: list[tuple[RawRow, OriginVersion | None]] = field(default_factory=list)
    withdrawn: list[tuple[Deletion, OriginVersion]] = field(default_factory=list)


def plan_batch(
    batch: Sequence[RawRow],
    winners: Mapping[str, int],
    deletions: Sequence[Deletion],
    unchanged: Collection[str],
    latest: Mapping[str, OriginVersion],
) -> BatchPlan:
    """Which rows of a batch to map and which deletions to retract. Unchanged records are
    counted here and cost no mapping."""
    plan = BatchPlan()
    for position, raw in enumerate(batch):
        if winners[raw.key] != position or raw.key in unchanged:
            # Stored with this very content; or the same record again in this batch (a
            # concatenation of two exports, or API pages that shifted while the source
            # updated), where only its newest row counts, so that running the same file
            # again finds that very row stored and adds nothing.
            plan.unchanged += 1
            continue
        previous = latest.get(raw.key)
        if (
            previous is not None
            and raw.stamp is not None
            and previous.stamp is not None
            and raw.stamp < previous.stamp
        ):
            # An older revision than the one stored (yesterday's file run again, or an
            # overlapping run): the newer revision stays.
            plan.unchanged += 1
            continue
        plan.rows.append((raw, previous))
    for deletion in deletions:
        previous = latest.get(deletion.key)
        if previous is not None and previous.kind != "retraction":
            plan.withdrawn.append((deletion, previous))
    return plan


def retraction(
    timeline: str,
    root: Event | NewEvent,
    previous: OriginVersion,
    key: str | None,
    version: int | None,
    reason: str,
    stamp: int | None,
) -> NewEvent:
    """The retraction of a record's event `root`, whose latest version is `previous`: as
    version `version` of record `key` when the source withdrew it, or (no key) when the
    record starts again under another kind."""
    origin = (
        Origin(key, version, DELETED, stamp) if key is not None and version is not None else None
    )
    event_id = stable_id(
        timeline, f"{key}#{version}" if key else f"retract:{root.id}:{previous.version}"
    )
    return NewEvent(
        id=event_id,
        timeline=timeline,
        kind="retraction",
        title=f"Retracted: {root.title}",
        date=root.date,
        fields={"target": root.id, "reason": reason},
        kind_version=KINDS["retraction"].version,
        origin=origin,
    )


def same_content(current: Any, draft: NewEvent) -> bool:
    """Whether an event (stored, or as revised) says what a draft says."""
    return (
        current.title == draft.title
        and current.date.text == draft.date.text
        and dumps_canonical(dict(current.fields)) == dumps_canonical(dict(draft.fields))
        and tuple(current.sources) == tuple(draft.sources)
        and current.confidence == draft.confidence
    )


def correction_of(existing: Any, current: Any, draft: NewEvent) -> NewEvent:
    """The correction that makes stored event `existing` (now `current`) say what `draft`
    says; its id derives from that content, so it is recorded once however often asked."""
    base_fields = dict(current.fields) if current is not None else dict(existing.fields)
    removed = {k: None for k in base_fields if k not in draft.fields}
    fields = {"target": existing.id, "fields": {**dict(draft.fields), **removed}, "restates": True}
    digest = hashlib.sha256(
        dumps_canonical(
            [
                draft.title,
                draft.date.text,
                fields,
                [s.to_json() for s in draft.sources],
                draft.confidence,
            ]
        ).encode()
    ).hexdigest()
    return NewEvent(
        id=stable_id(draft.timeline, f"revision:{existing.id}:{digest}"),
        timeline=draft.timeline,
        kind="correction",
        title=draft.title,
        date=draft.date,
        fields=fields,
        kind_version=KINDS["correction"].version,
        sources=draft.sources,
        confidence=draft.confidence,
        reported_at=draft.reported_at,
    )


@dataclass(frozen=True, slots=True)
class DocumentOutcome:
    """What a native document calls for: `label` new, corrected, unchanged or rejected;
    the event to append (new, corrected), or the field, value and reason of a rejection."""

    label: str
    event: NewEvent | None = None
    field: str | None = None
    value: str | None = None
    reason: str = ""


def reconcile_document(
    draft: NewEvent, existing: Event | None, current: Event | None
) -> DocumentOutcome:
    """A native document's draft against the stored event of its id (`existing`, and
    `current`: as revised, None when retracted)."""
    if existing is None:
        return DocumentOutcome("new", draft)
    # An export holds each event as first recorded, then its revisions: a document equal to
    # the event as recorded, or as revised, says nothing new.
    if same_content(existing, draft) or (current is not None and same_content(current, draft)):
        return DocumentOutcome("unchanged")
    if draft.kind != existing.kind:
        reason = f"differs from stored event {draft.id}'s kind {existing.kind}"
        return DocumentOutcome("rejected", field="kind", value=draft.kind, reason=reason)
    if current is None:
        reason = f"event {draft.id} was retracted; record a new event instead"
        return DocumentOutcome("rejected", reason=reason)
    # The document says something else about an event already stored: that is a correction,
    # recorded once however often the document is imported again.
    return DocumentOutcome("corrected", correction_of(existing, current, draft))
