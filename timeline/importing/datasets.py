"""Dataset rows (ACLED, UCDP GED, ACLED's API) into events, batch by batch.

Each batch is one transaction under the writer lock: what is stored of its keys is looked up
inside the lock, `reconcile` decides which rows say something new, and only those are mapped
onto the vocabulary, their entity names resolved (`entities`), and appended.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any

from timeline.dates import DateError, parse_fuzzy
from timeline.documents import parse_sources
from timeline.errors import UnknownEntity, ValidationError
from timeline.events import Event, NewEvent, Origin, Source, stable_id
from timeline.importers.sources import Deletion, Parser, RawRow, Rejection, SourceRecord
from timeline.importing.reconcile import plan_batch, retraction, split_stored, winning_rows
from timeline.limits import ORIGIN_LENGTH, check_event, check_int64, check_text
from timeline.revisions import REVISION_KINDS
from timeline.store import OriginVersion, Store, TimelineInfo
from timeline.vocabulary import KINDS, validate_fields

if TYPE_CHECKING:
    from timeline.importing.run import SourceImport


class DatasetImport:
    """One dataset source read into one timeline, for the run that keeps its books."""

    def __init__(self, run: SourceImport, parser: Parser) -> None:
        self.run = run
        self.parser = parser
        self.store = run.store
        self.options = run.options
        # The events of the batch being planned, by id: a record's first version may be
        # pending in this very batch when a later row of it is mapped.
        self._pending: dict[str, NewEvent] = {}

    @property
    def info(self) -> TimelineInfo:
        assert self.run.info is not None
        return self.run.info

    def read(self, stream: IO[bytes]) -> None:
        """Import a dataset file's rows."""
        rest = self._batches(self.parser.rows(stream, self.run.name))  # type: ignore[arg-type]
        if rest:
            self._batch(rest, [])

    def fetch(self, url: str) -> None:
        """Import what the dataset's API at `url` holds: for ACLED, what it revised or
        deleted since the last completed run; for UCDP, every page of the release."""
        if self.parser.format == "ucdp":
            self._fetch_ucdp(url)
        else:
            self._fetch_acled(url)

    def _fetch_acled(self, url: str) -> None:
        from timeline.importers.acled_api import (
            AcledSession,
            api_url_params,
            fetch_acled,
            fetch_acled_deletions,
            parse_api_url,
        )
        from timeline.importing.credentials import token_file

        base, params = parse_api_url(url), api_url_params(url)
        credentials = self.options.credentials
        store = None
        # A dry run checks the credentials themselves, not the tokens they once got.
        if credentials.token_dir is not None and not self.options.dry_run:
            store = token_file(credentials.token_dir, base, credentials.acled.username)
        session = AcledSession(self.run.http, base, credentials.acled, store)
        session.token()  # credentials refused: nothing is recorded or written
        self.run.start()
        since = self.options.since
        if since is None:
            # Incremental by default: what ACLED revised at or after the newest revision a
            # completed run saw. Not the newest stored: a run that died half-way stored some
            # records of a revision stamp and not others.
            since = self.store.imports.high_water(
                self.info.name, self.parser.format, feed=self.options.feed
            )
        self.run.high_water = since
        rest = self._batches(fetch_acled(session, params=params, since=since))
        deletions: list[Deletion] = []
        for deletion in fetch_acled_deletions(session, params=params, since=since):
            if isinstance(deletion, Deletion) and (
                len(deletion.key) > ORIGIN_LENGTH or "\x00" in deletion.key
            ):
                # No such key can be stored: there is nothing of it to retract.
                deletion = Rejection(
                    deletion.source, deletion.row, "key", deletion.key, "is not a storable key"
                )
            if isinstance(deletion, Rejection):
                self.run.reject(deletion)
            else:
                deletions.append(deletion)
        self._batch(rest, deletions)

    def _fetch_ucdp(self, url: str) -> None:
        from timeline.importers.ucdp_api import fetch_ucdp

        rows = fetch_ucdp(self.run.http, url, self.options.credentials.ucdp_token)
        first = next(rows, None)  # the first page: the token is accepted before the run starts
        self.run.start()
        rest = self._batches(itertools.chain([] if first is None else [first], rows))
        if rest:
            self._batch(rest, [])

    def _batches(self, items: Iterable[RawRow | Rejection]) -> list[RawRow]:
        """Import rows in full batches, passing rejections on; returns the last, partial one
        (to go with the deletions an API answer ends with)."""
        batch: list[RawRow] = []
        for item in items:
            if isinstance(item, RawRow) and (unfit := _unstorable(item)) is not None:
                item = unfit
            if isinstance(item, Rejection):
                self.run.reject(item)
                continue
            batch.append(item)
            if len(batch) >= self.options.batch_size:
                self._batch(batch, [])
                batch = []
        return batch

    def _batch(self, batch: list[RawRow], deletions: list[Deletion]) -> None:
        stamps = [r.stamp for r in batch if r.stamp is not None]
        if stamps:
            self.run.high_water = max(self.run.high_water or 0, max(stamps))
        winners = winning_rows(batch)
        if self.options.dry_run:
            unchanged, latest = self._lookup(self.store, batch, winners, deletions)
            drafts, outcome = self._plan(batch, winners, deletions, unchanged, latest)
            self.run.count_planned(outcome)
        else:
            # The timeline's lock alone: imports into other timelines go on meanwhile.
            with self.store.writing(
                self.run.timeline, lock_timeout=self.options.lock_timeout
            ) as writer:
                # Looked up under the lock: an overlapping run cannot slip in between.
                unchanged, latest = self._lookup(writer, batch, winners, deletions)
                drafts, outcome = self._plan(batch, winners, deletions, unchanged, latest)
                result = writer.log.append(drafts, import_run=self.run.run_id)
                self.run.count_added(drafts, outcome, {e.id for e in result.added})
                self.run.record_progress(writer)
            self.run.refresh_statistics()
        self.run.progress(len(batch))

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
        deleted = {d.key for d in deletions}
        hashes = store.origins.latest_hashes(self.info.name, [*winners, *deleted])
        unchanged, changed = split_stored(batch, winners, hashes, deleted)
        latest = store.origins.latest(self.info.name, changed) if changed else {}
        return unchanged, latest

    def _plan(
        self,
        batch: Sequence[RawRow],
        winners: Mapping[str, int],
        deletions: Sequence[Deletion],
        unchanged: set[str],
        latest: Mapping[str, OriginVersion],
    ) -> tuple[list[NewEvent], dict[str, str]]:
        """The events a batch calls for, and for each record event whether it is new,
        corrected or retracted."""
        plan = plan_batch(batch, winners, deletions, unchanged, latest)
        self.run.counts.unchanged += plan.unchanged
        drafts: list[NewEvent] = []
        outcome: dict[str, str] = {}
        self._pending = {}
        for raw, previous in plan.rows:
            try:
                mapped = self.parser.record(raw)
            except (ValueError, OverflowError) as err:
                # A value the parser's own checks let through: its row goes, not the file.
                mapped = Rejection(raw.source, raw.row, None, None, f"cannot be read ({err})")
            if isinstance(mapped, Rejection):
                self.run.reject(mapped)
                continue
            try:
                events = self._record_events(mapped, previous)
                for event in events:
                    check_event(event)
            except (ValidationError, UnknownEntity, DateError) as err:
                self.run.reject(Rejection(raw.source, raw.row, None, None, str(err)))
                continue
            label = "new" if previous is None else "corrected"
            for event in events:
                self._pending[event.id] = event
                if event.origin is not None and event.origin.key == raw.key:
                    outcome[event.id] = label
            drafts.extend(events)
        for deletion, previous in plan.withdrawn:
            version = previous.version + 1
            reason = "deleted at the source"
            root = self._root(previous)
            drafts.append(
                retraction(
                    self.info.name, root, previous, deletion.key, version, reason, deletion.stamp
                )
            )
            outcome[drafts[-1].id] = "retracted"
        return drafts, outcome

    def _record_events(
        self, record: SourceRecord, previous: OriginVersion | None
    ) -> list[NewEvent]:
        timeline = self.info.name
        definitions: list[NewEvent] = []
        date = parse_fuzzy(record.date, self.info.zone)
        # A dataset's names mean what they meant at the record's date.
        fields = self.run.names.resolve_fields(record, definitions, date.start)
        source_record = record.fields.get("record")
        validated = validate_fields(record.kind, fields, self.run.names.ids)
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
            previous.kind if previous.kind not in REVISION_KINDS else self._root(previous).kind
        )
        event_id = stable_id(timeline, f"{record.key}#{version}")
        if root_kind != record.kind:
            # The dataset re-classified the record: a correction cannot change a kind, so the
            # old event is retracted and the record starts again under its new kind.
            reason = f"re-classified as {record.kind}"
            root = self._root(previous)
            retracted = retraction(timeline, root, previous, None, None, reason, None)
            return [*definitions, retracted, event(record.kind, event_id, validated)]
        removed = {name: None for name in self._root_fields(previous) if name not in validated}
        replaced = {
            "target": previous.root_id,
            "fields": {**validated, **removed},
            "restates": True,
        }
        return [*definitions, event("correction", event_id, replaced)]

    def _root(self, previous: OriginVersion) -> NewEvent | Event:
        # The first version may be stored, or still pending in this very batch.
        pending = self._pending.get(previous.root_id)
        return pending if pending is not None else self.store.log.get(previous.root_id)

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


def _unstorable(raw: RawRow) -> Rejection | None:
    """The rejection of a row whose key or stamp no database column holds (a parser that
    checks its own cells names them better; an API answer's rows are checked here)."""
    try:
        check_text("key", raw.key, ORIGIN_LENGTH)
        check_int64("timestamp", raw.stamp)
        if raw.stamp is not None and raw.stamp < 0:
            raise ValidationError("timestamp: a Unix time is 0 or more", field="timestamp")
    except ValidationError as err:
        return Rejection(raw.source, raw.row, None, None, str(err))
    return None


@functools.lru_cache(maxsize=4096)
def _cached_sources(sources: tuple[tuple[tuple[str, str], ...], ...]) -> tuple[Source, ...]:
    # A dataset names the same publications over and over; read each spelling once.
    return parse_sources([dict(pairs) for pairs in sources])
