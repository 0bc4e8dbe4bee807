"""Fuzzy valid dates: the date texts analysts and datasets write, read as UTC intervals.

A date such as ``2019-04`` is not an instant but a span of time; it is read as the half-open
interval [start, end) it covers in a given IANA time zone, converted to UTC. The accepted
texts are the ISO 8601 / EDTF level-1 forms (``2019``, ``2019-04``, ``2019-04-04``,
``2020-W09``, date-times, ``~ ? %`` qualifiers, ``A/B`` intervals with ``..`` open ends) and
a few English spellings ("4 April 2019"). Vague words ("early May") are refused rather than
guessed at. Every parsed date has a canonical ``text`` that parses back to the same value.

The module is pure (standard library only) and sits on the import hot path, so regexes are
compiled once, zones are cached, and whole parses are memoised.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "OPEN_END",
    "OPEN_START",
    "TIMELESS",
    "UTC",
    "DateError",
    "FuzzyDate",
    "Precision",
    "format_instant",
    "from_micros",
    "parse_fuzzy",
    "parse_instant",
    "to_micros",
    "validate_zone",
]

OPEN_START = datetime(1, 1, 1, tzinfo=UTC)
OPEN_END = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.toordinal()
# 9998 is the last year whose interval (and the next year's first day) fits in a datetime.
_MIN_YEAR, _MAX_YEAR = 1, 9998


class Precision(StrEnum):
    """How finely a fuzzy date pins down time, from fully open to a clock time."""

    UNKNOWN = "unknown"
    YEAR = "year"
    MONTH = "month"
    WEEK = "week"
    DAY = "day"
    MINUTE = "minute"


# Coarse to fine; an interval is only as precise as its coarser end.
_RANK = {p: i for i, p in enumerate(Precision)}


class DateError(ValueError):
    """A date (or zone) text that cannot be read; the message is one line naming the value."""

    def __init__(self, value: str, reason: str, what: str = "a date") -> None:
        # Cut very long values so that a garbage cell in a big import still gives one short line.
        shown = value if len(value) <= 100 else value[:97] + "..."
        super().__init__(f"{shown!r} is not {what}: {reason}")
        self.value = value
        self.reason = reason
        self.what = what

    def __reduce__(self) -> tuple[type[DateError], tuple[str, str, str]]:
        # The default pickling re-calls __init__ with the message only; importers that run in
        # worker processes send these errors back to the parent.
        return (DateError, (self.value, self.reason, self.what))


@dataclass(frozen=True, slots=True)
class FuzzyDate:
    """A date text read as the UTC interval [start, end) it covers, with its EDTF flags."""

    text: str
    start: datetime
    end: datetime
    precision: Precision
    approximate: bool = False
    uncertain: bool = False

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"empty interval for {self.text!r}: {self.start} >= {self.end}")

    def __str__(self) -> str:
        return self.text

    def contains(self, other: FuzzyDate) -> bool:
        """Return whether `other`'s interval lies inside this one (bounds included)."""
        return self.start <= other.start and other.end <= self.end

    def straddles(self, instant: datetime) -> bool:
        """Return whether `instant` falls strictly inside the interval (neither bound)."""
        return self.start < instant < self.end

    def ended_by(self, instant: datetime) -> bool:
        """Return whether the whole interval is over at `instant` (its end is at or before it)."""
        return self.end <= instant


TIMELESS = FuzzyDate("../..", OPEN_START, OPEN_END, Precision.UNKNOWN)

