"""Feeding and emptying the database: import, imports, export, seed."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import IO, TYPE_CHECKING

import click

from timeline.choices import EXPORT_FORMATS, IMPORT_FORMATS

from . import values
from .app import AppContext, main, pass_app
from .event_commands import as_known_option, timeline_option
from .output import print_records, records_format_option

if TYPE_CHECKING:
    from rich.progress import Progress

    from timeline.importers.sources import Rejection
    from timeline.importing.credentials import Credentials

# The exit codes of `timeline import` (the README's "Imports from cron" has the table):
# 1 only when the good records went in; 5 when a source imported nothing or stopped part-way.
EXIT_REJECTED = 1
EXIT_FAILED = 5
MAX_REJECTION_LINES = 20
# The overall deadline of a run's http(s) requests, by default.
DEFAULT_TIMEOUT = 3600.0

timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Deadline of the run's http(s) requests (each read also times out after 60 s).",
)

lock_timeout_option = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=600,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another writer before exit 3.",
)


def environment_credentials() -> Credentials:
    """The live feeds' credentials from the environment; ACLED's tokens kept in the user's
    cache folder."""
    from platformdirs import user_cache_path

    from timeline.importing.credentials import credentials_from

    return credentials_from(os.environ, user_cache_path("timeline"))


@main.command(name="import")
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--format",
    "fmt",
    type=values.Choice(IMPORT_FORMATS),
    help="What the sources hold: ACLED or UCDP GED CSV (or ACLED's API for an "
    "acled URL with /api/), or native JSON Lines / YAML documents. Detected from each "
    "source's first bytes (a CSV's header) when omitted; a source of another format is refused.",
)
@timeline_option
@click.option("--dry-run", is_flag=True, help="Read and check everything; write nothing.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Write rejected records, with the reason, to this CSV file.",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success (for cron).")
@click.option(
    "--since",
    type=int,
    metavar="UNIX_TIME",
    help="ACLED API: records revised after this timestamp (default: the newest already imported).",
)
@lock_timeout_option
@timeout_option
@pass_app
def import_(
    app: AppContext,
    sources: tuple[str, ...],
    fmt: str | None,
    timeline: str | None,
    dry_run: bool,
    rejects: str | None,
    quiet: bool,
    since: int | None,
    lock_timeout: float,
    timeout: float,
) -> None:
    """Import SOURCE... (files, directories, - for stdin, http(s) URLs) idempotently.

    Exit codes: 0 success; 1 some records rejected (the good ones imported); 2 usage error;
    3 the database lock or a source could not be had (refused credentials, a rate limit or
    network failure included); 4 the schema is not this version's; 5 nothing imported from a
    source (every record rejected) or the import stopped part-way. ACLED's API takes
    ACLED_USERNAME and ACLED_PASSWORD (or ACLED_ACCESS_TOKEN / ACLED_REFRESH_TOKEN), UCDP's
    UCDP_TOKEN; none is ever printed.
    """
    from timeline.errors import TimelineError
    from timeline.importers.http import Limits
    from timeline.importing import ImportOptions, ImportReport, run_import, write_rejects

    rejected: list[Rejection] = []
    shown = 0

    def on_reject(rejection: Rejection) -> None:
        nonlocal shown
        rejected.append(rejection)
        if shown < MAX_REJECTION_LINES:
            click.echo(f"rejected {rejection.message()}", err=True)
        shown += 1

    options = ImportOptions(
        fmt=fmt,
        timeline=timeline,
        dry_run=dry_run,
        lock_timeout=lock_timeout,
        since=since,
        credentials=environment_credentials(),
        limits=Limits(deadline=timeout),
    )
    report = ImportReport()
    try:
        with _progress(quiet) as on_progress:
            run_import(
                app.store,
                list(sources),
                options,
                on_reject=on_reject,
                on_progress=on_progress,
                report=report,
            )
    except TimelineError:
        # A later source refused: say what the earlier ones imported before its error.
        if report.sources:
            click.echo(report.summary(dry_run=dry_run), err=quiet)
        raise
    if shown > MAX_REJECTION_LINES:
        more = shown - MAX_REJECTION_LINES
        click.echo(
            f"... and {more} more rejected{' (see ' + str(rejects) + ')' if rejects else ''}",
            err=True,
        )
    if rejects is not None:
        with open(rejects, "w", encoding="utf-8", newline="") as out:
            write_rejects(rejected, out)
    if not quiet or rejected:
        click.echo(report.summary(dry_run=dry_run), err=bool(rejected) and quiet)
    if report.all_rejected:
        names = ", ".join(report.all_rejected)
        click.echo(f"Error: nothing imported from {names}: every record was rejected", err=True)
        sys.exit(EXIT_FAILED)
    if rejected:
        sys.exit(EXIT_REJECTED)


class _progress:
    """A rich progress bar on stderr when it is a terminal; nothing otherwise."""

    def __init__(self, quiet: bool) -> None:
        self.enabled = not quiet and sys.stderr.isatty()
        self._progress: Progress | None = None

    def __enter__(self) -> Callable[[str, int], None] | None:
        if not self.enabled:
            return None
        from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("{task.completed:,} records"),
            TimeElapsedColumn(),
            transient=True,
        )
        self._progress.__enter__()
        tasks: dict[str, TaskID] = {}

        def advance(source: str, rows: int) -> None:
            assert self._progress is not None
            if source not in tasks:
                tasks[source] = self._progress.add_task(source, total=None)
            self._progress.advance(tasks[source], rows)

        return advance

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(None, None, None)


@main.command()
@timeline_option
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="How many runs to list, newest first.",
)
@records_format_option
@pass_app
def imports(app: AppContext, timeline: str | None, limit: int, fmt: str) -> None:
    """List the recorded import runs, newest first."""
    runs = app.store.imports.runs(timeline, limit)
    rows = [
        {
            "id": r.id,
            "timeline": r.timeline,
            "source": r.source,
            "format": r.format,
            "started_at": r.started_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "finished_at": r.finished_at.isoformat(timespec="seconds").replace("+00:00", "Z")
            if r.finished_at
            else None,
            "status": r.status,
            "new": r.new,
            "corrected": r.corrected,
            "retracted": r.retracted,
            "unchanged": r.unchanged,
            "rejected": r.rejected,
            "error": r.error,
            "content_hash": r.content_hash,
        }
        for r in runs
    ]
    print_records(
        rows,
        fmt,
        columns=[
            ("id", "Run"),
            ("started_at", "Started"),
            ("status", "Status"),
            ("timeline", "Timeline"),
            ("source", "Source"),
            ("new", "New"),
            ("corrected", "Corr."),
            ("retracted", "Retr."),
            ("unchanged", "Same"),
            ("rejected", "Rej."),
            ("error", "Error"),
        ],
    )


@main.command()
@timeline_option
@click.option(
    "--format",
    "fmt",
    type=values.Choice(EXPORT_FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl and yaml are the native format (import them back); "
    "csv one row per event; geojson places and located events for GIS tools.",
)
@as_known_option
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Write to FILE instead of stdout.",
)
@pass_app
def export(
    app: AppContext, timeline: str | None, fmt: str, as_known: str | None, output: str | None
) -> None:
    """Export a timeline's log (every event, in recording order)."""
    from timeline import api, exporting

    info = api.pick_timeline(app.store, timeline)
    known = values.instant(as_known, info.zone, "--as-known")
    out: IO[str]
    if output is None:
        exporting.export(app.store, info, fmt, sys.stdout, as_known=known)
        return
    with open(output, "w", encoding="utf-8", newline="") as out:
        exporting.export(app.store, info, fmt, out, as_known=known)


@main.command()
@click.option(
    "--timeline",
    "-t",
    "names",
    multiple=True,
    metavar="NAME",
    help="Which shipped timeline (repeatable; default: all of them).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
@pass_app
def seed(app: AppContext, names: tuple[str, ...], quiet: bool) -> None:
    """Load or top up the timelines shipped with timeline (Libya 2011-2020)."""
    from timeline import seeds

    for name in names or tuple(seeds.available()):
        report = seeds.load_seed(app.store, name)
        if not quiet:
            click.echo(f"{name}: {report.summary()}")
