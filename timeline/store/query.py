"""`EventQuery`: which events of the log a read wants, as one value.

Every implementation of the event log answers the same query the same way; `matches` and
`sort_key` are the reference semantics (the in-memory log uses them as they are, the SQL log
translates them into a statement).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from timeline.events import Event, dataset_of_key
from timeline.revisions import REVISION_KINDS

Order = Literal["valid", "recorded"]


def _tuple(values: Iterable[str] | None) -> tuple[str, ...] | None:
    if values is None or isinstance(values, tuple):
        return values
    if isinstance(values, str):
        raise TypeError(f"expected a collection of strings, not the string {values!r}")
    return tuple(values)


@dataclass(frozen=True, slots=True)
class EventQuery:
    """A read of the event log: every filter given must hold.

    `valid_from`/`valid_before` bound the start of the valid interval (half-open);
    `as_known` keeps events recorded by then; `as_published` those first public by then (see
    `timeline.events.first_published`: an event with no publication date is left out);
    `published` True keeps only events with a publication date, False only those without;
    `entity` keeps events whose fields name that id; `dataset` those of one dataset (the
    prefix of their origin key, `timeline` for none); `targets` keeps revisions of those
    events; `order` is "valid" (valid_from, valid_to, seq) or "recorded" (seq). Without
    `with_record`, imported events come without their source record (folds need none).
    """

    timeline: str | None = None
    kinds: Collection[str] | None = None
    exclude_kinds: Collection[str] | None = None
    valid_from: datetime | None = None
    valid_before: datetime | None = None
    as_known: datetime | None = None
    as_published: datetime | None = None
    published: bool | None = None
    entity: str | None = None
    origin: str | None = None
    dataset: str | None = None
    ids: Collection[str] | None = None
    targets: Collection[str] | None = None
    order: Order = "valid"
    descending: bool = False
    limit: int | None = None
    with_record: bool = True

    def __post_init__(self) -> None:
        # Callers pass lists and sets; the query keeps tuples, so that it stays immutable.
        for name in ("kinds", "exclude_kinds", "ids", "targets"):
            object.__setattr__(self, name, _tuple(getattr(self, name)))
        if self.order not in ("valid", "recorded"):
            raise ValueError(f"order must be 'valid' or 'recorded', not {self.order!r}")
        if self.limit is not None and self.limit < 0:
            raise ValueError(f"limit must not be negative, not {self.limit}")

    def matches(self, event: Event) -> bool:
        """Whether an event passes every filter of the query."""
        start = event.date.start
        return (
            (self.timeline is None or event.timeline == self.timeline)
            and (self.kinds is None or event.kind in self.kinds)
            and (self.exclude_kinds is None or event.kind not in self.exclude_kinds)
            and (self.valid_from is None or start >= self.valid_from)
            and (self.valid_before is None or start < self.valid_before)
            and (self.as_known is None or event.recorded_at <= self.as_known)
            and (
                self.as_published is None
                or (event.published_at is not None and event.published_at <= self.as_published)
            )
            and (self.published is None or (event.published_at is not None) == self.published)
            and (
                self.origin is None
                or (event.origin is not None and event.origin.key == self.origin)
            )
            and (
                self.dataset is None
                or dataset_of_key(event.origin.key if event.origin else None) == self.dataset
            )
            and (self.ids is None or event.id in self.ids)
            and (
                self.targets is None
                or (event.kind in REVISION_KINDS and event.target in self.targets)
            )
            and (self.entity is None or mentions(event.fields, self.entity))
        )

    def sort_key(self, event: Event) -> tuple[Any, ...]:
        """The order the query reads events in (before `descending` reverses it). Seqs are
        each timeline's own: across timelines, recording order is by recording time (along
        which every chain's seqs run), then seq, then timeline."""
        if self.order == "recorded":
            return (event.recorded_at, event.seq, event.timeline)
        return (event.date.start, event.date.end, event.seq, event.timeline)


def mentions(value: Any, entity: str) -> bool:
    """Whether a field value (a string, or mappings and lists of them) names `entity`."""
    if isinstance(value, str):
        return value == entity
    if isinstance(value, Mapping):
        return any(mentions(v, entity) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, entity) for v in value)
    return False
