"""What every source parser produces, and the CSV and value readers they share.

An import has two phases so that a nightly re-import of an unchanged million-row export stays
cheap. `Parser.rows()` streams a source into `RawRow`s: the record's key and a hash of its
content, nothing more. The runner looks the key up, and only when the hash is new or differs
does it ask `Parser.record()` for the full mapping into a `SourceRecord` (kind, fuzzy date,
title, fields, sources). Anything wrong with one record becomes a `Rejection` (one line naming
file:line, field and value) and the import carries on; anything that makes the whole source
unreadable raises `SourceError`.

Pure standard library: no database, no CLI, no third-party date library.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import hashlib
import io
import math
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO, Protocol

from timeline.errors import SourceUnavailable
from timeline.limits import INT64_MAX, MAX_COUNT, ORIGIN_LENGTH, clip, one_line

__all__ = [
    "BadField",
    "CsvLayout",
    "Deletion",
    "Format",
    "Parser",
    "PlaceHint",
    "RawRow",
    "Rejection",
    "SourceError",
    "SourceRecord",
    "content_hash",
    "header_names",
    "iso_week",
    "parse_code",
    "parse_coordinate",
    "parse_count",
    "parse_day",
    "read_csv",
    "read_head",
    "split_names",
]


@dataclass(frozen=True, slots=True)
class RawRow:
    """One source record as read, before any mapping: enough to decide whether it changed.

    `names` are the lowercased column names and `cells` the texts as read (API numbers made
    text), in the same order; `values` pairs them up. `row` is the line of the CSV file where
    the record starts (the header is line 1), or the record's position across all pages of an
    API answer.
    """

    source: str
    row: int
    key: str
    content_hash: str
    stamp: int | None
    names: tuple[str, ...]
    cells: Sequence[str]

    @classmethod
    def of(
        cls,
        source: str,
        row: int,
        key: str,
        content_hash: str,
        stamp: int | None,
        values: Mapping[str, str],
    ) -> RawRow:
        """A record from its values by column name."""
        return cls(source, row, key, content_hash, stamp, tuple(values), list(values.values()))

    @property
    def values(self) -> dict[str, str]:
        """The record's texts by column name (a new dict at each call).

        Built on demand: a re-import of an unchanged export reads a million records and maps
        none, and pairing up every record's cells would be a tenth of its cost.
        """
        return dict(zip(self.names, self.cells, strict=True))


@dataclass(frozen=True, slots=True)
class PlaceHint:
    """Where the source says the event happened, for the runner to match or define a place."""

    name: str
    lat: float | None
    lon: float | None
    admin1: str | None
    precision: int | None


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A source record mapped onto the event vocabulary; entity fields hold the source's names."""

    key: str
    source: str
    row: int
    content_hash: str
    stamp: int | None
    kind: str
    date: str
    title: str
    fields: dict[str, Any]
    sources: list[dict[str, str]]
    place: PlaceHint | None
    actors: list[str]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record that cannot be imported, and why; the import goes on without it."""

    source: str
    row: int
    field: str | None
    value: str | None
    reason: str

    def message(self) -> str:
        """One line: ``2020_02.csv:37: event_date '31-Feb-20' is not a date``."""
        where = f"{self.source}:{self.row}"
        if self.field is not None and self.value is not None:
            text = f"{where}: {self.field} {_show(self.value)} {self.reason}"
        elif self.field is not None:
            text = f"{where}: {self.field} {self.reason}"
        else:
            text = f"{where}: {self.reason}"
        return one_line(text)


@dataclass(frozen=True, slots=True)
class Deletion:
    """A record the dataset has withdrawn (ACLED publishes these with their own timestamp)."""

    key: str
    stamp: int | None
    source: str
    row: int


class SourceError(SourceUnavailable):
    """The source as a whole cannot be read; str() is one line naming the source and the fault.

    A subclass of `SourceUnavailable` so that the CLI's single error-to-exit-code map covers it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class Format(Protocol):
    """A kind of source `timeline import` reads, as the registry of formats lists it.

    `format` is its name (what `--format` takes, and the registry's key); `extensions` the
    file names a directory's files of this format end with; `dataset` whether it holds a
    dataset's rows (mapped to events by a `Parser`) rather than native documents.
    """

    format: str
    extensions: tuple[str, ...]
    dataset: bool

    def detect(self, head: bytes) -> bool:
        """Whether a source whose first bytes are `head` (up to 8 KiB) is of this format."""
        ...


