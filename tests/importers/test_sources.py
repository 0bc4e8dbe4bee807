"""The shared machinery of the source parsers: CSV streaming, hashing, value readers."""

from __future__ import annotations

import codecs
import csv
import dataclasses
import gc
import gzip
import io
from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.dates import parse_fuzzy
from timeline.importers.sources import (
    BadField,
    CsvLayout,
    RawRow,
    Rejection,
    SourceError,
    content_hash,
    iso_week,
    parse_coordinate,
    parse_count,
    parse_day,
    read_csv,
)

LAYOUT = CsvLayout(dataset="TEST", key_column="id", key_prefix="t:", required=(("id",), ("a",)))
MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


def rows(data: bytes, layout: CsvLayout = LAYOUT) -> list[RawRow | Rejection]:
    return list(read_csv(io.BytesIO(data), "t.csv", layout))


def raws(data: bytes) -> list[RawRow]:
    out = rows(data)
    assert all(isinstance(r, RawRow) for r in out), out
    return [r for r in out if isinstance(r, RawRow)]


# --- dates -------------------------------------------------------------------------------


def _forms(day: date) -> list[str]:
    y, m, d = day.year, day.month, day.day
    name = MONTHS[m - 1]
    return [
        day.isoformat(),
        f"{y}-{m:02d}-{d:02d} 00:00:00.000",  # current UCDP GED
        f"{y}-{m:02d}-{d:02d}T00:00:00",
        f"{d} {name} {y}",  # ACLED 2019-2023
        f"{d:02d} {name[:3]} {y}",
        f"{d}-{name[:3]}-{y % 100:02d}",  # Excel's d-mmm-yy
        f"{d:02d}-{name[:3].upper()}-{y}",
        f"{m}/{d}/{y}",  # Excel's m/d/yyyy
        f"{m:02d}/{d:02d}/{y} 00:00:00",  # older UCDP
        f"{m}/{d}/{y % 100:02d}",
        f"{m}/{d}/{y} 0:00",
        f"{name} {d}, {y}",
    ]


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)))
def test_every_written_form_of_a_day_reads_as_that_day(day: date) -> None:
    for text in _forms(day):
        assert parse_day(text) == day, text


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)))
def test_iso_week_text_covers_the_day(day: date) -> None:
    fuzzy = parse_fuzzy(iso_week(day))
    assert fuzzy.start.date() <= day < fuzzy.end.date()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31-Feb-20", "is not a date (there is no 31 February 2020)"),
        ("2021-02-29", "is not a date (there is no 29 February 2021)"),
        ("29/02/2020", "is not a date (slash dates are read month/day/year)"),
        ("2020-13-01", "is not a date (there is no month 13)"),
        ("yesterday", "is not a date (write e.g."),
        ("", "is not a date (write e.g."),
        ("29 Febtember 2020", "is not a date (write e.g."),
    ],
)
def test_bad_dates_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=r"^is not a date") as caught:
        parse_day(text)
    assert str(caught.value).startswith(reason)


def test_two_digit_years_pivot_like_strptime() -> None:
    assert parse_day("1-Jan-97") == date(1997, 1, 1)
    assert parse_day("1-Jan-68") == date(2068, 1, 1)
    assert parse_day("1/1/69") == date(1969, 1, 1)


# --- numbers -----------------------------------------------------------------------------


def test_counts_accept_spreadsheet_floats_and_refuse_the_rest() -> None:
    assert parse_count("fatalities", " 12 ") == 12
    assert parse_count("fatalities", "3.0") == 3
    for bad in ("", "-1", "3.5", "many", "1,000"):
        with pytest.raises(BadField) as caught:
            parse_count("fatalities", bad)
        assert caught.value.field == "fatalities"
        assert caught.value.value == bad


def test_coordinates_are_optional_numbers_in_range() -> None:
    assert parse_coordinate("latitude", "", 90) is None
    assert parse_coordinate("latitude", "32.8925", 90) == 32.8925
    for bad, reason in (("north", "is not a number"), ("91", "out of range"), ("nan", "range")):
        with pytest.raises(BadField, match=reason):
            parse_coordinate("latitude", bad, 90)


