"""`timeline import`: bringing dataset exports and native documents into a timeline.

Safe to run from cron: every record's event id derives from (dataset, record key), so the
same file twice adds nothing; a record whose content changed becomes one correction, and one
the dataset deleted one retraction. Each batch is one transaction under the database's single
writer lock, and the lookup of what is already stored happens inside that lock, so runs that
overlap neither duplicate nor lose a record, and a run killed at any point leaves whole
batches behind that the next run completes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from sqlalchemy.exc import SQLAlchemyError

from timeline import lookups
from timeline.dates import DateError, parse_fuzzy
from timeline.documents import Drafter, Item, ItemError, check_url, parse_sources, read_items
from timeline.entities import Entity, Registry
from timeline.errors import (
    InvalidInput,
    NotFound,
    SourceUnavailable,
    TimelineError,
    UnknownEntity,
    ValidationError,
)
from timeline.events import (
    Event,
    NewEvent,
    Origin,
    Source,
    dumps_canonical,
    event_id_for,
    stable_id,
)
from timeline.importers.sources import Deletion, Parser, RawRow, Rejection, SourceRecord
from timeline.revisions import REVISION_KINDS
from timeline.store import DEFAULT_LOCK_TIMEOUT, EventQuery, OriginVersion, Store, TimelineInfo
from timeline.store.effective import revise
from timeline.vocabulary import KINDS, FieldType, Resolver, kind_spec, validate_fields

FORMATS = ("acled", "ucdp", "jsonl", "yaml")
EXTENSIONS = {
    "acled": (".csv",),
    "ucdp": (".csv",),
    "jsonl": (".jsonl", ".ndjson"),
    "yaml": (".yaml", ".yml"),
}
BATCH_SIZE = 2000
# Events a run adds before it has the database's query statistics refreshed (then at every
# doubling): see SqlStore.refresh_statistics.
STATISTICS_AFTER = 10_000
DELETED = "deleted"


@dataclass(slots=True)
class Counts:
    """What a run did, record by record."""

    new: int = 0
    corrected: int = 0
    retracted: int = 0
    unchanged: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts by name."""
        return {
            "new": self.new,
            "corrected": self.corrected,
            "retracted": self.retracted,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def add(self, other: Counts) -> None:
        """Add another run's counts to these."""
        for name, value in other.as_dict().items():
            setattr(self, name, getattr(self, name) + value)


@dataclass(slots=True)
class ImportReport:
    """The outcome of `run_import` over every source."""

    counts: Counts = field(default_factory=Counts)
    sources: list[str] = field(default_factory=list)
    seconds: float = 0.0
    runs: list[int] = field(default_factory=list)

    def summary(self, dry_run: bool = False) -> str:
        """One line: `imported 812 new, 3 corrected, ... from 2020_02.csv in 1.4 s`."""
        c = self.counts
        names = ", ".join(_short_name(s) for s in self.sources[:3])
        if len(self.sources) > 3:
            names += f" and {len(self.sources) - 3} more"
        verb = "would import" if dry_run else "imported"
        return (
            f"{verb} {c.new} new, {c.corrected} corrected, {c.retracted} retracted, "
            f"{c.unchanged} unchanged, {c.rejected} rejected from {names or 'nothing'}"
            f" in {self.seconds:.1f} s"
        )


RejectHandler = Callable[[Rejection], None]
ProgressHandler = Callable[[str, int], None]


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """How to run an import."""

    fmt: str
    timeline: str | None = None
    dry_run: bool = False
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    batch_size: int = BATCH_SIZE
    since: int | None = None
    credentials: Mapping[str, str] = field(default_factory=dict)


def parser_for(fmt: str) -> Parser:
    """The dataset parser of a CSV format."""
    if fmt == "acled":
        from timeline.importers.acled import AcledParser

        return AcledParser()
    if fmt == "ucdp":
        from timeline.importers.ucdp import UcdpParser

        return UcdpParser()
    raise InvalidInput(f"--format: {fmt!r} is not a dataset format (acled, ucdp)")


# -- sources ---------------------------------------------------------------------------------


@dataclass(slots=True)
class Opened:
    """A source opened for reading: its name for messages, and its bytes."""

    name: str
    stream: BinaryIO
    url: str | None = None


def expand_sources(specs: Sequence[str], fmt: str) -> list[str]:
    """Files, directories (their matching files in name order), `-` and URLs, in order."""
    out: list[str] = []
    for spec in specs:
        if spec == "-" or spec.startswith(("http://", "https://")):
            if spec != "-":
                check_url(spec, "SOURCE")
            out.append(spec)
            continue
        if "://" in spec:
            raise InvalidInput(f"SOURCE: {spec!r} is not an http(s) URL, a file or a directory")
        path = Path(spec)
        if path.is_dir():
            matching = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in EXTENSIONS[fmt]
            )
            if not matching:
                raise InvalidInput(f"SOURCE: {spec!r} holds no {'/'.join(EXTENSIONS[fmt])} files")
            out.extend(str(p) for p in matching)
        elif path.is_file():
            out.append(spec)
        else:
            raise InvalidInput(f"SOURCE: {spec!r}: no such file or directory")
    return out