class Parser(Format, Protocol):
    """A dataset format: streams raw rows cheaply, maps one row on demand."""

    def rows(self, stream: BinaryIO, source: str) -> Iterator[RawRow | Rejection]:
        """Check the header (raising `SourceError` at once), then stream the records."""
        ...

    def record(self, raw: RawRow) -> SourceRecord | Rejection:
        """Map one raw row onto the vocabulary, or say which field is wrong."""
        ...


class BadField(Exception):
    """Raised by the value readers below; a parser turns it into a `Rejection` for its row."""

    def __init__(self, field: str, value: str | None, reason: str) -> None:
        super().__init__(f"{field} {reason}")
        self.field = field
        self.value = value
        self.reason = reason

    def rejection(self, raw: RawRow) -> Rejection:
        """The rejection of `raw` because of this field."""
        return Rejection(raw.source, raw.row, self.field, self.value, self.reason)


def _show(value: str) -> str:
    return repr(clip(value))


# --- content hash ------------------------------------------------------------------------

# Values are joined with the ASCII unit separator; the column names enter the hash through a
# digest of their sorted list, so that the same values under other columns hash differently
# while the per-row cost stays one join and one sha256 over the values.
_SEP = "\x1f"


def _names_digest(sorted_names: Sequence[str]) -> bytes:
    return hashlib.sha256(_SEP.join(sorted_names).encode("utf-8", "surrogateescape")).digest()


def content_hash(values: Mapping[str, str]) -> str:
    """Hex sha256 of a record's content: every column, independent of the column order.

    `read_csv` computes the same value for a row whose columns are `values`' keys.
    """
    names = sorted(values)
    data = _SEP.join([values[n] for n in names]).encode("utf-8")
    return hashlib.sha256(_names_digest(names) + data).hexdigest()


# --- opening a byte stream as CSV text -----------------------------------------------------

_SNIFF = 8192


class _Chained(io.RawIOBase):
    """The bytes already sniffed, then the rest of the caller's stream.

    Lets non-seekable streams (stdin, an HTTP body) be sniffed; closing it leaves the
    caller's stream open, since the caller owns it.
    """

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(view))
        n = len(data)
        view[:n] = data
        return n


def read_head(stream: BinaryIO, source: str) -> bytes:
    """The first 8 KiB of `stream` (fewer if it ends first), enough to sniff or detect it."""
    chunks: list[bytes] = []
    size = 0
    try:
        while size < _SNIFF:
            chunk = stream.read(_SNIFF - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise SourceError(f"{source}: cannot be read ({exc.strerror or exc})") from exc
    return b"".join(chunks)


def _open_text(stream: BinaryIO, source: str) -> tuple[io.TextIOWrapper, str]:
    """UTF-8 text of `stream` (BOM or not) and its delimiter, refusing what is not CSV text."""
    head = read_head(stream, source)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise SourceError(f"{source}: the file is empty")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SourceError(f"{source}: the file is UTF-16 text; save it as UTF-8 CSV")
    if head.startswith(b"PK\x03\x04"):
        raise SourceError(f"{source}: the file is a zip archive, not CSV; unpack it first")
    if head.startswith(b"\x1f\x8b"):
        raise SourceError(f"{source}: the file is gzip-compressed, not CSV; unpack it first")
    if b"\x00" in _first_line(head) or head.count(b"\x00") * 100 > len(head):
        # Binary data (images, archives, executables are 1% NUL and more). A stray NUL in
        # CSV text is one bad cell: its row is rejected (_nul), the file is read.
        raise SourceError(f"{source}: the file holds binary data (NUL bytes), not CSV text")
    buffered = io.BufferedReader(_Chained(head, stream), buffer_size=1 << 16)
    # surrogateescape keeps a bad byte as a lone surrogate instead of failing the whole file;
    # the row holding it is rejected when its content is encoded for the hash.
    text = io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="surrogateescape", newline="")
    # CPython decodes 8 KiB at a time by default; bigger chunks trim per-chunk overhead on
    # million-row files. The attribute is CPython's own and harmless where it is absent.
    with contextlib.suppress(AttributeError):
        text._CHUNK_SIZE = 1 << 16  # type: ignore[attr-defined]
    return text, _delimiter(head)


