"""Reading a request's query string into the values the library takes.

Pure module: it knows neither the web framework nor the database. Every value that does not
read is a `BadParameter` naming the parameter and the value as they were sent, which the
server answers with HTTP 400.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime

from timeline.dates import (
    DateError,
    FuzzyDate,
    from_micros,
    parse_fuzzy,
    parse_instant,
    to_micros,
)
from timeline.errors import InvalidInput


class BadParameter(InvalidInput):
    """A query parameter that is unknown, repeated, missing or malformed."""

    def __init__(self, parameter: str, value: str | None, message: str) -> None:
        super().__init__(message, subject=parameter)
        self.parameter = parameter
        self.value = value


class Query:
    """The parameters of one request: only those in `allowed`, each read once by type."""

    def __init__(self, items: Iterable[tuple[str, str]], allowed: Collection[str]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in items:
            if name not in allowed:
                takes = ", ".join(allowed) or "no parameter"
                raise BadParameter(
                    name, value, f"unknown parameter {name}={value!r}; this endpoint takes {takes}"
                )
            self._values.setdefault(name, []).append(value)

    def values(self, name: str) -> list[str]:
        """Every value given for `name`, in order (repeatable parameters)."""
        return list(self._values.get(name, ()))

    def one(self, name: str) -> str | None:
        """The value of a parameter given at most once, or None."""
        values = self._values.get(name, [])
        if len(values) > 1:
            raise BadParameter(
                name, values[1], f"given more than once: {values[0]!r}, then {values[1]!r}"
            )
        return values[0] if values else None

    def required(self, name: str) -> str:
        """The value of a parameter that must be given once."""
        value = self.one(name)
        if value is None:
            raise BadParameter(name, None, "required")
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        """An integer within [low, high], or `default` when not given."""
        text = self.one(name)
        if text is None:
            return default
        try:
            number = int(text.strip(), 10)
        except ValueError:
            raise BadParameter(name, text, f"{text!r} is not an integer") from None
        if not low <= number <= high:
            raise BadParameter(name, text, f"{number} is not between {low} and {high}")
        return number

    def flag(self, name: str) -> bool:
        """A yes/no parameter: true, false, 1, 0, yes or no (false when not given)."""
        text = self.one(name)
        if text is None:
            return False
        word = text.strip().lower()
        if word in ("true", "1", "yes"):
            return True
        if word in ("false", "0", "no"):
            return False
        raise BadParameter(name, text, f"{text!r} is not true or false")

    def instant(self, name: str, zone: str) -> datetime | None:
        """The instant a date or timestamp means in `zone` (a day means its end), or None
        when not given."""
        text = self.one(name)
        return None if text is None else self._instant(name, text, zone)

    def required_instant(self, name: str, zone: str) -> datetime:
        """The instant a date or timestamp that must be given means in `zone`."""
        return self._instant(name, self.required(name), zone)

    def _instant(self, name: str, text: str, zone: str) -> datetime:
        try:
            return parse_instant(text, zone)
        except DateError as err:
            raise BadParameter(name, text, str(err)) from None

    def fuzzy(self, name: str, zone: str) -> FuzzyDate | None:
        """The fuzzy date `text` means in `zone`, or None when not given."""
        text = self.one(name)
        if text is None:
            return None
        try:
            return parse_fuzzy(text, zone)
        except DateError as err:
            raise BadParameter(name, text, str(err)) from None

    def value_in(self, name: str, message: str) -> str | None:
        """Which value of `name` an error message is about: the one it quotes, else the
        first one given (None when there is none)."""
        values = self._values.get(name, [])
        for value in values:
            if repr(value) in message or value in message:
                return value
        return values[0] if values else None

    def canonical(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The parameters in a fixed order, for a cache key: the same question asked with
        its parameters in another order is the same question."""
        return tuple(sorted((name, tuple(values)) for name, values in self._values.items()))

    def mentions_now(self) -> bool:
        """Whether a value is "now", whose meaning moves with the clock."""
        return any(v.strip().lower() == "now" for vs in self._values.values() for v in vs)


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page of events ended (the last event's place in valid-time order: start and
    end in microseconds, seq), and the knowledge time the first page was read at, so that the
    pages after it list the same log however many events are recorded meanwhile."""

    known: datetime | None
    valid_from: int
    valid_to: int
    seq: int

    def encode(self) -> str:
        """The cursor as an opaque URL-safe token."""
        known = to_micros(self.known) if self.known is not None else None
        raw = json.dumps([known, self.valid_from, self.valid_to, self.seq], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, parameter: str = "cursor") -> Cursor:
        """The cursor a token holds, or BadParameter when it is not one this server made."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            known, valid_from, valid_to, seq = json.loads(raw)
            numbers = (valid_from, valid_to, seq, 0 if known is None else known)
            if not all(type(n) is int and _MIN_MICROS <= n <= _MAX_MICROS for n in numbers):
                raise ValueError(token)
            instant = from_micros(known) if known is not None else None
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise BadParameter(
                parameter, token, f"{token!r} is not a cursor from a previous page"
            ) from None
        return cls(instant, valid_from, valid_to, seq)


# The instants a datetime holds (years 1 to 9999), in microseconds from 1970.
_MIN_MICROS = -62_135_596_800_000_000
_MAX_MICROS = 253_402_300_799_999_999
