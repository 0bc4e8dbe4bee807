"""`timeline feeds`: named live feeds of ACLED's and UCDP's APIs, for one-line cron jobs."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from .app import AppContext, main, pass_app
from .event_commands import timeline_option
from .import_commands import (
    MAX_REJECTION_LINES,
    environment_credentials,
    lock_timeout_option,
    timeout_option,
)
from .output import print_records, records_format_option

if TYPE_CHECKING:
    from timeline.importers.sources import Rejection
    from timeline.store import Feed


@main.group()
def feeds() -> None:
    """Named live feeds: ACLED's or UCDP's API read into a timeline (for cron).

    Credentials never go into the database: ACLED_USERNAME and ACLED_PASSWORD (or
    ACLED_ACCESS_TOKEN / ACLED_REFRESH_TOKEN) and UCDP_TOKEN come from the environment of
    each run.
    """


@feeds.command(name="add")
@click.argument("name")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["acled", "ucdp"]),
    required=True,
    help="Whose API the URL is.",
)
@click.argument("url")
@timeline_option
@pass_app
def add(app: AppContext, name: str, fmt: str, url: str, timeline: str | None) -> None:
    """Store the feed NAME reading URL into a timeline (the URL carries no credentials)."""
    from timeline.importing.feeds import add_feed

    feed = add_feed(app.store, name, fmt, url, timeline)
    click.echo(f"feed {feed.name}: {feed.format} into {feed.timeline}")


@feeds.command(name="list")
@records_format_option
@pass_app
def list_(app: AppContext, fmt: str) -> None:
    """List the feeds with their last run, high-water mark and status."""
    rows = [_row(feed) for feed in app.store.feeds.all()]
    print_records(
        rows,
        fmt,
        columns=[
            ("name", "Feed"),
            ("format", "Format"),
            ("timeline", "Timeline"),
            ("url", "URL"),
            ("last_run", "Last run"),
            ("status", "Status"),
            ("high_water", "High-water"),
        ],
    )


def _row(feed: Feed) -> dict[str, object]:
    run = feed.last_run
    return {
        "name": feed.name,
        "format": feed.format,
        "timeline": feed.timeline,
        "url": feed.url,
        "last_run": _iso(run.started_at) if run is not None else None,
        "status": run.status if run is not None else "never run",
        "high_water": _mark(feed.format, feed.high_water),
        "error": run.error if run is not None else None,
    }


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def _mark(fmt: str, mark: int | None) -> str | None:
    """ACLED's mark is a Unix time; UCDP's the rank of the newest release read."""
    if mark is None:
        return None
    if fmt == "acled":
        return _iso(datetime.fromtimestamp(mark, UTC))
    return str(mark)


@feeds.command(name="remove")
@click.argument("name")
@pass_app
def remove(app: AppContext, name: str) -> None:
    """Forget the feed NAME (its runs stay in `timeline imports`)."""
    app.store.feeds.remove(name)


@feeds.command(name="run")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--dry-run", is_flag=True, help="Check credentials and read; write nothing.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success (for cron).")
@lock_timeout_option
@timeout_option
@pass_app
def run(
    app: AppContext,
    names: tuple[str, ...],
    dry_run: bool,
    quiet: bool,
    lock_timeout: float,
    timeout: float,
) -> None:
    """Run the feeds named (all of them by default), one summary line each.

    Exit code: the worst of the feeds' (0 imported; 1 some records rejected; 2 a feed's
    timeline is gone; 3 credentials refused, a rate limit or quota, the network or the
    database lock, and the next run resumes where the last completed one stopped).
    """
    from timeline.importers.http import Limits
    from timeline.importing import ImportOptions
    from timeline.importing.feeds import run_feeds

    shown = 0

    def on_reject(rejection: Rejection) -> None:
        nonlocal shown
        if shown < MAX_REJECTION_LINES:
            click.echo(f"rejected {rejection.message()}", err=True)
        shown += 1

    options = ImportOptions(
        dry_run=dry_run,
        lock_timeout=lock_timeout,
        credentials=environment_credentials(),
        limits=Limits(deadline=timeout),
    )
    outcomes = run_feeds(app.store, list(names), options, on_reject=on_reject)
    if not outcomes:
        if not quiet:
            click.echo("no feeds; add one with `timeline feeds add NAME --format F URL`")
        return
    for outcome in outcomes:
        if outcome.exit_code or not quiet:
            click.echo(outcome.line(dry_run), err=bool(outcome.exit_code))
    worst = max(outcome.exit_code for outcome in outcomes)
    if worst:
        sys.exit(worst)