def _first_line(head: bytes) -> bytes:
    """The header line `head` starts with (blank lines and a BOM above it skipped)."""
    return head.removeprefix(codecs.BOM_UTF8).lstrip(b"\r\n").split(b"\n", 1)[0]


def _delimiter(head: bytes) -> str:
    # Spreadsheets in many locales save "CSV" with semicolons (or tabs); the header line tells.
    first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    if b"," not in first:
        for candidate in (";", "\t"):
            if candidate.encode() in first:
                return candidate
    return ","


# --- reading CSV ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """What one dataset's CSV export must hold, for `read_csv`."""

    dataset: str  # for messages: "ACLED"
    key_column: str
    key_prefix: str  # "acled:"
    # Each entry is a set of alternative names (UCDP's `best` or older `best_est`).
    required: tuple[tuple[str, ...], ...]
    stamp_column: str | None = None
    # Sets of columns any one of which, all present, tells this dataset's header from other
    # CSV files'; looser than `required`, so that a header missing a required column is still
    # recognised, and refused by `read_csv` naming what it lacks.
    signatures: tuple[frozenset[str], ...] = ()

    def detect(self, head: bytes) -> bool:
        """Whether the CSV header at the start of `head` is this dataset's."""
        names = header_names(head)
        return any(signature <= names for signature in self.signatures)


def header_names(head: bytes) -> frozenset[str]:
    """The column names (stripped, lowercased) of the CSV header `head` starts with, read as
    `read_csv` reads it: UTF-8 with or without a BOM, blank lines above it skipped, the
    delimiter sniffed. Empty when the first line is not a CSV record."""
    first = _first_line(head)
    if b"\x00" in first:
        return frozenset()
    text = first.decode("utf-8", errors="replace").rstrip("\r")
    try:
        header = next(csv.reader([text], delimiter=_delimiter(first)), [])
    except csv.Error:
        return frozenset()
    return frozenset(name.strip().lower() for name in header)


def read_csv(stream: BinaryIO, source: str, layout: CsvLayout) -> Iterator[RawRow | Rejection]:
    """Check the header of a CSV export now, and return a stream of its rows.

    The header is read and checked before this returns, so a wrong file fails at once with a
    `SourceError` rather than at the first `next()`. Rows are read lazily, in constant
    memory; a row that is malformed (field count, bad UTF-8, broken quoting, no key) becomes
    a `Rejection` naming its line.
    """
    text, delimiter = _open_text(stream, source)
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    try:
        header: list[str] = []
        while not header:  # blank lines above the header are harmless
            header = next(reader)
    except StopIteration:
        raise SourceError(f"{source}: the file is empty") from None
    except csv.Error as exc:
        raise SourceError(f"{source}:1: the header is not valid CSV ({_csv_reason(exc)})") from None
    header_line = reader.line_num
    names = _check_header(header, source, header_line, layout)
    return _data_rows(reader, source, names, header_line, layout)


