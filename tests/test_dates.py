"""Tests for timeline.dates: fuzzy date texts read as UTC intervals."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from datetime import UTC as STDLIB_UTC
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.dates import (
    OPEN_END,
    OPEN_START,
    TIMELESS,
    UTC,
    DateError,
    FuzzyDate,
    Precision,
    format_instant,
    from_micros,
    parse_fuzzy,
    parse_instant,
    to_micros,
    validate_zone,
)

TRIPOLI = "Africa/Tripoli"  # UTC+2 without DST throughout 2019-2020
ZONES = ["UTC", TRIPOLI, "America/New_York", "Asia/Kathmandu"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
VAGUE = (
    "vague terms (early/mid/late/spring/...) are not accepted; write an interval such as "
    "2020-05-01/2020-05-10 or a qualified date such as 2020-05~"
)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def test_constants() -> None:
    assert UTC is STDLIB_UTC
    assert utc(1, 1, 1) == OPEN_START
    assert utc(9999, 12, 31, 23, 59, 59, 999999) == OPEN_END
    assert FuzzyDate("../..", OPEN_START, OPEN_END, Precision.UNKNOWN, False, False) == TIMELESS


# text, start and end in UTC, then in Tripoli (two hours earlier), precision, canonical text
ACCEPTED = [
    ("2019", utc(2019, 1, 1), utc(2020, 1, 1), Precision.YEAR, "2019"),
    ("2019-04", utc(2019, 4, 1), utc(2019, 5, 1), Precision.MONTH, "2019-04"),
    ("2019-04-04", utc(2019, 4, 4), utc(2019, 4, 5), Precision.DAY, "2019-04-04"),
    ("2020-W09", utc(2020, 2, 24), utc(2020, 3, 2), Precision.WEEK, "2020-W09"),
    ("2020-w09", utc(2020, 2, 24), utc(2020, 3, 2), Precision.WEEK, "2020-W09"),
    ("2019-04/2020-06", utc(2019, 4, 1), utc(2020, 7, 1), Precision.MONTH, "2019-04/2020-06"),
    ("2019/2019-06-03", utc(2019, 1, 1), utc(2019, 6, 4), Precision.YEAR, "2019/2019-06-03"),
    ("2020-W09/2020-03-05", utc(2020, 2, 24), utc(2020, 3, 6), Precision.WEEK, None),
    ("April 2019", utc(2019, 4, 1), utc(2019, 5, 1), Precision.MONTH, "2019-04"),
    ("Apr 2019", utc(2019, 4, 1), utc(2019, 5, 1), Precision.MONTH, "2019-04"),
    ("sept 2019", utc(2019, 9, 1), utc(2019, 10, 1), Precision.MONTH, "2019-09"),
    ("4 April 2019", utc(2019, 4, 4), utc(2019, 4, 5), Precision.DAY, "2019-04-04"),
    ("4 Apr 2019", utc(2019, 4, 4), utc(2019, 4, 5), Precision.DAY, "2019-04-04"),
    ("April 4, 2019", utc(2019, 4, 4), utc(2019, 4, 5), Precision.DAY, "2019-04-04"),
    ("  APRIL 4 2019 ", utc(2019, 4, 4), utc(2019, 4, 5), Precision.DAY, "2019-04-04"),
    ("29 February 2020", utc(2020, 2, 29), utc(2020, 3, 1), Precision.DAY, "2020-02-29"),
]


@pytest.mark.parametrize(("text", "start", "end", "precision", "canonical"), ACCEPTED)
def test_accepted_forms(
    text: str, start: datetime, end: datetime, precision: Precision, canonical: str | None
) -> None:
    for zone, shift in (("UTC", timedelta(0)), (TRIPOLI, timedelta(hours=2))):
        d = parse_fuzzy(text, zone)
        assert (d.start, d.end) == (start - shift, end - shift)
        assert d.precision is precision
        assert d.text == (canonical or text)
        assert not d.approximate
        assert not d.uncertain
        assert d.start.tzinfo is UTC
        assert type(d.start) is datetime
        assert type(d.end) is datetime


@pytest.mark.parametrize(
    ("text", "start", "length", "canonical"),
    [
        ("2020-05-18T14:30", utc(2020, 5, 18, 12, 30), timedelta(minutes=1), None),
        ("2020-05-18T14:30:15", utc(2020, 5, 18, 12, 30, 15), timedelta(seconds=1), None),
        ("2020-05-18 14:30", utc(2020, 5, 18, 12, 30), timedelta(minutes=1), "2020-05-18T14:30"),
        ("2020-05-18T14:30+02:00", utc(2020, 5, 18, 12, 30), timedelta(minutes=1), None),
        ("2020-05-18T14:30+0200", utc(2020, 5, 18, 12, 30), timedelta(minutes=1), "+02:00"),
        ("2020-05-18T14:30-05", utc(2020, 5, 18, 19, 30), timedelta(minutes=1), "-05:00"),
        ("2020-05-18t14:30z", utc(2020, 5, 18, 14, 30), timedelta(minutes=1), "14:30Z"),
        (
            "2020-05-18T14:30:15.25Z",
            utc(2020, 5, 18, 14, 30, 15, 250000),
            timedelta(0, 0, 10000),
            None,
        ),
    ],
)
def test_timestamps_in_tripoli(
    text: str, start: datetime, length: timedelta, canonical: str | None
) -> None:
    d = parse_fuzzy(text, TRIPOLI)
    assert (d.start, d.end, d.precision) == (start, start + length, Precision.MINUTE)
    assert d.text.endswith(canonical or text)
    assert d.text.startswith("2020-05-18T14:30")


def test_naive_timestamp_in_utc() -> None:
    d = parse_fuzzy("2020-05-18T14:30")
    assert (d.start, d.end) == (utc(2020, 5, 18, 14, 30), utc(2020, 5, 18, 14, 31))


@pytest.mark.parametrize(
    ("text", "canonical", "approximate", "uncertain"),
    [
        ("2019-04~", "2019-04~", True, False),
        ("2019?", "2019?", False, True),
        ("2019-04-04%", "2019-04-04%", True, True),
        ("2020-W09?", "2020-W09?", False, True),
        ("2020-05-18T14:30Z~", "2020-05-18T14:30Z~", True, False),
        ("April 2019 ~", "2019-04~", True, False),
        ("2019-04~/2019-06", "2019-04~/2019-06", True, False),
        ("2019-04 / 2019-06?", "2019-04/2019-06?", False, True),
    ],
)
def test_qualifiers_keep_the_interval(
    text: str, canonical: str, approximate: bool, uncertain: bool
) -> None:
    d = parse_fuzzy(text, TRIPOLI)
    bare = parse_fuzzy(canonical.replace("~", "").replace("?", "").replace("%", ""), TRIPOLI)
    assert (d.start, d.end, d.precision) == (bare.start, bare.end, bare.precision)
    assert (d.text, d.approximate, d.uncertain) == (canonical, approximate, uncertain)


def test_open_intervals() -> None:
    after = parse_fuzzy("2011/..", TRIPOLI)
    assert (after.start, after.end, after.precision) == (utc(2010, 12, 31, 22), OPEN_END, "year")
    # Libya kept UTC+1 from November 2012 into 2013, so 2012 ends at 23:00 UTC.
    before = parse_fuzzy("../2012", TRIPOLI)
    assert (before.start, before.end, before.text) == (OPEN_START, utc(2012, 12, 31, 23), "../2012")
    assert before.precision is Precision.YEAR
    assert parse_fuzzy("../..") == TIMELESS
    assert parse_fuzzy(" .. ", TRIPOLI) == TIMELESS


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2019-13", "month must be 1-12"),
        ("2019-00-01", "month must be 1-12"),
        ("2019-02-30", "out of range"),
        ("2019-02-29", "out of range"),
        ("31 April 2019", "out of range"),
        ("yesterday-ish", "relative"),
        ("", "empty"),
        ("   ", "empty"),
        ("2019-04-04T25:00", "hour must be 0-23"),
        ("2019-04-04T12:60", "minute must be 0-59"),
        ("2019-04-04T12:00:60", "second must be 0-59"),
        ("2019-04-04T12:00+24:00", "offset"),
        ("2019/2018", "before it starts"),
        ("2019-05/2019-04-30", "before it starts"),
        ("0000", "year must be 1-9998"),
        ("9999-01", "year must be 1-9998"),
        ("2019-W53", "week must be 01-52"),
        ("2019-W00", "week must be"),
        ("2019/2020/2021", "one '/'"),
        ("2019/", "empty"),
        ("?", "qualifier"),
        ("..~", "not a recognised form"),
        ("garbage", "not a recognised form"),
        ("2019-4-4", "did you mean 2019-04-04?"),
        ("2020-5", "did you mean 2020-05?"),
        ("2020-5-26~", "did you mean 2020-05-26~?"),
        ("2019-4-4/2019-05", "did you mean 2019-04-04?"),
        ("2019-13-4", "not a recognised form"),
        ("26/05/2020", "ambiguous; write it year first, as 2020-05-26"),
        ("26.05.2020", "as 2020-05-26"),
        ("05/06/2020", "as 2020-06-05 (day first) or 2020-05-06 (month first)"),
        ("12/31/2020", "as 2020-12-31"),
        ("31/31/2020", "as YYYY-MM-DD"),
        ("٢٠١٩", "not a recognised form"),  # non-ASCII digits are not read as a year
    ],
)
def test_refused_forms(text: str, reason: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_fuzzy(text, TRIPOLI)
    message = str(caught.value)
    assert message.startswith(f"{text!r} is not a date: ")
    assert reason in message
    assert "\n" not in message
    assert caught.value.value == text


@pytest.mark.parametrize(
    "text", ["early May 2020", "mid-2019", "late 2019", "spring 2020", "Early May 2020/2021"]
)
def test_vague_forms_are_refused(text: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_fuzzy(text)
    assert str(caught.value) == f"{text!r} is not a date: {VAGUE}"


def test_unknown_zone() -> None:
    for zone in ["Mars/Olympus", "Africa", "", "../etc/passwd", "x\x00y"]:
        with pytest.raises(DateError, match="time zone") as caught:
            parse_fuzzy("2019", zone)
        assert caught.value.value == zone
        assert repr(zone) in str(caught.value)
    assert validate_zone(TRIPOLI) == TRIPOLI
    assert validate_zone("UTC") == "UTC"
    # "utc" in any case is UTC (as it was when zones were looked up through pendulum).
    for utc in ("utc", "Utc", "Etc/UTC"):
        assert validate_zone(utc) == utc
        assert parse_fuzzy("2020-05-26", utc).start == parse_fuzzy("2020-05-26", "UTC").start


def test_zone_edges_are_refused_not_overflowed() -> None:
    # Local midnight of year 1 east of Greenwich is before the first datetime.
    with pytest.raises(DateError, match="outside"):
        parse_fuzzy("0001", "Asia/Kathmandu")
    assert parse_fuzzy("0001").start == OPEN_START
    # Samoa skipped 30 December 2011 when it crossed the date line.
    with pytest.raises(DateError, match="does not exist"):
        parse_fuzzy("2011-12-30", "Pacific/Apia")


def test_clock_changes() -> None:
    # A wall time in a DST gap never happened: refused rather than silently shifted.
    with pytest.raises(DateError, match="does not exist in America/New_York"):
        parse_fuzzy("2020-03-08T02:30", "America/New_York")
    assert parse_fuzzy("2020-03-08T02:30-05:00", "America/New_York").start == utc(2020, 3, 8, 7, 30)
    # An ambiguous wall time is its first occurrence (still on daylight time).
    assert parse_fuzzy("2020-11-01T01:30", "America/New_York").start == utc(2020, 11, 1, 5, 30)
    # Toronto jumped from 23:30 to 00:30 on 30/31 March 1919: the 31st began at the jump, and
    # its first real minute lies inside it.
    day = parse_fuzzy("1919-03-31", "America/Toronto")
    assert day.start == utc(1919, 3, 31, 4, 30)
    assert parse_fuzzy("1919-03-30", "America/Toronto").end == day.start
    assert day.contains(parse_fuzzy("1919-03-31T00:30", "America/Toronto"))


def test_error_is_one_line_and_pickles() -> None:
    err = DateError("x" * 500 + "\n", "why")
    assert "\n" not in str(err)
    assert len(str(err)) < 200
    copy = pickle.loads(pickle.dumps(err))
    assert (str(copy), copy.value) == (str(err), err.value)


def test_parse_instant() -> None:
    assert parse_instant("2020-05-26", TRIPOLI) == utc(2020, 5, 26, 22)
    assert parse_instant("2020-05", TRIPOLI) == utc(2020, 5, 31, 22)
    assert parse_instant("2019-04/2020-06") == utc(2020, 7, 1)
    assert parse_fuzzy("2019").ended_by(parse_instant("2019-12-31"))
    assert not parse_fuzzy("2020-01-01").ended_by(parse_instant("2019-12-31"))
    assert parse_instant("2020-05-18T14:30", TRIPOLI) == utc(2020, 5, 18, 12, 30)
    assert parse_instant("2020-05-18T14:30:15Z") == utc(2020, 5, 18, 14, 30, 15)
    assert parse_instant("2019/2020-05-18T14:30Z") == utc(2020, 5, 18, 14, 30)
    before = datetime.now(UTC)
    now = parse_instant(" NOW ")
    assert before <= now <= datetime.now(UTC)
    assert now.tzinfo is UTC
    for text in ["2011/..", "../2012", "../..", ".."]:
        with pytest.raises(DateError, match="open-ended"):
            parse_instant(text)
    with pytest.raises(DateError):
        parse_instant("now", "Mars/Olympus")


def test_interval_relations() -> None:
    year, april, day = (parse_fuzzy(t) for t in ("2019", "2019-04", "2019-04-04"))
    assert year.contains(april)
    assert april.contains(day)
    assert year.contains(year)
    assert not april.contains(year)
    assert TIMELESS.contains(year)
    assert year.straddles(utc(2019, 6, 1))
    assert not year.straddles(utc(2019, 1, 1))
    assert not year.straddles(utc(2020, 1, 1))
    assert year.ended_by(utc(2020, 1, 1))
    assert not year.ended_by(utc(2019, 12, 31, 23, 59))


def test_micros() -> None:
    assert to_micros(EPOCH) == 0
    assert to_micros(utc(2020, 5, 26, 22)) == 1_590_530_400_000_000
    assert to_micros(datetime(2020, 5, 27, tzinfo=ZoneInfo(TRIPOLI))) == 1_590_530_400_000_000
    assert to_micros(pendulum.datetime(2020, 5, 27, tz=TRIPOLI)) == 1_590_530_400_000_000
    assert to_micros(OPEN_END) - to_micros(OPEN_START) > 0
    assert from_micros(-1) == utc(1969, 12, 31, 23, 59, 59, 999999)
    assert from_micros(0).tzinfo is UTC
    assert from_micros(to_micros(OPEN_START)) == OPEN_START
    assert from_micros(to_micros(OPEN_END)) == OPEN_END
    with pytest.raises(ValueError, match="naive"):
        to_micros(datetime(2020, 1, 1))


def test_format_instant() -> None:
    assert format_instant(utc(2020, 5, 26, 22)) == "2020-05-26T22:00:00Z"
    assert format_instant(utc(2020, 5, 26, 22, 0, 0, 5)) == "2020-05-26T22:00:00.000005Z"
    assert format_instant(datetime(2020, 5, 27, tzinfo=ZoneInfo(TRIPOLI))) == "2020-05-26T22:00:00Z"
    assert format_instant(OPEN_START) == "0001-01-01T00:00:00Z"


# --- properties -------------------------------------------------------------------------------

zones = st.sampled_from(ZONES)
days = st.dates(date(1900, 1, 1), date(2100, 12, 31))
qualifiers = st.sampled_from(["", "~", "?", "%"])
MONTH_NAMES = ["January", "Feb", "march", "APR", "May", "June", "Jul", "August", "Sept", "Oct"]
MONTH_NAMES += ["November", "Dec"]


@st.composite
def single_texts(draw: st.DrawFn) -> str:
    """One date in any accepted form, from 1900 to 2100, with an optional qualifier."""
    d = draw(days)
    y, m = d.year, d.month
    iso = d.isocalendar()
    name = MONTH_NAMES[m - 1]
    hour, minute, second = draw(
        st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
    )
    forms = [
        f"{y}",
        f"{y}-{m:02d}",
        d.isoformat(),
        f"{iso.year}-W{iso.week:02d}",
        f"{d.isoformat()}T{hour:02d}:{minute:02d}",
        f"{d.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}",
        f"{d.isoformat()}T{hour:02d}:{minute:02d}Z",
        f"{d.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}-04:30",
        f"{name} {y}",
        f"{d.day} {name} {y}",
        f"{name} {d.day}, {y}",
    ]
    return draw(st.sampled_from(forms)) + draw(qualifiers)


@st.composite
def dated_texts(draw: st.DrawFn) -> tuple[str, str]:
    """(text, zone): a single date, a closed interval in order, or a half-open interval."""
    zone = draw(zones)
    a, b = draw(single_texts()), draw(single_texts())
    shape = draw(st.sampled_from(["single", "closed", "open end", "open start"]))
    if shape == "single":
        return a, zone
    if shape == "open end":
        return f"{a}/..", zone
    if shape == "open start":
        return f"../{b}", zone
    # If b ends by the time a starts, then a ends after b starts: swapping always gives order.
    if parse_fuzzy(b, zone).end <= parse_fuzzy(a, zone).start:
        a, b = b, a
    return f"{a}/{b}", zone


@given(dated_texts())
def test_parsed_dates_are_nonempty_utc_and_round_trip(case: tuple[str, str]) -> None:
    text, zone = case
    d = parse_fuzzy(text, zone)
    assert d.start < d.end
    assert type(d.start) is datetime
    assert type(d.end) is datetime
    assert d.start.tzinfo is UTC
    assert d.end.tzinfo is UTC
    assert parse_fuzzy(d.text, zone) == d
    assert d.precision is not Precision.UNKNOWN


@given(single_texts(), single_texts(), zones)
def test_interval_spans_its_ends(a: str, b: str, zone: str) -> None:
    first, second = parse_fuzzy(a, zone), parse_fuzzy(b, zone)
    if second.end <= first.start:
        with pytest.raises(DateError, match="before it starts"):
            parse_fuzzy(f"{a}/{b}", zone)
        return
    both = parse_fuzzy(f"{a}/{b}", zone)
    assert (both.start, both.end) == (first.start, second.end)
    assert both.approximate == (first.approximate or second.approximate)
    assert both.uncertain == (first.uncertain or second.uncertain)
    order = list(Precision)
    assert order.index(both.precision) == min(
        order.index(first.precision), order.index(second.precision)
    )


@given(days, zones, st.integers(0, 23), st.integers(0, 59))
def test_finer_dates_nest_in_coarser(d: date, zone: str, hour: int, minute: int) -> None:
    year = parse_fuzzy(f"{d.year}", zone)
    month = parse_fuzzy(f"{d.year}-{d.month:02d}", zone)
    day = parse_fuzzy(d.isoformat(), zone)
    iso = d.isocalendar()
    week = parse_fuzzy(f"{iso.year}-W{iso.week:02d}", zone)
    moment = parse_fuzzy(f"{d.isoformat()}T{hour:02d}:{minute:02d}", zone)
    assert year.contains(month)
    assert month.contains(day)
    assert week.contains(day)
    assert day.contains(moment)
    assert parse_instant(d.isoformat(), zone) == day.end
    assert parse_fuzzy(f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}", zone) == day


aware = st.datetimes(
    min_value=datetime(2, 1, 1),
    max_value=datetime(9998, 12, 31),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=45)), timezone(-timedelta(hours=23, minutes=59))]
        + [ZoneInfo(z) for z in ZONES]
    ),
)


@given(aware)
def test_micros_round_trip(instant: datetime) -> None:
    micros = to_micros(instant)
    assert micros == (instant - EPOCH) // timedelta(microseconds=1)
    back = from_micros(micros)
    # Compared in UTC: Python never calls a wall time that a zone skips or repeats equal to a
    # time in another zone (e.g. 1920-01-01T00:00 in Tripoli, the end of local mean time).
    assert back == instant.astimezone(UTC)
    assert back.tzinfo is UTC
    assert parse_instant(format_instant(instant)) == back


@given(st.integers(to_micros(OPEN_START), to_micros(OPEN_END)))
def test_from_micros_round_trip(micros: int) -> None:
    assert to_micros(from_micros(micros)) == micros


date_alphabet = st.sampled_from([*"0123456789-/~?%.:+WTZ ", "..", "April ", "mid", "4 "])


def error_of(parse: Callable[[str, str], object], text: str, zone: str) -> DateError | None:
    """The DateError that `parse` raises, None if it succeeds (anything else propagates)."""
    try:
        parse(text, zone)
    except DateError as err:
        return err
    return None


@given(st.one_of(st.text(), st.lists(date_alphabet, max_size=12).map("".join)), zones)
def test_arbitrary_text_raises_only_date_error(text: str, zone: str) -> None:
    for parse in (parse_fuzzy, parse_instant):
        err = error_of(parse, text, zone)
        if err is not None:
            assert err.value == text
            assert "\n" not in str(err)


@given(st.text())
def test_arbitrary_zone_raises_only_date_error(zone: str) -> None:
    err = error_of(lambda text, z: validate_zone(z), "", zone)
    assert err is None or err.value == zone
