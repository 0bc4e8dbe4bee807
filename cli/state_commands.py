"""Reading the state: at, diff, history, rebuild."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from timeline.choices import SECTIONS
from timeline.errors import InvalidInput

from . import completion, values
from .app import AppContext, main, pass_app
from .event_commands import as_known_option, as_published_option, timeline_option
from .output import (
    console,
    print_json,
    text_or_json_option,
    write_json_document,
    write_json_lines,
)

if TYPE_CHECKING:
    from timeline.lookups import Extent

ANSWER_FORMATS = ("text", "json", "jsonl", "markdown", "geojson")
# Facts per section a briefing shows unless told otherwise: a screenful or two of each,
# where an imported war can hold thousands (the briefing says how many it left out).
BRIEFING_LIMIT = 100


def limit_for(fmt: str, limit: int | str | None) -> int | None:
    """The facts per section to keep: what `--limit` says (None for all), or by default all
    in JSON and GeoJSON and BRIEFING_LIMIT in a briefing."""
    if limit is None:
        return BRIEFING_LIMIT if fmt in ("text", "markdown") else None
    return None if limit == "all" else int(limit)


@main.command()
@click.argument("date", metavar="DATE")
@timeline_option
@as_known_option
@as_published_option
@click.option(
    "--format",
    "fmt",
    type=values.Choice(ANSWER_FORMATS),
    default="text",
    show_default=True,
    help="A briefing for the terminal, JSON (stable schema, see the README), JSON Lines (the "
    "JSON's header on the first line, then one line per fact: section and fact), Markdown, or "
    "GeoJSON (the located places, forces and materiel, for GIS tools).",
)
@click.option(
    "--section",
    "-s",
    "sections",
    multiple=True,
    type=values.Choice(SECTIONS),
    help="Only this section (repeatable).",
)
@click.option(
    "--entity",
    "-e",
    "entities",
    multiple=True,
    metavar="NAME",
    shell_complete=completion.entities,
    help="Only facts naming this actor or place (repeatable).",
)
@click.option(
    "--recent",
    "recent_limit",
    type=click.IntRange(0, 200),
    default=25,
    show_default=True,
    help="How many recent events to list at most.",
)
@click.option(
    "--limit",
    type=values.Limit(),
    metavar="N|all",
    default=None,
    help=f"At most N facts per section, or all [default: {BRIEFING_LIMIT} in a text or "
    "Markdown briefing, which says how many more there are; all in JSON, JSON Lines and "
    "GeoJSON].",
)
@pass_app
def at(
    app: AppContext,
    date: str,
    timeline: str | None,
    as_known: str | None,
    as_published: str | None,
    fmt: str,
    sections: tuple[str, ...],
    entities: tuple[str, ...],
    recent_limit: int,
    limit: int | str | None,
) -> None:
    """The state of the conflict at DATE: who holds what, who fights and backs whom.

    DATE is a fuzzy date or a timestamp; a day means the end of that day in the timeline's
    time zone. Facts resting on an event whose date straddles DATE are marked '?'.
    """
    from timeline import answers, api

    info = api.pick_timeline(app.store, timeline)
    known = values.instant(as_known, info.zone, "--as-known")
    published = values.instant(as_published, info.zone, "--as-published")
    instant = values.instant(date, info.zone, "DATE")
    span = api.check_known(app.store, info, known, published) or api.extent(
        app.store, info, as_known=known, as_published=published
    )
    asked: dict[str, Any] = {
        "as_known": known,
        "as_published": published,
        "sections": sections,
        "entities": entities,
        "recent_limit": recent_limit,
        "limit": limit_for(fmt, limit),
    }
    if fmt == "geojson":
        from timeline import picturing

        answer = answers.state_at(app.store, info, instant, **asked).to_json()
        _note_outside(date, instant, span)
        print_json(picturing.state_geojson(app.store, info, answer, known))
        return
    # Every other format is written fact by fact as the answer is made: an imported war's
    # answer may hold a hundred thousand facts, never all in memory at once.
    with answers.state_stream(app.store, info, instant, **asked) as stream:
        _note_outside(date, instant, span)
        write = sys.stdout.write
        if fmt == "json":
            write_json_document(stream.header(), stream.sections(), write)
        elif fmt == "jsonl":
            header = {**stream.header(), "sections": list(stream.included)}
            write_json_lines(header, stream.sections(), write)
        elif fmt == "markdown":
            from .briefing import markdown_lines

            for line in markdown_lines(stream.header(), stream.sections()):
                write(f"{line}\n")
        else:
            from .briefing import print_briefing_stream

            print_briefing_stream(stream.header(), stream.sections())


@main.command()
@click.argument("first", metavar="D1")
@click.argument("second", metavar="D2")
@timeline_option
@as_known_option
@as_published_option
@text_or_json_option
@click.option(
    "--net",
    is_flag=True,
    help="Only the net change from the state at D1 to the state at D2, not every "
    "transition in between.",
)
@pass_app
def diff(
    app: AppContext,
    first: str,
    second: str,
    timeline: str | None,
    as_known: str | None,
    as_published: str | None,
    fmt: str,
    net: bool,
) -> None:
    """What changed between D1 and D2: every transition in date order (places taken and
    retaken, offensives, support, forces, materiel, ceasefires), those whose dates straddle
    D1 or D2 marked '?', and the fatalities in between."""
    from timeline import answers, api

    info = api.pick_timeline(app.store, timeline)
    before, after = values.instant(first, info.zone, "D1"), values.instant(second, info.zone, "D2")
    if after <= before:
        raise InvalidInput(f"D2: {second!r} is not after {first!r}")
    known = values.instant(as_known, info.zone, "--as-known")
    published = values.instant(as_published, info.zone, "--as-published")
    span = api.check_known(app.store, info, known, published) or api.extent(
        app.store, info, as_known=known, as_published=published
    )
    result = answers.diff_between(
        app.store, info, before, after, as_known=known, as_published=published, net=net
    ).to_json()
    _note_outside(first, before, span)
    _note_outside(second, after, span)
    if fmt == "json":
        print_json(result)
        return
    from .briefing_diff import print_diff, print_transitions

    (print_diff if net else print_transitions)(result, console())


@main.command()
@click.argument("entity", metavar="ENTITY", shell_complete=completion.entities)
@timeline_option
@as_known_option
@as_published_option
@text_or_json_option
@pass_app
def history(
    app: AppContext,
    entity: str,
    timeline: str | None,
    as_known: str | None,
    as_published: str | None,
    fmt: str,
) -> None:
    """The history of a place (its controllers) or an actor (what it held, where it was,
    whom it backed or was backed by), as intervals with the events that open and close them."""
    from timeline import answers, api

    info = api.pick_timeline(app.store, timeline)
    known = values.instant(as_known, info.zone, "--as-known")
    published = values.instant(as_published, info.zone, "--as-published")
    span = api.check_known(app.store, info, known, published) or api.extent(
        app.store, info, as_known=known, as_published=published
    )
    result = answers.history_of(
        app.store, info, entity, as_known=known, as_published=published
    ).to_json()
    if fmt == "json":
        print_json(result)
        return
    from .briefing_diff import print_history

    print_history(result, console(), latest=span.last.text if span.last else None, asked=entity)


def _note_outside(text: str, instant: datetime, span: Extent) -> None:
    """A line on stderr when a date falls outside the timeline's data (the answer is then
    empty, or the state at the end of the data, and says nothing of the date itself)."""
    from timeline import api

    note = api.outside_data(span, instant)
    if note is not None:
        click.echo(f"note: {text} is {note}", err=True)


@main.command()
@timeline_option
@pass_app
def rebuild(app: AppContext, timeline: str | None) -> None:
    """Recreate the derived snapshots of a timeline from its log (answers do not change).

    Snapshots kept for earlier states of knowledge are dropped too: `--as-known` answers
    about a time before the rebuild fold from the start of the log.
    """
    from timeline import api, folding

    info = api.pick_timeline(app.store, timeline)
    count = folding.rebuild(app.store, info.name)
    click.echo(
        f"{info.name}: rebuilt {count} snapshots from {app.store.log.count(info.name):,} events"
    )
