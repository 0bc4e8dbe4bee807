"""Turning what was typed into the values the library takes: instants and fuzzy dates in a
timeline's zone. A date that does not parse is a one-line error naming the parameter."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, overload

import click

from timeline.choices import match
from timeline.errors import InvalidInput

if TYPE_CHECKING:
    from timeline.dates import FuzzyDate

# timeline.dates is imported where a date is read: `--version` and `--help` read none.


@overload
def instant(text: str, zone: str, parameter: str) -> datetime: ...
@overload
def instant(text: None, zone: str, parameter: str) -> None: ...
def instant(text: str | None, zone: str, parameter: str) -> datetime | None:
    """The instant a date or timestamp means in `zone` (a day means its end), or None."""
    if text is None:
        return None
    from timeline.dates import DateError, parse_instant

    try:
        return parse_instant(text, zone)
    except DateError as err:
        raise InvalidInput(f"{parameter}: {err}") from None


def fuzzy(text: str, zone: str, parameter: str) -> FuzzyDate:
    """The fuzzy date `text` means in `zone`."""
    from timeline.dates import DateError, parse_fuzzy

    try:
        return parse_fuzzy(text, zone)
    except DateError as err:
        raise InvalidInput(f"{parameter}: {err}") from None


class Choice(click.Choice[str]):
    """One of a closed list of words, matched as every name is (`timeline.choices.fold`:
    any case, accents and spacing), so `--format ACLED` and `--section Control` work."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """The choice `value` names, or a usage error listing the choices."""
        found = match(str(value), tuple(str(choice) for choice in self.choices))
        if found is None:
            self.fail(
                f"{value!r} is not one of {', '.join(map(str, self.choices))}", param=param, ctx=ctx
            )
        return found


class Limit(click.ParamType[int | str]):
    """A number of facts (1 or more), or `all`: no limit."""

    name = "N|all"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> int | str:
        """The number `value` gives, or "all", or a usage error naming the value."""
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.casefold() == "all":
            return "all"
        if not (text.isdigit() and int(text) >= 1):
            self.fail(f"{value!r} is not a number of 1 or more, nor 'all'", param=param, ctx=ctx)
        return int(text)
