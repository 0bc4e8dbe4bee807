"""Pictures: map, chart, report.

Nothing heavy at module level: the library's picture modules (and through them SQLAlchemy's
store and matplotlib) are imported inside the commands, so that `timeline --help` pays for
none of them.

Exit codes: 0 written, 1 failed, 2 bad input (a date, a file name that is not .png/.svg/.html,
an unknown place), 4 matplotlib is not installed (the message says how to install it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from timeline.choices import CHART_BREAKDOWNS, CHART_KINDS, CHART_PERIODS

from . import completion, values
from .app import AppContext, main, pass_app
from .event_commands import as_known_option, timeline_option

F = TypeVar("F", bound=Callable[..., Any])


def output_option(what: str) -> Callable[[F], F]:
    """The required `--output/-o FILE` of a command that writes `what`."""
    return click.option(
        "--output",
        "-o",
        "output",
        required=True,
        type=click.Path(dir_okay=False, writable=True),
        metavar="FILE",
        help=f"Where to write {what}.",
    )


@main.command(name="map")
@click.argument("date", metavar="DATE")
@timeline_option
@as_known_option
@output_option("the picture: FILE.png or FILE.svg")
@pass_app
def map_command(
    app: AppContext, date: str, timeline: str | None, as_known: str | None, output: str
) -> None:
    """Draw the map of the state at DATE: each located place coloured by who held it.

    Faded, hatched markers are facts possibly but not certainly in effect at DATE; a dotted
    ring marks a place contested, divided or whose holding is denied, a cross the target of
    an offensive under way. Needs
    matplotlib (pip install 'timeline[pictures]'; exit 4 without it).
    """
    from pathlib import Path

    from timeline import api, picturing

    info = api.pick_timeline(app.store, timeline)
    scene = picturing.draw_map(
        app.store,
        info,
        values.instant(date, info.zone, "DATE"),
        Path(output),
        as_known=values.instant(as_known, info.zone, "--as-known"),
    )
    click.echo(f"{output}: {len(scene.markers)} places, {len(scene.legend)} controllers")


@main.command()
@click.argument("kind", metavar="KIND", type=values.Choice(CHART_KINDS))
@output_option("the picture: FILE.png or FILE.svg")
@click.option(
    "--between", nargs=2, metavar="D1 D2", help="Only from D1 to the end of D2 (default: all)."
)
@click.option(
    "--place",
    "places",
    multiple=True,
    metavar="NAME",
    shell_complete=completion.entities,
    help="A place for the control chart (repeatable; default: the most contested few).",
)
@click.option(
    "--per",
    type=values.Choice(CHART_PERIODS),
    default="month",
    show_default=True,
    help="The period of each fatalities bar.",
)
@click.option(
    "--by",
    type=values.Choice(CHART_BREAKDOWNS),
    default="actor",
    show_default=True,
    help="Stack the fatalities by actor, or by dataset (ACLED, UCDP, the timeline's own).",
)
@timeline_option
@pass_app
def chart(
    app: AppContext,
    kind: str,
    output: str,
    between: tuple[str, str] | None,
    places: tuple[str, ...],
    per: str,
    by: str,
    timeline: str | None,
) -> None:
    """Draw a chart of KIND: fatalities (per month or week, by actor or dataset), events (per
    month, by kind) or control (who held each place over time). Needs matplotlib (exit 4
    without it)."""
    from pathlib import Path

    from timeline import api, picturing

    info = api.pick_timeline(app.store, timeline)
    window = None
    if between is not None:
        first = values.fuzzy(between[0], info.zone, "--between")
        last = values.fuzzy(between[1], info.zone, "--between")
        window = (first.start, last.end)
    data = picturing.draw_chart(
        app.store, info, kind, Path(output), between=window, places=places, per=per, by=by
    )
    count = len(data.strips) if hasattr(data, "strips") else len(data.months)
    unit = "places" if kind == "control" else f"{per}s"
    click.echo(f"{output}: {kind}, {count} {unit}")


@main.command()
@click.argument("dates", metavar="DATE...", nargs=-1, required=True)
@timeline_option
@as_known_option
@output_option("the report: FILE.html")
@pass_app
def report(
    app: AppContext,
    dates: tuple[str, ...],
    timeline: str | None,
    as_known: str | None,
    output: str,
) -> None:
    """Write one self-contained HTML file: for each DATE the map and the briefing, the
    charts, and a slider between the dates. It loads nothing from the network. Needs
    matplotlib (exit 4 without it)."""
    from pathlib import Path

    from timeline import api, picturing

    info = api.pick_timeline(app.store, timeline)
    instants = [values.instant(d, info.zone, "DATE") for d in dates]
    known = values.instant(as_known, info.zone, "--as-known")
    count = picturing.report(app.store, info, instants, Path(output), as_known=known)
    click.echo(f"{output}: {count} dates")
