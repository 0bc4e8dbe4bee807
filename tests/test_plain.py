"""On a pipe, `timeline at` lays its briefing out without rich (cli/plain.py): the text must be
the very characters rich prints there, on the shipped timeline and on generated tables."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from rich._emoji_codes import EMOJI
from rich.console import Console

from timeline.cli import main, plain
from timeline.cli.briefing import PlainOut, RichOut, write_briefing
from timeline.store.sql import SqlStore

DATES = ["2011-03-01", "2014-07-15", "2016-06-01", "2019-04-10", "2020-05-26", "2020-10-23"]
WIDTHS = [40, 63, 80, 100, 137, 250]


def rich_text(write: Callable[[RichOut], None], width: int) -> str:
    """What rich prints to a file (no terminal: no styles) on a console `width` wide."""
    buffer = io.StringIO()
    write(RichOut(Console(file=buffer, width=width, highlight=False)))
    return buffer.getvalue()


def plain_text(write: Callable[[PlainOut], None], width: int) -> str | None:
    out = PlainOut(width)
    try:
        write(out)
    except plain.NotPlain:
        return None
    return "".join(f"{line}\n" for line in out.lines)


# Writing a briefing is the same whatever database answered: one is enough.
@pytest.mark.parametrize("libya_store", ["sqlite"], indirect=True)
@pytest.mark.parametrize("date", DATES)
def test_the_briefing_is_what_rich_prints(
    libya_at: Callable[..., dict[str, Any]], date: str
) -> None:
    answer = libya_at(date)
    for width in WIDTHS:
        expected = rich_text(lambda out: write_briefing(answer, out), width)
        assert plain_text(lambda out: write_briefing(answer, out), width) == expected, width


def test_timeline_at_on_a_pipe_prints_what_rich_would(libya_store: SqlStore) -> None:
    # The run's seeded database (each backend), which `at` only reads.
    db_url = libya_store.engine.url.render_as_string(hide_password=False)
    runner = CliRunner(env={"COLUMNS": "90"})
    result = runner.invoke(main, ["--db", db_url, "at", "2020-05-26"])
    assert result.exit_code == 0, result.output
    as_json = runner.invoke(main, ["--db", db_url, "at", "2020-05-26", "--format", "json"])
    answer = json.loads(as_json.stdout)
    assert result.stdout == rich_text(lambda out: write_briefing(answer, out), 90)


def test_every_character_plain_lays_out_is_one_cell_for_rich() -> None:
    from rich.cells import cell_len

    assert [c for c in plain._ONE_CELL if cell_len(c) != 1] == []
    assert "–" in plain._ONE_CELL


def test_no_emoji_is_named_by_one_or_two_digits() -> None:
    # plain.without_emoji_codes lets ":00:" through (the minutes of a time) on this ground.
    assert not [name for name in EMOJI if name.isdigit() and len(name) <= 2]


# Words of one-cell characters, long ones too (folded across lines), runs of spaces, and
# characters rich must not lay out differently: accented Latin, Greek, Cyrillic, brackets.
LETTERS = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789éüßçøñΩλжЯ.,;:-()[]'/&?!–’…"
words = st.text(alphabet=LETTERS, min_size=1, max_size=30)
cells = st.lists(st.one_of(words, st.just(" "), st.just("  ")), max_size=8).map("".join)
headings = st.lists(words, min_size=1, max_size=7)


@settings(max_examples=150, deadline=None)
@given(
    title=words,
    headings=headings,
    data=st.data(),
    width=st.integers(min_value=12, max_value=200),
)
def test_a_generated_table_is_what_rich_prints(
    title: str, headings: list[str], data: st.DataObject, width: int
) -> None:
    rows = data.draw(
        st.lists(st.lists(cells, min_size=len(headings), max_size=len(headings)), min_size=1)
    )

    def write(out: RichOut | PlainOut) -> None:
        out.table(title, headings, rows)

    laid_out = plain_text(write, width)
    if laid_out is not None:
        assert laid_out == rich_text(write, width)


@settings(max_examples=150, deadline=None)
@given(line=cells, width=st.integers(min_value=1, max_value=120))
def test_a_generated_line_is_what_rich_prints(line: str, width: int) -> None:
    laid_out = plain_text(lambda out: out.text(line), width)
    if laid_out is not None:
        assert laid_out == rich_text(lambda out: out.text(line), width)
    markup = f"\n[bold]{line}[/bold]: none"
    laid_out = plain_text(lambda out: out.markup(markup), width)
    if laid_out is not None:
        assert laid_out == rich_text(lambda out: out.markup(markup), width)


@pytest.mark.parametrize(
    "text",
    ["wide 中文", "tab\there", "control\x07", "combining e\u0301", "nbsp\xa0"],
)
def test_text_it_cannot_lay_out_goes_to_rich(text: str) -> None:
    assert plain_text(lambda out: out.text(text), 80) is None
    assert plain_text(lambda out: out.markup(text), 80) is None
    assert plain_text(lambda out: out.table("title", ["a"], [[text]]), 80) is None


@pytest.mark.parametrize("text", ["[red]x[/red]", "on fire :fire:"])
def test_markup_and_emoji_codes_go_to_rich(text: str) -> None:
    assert plain_text(lambda out: out.markup(text), 80) is None
    assert plain_text(lambda out: out.table(text, ["a"], [["b"]]), 80) is None
    # Lines printed as they are still have their emoji codes replaced by rich.
    assert plain_text(lambda out: out.text("on fire :fire:"), 80) is None


@pytest.mark.parametrize("text", ["[red]x[/red]", "on fire :fire:"])
def test_a_cell_is_text_as_it_is(text: str) -> None:
    # Cells are rich Text: no markup, no emoji codes; rich prints them as they are, and so
    # does plain.
    laid_out = plain_text(lambda out: out.table("t", ["a"], [[text]]), 80)
    assert laid_out is not None
    assert text in laid_out
    assert laid_out == rich_text(lambda out: out.table("t", ["a"], [[text]]), 80)


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([["a" * 30] * 4], id="equal-widest"),
        pytest.param([["a" * 30, "b" * 30, "c" * 5]], id="two-widest"),
        pytest.param([["word " * 12, "x" * 70, ""]], id="long-word-and-empty"),
        pytest.param([["  leading and trailing  ", "many   spaces   here", "-" * 90]], id="spaces"),
    ],
)
@pytest.mark.parametrize("width", [20, 47, 80])
def test_tables_that_do_not_fit_are_narrowed_as_rich_does(
    rows: list[list[str]], width: int
) -> None:
    headings = [f"Column {n}" for n in range(len(rows[0]))]

    def write(out: RichOut | PlainOut) -> None:
        out.table("Narrowed", headings, rows)

    laid_out = plain_text(write, width)
    if width >= 47:
        assert laid_out is not None
    if laid_out is not None:
        assert laid_out == rich_text(write, width)
