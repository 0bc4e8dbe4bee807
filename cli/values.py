"""Turning what was typed into the values the library takes: instants and fuzzy dates in a
timeline's zone. A date that does not parse is a one-line error naming the parameter."""

from __future__ import annotations

from datetime import datetime
from typing import overload

from timeline.dates import DateError, FuzzyDate, parse_fuzzy, parse_instant
from timeline.errors import InvalidInput


@overload
def instant(text: str, zone: str, parameter: str) -> datetime: ...
@overload
def instant(text: None, zone: str, parameter: str) -> None: ...
def instant(text: str | None, zone: str, parameter: str) -> datetime | None:
    """The instant a date or timestamp means in `zone` (a day means its end), or None."""
    if text is None:
        return None
    try:
        return parse_instant(text, zone)
    except DateError as err:
        raise InvalidInput(f"{parameter}: {err}") from None


def fuzzy(text: str, zone: str, parameter: str) -> FuzzyDate:
    """The fuzzy date `text` means in `zone`."""
    try:
        return parse_fuzzy(text, zone)
    except DateError as err:
        raise InvalidInput(f"{parameter}: {err}") from None
