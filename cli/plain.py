"""The briefing as plain text for pipes and files: the characters rich prints there, without rich.

On a pipe or in a file rich prints no styles, only text laid out in boxes; working that out
cell by cell is its slow part. For `timeline at` on the shipped timeline, rendering the
briefing through rich and importing rich took about half as long as importing SQLAlchemy
(bench/startup.py): more than the rest of the answer. This module lays out the same text the
way rich does it, step by step (word wrap with words too long for a line folded, in columns
as wide as `fit` chooses, which both this module and rich are given), for text whose every
character is one cell wide and that holds no markup, emoji code, tab or control character.
Anything else raises NotPlain, and the caller prints with rich. tests/test_plain.py checks the
two agree character for character, on the shipped timeline and on generated tables, at many
widths.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
from collections.abc import Iterator, Sequence
from itertools import pairwise

# The characters rich itself counts as one cell wide without looking them up
# (rich.cells._SINGLE_CELL_UNICODE_RANGES), and the general punctuation its table gives one
# cell (dashes, quotes, the ellipsis: "2011–2020" is in the shipped titles; tests/test_plain.py
# checks them against rich), less every whitespace but the space.
_ONE_CELL = frozenset(
    chr(code)
    for start, end in (
        (0x20, 0x7E),
        (0xA0, 0xAC),
        (0xAE, 0x2FF),
        (0x370, 0x482),
        (0x2010, 0x2027),
        (0x2030, 0x205E),
    )
    for code in range(start, end + 1)
    if chr(code) == " " or not chr(code).isspace()
)
_WORD = re.compile(r"\s*\S+\s*")
# rich replaces :name: with the emoji of that name, in every string it parses for markup.
_EMOJI_CODE = re.compile(r"(:(\S*?)(?:(?:\-)(emoji|text))?:)")
_MARKUP_TAG = re.compile(r"\[/?(?:bold|dim)\]")


class NotPlain(Exception):
    """Some text is beyond what this module lays out as rich would: print with rich."""


def pipe_width() -> int | None:
    """The width rich gives a briefing on stdout when stdout is not a terminal (COLUMNS, else
    100: see cli/output.py's console), or None when it is one, or may count as one."""
    if "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ:
        return None  # rich decides whether stdout is a terminal: let it
    try:
        if sys.stdout.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower()
    if not encoding.startswith("utf"):
        return None  # rich draws ASCII boxes then
    return int(os.environ.get("COLUMNS") or 100)


def checked(text: str) -> str:
    """`text`, if every character of it is one this module lays out as rich does."""
    if not _ONE_CELL.issuperset(text):
        raise NotPlain(text)
    return text


def parsed(markup: str) -> str:
    """The text rich prints for `markup`: [bold] and [dim] tags dropped. Anything else that
    rich would parse (another tag, an escape, an emoji code) raises NotPlain."""
    text = _MARKUP_TAG.sub("", markup)
    if "[" in text or "]" in text or "\\" in text:
        raise NotPlain(markup)
    return without_emoji_codes(text)


def without_emoji_codes(text: str) -> str:
    """`text`, if rich would replace no `:name:` in it by an emoji. Only numbers of one or two
    digits pass (the minutes and seconds of a time); rich has no emoji by those names
    (tests/test_plain.py checks)."""
    for match in _EMOJI_CODE.finditer(text):
        name = match.group(2)
        if not (name.isdigit() and len(name) <= 2):
            raise NotPlain(text)
    return text


def divide_line(text: str, width: int) -> list[int]:
    """Where rich's word wrap breaks `text` to fit `width` (rich._wrap.divide_line, folding
    words longer than a line), for text of one-cell characters."""
    breaks: list[int] = []
    offset = 0
    match = _WORD.match(text, 0)
    while match is not None:
        start, end = match.span()
        word = match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            pieces = [word[i : i + width] for i in range(0, len(word), width)]
            for n, piece in enumerate(pieces):
                if start:
                    breaks.append(start)
                if n == len(pieces) - 1:
                    offset = len(piece)
                else:
                    start += len(piece)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
        match = _WORD.match(text, end)
    return breaks


def wrap(text: str, width: int, *, pad: bool) -> list[str]:
    """`text` word-wrapped to `width` as rich's Text.wrap does it with overflow "fold": lines
    padded to `width` with `pad` (justify "left"), else as they fall (justify "default")."""
    if width < 1:
        raise NotPlain(text)
    lines: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:  # nothing to break: most cells of most tables
            lines.append(line.ljust(width) if pad else line)
            continue
        bounds = [0, *divide_line(line, width), len(line)]
        for start, end in pairwise(bounds):
            piece = line[start:end]
            if len(piece) > width:  # Text.rstrip_end: spaces beyond the width go
                spaces = len(piece) - len(piece.rstrip())
                piece = piece[: len(piece) - min(spaces, len(piece) - width)]
            piece = piece[:width]
            lines.append(piece.ljust(width) if pad else piece)
    return lines


def table(
    title: str | None,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    widths: Sequence[int],
) -> list[str]:
    """The lines rich prints for a Table(title=title, title_justify="left") with a column per
    heading (overflow "fold") of the text widths `widths` (as rich's Column(width=...), chosen
    by `fit`) and these rows, in its default box, on a console `width` wide."""
    return list(table_lines(title, headings, rows, width, widths))


def table_lines(
    title: str | None,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    widths: Sequence[int],
) -> Iterator[str]:
    """The lines of `table`, each made as it is read; raises NotPlain (when it does) before
    giving the first."""
    widths = [w + 2 for w in widths]  # with their padding
    if min(widths) < 3:
        raise NotPlain(title)  # a column with no room inside its padding: leave it to rich
    return _table_lines(title, headings, rows, widths)


def _table_lines(
    title: str | None,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: list[int],
) -> Iterator[str]:
    if title is not None:
        yield from wrap(title, sum(widths) + len(widths) + 1, pad=True)
    yield "┏" + "┳".join("━" * w for w in widths) + "┓"
    inner = [w - 2 for w in widths]
    for n, row in enumerate(itertools.chain([list(headings)], rows)):
        if n and all(
            len(text) <= w and "\n" not in text for text, w in zip(row, inner, strict=True)
        ):
            # A row whose every cell fits on one line (most rows of a listing): the line
            # `wrap` would give, without wrapping each cell; a third of `timeline events`.
            joined = " │ ".join(text.ljust(w) for text, w in zip(row, inner, strict=True))
            yield f"│ {joined} │"
            continue
        cells = [wrap(text, w - 2, pad=True) for text, w in zip(row, widths, strict=True)]
        height = max(len(cell) for cell in cells)
        for cell, w in zip(cells, widths, strict=True):
            blank = [" " * (w - 2)] * (height - len(cell))
            # The heading row is aligned to the bottom, the others to the top.
            cell[:] = blank + cell if n == 0 else cell + blank
        edge = "┃" if n == 0 else "│"
        for line in range(height):
            yield edge + edge.join(f" {cell[line]} " for cell in cells) + edge
        if n == 0:
            yield "┡" + "╇".join("━" * w for w in widths) + "┩"
    yield "└" + "┴".join("─" * w for w in widths) + "┘"


# The longest word a column is kept wide enough for: dates, intervals ("2016-05-06/2016-05-31")
# and names fit whole; only a longer token (a URL) may be folded.
LONGEST_WORD = 30


def fit(
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    droppable: Sequence[str] = (),
) -> tuple[list[int], list[int]]:
    """Which columns a table shows on a console `width` wide, and the width of each (its text,
    without padding): columns with no text are left out, then those named in `droppable`
    (least useful first) while the rest cannot fit their longest words; the widest columns
    are then narrowed, never below their longest word, so that a date or a word is never
    broken across lines. Returns (the indexes of the columns kept, their widths)."""
    count = len(headings)
    columns = [[headings[n], *(row[n] for row in rows)] for n in range(count)]
    kept = [n for n in range(count) if any(text.strip() for text in columns[n][1:])] or [0]

    def available(columns_kept: list[int]) -> int:
        # Each column has a space of padding either side and a border on its left, and the
        # table one more border.
        return width - 3 * len(columns_kept) - 1

    natural = {
        n: max(len(line) for t in columns[n] for line in [*t.splitlines(), ""]) for n in kept
    }
    least = {
        n: min(
            LONGEST_WORD,
            natural[n],
            max([len(w) for t in columns[n] for w in t.split()] or [0]),
        )
        for n in kept
    }
    for heading in droppable:
        if sum(least[n] for n in kept) <= available(kept):
            break
        kept = [n for n in kept if headings[n] != heading or len(kept) == 1]
    while len(kept) > 1 and len(kept) > available(kept):
        kept.pop()  # not even a character per column: the last ones go
    room = available(kept)
    if sum(least[n] for n in kept) > room:
        # Too narrow for whole words: every column shares the room, words folded.
        least = {n: max(1, room // len(kept)) for n in kept}
    widths = {n: max(natural[n], least[n], 1) for n in kept}
    excess = sum(widths.values()) - room
    while excess > 0:
        narrowable = [n for n in kept if widths[n] > least[n]]
        if not narrowable:
            break
        widest = max(narrowable, key=lambda n: (widths[n], -n))
        widths[widest] -= 1
        excess -= 1
    return kept, [widths[n] for n in kept]
