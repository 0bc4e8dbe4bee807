"""The run: every source of one `timeline import`, each imported in turn and recorded in the
store's imports ledger, with counts of what it did."""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import IO, BinaryIO

from sqlalchemy.exc import SQLAlchemyError

from timeline import lookups
from timeline.errors import ImportFailed, SourceUnavailable, TimelineError
from timeline.events import NewEvent
from timeline.importers.http import Http, Limits
from timeline.importers.sources import Format, Rejection, SourceError, read_head
from timeline.importing.credentials import Credentials
from timeline.importing.datasets import DatasetImport
from timeline.importing.entities import EntityNames
from timeline.importing.formats import PlannedSource, is_dataset, plan_sources, resolve
from timeline.importing.native import NativeImport
from timeline.importing.sources import (
    STDIN,
    HashingReader,
    display_name,
    open_source,
    short_name,
)
from timeline.limits import one_line
from timeline.store import DEFAULT_LOCK_TIMEOUT, Store, TimelineInfo

BATCH_SIZE = 2000
# PostgreSQL's SQLSTATE for a statement the role may not run.
INSUFFICIENT_PRIVILEGE = "42501"
# Events a run adds before it has the database's query statistics refreshed (then at every
# doubling): see SqlStore.refresh_statistics.
STATISTICS_AFTER = 10_000


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
            self.count(name, value)

    @property
    def accepted(self) -> int:
        """Records that went in or were found stored already: all but the rejected."""
        return self.new + self.corrected + self.retracted + self.unchanged

    def count(self, label: str, n: int = 1) -> None:
        """Count `n` more records under `label` (new, corrected, ...)."""
        setattr(self, label, getattr(self, label) + n)


@dataclass(slots=True)
class ImportReport:
    """The outcome of `run_import` over every source."""

    counts: Counts = field(default_factory=Counts)
    sources: list[str] = field(default_factory=list)
    seconds: float = 0.0
    runs: list[int] = field(default_factory=list)
    # Sources of which every record was rejected: nothing of them went in.
    all_rejected: list[str] = field(default_factory=list)

    def summary(self, dry_run: bool = False) -> str:
        """One line: `imported 812 new, 3 corrected, ... from 2020_02.csv in 1.4 s`."""
        c = self.counts
        names = ", ".join(short_name(s) for s in self.sources[:3])
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
    """How to run an import. `fmt` None: each source's format is detected from its first
    bytes (an ACLED API URL is acled)."""

    fmt: str | None = None
    timeline: str | None = None
    dry_run: bool = False
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    batch_size: int = BATCH_SIZE
    since: int | None = None
    credentials: Credentials = field(default_factory=Credentials)
    # Bounds of the run's http(s) requests: per-read timeout, overall deadline, size, retries.
    limits: Limits = field(default_factory=Limits)
    # The named feed this run reads (its high-water mark is its own).
    feed: str | None = None