def _check_header(header: list[str], source: str, line: int, layout: CsvLayout) -> tuple[str, ...]:
    try:
        "".join(header).encode("utf-8")
    except UnicodeEncodeError:
        raise SourceError(f"{source}:{line}: the header is not UTF-8 text") from None
    names = [name.strip().lower() for name in header]
    # Spreadsheets leave unnamed columns at the end; their cells must stay empty (read_csv).
    while names and not names[-1]:
        names.pop()
    for i, name in enumerate(names):
        if not name:
            raise SourceError(f"{source}:{line}: column {i + 1} of the header has no name")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SourceError(f"{source}:{line}: column {name!r} appears twice in the header")
        seen.add(name)
    missing = [" or ".join(alts) for alts in layout.required if not seen.intersection(alts)]
    if missing:
        found = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
        plural = "s" if len(missing) > 1 else ""
        raise SourceError(
            f"{source}: not a CSV export of {layout.dataset}: missing column{plural} "
            f"{', '.join(missing)} (the header has: {clip(found) or 'nothing'})"
        )
    return tuple(names)


_CSV_REASONS = (
    (
        "unexpected end of data",
        "a quoted field is not closed before the end of the file "
        "(the file is cut off, or a quote is stray)",
    ),
    ("expected after", 'a quote inside a quoted field is not doubled (write "" for a quote)'),
    ("field larger than", "a field is too long to be real (probably an unclosed quote)"),
)


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    for needle, reason in _CSV_REASONS:
        if needle in text:
            return reason
    return f"not valid CSV ({text})"


def _data_rows(
    reader: Any, source: str, names: tuple[str, ...], header_line: int, layout: CsvLayout
) -> Iterator[RawRow | Rejection]:
    # This loop runs once per record of million-row exports: keep it to C-level work
    # (csv, itemgetter, join, sha256) and avoid per-row attribute lookups.
    width = len(names)
    index = {name: i for i, name in enumerate(names)}
    key_i = index[layout.key_column]
    stamp_i = index.get(layout.stamp_column) if layout.stamp_column else None
    canonical: Callable[[list[str]], Iterable[str]]
    if width > 1:
        canonical = operator.itemgetter(*sorted(range(width), key=names.__getitem__))
    else:  # itemgetter of one index returns the item itself, not a tuple
        canonical = operator.itemgetter(slice(0, 1))
    prefix = _names_digest(sorted(names))
    key_prefix = layout.key_prefix
    key_column = layout.key_column
    key_room = ORIGIN_LENGTH - len(key_prefix)
    sha256 = hashlib.sha256
    join = _SEP.join
    new = object.__new__
    set_source, set_row, set_key, set_hash, set_stamp, set_names, set_cells = _slot_setters()
    line = header_line  # the last line of the previous record
    while True:
        try:
            for row in reader:
                start = line + 1
                line = reader.line_num
                if len(row) != width:
                    if not row:  # a blank line
                        continue
                    if len(row) > width and not any(row[width:]):
                        row = row[:width]  # trailing empty cells: an export quirk (UCDP)
                    elif not any(row):
                        continue
                    else:
                        yield Rejection(
                            source,
                            start,
                            None,
                            None,
                            f"the record has {len(row)} fields where the header has {width}",
                        )
                        continue
                try:
                    data = join(canonical(row)).encode()
                except UnicodeEncodeError:
                    yield _not_utf8(source, start, names, row)
                    continue
                if b"\x00" in data:
                    yield _nul(source, start, names, row)
                    continue
                key = row[key_i].strip()
                if not key:
                    if any(row):
                        yield Rejection(source, start, key_column, None, "is empty")
                    continue
                if len(key) > key_room:
                    yield Rejection(
                        source, start, key_column, key, f"is longer than {key_room} characters"
                    )
                    continue
                if stamp_i is None:
                    stamp = None
                else:
                    try:
                        stamp = int(row[stamp_i])
                    except ValueError:  # empty or not a number: no stamp, not an error
                        stamp = _NO_STAMP if _DIGITS.fullmatch(row[stamp_i]) else None
                    if stamp is not None and not 0 <= stamp <= INT64_MAX:
                        yield Rejection(
                            source,
                            start,
                            layout.stamp_column,
                            row[stamp_i],
                            "is out of range (a Unix time of 0 to 2^63-1)",
                        )
                        continue
                # The RawRow is built slot by slot: see _slot_setters for why.
                raw = new(RawRow)
                set_source(raw, source)
                set_row(raw, start)
                set_key(raw, key_prefix + key)
                set_hash(raw, sha256(prefix + data).hexdigest())
                set_stamp(raw, stamp)
                set_names(raw, names)
                set_cells(raw, row)
                yield raw
            return
        except csv.Error as exc:
            # The csv reader drops the rest of the bad line and carries on with the next one.
            start, line = line + 1, reader.line_num
            yield Rejection(source, start, None, None, _csv_reason(exc))
        except OSError as exc:  # the disk or the pipe failed under us: nothing more to read
            raise SourceError(
                f"{source}:{line + 1}: reading stopped ({exc.strerror or exc})"
            ) from exc


