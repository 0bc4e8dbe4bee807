"""Printing: one convention for every command (`--format table|json|jsonl|csv`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from . import plain, tables, values
from .visible import json_visible, visible

if TYPE_CHECKING:
    from rich.console import Console

# rich is imported by the functions that print with it: only tables and briefings need it;
# json and csv too, so that `--version` and `--help` import neither.

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
    import json

    click.echo(json_visible(json.dumps(value, indent=2, ensure_ascii=False)))


def write_json_document(
    header: Mapping[str, Any], sections: Iterable[tuple[str, Any]], write: Callable[[str], object]
) -> None:
    """A JSON document of the `header` keys, then of `sections` ((key, list or iterator of
    items, or any other value) in order), written as `print_json` writes the whole of it, item
    by item: an answer of a hundred thousand facts is never one string, nor one document."""

    def value(data: Any, indent: str) -> str:
        # Nested as deep as `indent`: the same text as inside the whole document, where the
        # lines of a value are indented as deep as it is (strings hold no raw line break).
        return json_visible(indented_json(data).replace("\n", "\n" + indent))

    separator = "{\n  "
    for key, data in header.items():
        write(f"{separator}{value(key, '  ')}: {value(data, '  ')}")
        separator = ",\n  "
    for key, content in sections:
        write(f"{separator}{value(key, '  ')}: ")
        separator = ",\n  "
        if not isinstance(content, Iterator | list | tuple):
            write(value(content, "  "))
            continue
        opening = "[\n    "
        for item in content:
            write(opening + value(item, "    "))
            opening = ",\n    "
        write("[]" if opening.startswith("[") else "\n  ]")
    write("{}\n" if separator.startswith("{") else "\n}\n")


def write_json_lines(
    header: Mapping[str, Any], sections: Iterable[tuple[str, Any]], write: Callable[[str], object]
) -> None:
    """JSON Lines: the `header` on the first line, then a line `{"section", "fact"}` for each
    item of each section (a value that is not a list is one item), each written as it comes."""
    import json

    write(json_visible(json.dumps(header, ensure_ascii=False)) + "\n")
    for name, content in sections:
        items = content if isinstance(content, Iterator | list | tuple) else [content]
        for item in items:
            line = json.dumps({"section": name, "fact": item}, ensure_ascii=False)
            write(json_visible(line) + "\n")


def indented_json(value: Any) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, by orjson where it can: the json
    module indents in Python, which took four fifths of a large answer's time, and with the
    collector paused (as answers are written, see `timeline.folding.collector_paused`) every
    call left a cycle of closures behind, 2.5 KB a fact. orjson writes the same text for
    strings, integers, booleans, null, lists and mappings with text keys, which is all an
    answer holds (tests/test_cli_stream.py compares them); what it refuses (an integer
    beyond 64 bits, a key that is not text) goes to the json module."""
    import json

    import orjson  # here: the commands that print no answer start without it

    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, indent=2, ensure_ascii=False)


def print_records(
    records: Iterable[Mapping[str, Any]],
    fmt: str,
    *,
    columns: Sequence[tuple[str, str]],
    title: str | None = None,
) -> int:
    """Print records in `fmt`; `columns` are (key, heading) for table and CSV. Streams JSON
    Lines and CSV; returns how many records were printed."""
    import csv
    import json

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
        import json

        return json_visible(json.dumps(value, ensure_ascii=False))
    return str(value)