def run_import(
    store: Store,
    specs: Sequence[str],
    options: ImportOptions,
    *,
    on_reject: RejectHandler | None = None,
    on_progress: ProgressHandler | None = None,
    report: ImportReport | None = None,
) -> ImportReport:
    """Import every source in order; returns the counts. Rejected records go to `on_reject`
    and do not stop the run; a source that cannot be read at all raises. Every file is
    checked to exist and to be of the format given (or of one detected) before anything is
    written. `report`, when given, is filled in as sources finish: when a later source
    raises, it still says what the earlier ones imported."""
    planned = plan_sources(specs, options.fmt)
    report = report if report is not None else ImportReport()
    started = time.monotonic()
    info: TimelineInfo | None = None
    touched: set[str] = set()
    # One client for the run: its deadline spans every source.
    http = Http(options.limits, secrets=options.credentials.secrets())
    try:
        for source in planned:
            importer = SourceImport(store, source, options, info, on_reject, on_progress, http)
            counts = importer.run()
            report.counts.add(counts)
            report.sources.append(importer.name)
            if importer.run_id is not None:
                report.runs.append(importer.run_id)
            if counts.rejected and not counts.accepted:
                report.all_rejected.append(importer.name)
            info = importer.info or info
            if info is not None and importer.run_id is not None:
                touched.add(info.name)
    finally:
        report.seconds = time.monotonic() - started
    if not options.dry_run:
        # The nightly run pays for the snapshots its late arrivals made stale, so that the
        # analyst's next `timeline at` does not. Every timeline it imported into, changed or
        # not: a refresh resumes after the last snapshot written, so that one a killed run
        # left half-done is finished here, and one with nothing to do costs a fold of the
        # events after the last snapshot.
        from timeline.folding import refresh_snapshots

        for name in sorted(touched):
            try:
                refresh_snapshots(store, name)
            except SQLAlchemyError as err:
                # An importer role may not write snapshots (only their owner does, see
                # `timeline db grant`): the owner's next refresh or rebuild writes them, and
                # answers meanwhile fold a little more of the log.
                if getattr(getattr(err, "orig", None), "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
                    raise
    report.seconds = time.monotonic() - started
    return report


class SourceImport:
    """One source brought into one timeline: its format settled, its run recorded in the
    imports ledger, its counts kept; the records themselves are read by `DatasetImport` or
    `NativeImport`."""

    def __init__(
        self,
        store: Store,
        source: PlannedSource,
        options: ImportOptions,
        info: TimelineInfo | None,
        on_reject: RejectHandler | None,
        on_progress: ProgressHandler | None,
        http: Http | None = None,
    ) -> None:
        self.store = store
        self.http = http or Http(options.limits, secrets=options.credentials.secrets())
        self.source = source
        self.spec = source.spec
        self.name = display_name(source.spec)
        self.options = options
        self.info = info
        self.on_reject = on_reject
        self.on_progress = on_progress
        self.counts = Counts()
        self.run_id: int | None = None
        self.rows_seen = 0
        self.high_water: int | None = None
        self._format: Format | None = source.format
        self._names: EntityNames | None = None
        self._appended = 0
        self._next_statistics = STATISTICS_AFTER

    @property
    def timeline(self) -> str | None:
        """The timeline the run writes to, once known: whose writer lock its writes take."""
        return self.info.name if self.info is not None else None

    @property
    def fmt(self) -> str:
        """The name of the source's format, once settled."""
        assert self._format is not None
        return self._format.format

    def run(self) -> Counts:
        """Import the source; records the run in the `imports` table (not for dry runs)."""
        reader: HashingReader | None = None
        opened: BinaryIO | None = None
        try:
            if self.source.api:
                api = self._settle(self._format)
                assert is_dataset(api)
                # The run is recorded once the service has accepted the credentials.
                DatasetImport(self, api).fetch(self.spec)
            else:
                opened = open_source(self.spec, http=self.http)
                # Read ahead to check or detect the format before the run is recorded; the
                # reader passes these bytes on first, so the hash is of the whole source.
                head = read_head(opened, self.name)
                fmt = self._settle(resolve(self.name, head, self._format))
                reader = HashingReader(opened, head)
                stream = io.BufferedReader(reader, buffer_size=1 << 16)
                self.start()
                self._read(fmt, stream)
        except BaseException as err:
            failure = self._failure(err)
            shown = str(failure or err)
            masked = self.http.mask(shown)
            if self.run_id is not None:
                status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
                message = one_line(masked or type(err).__name__)
                # Best effort: the run's own error is what the user must see; a run left
                # "running" shows as interrupted once its process is gone.
                with (
                    contextlib.suppress(TimelineError, SQLAlchemyError),
                    self.store.writing(
                        self.timeline, lock_timeout=min(self.options.lock_timeout, 5.0)
                    ) as tx,
                ):
                    tx.imports.finish(
                        self.run_id, status=status, counts=self.counts.as_dict(), error=message
                    )
            if masked != shown:
                # A credential in a message (a server echoing it back): never shown.
                raise SourceUnavailable(masked) from None
            if failure is not None:
                raise failure from err
            raise
        finally:
            if opened is not None and self.spec != STDIN:
                opened.close()
        if self.run_id is not None:
            status, error = "ok", None
            if self.counts.rejected and not self.counts.accepted:
                status, error = "failed", "every record was rejected"
            elif self.counts.rejected:
                status = "rejected"
            with self.store.writing(self.timeline, lock_timeout=self.options.lock_timeout) as tx:
                tx.imports.finish(
                    self.run_id,
                    status=status,
                    counts=self.counts.as_dict(),
                    error=error,
                    content_hash=reader.digest.hexdigest() if reader is not None else None,
                    high_water=self.high_water if status != "failed" else None,
                )
        return self.counts

    def _failure(self, err: BaseException) -> ImportFailed | SourceError | None:
        """What a run that stopped on `err` raises instead, when `err` is no error of the
        input or the options that the caller would report as it is: a database that refused
        a write (exit 5, saying what was committed before), a source that broke off."""
        if isinstance(err, OSError):
            reason = err.strerror or str(err) or type(err).__name__
            return SourceError(f"{self.name}: reading stopped ({reason})")
        if isinstance(err, SQLAlchemyError) or (
            isinstance(err, TimelineError) and type(err).exit_code == 1
        ):
            first = getattr(err, "orig", None) or err
            reason = (
                str(first).strip().splitlines()[0] if str(first).strip() else type(err).__name__
            )
            c = self.counts
            committed = (
                f"{c.new} new, {c.corrected} corrected and {c.retracted} retracted before it "
                "stay imported"
            )
            return ImportFailed(f"{self.name}: the import stopped: {reason}; {committed}")
        return None

    def record_progress(self, tx: Store) -> None:
        """Record the run's counts in the transaction of the batch they count."""
        if self.run_id is not None:
            tx.imports.progress(self.run_id, self.counts.as_dict())

    def _settle(self, fmt: Format | None) -> Format:
        # A dataset goes into the timeline named (or the only one); native documents may
        # name their own in a header.
        assert fmt is not None
        self._format = fmt
        if is_dataset(fmt) and self.info is None:
            self.info = lookups.pick_timeline(self.store, self.options.timeline)
        return fmt

    def _read(self, fmt: Format, stream: IO[bytes]) -> None:
        if is_dataset(fmt):
            DatasetImport(self, fmt).read(stream)
        else:
            NativeImport(self).read(stream)

    # -- bookkeeping, for the readers ---------------------------------------------------------

    def start(self) -> None:
        """Record the run in the imports ledger, once its timeline is known (not for dry runs)."""
        if self.options.dry_run or self.info is None or self.run_id is not None:
            return
        with self.store.writing(self.info.name, lock_timeout=self.options.lock_timeout) as tx:
            self.run_id = tx.imports.start(
                self.info.name, self.name, self.fmt, None, feed=self.options.feed
            )

    def reject(self, rejection: Rejection) -> None:
        """Count a rejected record and pass it on, credentials masked; the run goes on
        without it."""
        mask = self.http.mask
        rejection = replace(
            rejection,
            source=mask(rejection.source),
            value=mask(rejection.value) if rejection.value is not None else None,
            reason=mask(rejection.reason),
        )
        self.counts.rejected += 1
        if self.on_reject is not None:
            self.on_reject(rejection)

    def progress(self, rows: int) -> None:
        """Count `rows` more records read, and say so."""
        self.rows_seen += rows
        if self.on_progress is not None:
            self.on_progress(self.name, rows)

    def count_planned(self, outcome: Mapping[str, str]) -> None:
        """Count what a dry run would have added, by label (new, corrected, retracted)."""
        for label in outcome.values():
            self.counts.count(label)

    def count_added(
        self, drafts: Sequence[NewEvent], outcome: Mapping[str, str], added: set[str]
    ) -> None:
        """Count what an append added, by label; the rest another run had stored already."""
        self._appended += len(added)
        for draft in drafts:
            label = outcome.get(draft.id)
            if label is None:
                continue
            if draft.id in added:
                self.counts.count(label)
            else:
                # Another run stored this very version a moment ago.
                self.counts.unchanged += 1

    def refresh_statistics(self) -> None:
        """Have the database's query statistics refreshed when the run has grown enough."""
        # Outside the writer's transaction, each time the run has doubled what it added (from
        # STATISTICS_AFTER on), so that the lookups of the batches to come keep their index.
        timeline = self.timeline  # known once anything was appended
        if self._appended >= self._next_statistics and timeline is not None:
            self.store.refresh_statistics(timeline)
            self._next_statistics = 2 * self._appended

    @property
    def names(self) -> EntityNames:
        """Entity names of the source resolved to ids of the run's timeline (whose registry
        is read on first use)."""
        if self._names is None:
            assert self.info is not None
            registry = lookups.load_registry(self.store, self.info.name)
            self._names = EntityNames(registry, self.info.name, self.fmt)
        return self._names


def write_rejects(rejections: Iterable[Rejection], out: IO[str]) -> None:
    """Rejected records as CSV: source, row, field, value, reason."""
    import csv

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "row", "field", "value", "reason"])
    for r in rejections:
        # Bounded like the messages: a megabyte cell is rejected in a line, not a megabyte.
        value = one_line(r.value, REJECTED_VALUE_LENGTH) if r.value else ""
        writer.writerow([r.source, r.row, r.field or "", value, one_line(r.reason)])


# How much of a rejected value the rejects file keeps: enough to find the row by.
REJECTED_VALUE_LENGTH = 200
