"""Answers asked as a person types them: dates as text, parsed in the timeline's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from timeline import answers
from timeline.dates import parse_instant
from timeline.projections import Answer
from timeline.store import Store, TimelineInfo


def _instant(value: str | datetime | None, zone: str) -> datetime | None:
    return parse_instant(value, zone) if isinstance(value, str) else value


def state_at(
    store: Store,
    info: TimelineInfo,
    at: str | datetime,
    *,
    as_known: str | datetime | None = None,
    **options: Any,
) -> Answer:
    """`answers.state_at` with `at` and `as_known` given as text (or already as instants)."""
    instant = _instant(at, info.zone)
    assert instant is not None
    return answers.state_at(store, info, instant, as_known=_instant(as_known, info.zone), **options)