_FLAGS = re.ASCII | re.IGNORECASE
_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", _FLAGS)
_WEEK_RE = re.compile(r"(\d{4})-W(\d{2})", _FLAGS)
_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?"
    r"(Z|[+-]\d{2}(?::?\d{2})?)?",
    _FLAGS,
)
_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
# "April 2019", "4 April 2019", "4th Apr. 2019"
_DAY_MONTH_RE = re.compile(rf"(?:{_ORDINAL}\s+)?{_MONTH},?\s+(?P<year>\d{{4}})", _FLAGS)
# "April 4, 2019", "April 4 2019"
_MONTH_DAY_RE = re.compile(rf"{_MONTH}\s+{_ORDINAL},?\s+(?P<year>\d{{4}})", _FLAGS)
_MONTHS = {
    name: i + 1
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_VAGUE_RE = re.compile(
    r"\b(early|mid|middle|late|beginning|start|end|spring|summer|autumn|fall|winter|around"
    r"|about|circa|approx\w*|half|quarter|q[1-4]|h[12]|sometime)\b",
    _FLAGS,
)
_RELATIVE_RE = re.compile(r"\b(today|yesterday|tomorrow|ago|last|next|this|now)\b", _FLAGS)
_VAGUE = (
    "vague terms (early/mid/late/spring/...) are not accepted; write an interval such as "
    "2020-05-01/2020-05-10 or a qualified date such as 2020-05~"
)
_RELATIVE = "relative terms (yesterday/last week/...) are not accepted; write the calendar date"
_GARBAGE = (
    "not a recognised form; write e.g. 2019, 2019-04, 2019-04-04, 2020-W09, "
    "2020-05-18T14:30, 2019-04~, 2019-04/2020-06, 2011/.. or 4 April 2019"
)
# "2020-5-26", "2020-5": an ISO date with its zeros left out, which the suggestion pads.
_UNPADDED_RE = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?", _FLAGS)
# "26/05/2020", "5.26.2020", "26-05-2020": day-first or month-first, which no reader can tell
# apart when both numbers are 12 or under.
_DAY_FIRST_RE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", _FLAGS)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)


@functools.lru_cache(maxsize=512)
def _zone(zone: str) -> tzinfo | None:
    """The tzinfo for an IANA name, None for UTC (so that UTC skips conversion entirely)."""
    # "utc" in any case is UTC, as it was when pendulum looked zones up. The standard
    # library's ZoneInfo is what pendulum returned (a subclass of it), and importing pendulum
    # for it cost `timeline at` a twentieth to a tenth of the time SQLAlchemy's import takes.
    if zone.lower() == "utc" or zone == "Etc/UTC":
        return None
    try:
        return ZoneInfo(zone)
    except (ValueError, KeyError, OSError) as err:
        # ZoneInfoNotFoundError (a KeyError), ValueError for malformed keys, OSError for
        # directories and over-long names: all mean the same thing to the caller.
        raise DateError(zone, "unknown IANA time zone", "a time zone") from err


def validate_zone(zone: str) -> str:
    """Return `zone` unchanged if it names an IANA time zone, else raise DateError."""
    _zone(zone)
    return zone


class _End(NamedTuple):
    """One closed end of a date text (a whole single date is one end)."""

    text: str
    start: datetime
    end: datetime
    precision: Precision
    approximate: bool
    uncertain: bool
    timestamp: bool  # a date-time: "at" it means its start, not its end


def _flags(q: str) -> tuple[bool, bool]:
    """(approximate, uncertain) for an EDTF qualifier: "~", "?", "%" (both) or ""."""
    return q in ("~", "%"), q in ("?", "%")


def _int(digits: str | None) -> int | None:
    return None if digits is None else int(digits)


class _Skipped(Exception):
    """A clock time that a clock change skipped, raised where the zone's name is not known."""


def _to_utc(local: datetime, tz: tzinfo | None, *, boundary: bool = True) -> datetime:
    """Convert a naive wall time in `tz` to UTC.

    An ambiguous time (clocks set back) is its first occurrence (fold=0). A skipped time is,
    as a day `boundary`, the instant of the jump, when that day really begins; as a clock
    time in a timestamp it never happened, and raises _Skipped.
    """
    if tz is None:
        return local.replace(tzinfo=UTC)
    aware = local.replace(tzinfo=tz)
    before, after = aware.utcoffset(), aware.replace(fold=1).utcoffset()
    if before is None or after is None or before >= after:
        return aware.astimezone(UTC)
    if not boundary:
        raise _Skipped
    # The jump lies in (local - after, local - before]; bisect on whole seconds, as tzdata
    # transitions fall on them. Only midnights inside a gap (rare, mostly historical) get here.
    low = (local - after).replace(tzinfo=UTC)
    lo, hi = 0, (after - before) // _ONE_SECOND
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if (low + mid * _ONE_SECOND).astimezone(tz).replace(tzinfo=None) >= local:
            hi = mid
        else:
            lo = mid
    return low + hi * _ONE_SECOND


def _days_in(whole: str, year: int, month: int) -> int:
    if not 1 <= month <= 12:
        raise DateError(whole, "month must be 1-12")
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[month - 1]


def _check_year(whole: str, year: int) -> None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise DateError(whole, f"year must be {_MIN_YEAR}-{_MAX_YEAR}")


def _calendar(whole: str, year: int, month: int | None, day: int | None) -> tuple[date, date]:
    """The local [first day, day after) of a year, month or day, validated."""
    _check_year(whole, year)
    if month is None:
        return date(year, 1, 1), date(year + 1, 1, 1)
    last = _days_in(whole, year, month)
    if day is None:
        after = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
        return date(year, month, 1), after
    if not 1 <= day <= last:
        raise DateError(whole, f"day {day} is out of range for {year:04d}-{month:02d} (1-{last})")
    first = date(year, month, day)
    return first, first + _ONE_DAY


def _date_end(
    whole: str, year: int, month: int | None, day: int | None, tz: tzinfo | None, q: str
) -> _End:
    first, after = _calendar(whole, year, month, day)
    text = f"{year:04d}" if month is None else f"{year:04d}-{month:02d}"
    if day is not None:
        text += f"-{day:02d}"
    precision = (
        Precision.YEAR if month is None else Precision.DAY if day is not None else Precision.MONTH
    )
    start = _to_utc(datetime(first.year, first.month, first.day), tz)
    end = _to_utc(datetime(after.year, after.month, after.day), tz)
    return _End(text + q, start, end, precision, *_flags(q), False)


def _timestamp_end(whole: str, m: re.Match[str], tz: tzinfo | None, q: str) -> _End:
    year, month, day, hour, minute = (int(g) for g in m.group(1, 2, 3, 4, 5))
    second, fraction, offset = m.group(6, 7, 8)
    _calendar(whole, year, month, day)
    if hour > 23:
        raise DateError(whole, "hour must be 0-23")
    if minute > 59:
        raise DateError(whole, "minute must be 0-59")
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}"
    # The interval is every instant the text could mean: a minute, a second, or a fraction.
    step = timedelta(minutes=1)
    micro = 0
    if second is not None:
        if int(second) > 59:
            raise DateError(whole, "second must be 0-59")
        text += f":{second}"
        step = timedelta(seconds=1)
        if fraction is not None:
            text += f".{fraction}"
            micro = int(fraction.ljust(6, "0"))
            step = timedelta(microseconds=10 ** (6 - len(fraction)))
    local = datetime(year, month, day, hour, minute, int(second or 0), micro)
    if offset is None:
        start = _to_utc(local, tz, boundary=False)
    elif offset in "Zz":
        text += "Z"
        start = local.replace(tzinfo=UTC)
    else:
        digits = offset[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            raise DateError(whole, "the UTC offset must be under 24 hours")
        text += f"{offset[0]}{hours:02d}:{minutes:02d}"
        sign = -1 if offset[0] == "-" else 1
        fixed = timezone(sign * timedelta(hours=hours, minutes=minutes))
        start = local.replace(tzinfo=fixed).astimezone(UTC)
    return _End(text + q, start, start + step, Precision.MINUTE, *_flags(q), True)


def _parse_end(whole: str, raw: str, tz: tzinfo | None) -> _End:
    """Read one closed end: a single date form with an optional trailing EDTF qualifier."""
    s = raw.strip()
    q = ""
    if s and s[-1] in "~?%":
        q, s = s[-1], s[:-1].rstrip()
    if not s:
        raise DateError(
            whole,
            "an end is empty (write .. for an open end)"
            if "/" in whole
            else "a qualifier needs a date before it",
        )
    # Fast path for the commonest text in imports, a plain YYYY-MM-DD.
    if len(s) == 10 and s[4] == "-" and s[7] == "-":
        digits = s[:4] + s[5:7] + s[8:]
        if digits.isascii() and digits.isdigit():
            return _date_end(whole, int(s[:4]), int(s[5:7]), int(s[8:]), tz, q)
    if m := _DATE_RE.fullmatch(s):
        month, day = m[2], m[3]
        return _date_end(whole, int(m[1]), _int(month), _int(day), tz, q)
    if m := _WEEK_RE.fullmatch(s):
        year, week = int(m[1]), int(m[2])
        _check_year(whole, year)
        try:
            monday = date.fromisocalendar(year, week, 1)
        except ValueError:
            weeks = date(year, 12, 28).isocalendar().week  # 28 December is always in the last week
            raise DateError(whole, f"week must be 01-{weeks} in {year:04d}") from None
        start = _to_utc(datetime(monday.year, monday.month, monday.day), tz)
        after = monday + timedelta(days=7)
        end = _to_utc(datetime(after.year, after.month, after.day), tz)
        text = f"{year:04d}-W{week:02d}{q}"
        return _End(text, start, end, Precision.WEEK, *_flags(q), False)
    if m := _DATETIME_RE.fullmatch(s):
        return _timestamp_end(whole, m, tz, q)
    if m := _DAY_MONTH_RE.fullmatch(s) or _MONTH_DAY_RE.fullmatch(s):
        month_number = _MONTHS[m["month"][:3].lower()]
        return _date_end(whole, int(m["year"]), month_number, _int(m["day"]), tz, q)
    if (m := _UNPADDED_RE.fullmatch(s)) and 1 <= int(m[2]) <= 12:
        padded = f"{m[1]}-{int(m[2]):02d}" + (f"-{int(m[3]):02d}" if m[3] else "")
        raise DateError(whole, f"months and days take two digits: did you mean {padded}{q}?")
    if _VAGUE_RE.search(whole):
        raise DateError(whole, _VAGUE)
    if _RELATIVE_RE.search(whole):
        raise DateError(whole, _RELATIVE)
    raise DateError(whole, _GARBAGE)


def _day_first(first: int, second: int, year: str) -> str:
    """Why a date written with its day or month first is refused, and the ISO form to write."""
    readings = []
    if 1 <= second <= 12 and 1 <= first <= 31:
        readings.append(f"{year}-{second:02d}-{first:02d}" + " (day first)" * (first <= 12))
    if 1 <= first <= 12 and 1 <= second <= 31 and first != second:
        readings.append(f"{year}-{first:02d}-{second:02d}" + " (month first)" * (second <= 12))
    return "day-first and month-first dates are ambiguous; write it year first, as " + (
        " or ".join(readings) or "YYYY-MM-DD"
    )


@functools.lru_cache(maxsize=1 << 15)
def _parse(text: str, zone: str) -> tuple[FuzzyDate, _End | None]:
    """Parse `text` in `zone`; also return the end that "at" reads, None if open-ended.

    Memoised: imports repeat the same few thousand date texts across a million rows, and
    both results are immutable.
    """
    tz = _zone(zone)
    s = text.strip()
    if not s:
        raise DateError(text, "empty")
    if s == "..":
        return TIMELESS, None
    if m := _DAY_FIRST_RE.fullmatch(s):
        raise DateError(text, _day_first(int(m[1]), int(m[2]), m[3]))
    parts = [part.strip() for part in s.split("/")]
    if len(parts) > 2:
        raise DateError(text, "an interval has exactly one '/'")
    try:
        ends = [None if part == ".." else _parse_end(text, part, tz) for part in parts]
    except _Skipped:
        raise DateError(
            text, f"that clock time does not exist in {zone}: the clocks skipped it"
        ) from None
    except OverflowError:
        # Only reachable at the edges of year 1 and 9998, where the zone's offset pushes the
        # UTC value out of what a datetime can hold.
        raise DateError(
            text, f"falls outside the years {_MIN_YEAR}-{_MAX_YEAR} in {zone}"
        ) from None
    closed = [e for e in ends if e is not None]
    if not closed:
        return TIMELESS, None
    for e in closed:
        if e.start >= e.end:  # e.g. 2011-12-30 in Pacific/Apia, a day the clocks skipped
            raise DateError(text, f"{e.text} does not exist in {zone}: the clocks skipped that day")
    first, last = ends[0], ends[-1]
    if first is not None and last is not None and last.end <= first.start:
        raise DateError(text, f"the interval ends ({last.text}) before it starts ({first.text})")
    fuzzy = FuzzyDate(
        "/".join(".." if e is None else e.text for e in ends),
        OPEN_START if first is None else first.start,
        OPEN_END if last is None else last.end,
        min((e.precision for e in closed), key=_RANK.__getitem__),
        any(e.approximate for e in closed),
        any(e.uncertain for e in closed),
    )
    return fuzzy, (None if first is None else last)


def parse_fuzzy(text: str, zone: str = "UTC") -> FuzzyDate:
    """Read a date text as the UTC interval it covers in the IANA time zone `zone`.

    Accepts ISO/EDTF dates (``2019``, ``2019-04``, ``2019-04-04``, ``2020-W09``,
    ``2020-05-18T14:30[:15][+02:00|Z]``), EDTF qualifiers ``~ ? %``, intervals ``A/B`` with
    ``..`` for an open end, and English forms ("4 April 2019", "April 4, 2019", "Apr 2019").
    Naive date-times and calendar dates are read in `zone`. Raises DateError otherwise,
    including for an unknown zone.
    """
    return _parse(text, zone)[0]


def parse_instant(text: str, zone: str = "UTC") -> datetime:
    """Read a date text as the single instant "at" it, in UTC.

    A calendar date means the end of its interval, the moment it is over: ``2020-05-26`` in
    Africa/Tripoli is 2020-05-26T22:00:00Z. A date-time means that instant (naive ones are in
    `zone`); "now" means the current time. Open-ended texts raise DateError.
    """
    if text.strip().lower() == "now":
        validate_zone(zone)
        return datetime.now(UTC)
    fuzzy, last = _parse(text, zone)
    if last is None:
        raise DateError(text, "it is open-ended; give a closed date", "an instant")
    return last.start if last.timestamp else fuzzy.end


def to_micros(instant: datetime) -> int:
    """Return the exact number of microseconds from 1970-01-01T00:00:00Z to aware `instant`."""
    if type(instant) is datetime and instant.tzinfo is not None:
        # The common case, through the C datetime's own subtraction (exact: a timedelta is
        # integers, its range wider than any two datetimes apart): 2.7 times faster than the
        # arithmetic below, and a fold calls this several times an event. Other types
        # (pendulum's, whose difference is an interval of its own) take the long way.
        try:
            span = instant - _EPOCH
        except TypeError:  # a tzinfo that gives no offset: naive after all, refused below
            pass
        else:
            return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds
    offset = instant.utcoffset()
    if offset is None:
        raise ValueError(f"a naive datetime has no instant: {instant!r}")
    # Integer arithmetic on the fields, so no float rounding and no overflow near year 1.
    days = instant.toordinal() - _EPOCH_ORDINAL
    seconds = ((days * 24 + instant.hour) * 60 + instant.minute) * 60 + instant.second
    shift = (offset.days * 86_400 + offset.seconds) * 1_000_000 + offset.microseconds
    return seconds * 1_000_000 + instant.microsecond - shift


def from_micros(micros: int) -> datetime:
    """Return the UTC-aware datetime `micros` microseconds after 1970-01-01T00:00:00Z."""
    return _EPOCH + timedelta(microseconds=micros)


def format_instant(instant: datetime) -> str:
    """Format an aware instant as ISO 8601 UTC with "Z", e.g. ``2020-05-26T22:00:00Z``.

    Microseconds are written only when non-zero.
    """
    u = from_micros(to_micros(instant))  # normalises any zone (or pendulum type) to UTC
    text = f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
    if u.microsecond:
        text += f".{u.microsecond:06d}"
    return text + "Z"