class HashingReader(io.RawIOBase):
    """Passes bytes through while hashing them, for the run's record of what it read."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self._stream = stream
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.digest.update(data)
        return n


def open_source(spec: str, *, timeout: float = 60.0) -> BinaryIO:
    """Open a file, stdin (`-`) or an http(s) URL for reading bytes."""
    if spec == "-":
        return sys.stdin.buffer
    if spec.startswith(("http://", "https://")):
        try:
            response: BinaryIO = urllib.request.urlopen(spec, timeout=timeout)
        except urllib.error.HTTPError as err:
            raise SourceUnavailable(
                f"{_public(spec)}: the server answered {err.code} {err.reason}"
            ) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise SourceUnavailable(f"{_public(spec)}: cannot fetch: {reason}") from None
        return response
    try:
        return open(spec, "rb")
    except OSError as err:
        raise SourceUnavailable(f"{spec}: cannot read: {err.strerror}") from None


def _short_name(source: str) -> str:
    # The file name of a path or URL (never a query string, where tokens travel).
    path = urllib.parse.urlsplit(source).path if "://" in source else source
    return Path(path).name or source


def _public(url: str) -> str:
    # Credentials travel in query strings; messages show the address without them.
    return url.split("?", 1)[0]


def is_api_url(spec: str) -> bool:
    """Whether a URL designates ACLED's paged JSON API rather than a CSV file."""
    return spec.startswith(("http://", "https://")) and "/api/" in _public(spec)


# -- the run ---------------------------------------------------------------------------------


def run_import(
    store: Store,
    specs: Sequence[str],
    options: ImportOptions,
    *,
    on_reject: RejectHandler | None = None,
    on_progress: ProgressHandler | None = None,
) -> ImportReport:
    """Import every source in order; returns the counts. Rejected records go to `on_reject`
    and do not stop the run; a source that cannot be read at all raises."""
    if options.fmt not in FORMATS:
        raise InvalidInput(f"--format: {options.fmt!r} is not one of {', '.join(FORMATS)}")
    sources = expand_sources(specs, options.fmt)
    report = ImportReport()
    started = time.monotonic()
    info: TimelineInfo | None = None
    touched: set[str] = set()
    if options.fmt in ("acled", "ucdp"):
        info = lookups.pick_timeline(store, options.timeline)
    for spec in sources:
        importer = SourceImport(store, spec, options, info, on_reject, on_progress)
        counts = importer.run()
        report.counts.add(counts)
        report.sources.append(importer.name)
        if importer.run_id is not None:
            report.runs.append(importer.run_id)
        info = importer.info or info
        if info is not None and (counts.new or counts.corrected or counts.retracted):
            touched.add(info.name)
    if not options.dry_run:
        # The nightly run pays for the snapshots its late arrivals made stale, so that the
        # analyst's next `timeline at` does not.
        from timeline.folding import refresh_snapshots

        for name in sorted(touched):
            refresh_snapshots(store, name)
    report.seconds = time.monotonic() - started
    return report


