"""Writing and reading events: add, events, show, correct, retract, verify, timelines, create."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import click

from timeline.choices import CONFIDENCE_LEVELS
from timeline.errors import InvalidInput, ValidationError

from . import completion, values
from .app import AppContext, main, pass_app
from .output import print_json, print_records, records_format_option, text_or_json_option
from .tables import short_id
from .visible import json_visible, visible_all

if TYPE_CHECKING:
    from timeline.documents import Item

timeline_option = click.option(
    "--timeline",
    "-t",
    metavar="NAME",
    shell_complete=completion.timelines,
    help="Which timeline (default: the only one in the database).",
)
as_known_option = click.option(
    "--as-known",
    metavar="WHEN",
    help="Use only what the database had recorded by then (a date or timestamp).",
)
as_published_option = click.option(
    "--as-published",
    metavar="WHEN",
    help="Use only what had been published by then (a date or timestamp): an event counts "
    "from the earliest publication date of its sources; events with none are left out.",
)


def unpublished_note(count: int | None) -> None:
    """On stderr, how many events a publication bound left out for having no date."""
    if count:
        click.echo(f"note: {plural(count, 'event')} with no publication date left out", err=True)


def plural(count: int, noun: str) -> str:
    """`1 event`, `2 events`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def parse_field(text: str) -> tuple[str, Any]:
    """`key=value` from --field; a value that reads as a JSON list or object is one."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InvalidInput(f"--field: {text!r} is not key=value")
    value = value.strip()
    if value[:1] in "[{":
        import json

        try:
            return key, json.loads(value)
        except json.JSONDecodeError:
            raise InvalidInput(f"--field {key}: {value!r} is not valid JSON") from None
    return key, value


def parse_source(text: str) -> dict[str, str]:
    """--source "Reuters, 2020-05-18, https://..." -> {name, published, url}: the parts that
    are a URL or a date are those; the rest is the publication's name."""
    from timeline.dates import DateError, parse_fuzzy
    from timeline.documents import check_url

    source: dict[str, str] = {}
    names = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part.startswith(("http://", "https://")) or "://" in part:
            source["url"] = check_url(part, "--source")
            continue
        try:
            source["published"] = parse_fuzzy(part).text
            continue
        except DateError:
            names.append(part)
    if not names:
        raise InvalidInput(f"--source: {text!r} names no publication")
    source["name"] = ", ".join(names)
    return source


@main.command()
@click.argument("kind", required=False)
@click.argument("date", required=False)
@click.argument("title", required=False)
@timeline_option
@click.option(
    "--field",
    "-f",
    "fields",
    multiple=True,
    metavar="KEY=VALUE",
    help="A field of the kind (repeatable): --field place=al-watiya --field by=GNA.",
)
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="TEXT",
    help='A source (repeatable): "Publication, 2020-05-18, https://...".',
)
@click.option(
    "--confidence", type=values.Choice(CONFIDENCE_LEVELS), help="How sure the sources are."
)
@click.option("--id", "event_id", metavar="ID", help="A UUID or slug to give the event.")
@click.option(
    "--from-file",
    type=click.Path(dir_okay=False, allow_dash=True),
    metavar="FILE",
    help="Add the events of a native document (YAML, JSON or JSON Lines; - for stdin).",
)
@pass_app
def add(
    app: AppContext,
    kind: str | None,
    date: str | None,
    title: str | None,
    timeline: str | None,
    fields: tuple[str, ...],
    sources: tuple[str, ...],
    confidence: str | None,
    event_id: str | None,
    from_file: str | None,
) -> None:
    """Add an event (KIND DATE TITLE), or the events of a document with --from-file.

    Prints the id of each new event. Adding an event that is already stored changes nothing.
    See docs/vocabulary.md for the kinds and their fields.
    """
    from timeline import api

    if from_file is not None:
        if kind or fields or sources:
            raise click.UsageError("give either KIND DATE TITLE or --from-file, not both")
        info, added = api.add_document(app.store, _read_document(from_file), timeline)
    else:
        if not kind or date is None:
            raise click.UsageError("give KIND DATE TITLE (or --from-file FILE)")
        document: dict[str, Any] = dict(parse_field(f) for f in fields)
        document.update(kind=kind, title=title or None)
        if date not in ("", "-"):
            document["date"] = date
        if sources:
            document["sources"] = [parse_source(s) for s in sources]
        if confidence:
            document["confidence"] = confidence
        if event_id:
            document["id"] = event_id
        info = api.pick_timeline(app.store, timeline)
        added = api.add_event(app.store, info, document)
    for event in added.events:
        click.echo(event.id)
    if added.unchanged:
        click.echo(f"{added.unchanged} already stored, unchanged", err=True)


