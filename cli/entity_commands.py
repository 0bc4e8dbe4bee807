"""`timeline actors` and `timeline places`: reviewing the entities imports defined, merging
one into another, accepting one as it is."""

from __future__ import annotations

from typing import Any

import click

from .app import AppContext, main, pass_app
from .event_commands import timeline_option
from .output import print_records, records_format_option

REVIEW_COLUMNS = [
    ("id", "Id"),
    ("name", "Name"),
    ("datasets", "Dataset"),
    ("events", "Events"),
    ("from", "From"),
    ("to", "To"),
    ("closest", "Closest"),
]


def _group(entity_type: str, plural: str) -> click.Group:
    """The `actors` or `places` group and its commands."""

    @main.group(name=plural)
    def group() -> None:
        pass

    group.help = (
        f"The {plural} imports defined: review them, merge one into another, accept one.\n\n"
        f"An import defines every {entity_type} name it does not know as a new {entity_type} "
        "flagged for review; each decision is recorded as an event, so answers as known "
        "before it are unchanged."
    )

    @group.command(name="review")
    @timeline_option
    @records_format_option
    @pass_app
    def review(app: AppContext, timeline: str | None, fmt: str) -> None:
        from timeline import api, reviewing

        info = api.pick_timeline(app.store, timeline)
        found = reviewing.pending(app.store, info, entity_type)
        if fmt == "table":
            records: list[dict[str, Any]] = [_row(p.to_json()) for p in found]
        else:
            records = [p.to_json() for p in found]
        count = print_records(records, fmt, columns=REVIEW_COLUMNS)
        if fmt == "table":
            click.echo(f"{count} {plural if count != 1 else entity_type} to review", err=True)

    review.help = (
        f"List the {plural} imports defined that await review: name, datasets, how many "
        f"events name them, their dates, and the closest {plural} by name."
    )

    @group.command(name="merge")
    @click.argument("source", metavar="SOURCE")
    @click.argument("into", metavar="INTO")
    @click.argument("target", metavar="TARGET")
    @click.option(
        "--from",
        "since",
        metavar="DATE",
        help="The merge holds for events from the start of DATE (default: ever).",
    )
    @click.option(
        "--until",
        metavar="DATE",
        help="The merge holds for events up to the end of DATE (default: for good).",
    )
    @timeline_option
    @pass_app
    def merge(
        app: AppContext,
        source: str,
        into: str,
        target: str,
        since: str | None,
        until: str | None,
        timeline: str | None,
    ) -> None:
        from timeline import api, reviewing

        if into.casefold() != "into":
            raise click.UsageError(f"expected SOURCE INTO TARGET, not {source} {into} {target}")
        info = api.pick_timeline(app.store, timeline)
        decision = reviewing.merge(
            app.store, info, entity_type, source, target, since=since, until=until
        )
        click.echo(decision.event_id)
        if decision.already:
            click.echo("this merge is already recorded, unchanged", err=True)

    merge.help = (
        f"Record that {entity_type} SOURCE is TARGET (ids, names or aliases), for events "
        "within --from and --until, or for good. Every answer then counts SOURCE's events "
        "of that period as TARGET's, and later imports resolve its names to TARGET. Prints "
        "the id of the merge's event."
    )

    @group.command(name="accept")
    @click.argument("entity", metavar="ID")
    @timeline_option
    @pass_app
    def accept(app: AppContext, entity: str, timeline: str | None) -> None:
        from timeline import api, reviewing

        info = api.pick_timeline(app.store, timeline)
        decision = reviewing.accept(app.store, info, entity_type, entity)
        click.echo(decision.event_id)

    article = "an" if entity_type[0] in "aeiou" else "a"
    accept.help = (
        f"Accept the {entity_type} ID an import defined as {article} {entity_type} of its "
        "own: it leaves the review list. Prints the id of the acceptance's event."
    )
    return group


def _row(record: dict[str, Any]) -> dict[str, Any]:
    """A review record as the table shows it: lists as text."""
    return {
        **record,
        "datasets": ", ".join(record["datasets"]),
        "closest": ", ".join(e["id"] for e in record["closest"]),
    }


actors = _group("actor", "actors")
places = _group("place", "places")