class SourceImport:
    """One source brought into one timeline, batch by batch."""

    def __init__(
        self,
        store: Store,
        spec: str,
        options: ImportOptions,
        info: TimelineInfo | None,
        on_reject: RejectHandler | None,
        on_progress: ProgressHandler | None,
    ) -> None:
        self.store = store
        self.spec = spec
        self.name = "stdin" if spec == "-" else _public(spec)
        self.options = options
        self.info = info
        self.on_reject = on_reject
        self.on_progress = on_progress
        self.counts = Counts()
        self.run_id: int | None = None
        self.rows_seen = 0
        self._registry: Registry | None = None
        self._names: dict[tuple[str, str], str] = {}
        self._pending: dict[str, NewEvent] = {}
        self.high_water: int | None = None
        self._id_resolver: _IdResolver | None = None
        self._appended = 0
        self._next_statistics = STATISTICS_AFTER

    # -- bookkeeping --------------------------------------------------------------------------

    def reject(self, rejection: Rejection) -> None:
        self.counts.rejected += 1
        if self.on_reject is not None:
            self.on_reject(rejection)

    def run(self) -> Counts:
        """Import the source; records the run in the `imports` table (not for dry runs)."""
        reader: HashingReader | None = None
        try:
            if self.options.fmt == "acled" and is_api_url(self.spec):
                self._start_run(None)
                self._run_api()
            else:
                reader = HashingReader(open_source(self.spec))
                stream = io.BufferedReader(reader, buffer_size=1 << 16)
                self._start_run(None)
                if self.options.fmt in ("acled", "ucdp"):
                    self._run_dataset(stream)
                else:
                    self._run_native(stream)
        except BaseException as err:
            if self.run_id is not None:
                status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
                message = str(err).splitlines()[0] if str(err) else type(err).__name__
                # Best effort: the run's own error is what the user must see; a run left
                # "running" shows as interrupted once its process is gone.
                with (
                    contextlib.suppress(TimelineError, SQLAlchemyError),
                    self.store.writing(lock_timeout=min(self.options.lock_timeout, 5.0)) as tx,
                ):
                    tx.imports.finish(
                        self.run_id, status=status, counts=self.counts.as_dict(), error=message
                    )
            raise
        finally:
            if reader is not None and self.spec != "-":
                reader._stream.close()
        if self.run_id is not None:
            status = "rejected" if self.counts.rejected else "ok"
            with self.store.writing(lock_timeout=self.options.lock_timeout) as tx:
                tx.imports.finish(
                    self.run_id,
                    status=status,
                    counts=self.counts.as_dict(),
                    content_hash=reader.digest.hexdigest() if reader is not None else None,
                    high_water=self.high_water if self.options.fmt == "acled" else None,
                )
        return self.counts

    def _start_run(self, digest: str | None) -> None:
        if self.options.dry_run or self.info is None:
            return
        with self.store.writing(lock_timeout=self.options.lock_timeout) as tx:
            self.run_id = tx.imports.start(self.info.name, self.name, self.options.fmt, digest)

    def _progress(self, rows: int) -> None:
        self.rows_seen += rows
        if self.on_progress is not None:
            self.on_progress(self.name, rows)

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            assert self.info is not None
            self._registry = lookups.load_registry(self.store, self.info.name)
        return self._registry

    @property
    def _ids(self) -> _IdResolver:
        if self._id_resolver is None:
            self._id_resolver = _IdResolver(self.registry)
        return self._id_resolver

    # -- datasets (ACLED, UCDP) ----------------------------------------------------------------

    def _run_dataset(self, stream: IO[bytes]) -> None:
        parser = parser_for(self.options.fmt)
        batch: list[RawRow] = []
        for item in parser.rows(stream, self.name):  # type: ignore[arg-type]
            if isinstance(item, Rejection):
                self.reject(item)
                continue
            batch.append(item)
            if len(batch) >= self.options.batch_size:
                self._dataset_batch(parser, batch, [])
                batch = []
        if batch:
            self._dataset_batch(parser, batch, [])

    def _run_api(self) -> None:
        from timeline.importers.acled import AcledParser
        from timeline.importers.acled_api import (
            api_url_params,
            fetch_acled,
            fetch_acled_deletions,
            parse_api_url,
        )

        assert self.info is not None
        since = self.options.since
        if since is None:
            # Incremental by default: what ACLED revised after the newest revision a finished
            # run saw. Not the newest stored: a run that died half-way stored some records of
            # a revision stamp and not others.
            since = self.store.imports.high_water(self.info.name, "acled")
        self.high_water = since
        parser = AcledParser()
        base, params = parse_api_url(self.spec), api_url_params(self.spec)
        credentials = self.options.credentials
        batch: list[RawRow] = []
        for raw in fetch_acled(base, params=params, credentials=credentials, since=since):
            if isinstance(raw, Rejection):
                self.reject(raw)
                continue
            batch.append(raw)
            if len(batch) >= self.options.batch_size:
                self._dataset_batch(parser, batch, [])
                batch = []
        deletions: list[Deletion] = []
        for deletion in fetch_acled_deletions(
            base, params=params, credentials=credentials, since=since
        ):
            if isinstance(deletion, Rejection):
                self.reject(deletion)
            else:
                deletions.append(deletion)
        self._dataset_batch(parser, batch, deletions)

    def _dataset_batch(
        self, parser: Parser, batch: list[RawRow], deletions: list[Deletion]
    ) -> None:
        assert self.info is not None
        stamps = [r.stamp for r in batch if r.stamp is not None]
        if stamps:
            self.high_water = max(self.high_water or 0, max(stamps))
        winners = _winning_rows(batch)
        if self.options.dry_run:
            unchanged, latest = self._lookup(self.store, batch, winners, deletions)
            self._plan(parser, batch, winners, deletions, unchanged, latest)
        else:
            with self.store.writing(lock_timeout=self.options.lock_timeout) as writer:
                # Looked up under the lock: an overlapping run cannot slip in between.
                unchanged, latest = self._lookup(writer, batch, winners, deletions)
                drafts, kinds_of = self._plan(parser, batch, winners, deletions, unchanged, latest)
                result = writer.log.append(drafts, import_run=self.run_id)
                self._count_added(drafts, kinds_of, {e.id for e in result.added})
            self._refresh_statistics()
        self._progress(len(batch))

    def _lookup(
        self,
        store: Store,
        batch: Sequence[RawRow],
        winners: Mapping[str, int],
        deletions: Sequence[Deletion],
    ) -> tuple[set[str], dict[str, OriginVersion]]:
        """The keys of the batch stored with this very content, and the latest stored version
        of every other stored key of the batch or its deletions.

        Two steps, since most records of a nightly run are unchanged: the content hashes of
        the stored versions come from an index alone, and only the records stored with other
        content need their whole latest version read."""
        assert self.info is not None
        deleted = {d.key for d in deletions}
        hashes = store.origins.latest_hashes(self.info.name, [*winners, *deleted])
        # A retraction's hash is "deleted", which no content hash equals: a record deleted at
        # the source and published again is never unchanged.
        unchanged = {
            key
            for key, position in winners.items()
            if hashes.get(key) == batch[position].content_hash
        }
        changed = [key for key in hashes if key not in unchanged or key in deleted]
        latest = store.origins.latest(self.info.name, changed) if changed else {}
        return unchanged, latest

    def _plan(
        self,
        parser: Parser,
        batch: Sequence[RawRow],
        winners: Mapping[str, int],
        deletions: Sequence[Deletion],
        unchanged: set[str],
        latest: Mapping[str, OriginVersion],
    ) -> tuple[list[NewEvent], dict[str, str]]:
        """The events a batch calls for, and for each record event whether it is new,
        corrected or retracted. Unchanged records are counted here and cost no mapping."""
        drafts: list[NewEvent] = []
        outcome: dict[str, str] = {}
        self._pending = {}
        for position, raw in enumerate(batch):
            if winners[raw.key] != position or raw.key in unchanged:
                # Stored with this very content; or the same record again in this batch (a
                # concatenation of two exports, or API pages that shifted while the source
                # updated), where only its newest row counts, so that running the same file
                # again finds that very row stored and adds nothing.
                self.counts.unchanged += 1
                continue
            previous = latest.get(raw.key)
            if (
                previous is not None
                and raw.stamp is not None
                and previous.stamp is not None
                and raw.stamp < previous.stamp
            ):
                # An older revision than the one stored (yesterday's file run again, or an
                # overlapping run): the newer revision stays.
                self.counts.unchanged += 1
                continue
            mapped = parser.record(raw)
            if isinstance(mapped, Rejection):
                self.reject(mapped)
                continue
            try:
                events = self._record_events(mapped, previous)
            except (ValidationError, UnknownEntity, DateError) as err:
                self.reject(Rejection(raw.source, raw.row, None, None, str(err)))
                continue
            label = "new" if previous is None else "corrected"
            for event in events:
                self._pending[event.id] = event
                if event.origin is not None and event.origin.key == raw.key:
                    outcome[event.id] = label
            drafts.extend(events)
        for deletion in deletions:
            previous = latest.get(deletion.key)
            if previous is None or previous.kind == "retraction":
                continue
            version = previous.version + 1
            drafts.append(
                self._retraction(
                    previous, deletion.key, version, "deleted at the source", deletion.stamp
                )
            )
            outcome[drafts[-1].id] = "retracted"
        if self.options.dry_run:
            for label in outcome.values():
                setattr(self.counts, label, getattr(self.counts, label) + 1)
        return drafts, outcome

    def _refresh_statistics(self) -> None:
        # Outside the writer's transaction, each time the run has doubled what it added (from
        # STATISTICS_AFTER on), so that the lookups of the batches to come keep their index.
        if self._appended >= self._next_statistics:
            self.store.refresh_statistics()
            self._next_statistics = 2 * self._appended

    def _count_added(
        self, drafts: Sequence[NewEvent], outcome: Mapping[str, str], added: set[str]
    ) -> None:
        self._appended += len(added)
        for draft in drafts:
            label = outcome.get(draft.id)
            if label is None:
                continue
            if draft.id in added:
                setattr(self.counts, label, getattr(self.counts, label) + 1)
            else:
                # Another run stored this very version a moment ago.
                self.counts.unchanged += 1

    def _record_events(
        self, record: SourceRecord, previous: OriginVersion | None
    ) -> list[NewEvent]:
        assert self.info is not None
        timeline = self.info.name
        definitions: list[NewEvent] = []
        fields = self._resolve_fields(record, definitions)
        source_record = record.fields.get("record")
        validated = validate_fields(record.kind, fields, self._ids)
        date = parse_fuzzy(record.date, self.info.zone)
        sources = _cached_sources(tuple(tuple(sorted(s.items())) for s in record.sources))
        version = previous.version + 1 if previous is not None else 1
        origin = Origin(record.key, version, record.content_hash, record.stamp)

        def event(kind: str, event_id: str, event_fields: dict[str, Any]) -> NewEvent:
            return NewEvent(
                id=event_id,
                timeline=timeline,
                kind=kind,
                title=record.title,
                date=date,
                fields=event_fields,
                kind_version=KINDS[kind].version,
                sources=sources,
                origin=origin,
                record=source_record,
            )

        if previous is None or (
            previous.kind == "retraction" and previous.root_id == previous.event_id
        ):
            key = record.key if version == 1 else f"{record.key}#{version}"
            return [*definitions, event(record.kind, stable_id(timeline, key), validated)]
        root_kind = (
            previous.kind if previous.kind not in REVISION_KINDS else self._root_kind(previous)
        )
        event_id = stable_id(timeline, f"{record.key}#{version}")
        if root_kind != record.kind:
            # The dataset re-classified the record: a correction cannot change a kind, so the
            # old event is retracted and the record starts again under its new kind.
            retraction = self._retraction(
                previous, None, None, f"re-classified as {record.kind}", None
            )
            return [*definitions, retraction, event(record.kind, event_id, validated)]
        removed = {name: None for name in self._root_fields(previous) if name not in validated}
        replaced = {"target": previous.root_id, "fields": {**validated, **removed}}
        return [*definitions, event("correction", event_id, replaced)]

    def _root(self, previous: OriginVersion) -> NewEvent | Event:
        # The first version may be stored, or still pending in this very batch.
        pending = self._pending.get(previous.root_id)
        return pending if pending is not None else self.store.log.get(previous.root_id)

    def _root_kind(self, previous: OriginVersion) -> str:
        return self._root(previous).kind

    def _root_fields(self, previous: OriginVersion) -> list[str]:
        root = self._root(previous)
        fields = dict(root.fields)
        revisions: list[Any] = []
        if isinstance(root, Event):
            revisions = list(self.store.log.revisions_of([root.id], with_record=False))
        revisions += [
            d for d in self._pending.values() if d.kind == "correction" and d.target == root.id
        ]
        for revision in revisions:
            if revision.kind == "correction":
                replaced = revision.fields.get("fields") or {}
                fields = {k: v for k, v in {**fields, **replaced}.items() if v is not None}
        return list(fields)

    def _retraction(
        self,
        previous: OriginVersion,
        key: str | None,
        version: int | None,
        reason: str,
        stamp: int | None,
    ) -> NewEvent:
        assert self.info is not None
        root = self._root(previous)
        origin = (
            Origin(key, version, DELETED, stamp)
            if key is not None and version is not None
            else None
        )
        event_id = stable_id(
            self.info.name, f"{key}#{version}" if key else f"retract:{root.id}:{previous.version}"
        )
        return NewEvent(
            id=event_id,
            timeline=self.info.name,
            kind="retraction",
            title=f"Retracted: {root.title}",
            date=root.date,
            fields={"target": root.id, "reason": reason},
            kind_version=KINDS["retraction"].version,
            origin=origin,
        )

    def _resolve_fields(self, record: SourceRecord, definitions: list[NewEvent]) -> dict[str, Any]:
        spec = kind_spec(record.kind)
        out: dict[str, Any] = {}
        for name, value in record.fields.items():
            if name == "record":
                continue  # kept with the event, beside its fields
            field_spec = spec.field(name)
            if field_spec is None:
                raise ValidationError(f"{name}: unknown field for kind {record.kind}", field=name)
            kind = field_spec.type
            if kind is FieldType.PLACE and isinstance(value, str):
                out[name] = self._place(value, record, definitions)
            elif kind is FieldType.ACTOR and isinstance(value, str):
                out[name] = self._actor(value, definitions)
            elif kind in (FieldType.ACTORS, FieldType.ENTITIES) and isinstance(value, list):
                out[name] = [self._actor(v, definitions) for v in value if isinstance(v, str) and v]
            else:
                out[name] = value
        return out

    def _actor(self, name: str, definitions: list[NewEvent]) -> str:
        # Datasets repeat the same few hundred names across a million rows.
        known = self._names.get(("actor", name))
        if known is not None:
            return known
        found = self.registry.find(name, "actor")
        if len(found) > 1:
            raise UnknownEntity(f"actor {name!r} is ambiguous: {', '.join(e.id for e in found)}")
        entity_id = found[0].id if found else self._define("actor", name, {}, definitions)
        self._names["actor", name] = entity_id
        return entity_id

    def _place(self, name: str, record: SourceRecord, definitions: list[NewEvent]) -> str:
        known = self._names.get(("place", name))
        if known is not None:
            return known
        found = self.registry.find(name, "place")
        if len(found) == 1:
            self._names["place", name] = found[0].id
            return found[0].id
        if len(found) > 1:
            raise UnknownEntity(f"place {name!r} is ambiguous: {', '.join(e.id for e in found)}")
        extra: dict[str, Any] = {}
        hint = record.place
        if hint is not None and hint.name == name:
            if hint.lat is not None and hint.lon is not None:
                extra.update(lat=hint.lat, lon=hint.lon)
            if hint.admin1:
                extra["description"] = f"in {hint.admin1}"
        entity_id = self._define("place", name, extra, definitions)
        self._names["place", name] = entity_id
        return entity_id

    def _define(
        self, entity_type: str, name: str, extra: dict[str, Any], definitions: list[NewEvent]
    ) -> str:
        # An entity the registry does not know is defined, flagged for review, never dropped;
        # its id derives from its name so that overlapping runs define it once.
        assert self.info is not None
        slug = slugify(name)
        existing = self.registry.get(slug, entity_type)
        if existing is not None and existing.name.casefold() != name.casefold():
            slug = f"{slug[:55]}-{hashlib.sha1(name.encode()).hexdigest()[:6]}"
        fields = {entity_type: slug, "name": name, "review": True, **extra}
        kind = f"{entity_type}.defined"
        event = NewEvent(
            id=event_id_for(self.info.name, None, f"entity:{entity_type}:{slug}"),
            timeline=self.info.name,
            kind=kind,
            title=f"{name} (from {self.options.fmt}, to review)",
            date=parse_fuzzy("../.."),
            fields=fields,
            kind_version=KINDS[kind].version,
        )
        definitions.append(event)
        self.registry.add(
            Entity(
                id=slug,
                type=entity_type,
                name=name,
                review=True,
                lat=extra.get("lat"),
                lon=extra.get("lon"),
            )
        )
        return slug

    # -- native documents (JSON Lines, YAML) -----------------------------------------------------

    def _run_native(self, stream: IO[bytes]) -> None:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline=None)
        fmt = "jsonl" if self.options.fmt == "jsonl" else "yaml"
        drafter: Drafter | None = None
        pending: list[tuple[Item, NewEvent]] = []
        for item in read_items(text, self.name, fmt):
            if isinstance(item, ItemError):
                self.reject(Rejection(self.name, _line_of(item.where), None, None, item.message))
                continue
            if item.is_header:
                self._flush_native(pending)
                pending = []
                self.info = self._header(item)
                drafter = None
                continue
            if self.info is None:
                self.info = lookups.pick_timeline(self.store, self.options.timeline)
                if self.run_id is None and not self.options.dry_run:
                    self._start_run(None)
            if drafter is None:
                drafter = lookups.drafter(self.store, self.info)
            try:
                draft = drafter.draft(item)
            except ValidationError as err:
                # The message names the field already.
                message = _strip_where(str(err), item.where)
                self.reject(Rejection(self.name, _line_of(item.where), None, None, message))
                continue
            pending.append((item, draft))
            if len(pending) >= self.options.batch_size:
                self._flush_native(pending)
                pending = []
        self._flush_native(pending)

    def _header(self, item: Item) -> TimelineInfo:
        name = str(item.data.get("timeline") or "")
        zone = str(item.data.get("zone") or "")
        if self.options.timeline is not None and self.options.timeline != name:
            raise InvalidInput(
                f"{item.where}: the document is for timeline {name!r}, "
                f"not {self.options.timeline!r}"
            )
        try:
            info = self.store.catalog.get(name)
        except NotFound:
            if self.options.dry_run:
                return TimelineInfo(name, zone, item.data.get("title"))
            try:
                info = self.store.catalog.create(name, zone, item.data.get("title"))
            except InvalidInput as err:
                if "exists already" not in str(err):
                    raise InvalidInput(f"{item.where}: {err}") from None
                info = self.store.catalog.get(name)
        if info.zone != zone:
            raise InvalidInput(
                f"{item.where}: zone {zone!r} differs from timeline {name!r}'s zone {info.zone!r}"
            )
        if self.run_id is None and not self.options.dry_run:
            self._start_run(None)
        return info

    def _flush_native(self, pending: list[tuple[Item, NewEvent]]) -> None:
        if not pending:
            return
        drafts = [draft for _, draft in pending]
        stored = {e.id: e for e in self.store.log.select(EventQuery(ids=[d.id for d in drafts]))}
        revised = revise(self.store.log, stored.values())
        to_append: list[NewEvent] = []
        outcome: dict[str, str] = {}
        for item, draft in pending:
            existing = stored.get(draft.id)
            if existing is None:
                to_append.append(draft)
                outcome[draft.id] = "new"
                continue
            current = revised[existing.id]
            # An export holds each event as first recorded, then its revisions: a document
            # equal to the event as recorded, or as revised, says nothing new.
            if _same_content(existing, draft) or (
                current is not None and _same_content(current, draft)
            ):
                self.counts.unchanged += 1
                continue
            line = _line_of(item.where)
            if draft.kind != existing.kind:
                reason = f"differs from stored event {draft.id}'s kind {existing.kind}"
                self.reject(Rejection(self.name, line, "kind", draft.kind, reason))
                continue
            if current is None:
                reason = f"event {draft.id} was retracted; record a new event instead"
                self.reject(Rejection(self.name, line, None, None, reason))
                continue
            # The document says something else about an event already stored: that is a
            # correction, recorded once however often the document is imported again.
            correction = _correction_of(existing, current, draft)
            to_append.append(correction)
            outcome[correction.id] = "corrected"
        if self.options.dry_run:
            for label in outcome.values():
                setattr(self.counts, label, getattr(self.counts, label) + 1)
            self.counts.unchanged += 0
        else:
            with self.store.writing(lock_timeout=self.options.lock_timeout) as tx:
                result = tx.log.append(to_append, import_run=self.run_id)
            self._count_added(to_append, outcome, {e.id for e in result.added})
            self._refresh_statistics()
        self._progress(len(pending))