def _slot_setters() -> tuple[Callable[[RawRow, Any], None], ...]:
    """The slot setters of RawRow's fields, in field order.

    A frozen dataclass's __init__ goes through object.__setattr__ once per field, a tenth of
    the time rows() spends on a row. Filling the slots directly builds the same object (a
    test checks it) in half the time.
    """
    return tuple(getattr(RawRow, f.name).__set__ for f in dataclasses.fields(RawRow))


# A stamp of digits too many for int() to read (Python's int-string limit): out of range.
_NO_STAMP = -1
_DIGITS = re.compile(r"\s*[+-]?\d+\s*", re.ASCII)


def _nul(source: str, line: int, names: Sequence[str], row: list[str]) -> Rejection:
    # A NUL byte is no text character: PostgreSQL's text cannot hold it, and no export writes
    # one on purpose. The row goes; the file (and the rows after it) stay.
    for name, value in zip(names, row, strict=True):
        if "\x00" in value:
            return Rejection(source, line, name, value, "holds a NUL byte")
    return Rejection(source, line, None, None, "the record holds a NUL byte")  # pragma: no cover


def _not_utf8(source: str, line: int, names: Sequence[str], row: list[str]) -> Rejection:
    for name, value in zip(names, row, strict=True):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            return Rejection(
                source, line, name, shown, "is not UTF-8 text (save the file as UTF-8)"
            )
    return Rejection(source, line, None, None, "the record is not UTF-8 text")  # pragma: no cover


# --- values --------------------------------------------------------------------------------

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_NAMES = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)
# A time of day after the date is an artefact of spreadsheets and database dumps (UCDP writes
# `04/17/2011 00:00:00`, newer GED `2019-12-29 00:00:00.000`); the day is what counts.
_TIME = r"(?:[T ]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AP]M)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO_DAY = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME, re.ASCII | re.IGNORECASE)
_US_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})" + _TIME, re.ASCII | re.IGNORECASE)
# "29 February 2020" (ACLED), "29-Feb-20" (Excel), "29 Feb. 2020"
_NAMED_DAY = re.compile(r"(\d{1,2})[- ]([a-z]+)\.?,?[- ](\d{4}|\d{2})" + _TIME, re.IGNORECASE)
# "February 29, 2020"
_MONTH_FIRST = re.compile(r"([a-z]+)\.? (\d{1,2}),? (\d{4})" + _TIME, re.IGNORECASE)
_DATE_FORMS = "write e.g. 2020-02-29, 29 February 2020, 29-Feb-20 or 2/29/2020"


def _year(digits: str) -> int:
    if len(digits) == 4:
        return int(digits)
    # Two-digit years pivot as POSIX strptime does (69-99 -> 19xx); ACLED starts in 1997.
    short = int(digits)
    return 1900 + short if short >= 69 else 2000 + short