def _read_document(name: str) -> list[Item]:
    from pathlib import Path

    from timeline.documents import ItemError, read_items

    path = Path(name)
    suffix = path.suffix.lower()
    fmt = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}.get(suffix, "yaml")
    try:
        stream = sys.stdin if name == "-" else path.open(encoding="utf-8")
    except OSError as err:
        raise InvalidInput(f"--from-file: cannot read {name!r}: {err.strerror}") from None
    with stream:
        documents = []
        for item in read_items(stream, name, fmt):
            if isinstance(item, ItemError):
                raise ValidationError(item.message, where=item.where)
            documents.append(item)
    if not documents:
        raise InvalidInput(f"--from-file: {name!r} holds no events")
    return documents


EVENT_COLUMNS = [
    ("date", "Date"),
    ("kind", "Kind"),
    ("title", "Title"),
    ("short_id", "Id"),
]


@main.command()
@timeline_option
@click.option(
    "--kind",
    "-k",
    "kinds",
    multiple=True,
    metavar="KIND",
    shell_complete=completion.kinds,
    help="Only this kind (repeatable).",
)
@click.option(
    "--between", nargs=2, metavar="D1 D2", help="Only events starting from D1 to the end of D2."
)
@click.option(
    "--entity",
    "-e",
    metavar="NAME",
    shell_complete=completion.entities,
    help="Only events naming this actor or place.",
)
@as_known_option
@as_published_option
@records_format_option
@pass_app
def events(
    app: AppContext,
    timeline: str | None,
    kinds: tuple[str, ...],
    between: tuple[str, str] | None,
    entity: str | None,
    as_known: str | None,
    as_published: str | None,
    fmt: str,
) -> None:
    """List the events of a timeline in valid-time order."""
    from timeline import api

    info = api.pick_timeline(app.store, timeline)
    dates = None
    if between is not None:
        dates = (
            values.fuzzy(between[0], info.zone, "--between"),
            values.fuzzy(between[1], info.zone, "--between"),
        )
    known = values.instant(as_known, info.zone, "--as-known")
    published = values.instant(as_published, info.zone, "--as-published")
    filters: dict[str, Any] = {"kinds": kinds, "between": dates, "entity": entity}
    found = api.list_events(
        app.store,
        info,
        **filters,
        as_known=known,
        as_published=published,
        with_record=fmt != "table",
    )
    records: Iterator[Mapping[str, Any]]
    if fmt == "csv":
        from timeline.documents import CSV_COLUMNS, csv_record

        # The flat schema `timeline export --format csv` writes too.
        records = (csv_record(e) for e in found)
        columns = [(c, c) for c in CSV_COLUMNS]
    elif fmt == "table":
        # Only what the table shows: a whole record per event was most of its time. Nor is
        # the document module imported for it (with the YAML library, 30 ms of start-up).
        records = (
            {"date": e.date.text, "kind": e.kind, "title": e.title, "short_id": short_id(e.id)}
            for e in found
        )
        columns = EVENT_COLUMNS
    else:
        from timeline.documents import event_record

        records = (event_record(e) for e in found)
        columns = EVENT_COLUMNS
    count = print_records(records, fmt, columns=columns)
    if fmt == "table":
        click.echo(f"{count} events", err=True)
    if published is not None:
        unpublished_note(api.count_unpublished_events(app.store, info, **filters, as_known=known))


@main.command()
@click.argument("event_id", metavar="ID")
@text_or_json_option
@pass_app
def show(app: AppContext, event_id: str, fmt: str) -> None:
    """Show one event (by id, or its first 8+ characters) and its revisions."""
    import json

    from timeline.documents import event_record

    event = app.store.log.get(event_id)
    revisions = app.store.log.revisions_of([event.id])
    record = event_record(event)
    record["revisions"] = [event_record(r) for r in revisions]
    if fmt == "json":
        print_json(record)
        return
    record = visible_all(record)
    for key in (
        "id",
        "seq",
        "timeline",
        "kind",
        "date",
        "title",
        "confidence",
        "origin",
        "recorded_at",
        "reported_at",
    ):
        if record.get(key) is not None:
            click.echo(f"{key + ':':<13}{record[key]}")
    click.echo(
        f"{'valid:':<13}{record['valid_from']} .. {record['valid_to']} ({record['precision']})"
    )
    for key, value in record["fields"].items():
        click.echo(f"  {key}: {json_visible(json.dumps(value, ensure_ascii=False))}")
    for source in record["sources"]:
        click.echo("source:      " + ", ".join(str(v) for v in source.values()))
    for revision in revisions:
        click.echo(
            f"{revision.kind}: {revision.id} recorded {event_record(revision)['recorded_at']}"
        )


@main.command()
@click.argument("event_id", metavar="ID")
@click.option("--date", metavar="DATE", help="The corrected date.")
@click.option("--title", metavar="TEXT", help="The corrected title.")
@click.option(
    "--field",
    "-f",
    "fields",
    multiple=True,
    metavar="KEY=VALUE",
    help="A corrected field (repeatable).",
)
@click.option(
    "--source", "sources", multiple=True, metavar="TEXT", help="A source for the correction."
)
@pass_app
def correct(
    app: AppContext,
    event_id: str,
    date: str | None,
    title: str | None,
    fields: tuple[str, ...],
    sources: tuple[str, ...],
) -> None:
    """Record a correction of event ID; the original stays in the log. Prints the new id."""
    from timeline import api

    added = api.correct_event(
        app.store,
        event_id,
        date=date,
        title=title,
        fields=dict(parse_field(f) for f in fields),
        sources=[parse_source(s) for s in sources],
    )
    for event in added.events:
        click.echo(event.id)
    if added.unchanged:
        click.echo("this correction is already stored, unchanged", err=True)