# --- messages ----------------------------------------------------------------------------


def test_rejection_message_names_file_line_field_and_value() -> None:
    rejection = Rejection("2020_02.csv", 37, "event_date", "31-Feb-20", "is not a date")
    assert rejection.message() == "2020_02.csv:37: event_date '31-Feb-20' is not a date"
    assert Rejection("a.csv", 2, None, None, "bad").message() == "a.csv:2: bad"
    assert Rejection("a.csv", 2, "id", None, "is empty").message() == "a.csv:2: id is empty"


def test_rejection_message_is_one_short_line_whatever_the_value() -> None:
    message = Rejection("a.csv", 2, "notes", "x\n" * 500, "is bad").message()
    assert "\n" not in message
    assert len(message) < 150


def test_source_error_is_one_line() -> None:
    assert str(SourceError("a.csv: one\ntwo")) == "a.csv: one two"


# --- reading CSV -------------------------------------------------------------------------


def test_header_is_checked_before_the_first_row_is_asked_for() -> None:
    with pytest.raises(SourceError, match=r"^t\.csv: .*missing column a "):
        read_csv(io.BytesIO(b"id,b\n1,2\n"), "t.csv", LAYOUT)


def test_alternative_column_names_satisfy_a_requirement() -> None:
    layout = dataclasses.replace(LAYOUT, required=(("id",), ("best", "best_est")))
    assert len(rows(b"id,best_est\n1,2\n", layout)) == 1
    with pytest.raises(SourceError, match="missing column best or best_est"):
        rows(b"id,worst\n1,2\n", layout)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "t.csv: the file is empty"),
        (b"\xef\xbb\xbf\r\n\n", "t.csv: the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "t.csv: the file holds binary data"),
        (codecs.BOM_UTF16_LE + "id,a\n".encode("utf-16-le"), "t.csv: the file is UTF-16 text"),
        (b"PK\x03\x04rest", "t.csv: the file is a zip archive"),
        (gzip.compress(b"id,a\n1,2\n", mtime=0), "t.csv: the file is gzip-compressed"),
        (b"id,a,a\n", "t.csv:1: column 'a' appears twice"),
        (b"id,,a\n", "t.csv:1: column 2 of the header has no name"),
        (b"id,a\xff\n", "t.csv:1: the header is not UTF-8 text"),
        (b'{"data": [1, 2]}', "t.csv: not a CSV export of TEST: missing columns id, a"),
    ],
)
def test_unreadable_sources_raise_one_line_source_errors(data: bytes, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        rows(data)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_header_names_are_case_insensitive_and_trimmed() -> None:
    (raw,) = raws(b"\xef\xbb\xbf ID , A\r\nx1,2\r\n")
    assert raw.key == "t:x1"
    assert raw.values == {"id": "x1", "a": "2"}


def test_blank_lines_and_empty_spreadsheet_rows_are_skipped() -> None:
    found = raws(b"\n\nid,a\n1,2\n\n,\n3,4\n")
    assert [(r.row, r.key) for r in found] == [(4, "t:1"), (7, "t:3")]


def test_trailing_empty_cells_beyond_the_header_are_an_export_quirk_not_an_error() -> None:
    (raw,) = raws(b"id,a\n1,2,,\n")
    assert raw.values == {"id": "1", "a": "2"}
    (bad,) = rows(b"id,a\n1,2,3\n")
    assert isinstance(bad, Rejection)
    assert bad.message() == "t.csv:2: the record has 3 fields where the header has 2"


def test_trailing_unnamed_header_columns_are_dropped() -> None:
    (raw,) = raws(b"id,a,\n1,2,\n")
    assert raw.values == {"id": "1", "a": "2"}


def test_stamp_is_read_only_when_numeric() -> None:
    layout = dataclasses.replace(LAYOUT, stamp_column="ts")
    found = rows(b"id,a,ts\n1,x,1583000000\n2,x,\n3,x,soon\n", layout)
    assert [r.stamp for r in found if isinstance(r, RawRow)] == [1583000000, None, None]


def test_raw_rows_built_by_the_fast_path_are_ordinary_frozen_dataclasses() -> None:
    (raw,) = raws(b"id,a\n1,2\n")
    same = RawRow.of("t.csv", 2, "t:1", raw.content_hash, None, {"id": "1", "a": "2"})
    assert raw == same
    assert repr(raw) == repr(same)
    assert dataclasses.replace(raw, row=3).row == 3
    with pytest.raises(dataclasses.FrozenInstanceError):
        raw.row = 5  # type: ignore[misc]


# --- content hash ------------------------------------------------------------------------

# NUL is left out: a NUL byte near the top of a file marks it as binary (a SourceError).
_cell = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))
_columns = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True), _cell, min_size=1, max_size=8
)


