"""Fuzzing the readers of imported files with Hypothesis: whatever the bytes, the CSV readers
(ACLED, UCDP) and the native readers (YAML, JSON Lines, drafting) either read a record, reject
it in one short line naming where it was, or refuse the file with the project's own error;
they never raise anything else. Bounded: a few hundred examples each, a few seconds in all,
so that CI runs it every time (HYPOTHESIS_FUZZ_EXAMPLES raises the count for a long run)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from timeline.documents import Drafter, Item, ItemError, read_items
from timeline.entities import Registry
from timeline.errors import InvalidInput, ValidationError
from timeline.events import Event
from timeline.importers.acled import AcledParser
from timeline.importers.sources import RawRow, Rejection, SourceError, SourceRecord
from timeline.importers.ucdp import UcdpParser
from timeline.limits import MESSAGE_LENGTH

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = int(os.environ.get("HYPOTHESIS_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the same examples on every CI run: a failure is reproducible
)

# Cells made of what breaks readers: huge numbers, NUL and control bytes, quotes,
# delimiters, line breaks, lone surrogates' bytes, dates that are not.
NASTY = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "9" * 5000,
            str(2**63),
            str(2**64),
            "-1",
            "1e400",
            "NaN",
            "\x00",
            '"',
            '""',
            ",",
            ";",
            "\n",
            "\r\n",
            "2019-02-29",
            "31-Feb-20",
            "K" * 300,
            "\u202e",
            "",
        ]
    ),
)


def mutated(path: Path) -> st.SearchStrategy[bytes]:
    """A real export with some cells replaced, lines cut or bytes spliced in."""
    text = path.read_bytes().decode("utf-8")
    lines = text.splitlines(keepends=True)

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        out = list(lines)
        for _ in range(draw(st.integers(0, 4))):
            i = draw(st.integers(1, len(out) - 1))
            cells = out[i].rstrip("\r\n").split(",")
            j = draw(st.integers(0, len(cells) - 1))
            cells[j] = draw(NASTY)
            out[i] = ",".join(cells) + "\n"
        data = "".join(out).encode("utf-8", "surrogatepass")
        if draw(st.booleans()):
            at = draw(st.integers(0, len(data)))
            data = data[:at] + draw(st.binary(max_size=20)) + data[at:]
        if draw(st.booleans()):
            data = data[: draw(st.integers(0, len(data)))]
        return data

    return build()


def check_csv(parser: AcledParser | UcdpParser, data: bytes) -> None:
    try:
        items = list(parser.rows(io.BytesIO(data), "f.csv"))
    except SourceError as err:
        check_message(str(err))
        return
    for item in items:
        if isinstance(item, Rejection):
            check_line(item.message())
            continue
        assert isinstance(item, RawRow)
        mapped = parser.record(item)
        if isinstance(mapped, Rejection):
            check_line(mapped.message())
        else:
            assert isinstance(mapped, SourceRecord)


def check_message(message: str, where: str = "") -> None:
    """An error the reader raised in its own words: one line, short, saying where."""
    assert message.startswith(where), message
    assert "\n" not in message
    assert len(message) <= 1000


def check_line(message: str) -> None:
    assert message.startswith("f.csv:")
    assert "\n" not in message
    assert "\x00" not in message
    assert len(message) <= MESSAGE_LENGTH


@FUZZ
@given(mutated(FIXTURES / "acled_current.csv"))
def test_the_acled_reader_never_fails_but_in_its_own_words(data: bytes) -> None:
    check_csv(AcledParser(), data)


@FUZZ
@given(mutated(FIXTURES / "ucdp_current.csv"))
def test_the_ucdp_reader_never_fails_but_in_its_own_words(data: bytes) -> None:
    check_csv(UcdpParser(), data)


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_as_csv(data: bytes) -> None:
    check_csv(AcledParser(), data)


class NoEvents:
    """A database with no events, for drafting."""

    def event(self, event_id: str) -> Event | None:
        return None

    def offensive_named(self, timeline: str, name: str) -> list[str]:
        return []


SCALARS = st.one_of(
    NASTY,
    st.integers(),
    st.integers(min_value=2**62, max_value=2**70),
    st.floats(),
    st.booleans(),
    st.none(),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        *("kind", "date", "title", "sources", "reported", "confidence", "origin", "id"),
        *("timeline", "fatalities", "place", "by", "actors", "text", "target", "fields"),
        *("record", "restates"),
    ]
)
DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=8).map(
    lambda d: {"kind": "note", "date": "2020-01-01", "title": "t", "text": "x", **d}
)


@FUZZ
@given(DOCUMENTS)
def test_drafting_any_document_gives_an_event_or_a_validation_error(document: Any) -> None:
    drafter = Drafter("libya", "Africa/Tripoli", Registry(), NoEvents())
    try:
        drafter.draft(Item("f.jsonl:1", document))
    except ValidationError as err:
        check_message(str(err), "f.jsonl:1: ")


YAML_SCRAPS = st.lists(
    st.sampled_from(
        [
            "- kind: note\n",
            "  date: 2019-02-29\n",
            "  date: 2019-04-04 25:00:00\n",
            "  reported: 2019-13-01\n",
            "  sources: [{name: R, published: 2019-02-30}]\n",
            "  title: &a [*a]\n",
            "  fatalities: " + "9" * 5000 + "\n",
            "  x: !!python/object:os.system\n",
            "- &b [1, 2]\n",
            "- [*b, *b, *b]\n",
            '  title: "\\0"\n',
            "  title: '\n",
            ": :\n",
            "\t\n",
        ]
    )
    | st.text(max_size=20),
    max_size=12,
)


@FUZZ
@given(YAML_SCRAPS)
def test_the_yaml_reader_reads_or_refuses_in_one_line(scraps: list[str]) -> None:
    check_native("".join(scraps), "yaml")


@FUZZ
@given(st.lists(st.one_of(st.text(max_size=30), VALUES.map(repr)), max_size=6))
def test_the_json_lines_reader_reads_or_refuses_in_one_line(lines: list[str]) -> None:
    check_native("\n".join(lines), "jsonl")


def check_native(text: str, fmt: str) -> None:
    drafter = Drafter("libya", "Africa/Tripoli", Registry(), NoEvents())
    try:
        items = list(read_items(io.StringIO(text), "f", fmt))
    except InvalidInput as err:
        check_message(str(err))
        return
    for item in items:
        if isinstance(item, ItemError):
            assert "\n" not in item.message
            continue
        if item.is_header:
            continue
        try:
            drafter.draft(item)
        except ValidationError as err:
            check_message(str(err), "f:")