def parse_day(text: str) -> date:
    """Read a calendar day as ACLED, UCDP and spreadsheets write it.

    Accepted: ``2020-02-29`` (with or without a time after it), ``29 February 2020``,
    ``29-Feb-20``, ``February 29, 2020`` and slash dates, read as month/day/year the way Excel
    writes them for US-made exports (``2/29/2020``, ``02/29/2020 00:00:00``). Raises
    `ValueError` whose text is the reason, starting "is not a date".
    """
    s = text.strip()
    if len(s) == 10 and s[4] == "-" and s[7] == "-" and s[:4].isdigit():
        year, month, day = s[:4], s[5:7], s[8:]  # the common case, without a regex
    elif m := _ISO_DAY.fullmatch(s):
        year, month, day = m[1], m[2], m[3]
    elif m := _US_DAY.fullmatch(s):
        month, day, year = m[1], m[2], m[3]
        if int(month) > 12:
            raise ValueError("is not a date (slash dates are read month/day/year)")
    elif (m := _NAMED_DAY.fullmatch(s)) and m[2].lower() in _MONTHS:
        day, month, year = m[1], str(_MONTHS[m[2].lower()]), m[3]
    elif (m := _MONTH_FIRST.fullmatch(s)) and m[1].lower() in _MONTHS:
        month, day, year = str(_MONTHS[m[1].lower()]), m[2], m[3]
    else:
        raise ValueError(f"is not a date ({_DATE_FORMS})")
    if not (month.isdigit() and day.isdigit()):
        raise ValueError(f"is not a date ({_DATE_FORMS})")
    y, mo, d = _year(year), int(month), int(day)
    if not 1 <= mo <= 12:
        raise ValueError(f"is not a date (there is no month {mo})")
    try:
        return date(y, mo, d)
    except ValueError:
        raise ValueError(f"is not a date (there is no {d} {_MONTH_NAMES[mo - 1]} {y})") from None


def iso_week(day: date) -> str:
    """The ISO week holding `day`, as a fuzzy date text: ``2020-W09``."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


_COUNT = re.compile(r"\s*(\d+)(?:\.0*)?\s*", re.ASCII)


def parse_count(field: str, text: str) -> int:
    """A whole number of 0 to `limits.MAX_COUNT` (``3``, or ``3.0`` as spreadsheets write it)."""
    if m := _COUNT.fullmatch(text):
        return _in_range(field, text, m[1])
    raise BadField(field, text, "is not a whole number (0 or more)")


def parse_code(field: str, text: str) -> int | None:
    """An optional small integer code (a precision level): None when empty."""
    s = text.strip()
    if not s:
        return None
    if m := _COUNT.fullmatch(s):
        return _in_range(field, text, m[1])
    raise BadField(field, text, "is not a whole number")


def _in_range(field: str, text: str, digits: str) -> int:
    # Checked on the digits first: int() refuses thousands of them with its own ValueError.
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(MAX_COUNT)) or int(digits) > MAX_COUNT:
        raise BadField(field, text, f"is out of range (0 to {MAX_COUNT:,})")
    return int(digits)


def parse_coordinate(field: str, text: str, limit: float) -> float | None:
    """An optional latitude (limit 90) or longitude (limit 180) in decimal degrees."""
    s = text.strip()
    if not s:
        return None
    try:
        value = float(s)
    except ValueError:
        raise BadField(field, text, "is not a number") from None
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise BadField(field, text, f"is out of range (-{limit:g} to {limit:g})")
    return value


def split_names(text: str) -> list[str]:
    """Names from a ``;``-separated cell (ACLED's source column), stripped, in order, once."""
    out: list[str] = []
    for part in text.split(";"):
        name = part.strip()
        if name and name not in out:
            out.append(name)
    return out