def _csv(columns: dict[str, str], order: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(order)
    writer.writerow([columns[name] for name in order])
    return buffer.getvalue().encode()


@given(_columns, st.data())
def test_content_hash_ignores_column_order_and_matches_content_hash(
    extra: dict[str, str], data: st.DataObject
) -> None:
    columns = {"id": "k1", "a": "v", **{f"x_{k}": v for k, v in extra.items()}}
    order = data.draw(st.permutations(list(columns)))
    first = raws(_csv(columns, list(columns)))[0]
    shuffled = raws(_csv(columns, order))[0]
    assert first.content_hash == shuffled.content_hash == content_hash(first.values)


@given(_columns, st.data())
def test_content_hash_changes_when_any_value_changes(
    extra: dict[str, str], data: st.DataObject
) -> None:
    columns = {"id": "k1", "a": "v", **{f"x_{k}": v for k, v in extra.items()}}
    name = data.draw(st.sampled_from(sorted(columns)))
    changed = dict(columns)
    changed[name] = data.draw(_cell.filter(lambda v: v != columns[name]))
    assert content_hash(columns) != content_hash(changed)


def test_content_hash_depends_on_column_names() -> None:
    assert content_hash({"id": "1", "a": "2"}) != content_hash({"id": "1", "b": "2"})


# --- streaming ---------------------------------------------------------------------------


class Endless(io.RawIOBase):
    """A CSV of `rows` records made up on demand, counting the bytes handed out."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.served = 0
        self._chunks = self._generate(rows)
        self._pending = b""

    @staticmethod
    def _generate(rows: int) -> Iterator[bytes]:
        yield b"id,a,notes\n"
        for i in range(rows):
            yield b'%d,x,"%s"\n' % (i, b"word, " * 50)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.served += n
        return n


def test_rows_stream_without_reading_the_whole_file() -> None:
    source = Endless(1_000_000)  # some 300 MB if it were read whole
    stream = read_csv(io.BufferedReader(source), "big.csv", LAYOUT)
    first = next(stream)
    second = next(stream)
    assert isinstance(first, RawRow)
    assert isinstance(second, RawRow)
    assert (first.key, second.key, second.row) == ("t:0", "t:1", 3)
    assert source.served < 1_000_000


def test_the_callers_stream_is_left_open() -> None:
    stream = io.BytesIO(b"id,a\n1,2\n")
    found = list(read_csv(stream, "t.csv", LAYOUT))
    del found
    gc.collect()  # the text wrapper around the stream is gone, and closed
    assert not stream.closed


def test_a_stream_that_fails_midway_is_a_source_error() -> None:
    class Failing(io.RawIOBase):
        def __init__(self) -> None:
            super().__init__()
            self._data = b"id,a\n" + b"1,2\n" * 5000

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            if not self._data:
                raise OSError(5, "Input/output error")
            n = min(len(buffer), len(self._data))
            buffer[:n] = self._data[:n]
            self._data = self._data[n:]
            return n

    stream = read_csv(io.BufferedReader(Failing()), "t.csv", LAYOUT)
    with pytest.raises(SourceError, match=r"^t\.csv:\d+: reading stopped \(Input/output error\)$"):
        for _ in stream:
            pass


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_spreadsheet_exports_read(delimiter: str) -> None:
    data = delimiter.join(["id", "a", "notes"]) + "\n" + delimiter.join(["1", "2", '"x, y"']) + "\n"
    (raw,) = raws(data.encode())
    assert raw.values == {"id": "1", "a": "2", "notes": "x, y"}
