"""Tables fitted to the width of the terminal or pipe: by rich on a terminal, by cli/plain.py
(the same characters, without rich) elsewhere, both at the widths plain.fit chooses."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from . import plain

# Tables show the first 8 characters of an id (every command takes them): a whole UUID breaks
# over two lines of a narrow table, and copying it back then fails. JSON and CSV keep it whole.
SHORT_ID = 8


def short_id(event_id: str) -> str:
    """A UUID's first characters, as tables show it; an id given as a slug stays whole."""
    # Here, not at the top: timeline.events (hashlib, orjson, dataclasses) is no part of
    # `--version` nor `--help`.
    from timeline.events import spelled_as_event_id

    return event_id[:SHORT_ID] if spelled_as_event_id(event_id) else event_id


def rich_table(
    title: str | None,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    droppable: Sequence[str] = (),
) -> Any:
    """A rich Table of text cells fitted to `width` (plain.fit): no date or word broken."""
    from rich.table import Table
    from rich.text import Text

    kept, widths = plain.fit(headings, rows, width, droppable)
    table = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        header_style="bold",
        show_lines=False,
    )
    for n, column_width in zip(kept, widths, strict=True):
        table.add_column(headings[n], overflow="fold", width=column_width)
    for row in rows:
        # Text, not markup: a title such as "Strike [unconfirmed]" must print as written.
        table.add_row(*(Text(row[n]) for n in kept))
    return table


def plain_table(
    title: str | None,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    droppable: Sequence[str] = (),
) -> list[str]:
    """The lines of `rich_table` as rich prints them without a terminal, laid out without
    rich (raises plain.NotPlain on text it cannot lay out)."""
    return list(plain_table_lines(title, headings, rows, width, droppable))


def plain_table_lines(
    title: str | None,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    width: int,
    droppable: Sequence[str] = (),
) -> Iterator[str]:
    """The lines of `plain_table`, each made as it is read; raises plain.NotPlain (when it
    does) before giving the first."""
    kept, widths = plain.fit(headings, rows, width, droppable)
    return plain.table_lines(
        None if title is None else plain.parsed(plain.checked(title)),
        [plain.parsed(plain.checked(headings[n])) for n in kept],
        [[plain.checked(row[n]) for n in kept] for row in rows],
        width,
        widths,
    )