@main.command()
@click.argument("event_id", metavar="ID")
@click.option("--reason", required=True, metavar="TEXT", help="Why the event is withdrawn.")
@pass_app
def retract(app: AppContext, event_id: str, reason: str) -> None:
    """Record the retraction of event ID; the original stays in the log. Prints the new id."""
    from timeline import api

    added = api.retract_event(app.store, event_id, reason)
    for event in added.events:
        click.echo(event.id)
    if added.unchanged:
        click.echo("this retraction is already stored, unchanged", err=True)


@main.command()
@click.option(
    "--print-head",
    is_flag=True,
    help="Print only the chain's head, SEQ HASH, to keep outside the database.",
)
@click.option(
    "--expect-head",
    metavar="HASH",
    help="Also check that the log still holds this head (one --print-head printed).",
)
@click.option(
    "--deep",
    is_flag=True,
    help="Also fold every timeline's log again and compare it with every snapshot.",
)
@click.option(
    "--timeline",
    "timeline_name",
    metavar="NAME",
    help="Verify this timeline's chain alone (default: every timeline's).",
)
@pass_app
def verify(
    app: AppContext,
    print_head: bool,
    expect_head: str | None,
    deep: bool,
    timeline_name: str | None,
) -> None:
    """Walk each timeline's hash chain, against the heads recorded as it grew (and the chain
    of the whole log from before each timeline had its own, up to where they are anchored):
    exit 0 when intact, 1 naming the first bad row."""
    if expect_head is not None:
        # The hash alone, the SEQ HASH line --print-head wrote, or its NAME SEQ HASH line.
        expect_head = expect_head.split()[-1] if expect_head.split() else expect_head
    result = app.store.log.verify(expect_head=expect_head, timeline=timeline_name)
    if not result.ok:
        # A timeline's seqs are its own: the row is named by its timeline, unless the log
        # has one timeline to speak of (or the row is of the chain from before).
        several = timeline_name is None and len(app.store.catalog.names()) > 1
        where = f"{result.timeline}: " if several and result.timeline is not None else ""
        click.echo(f"Error: {where}seq {result.first_bad_seq}: {result.reason}", err=True)
        sys.exit(1)
    if deep:
        from timeline import folding

        names = [timeline_name] if timeline_name is not None else app.store.catalog.names()
        problems = [
            problem for name in names for problem in folding.check_snapshots(app.store, name)
        ]
        for problem in problems:
            click.echo(f"Error: {problem}", err=True)
        if problems:
            sys.exit(1)
    if print_head:
        if result.head is not None or len(result.heads) <= 1:
            # One chain verified (named, or the only one with events): SEQ HASH.
            seq, digest = result.head or (0, "")
            click.echo(f"{seq} {digest}".rstrip())
        else:
            for name, seq, digest in result.heads:
                click.echo(f"{name} {seq} {digest}")
        return
    found = ", the expected head among them" if expect_head else ""
    snapshots = ", every snapshot as the log folds" if deep else ""
    scope = f"{timeline_name}: " if timeline_name is not None else ""
    click.echo(f"ok: {scope}{result.checked} events, hash chain intact{found}{snapshots}")


@main.command()
@records_format_option
@pass_app
def timelines(app: AppContext, fmt: str) -> None:
    """List the timelines: name, time zone, event count, date range."""
    from timeline import api

    rows = api.timeline_records(app.store)
    print_records(
        rows,
        fmt,
        columns=[
            ("name", "Timeline"),
            ("zone", "Zone"),
            ("events", "Events"),
            ("first", "From"),
            ("last", "To"),
            ("title", "Title"),
        ],
    )


@main.command()
@click.argument("name")
@click.option(
    "--zone",
    required=True,
    metavar="ZONE",
    help="IANA time zone its dates are read in, e.g. Africa/Tripoli.",
)
@click.option("--title", metavar="TEXT", help="A human title.")
@click.option(
    "--fatalities",
    "fatalities",
    metavar="DATASETS",
    help="The datasets whose fatality figures the totals take, most preferred first, each "
    "where its data reaches, comma-separated: ucdp, acled, timeline (its own events) "
    "[default: ucdp,acled,timeline].",
)
@pass_app
def create(
    app: AppContext, name: str, zone: str, title: str | None, fatalities: str | None
) -> None:
    """Create an empty timeline NAME whose dates are read in ZONE."""
    from timeline import api

    prefer = None if fatalities is None else [d.strip() for d in fatalities.split(",")]
    info = api.create_timeline(app.store, name, zone, title, fatalities=prefer)
    click.echo(f"created timeline {info.name} ({info.zone})")
    if prefer is not None:
        click.echo(f"fatality totals: {', else '.join(d.lower() for d in prefer)}")