class _IdResolver(Resolver):
    """Validation after the runner resolved names: entity fields already hold ids."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def entity(self, name: str, entity_type: str | None, field: str) -> str:
        if self.registry.get(name, entity_type) is not None:
            return name
        return self.registry.resolve(name, entity_type, field=field).id

    def event(self, reference: str, field: str, kinds: tuple[str, ...] = ()) -> str:
        raise ValidationError(f"{field}: dataset records cannot refer to events", field=field)

    def offensive(self, reference: str, field: str) -> str:
        raise ValidationError(f"{field}: dataset records cannot refer to events", field=field)


@functools.lru_cache(maxsize=4096)
def _cached_sources(sources: tuple[tuple[tuple[str, str], ...], ...]) -> tuple[Source, ...]:
    # A dataset names the same publications over and over; read each spelling once.
    return parse_sources([dict(pairs) for pairs in sources])


def _winning_rows(batch: Sequence[RawRow]) -> dict[str, int]:
    """For each record key in a batch, the position of the row that counts: the one with the
    newest source stamp, the later one among equals (rows without a stamp are equals)."""
    winners: dict[str, int] = {}
    for position, raw in enumerate(batch):
        current = winners.get(raw.key)
        if current is not None:
            stamp, best = raw.stamp, batch[current].stamp
            if stamp is not None and best is not None and stamp < best:
                continue
        winners[raw.key] = position
    return winners


def _same_content(current: Any, draft: NewEvent) -> bool:
    return (
        current.title == draft.title
        and current.date.text == draft.date.text
        and dumps_canonical(dict(current.fields)) == dumps_canonical(dict(draft.fields))
        and tuple(current.sources) == tuple(draft.sources)
        and current.confidence == draft.confidence
    )


def _correction_of(existing: Any, current: Any, draft: NewEvent) -> NewEvent:
    base_fields = dict(current.fields) if current is not None else dict(existing.fields)
    removed = {k: None for k in base_fields if k not in draft.fields}
    fields = {"target": existing.id, "fields": {**dict(draft.fields), **removed}}
    digest = hashlib.sha256(
        dumps_canonical(
            [
                draft.title,
                draft.date.text,
                fields,
                [s.to_json() for s in draft.sources],
                draft.confidence,
            ]
        ).encode()
    ).hexdigest()
    return NewEvent(
        id=stable_id(draft.timeline, f"revision:{existing.id}:{digest}"),
        timeline=draft.timeline,
        kind="correction",
        title=draft.title,
        date=draft.date,
        fields=fields,
        kind_version=KINDS["correction"].version,
        sources=draft.sources,
        confidence=draft.confidence,
        reported_at=draft.reported_at,
    )


def _line_of(where: str) -> int:
    match = re.search(r":(?:item )?(\d+)$", where)
    return int(match.group(1)) if match else 0


def _strip_where(message: str, where: str) -> str:
    prefix = f"{where}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def slugify(name: str) -> str:
    """A lowercase id from a name: `Forces of Libya (2014-)` -> `forces-of-libya-2014`."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")
    return (slug or "unnamed")[:64].rstrip("-")


def write_rejects(rejections: Iterable[Rejection], out: IO[str]) -> None:
    """Rejected records as CSV: source, row, field, value, reason."""
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "row", "field", "value", "reason"])
    for r in rejections:
        writer.writerow([r.source, r.row, r.field or "", r.value or "", r.reason])
