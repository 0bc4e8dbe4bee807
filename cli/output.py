"""Printing: one convention for every command (`--format table|json|jsonl|csv`)."""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from . import plain, tables, values
from .visible import json_visible, visible

if TYPE_CHECKING:
    from rich.console import Console

# rich is imported by the functions that print with it: only tables and briefings need it.

FORMATS = ("table", "json", "jsonl", "csv")

# The output option of the commands that print one document: text for people, or JSON.
text_or_json_option = click.option(
    "--format",
    "fmt",
    type=values.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format: text for people, JSON for programs.",
)

# The output option of the commands that list rows: a table for people, or data.
records_format_option = click.option(
    "--format",
    "fmt",
    type=values.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)


def console() -> Console:
    """A console on stdout; plain text when stdout is not a terminal (pipes, tests), then
    wide enough that tables and lines stay readable in files and e-mails."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich exits 1 here; the command line's own handling exits 0 (cli/app.py).
            raise BrokenPipeError

    # NO_COLOR (no-color.org): rich alone drops only colours; no styles at all is what is asked.
    styles = {"color_system": None} if os.environ.get("NO_COLOR") else {}
    plain = _Console(highlight=False, **styles)  # type: ignore[arg-type]
    if plain.is_terminal:
        return plain
    return _Console(highlight=False, width=int(os.environ.get("COLUMNS") or 100), **styles)  # type: ignore[arg-type]


def print_json(value: Any) -> None:
    """Pretty JSON on stdout."""
    click.echo(json_visible(json.dumps(value, indent=2, ensure_ascii=False)))


def print_records(
    records: Iterable[Mapping[str, Any]],
    fmt: str,
    *,
    columns: Sequence[tuple[str, str]],
    title: str | None = None,
) -> int:
    """Print records in `fmt`; `columns` are (key, heading) for table and CSV. Streams JSON
    Lines and CSV; returns how many records were printed."""
    count = 0
    if fmt == "jsonl":
        for record in records:
            click.echo(json_visible(json.dumps(record, ensure_ascii=False)))
            count += 1
        return count
    if fmt == "json":
        out = sys.stdout
        out.write("[")
        for record in records:
            out.write(",\n  " if count else "\n  ")
            out.write(json_visible(json.dumps(record, ensure_ascii=False)))
            count += 1
        out.write("\n]\n" if count else "]\n")
        return count
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([key for key, _ in columns])
        for record in records:
            writer.writerow([_cell(record.get(key)) for key, _ in columns])
            count += 1
        return count
    headings = [heading for _, heading in columns]
    rows = [[_cell(record.get(key)) for key, _ in columns] for record in records]
    # On a pipe the table is laid out without rich, as the briefing is (cli/plain.py): for
    # `timeline events` that is most of the time it takes.
    width = plain.pipe_width()
    if width is not None:
        try:
            lines = tables.plain_table(title, headings, rows, width)
        except plain.NotPlain:
            pass
        else:
            sys.stdout.write("".join(f"{line}\n" for line in lines))
            return len(rows)
    out = console()
    out.print(tables.rich_table(title, headings, rows, out.width))
    return len(rows)


def _cell(value: Any) -> str:
    """A value as a table or CSV cell shows it, its control characters escaped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return json_visible(json.dumps(value, ensure_ascii=False))
    return str(value)
