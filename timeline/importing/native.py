"""Native documents (JSON Lines, YAML): their formats, and their import.

A document with an `id` already stored is unchanged when it says what the event says (as
recorded or as revised), and a correction of it otherwise; a timeline header document
(`timeline:`, `zone:`) creates the timeline, or checks it, and the documents after it go there.
"""

from __future__ import annotations

import codecs
import io
import json
import re
from typing import IO, TYPE_CHECKING

from timeline import lookups
from timeline.documents import Drafter, Item, ItemError, read_items
from timeline.errors import ValidationError
from timeline.events import NewEvent
from timeline.importers.sources import Rejection
from timeline.importing.reconcile import reconcile_document
from timeline.store import EventQuery, TimelineInfo
from timeline.store.effective import revise

if TYPE_CHECKING:
    from timeline.importing.run import SourceImport

# A YAML document opens with a directive, a document marker, a list item or a mapping key.
_YAML_OPENING = re.compile(r"%|---(?:\s|$)|-(?:\s|$)|(?:\"[^\"]*\"|'[^']*'|[\w][\w .-]*):(?:\s|$)")


def _first_line(head: bytes) -> str | None:
    # The first line that is neither blank nor a comment, when `head` is text at all.
    if b"\x00" in head:
        return None
    text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped
    return None


class JsonLines:
    """Native documents as JSON Lines: one JSON object a line."""

    format = "jsonl"
    extensions: tuple[str, ...] = (".jsonl", ".ndjson")
    dataset = False

    def detect(self, head: bytes) -> bool:
        """Whether the first line of `head` is a whole JSON object that is a native document:
        a timeline header or an event (not, say, a one-line GeoJSON file)."""
        line = _first_line(head)
        if line is None or not (line.startswith("{") and line.endswith("}")):
            return False
        try:
            document = json.loads(line)
        except ValueError:
            return False
        return isinstance(document, dict) and ("kind" in document or "timeline" in document)


class YamlDocuments:
    """Native documents as YAML: a list of mappings, or one mapping."""

    format = "yaml"
    extensions: tuple[str, ...] = (".yaml", ".yml")
    dataset = False

    def detect(self, head: bytes) -> bool:
        """Whether `head` opens as a YAML list or mapping (comments above it skipped)."""
        line = _first_line(head)
        return line is not None and _YAML_OPENING.match(line) is not None


class NativeImport:
    """One file of native documents read into the timelines it names (or the one picked)."""

    def __init__(self, run: SourceImport) -> None:
        self.run = run
        self.store = run.store
        self.options = run.options

    def read(self, stream: IO[bytes]) -> None:
        """Import the documents of `stream`, batch by batch."""
        run = self.run
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline=None)
        drafter: Drafter | None = None
        pending: list[tuple[Item, NewEvent]] = []
        for item in read_items(text, run.name, run.fmt):
            if isinstance(item, ItemError):
                run.reject(Rejection(run.name, _line_of(item.where), None, None, item.message))
                continue
            if item.is_header:
                self._flush(pending)
                pending = []
                run.info = self._header(item)
                drafter = None
                continue
            if run.info is None:
                run.info = lookups.pick_timeline(self.store, self.options.timeline)
                run.start()
            if drafter is None:
                drafter = lookups.drafter(self.store, run.info)
            try:
                draft = drafter.draft(item)
            except ValidationError as err:
                # The message names the field already.
                message = _strip_where(str(err), item.where)
                run.reject(Rejection(run.name, _line_of(item.where), None, None, message))
                continue
            pending.append((item, draft))
            if len(pending) >= self.options.batch_size:
                self._flush(pending)
                pending = []
                if not self.options.dry_run:
                    # Stored now: the drafter finds them in the store, and holds only a
                    # batch (holding every draft made an import's memory grow with its file:
                    # 1.9 KB an event, 200 MB at 100,000 events).
                    drafter.forget_drafted()
        self._flush(pending)

    def _header(self, item: Item) -> TimelineInfo:
        info = lookups.header_timeline(
            self.store, item, self.options.timeline, create=not self.options.dry_run
        )
        # The run is recorded in the timeline the header names: it must know it first, or
        # the run goes unrecorded and the import leaves the snapshots stale.
        self.run.info = info
        self.run.start()
        return info

    def _flush(self, pending: list[tuple[Item, NewEvent]]) -> None:
        if not pending:
            return
        run = self.run
        drafts = [draft for _, draft in pending]
        stored = {e.id: e for e in self.store.log.select(EventQuery(ids=[d.id for d in drafts]))}
        revised = revise(self.store.log, stored.values())
        to_append: list[NewEvent] = []
        outcome: dict[str, str] = {}
        for item, draft in pending:
            existing = stored.get(draft.id)
            found = reconcile_document(
                draft, existing, revised[existing.id] if existing is not None else None
            )
            if found.label == "unchanged":
                run.counts.unchanged += 1
            elif found.label == "rejected":
                line = _line_of(item.where)
                run.reject(Rejection(run.name, line, found.field, found.value, found.reason))
            elif found.event is not None:
                to_append.append(found.event)
                outcome[found.event.id] = found.label
        if self.options.dry_run:
            run.count_planned(outcome)
        else:
            with self.store.writing(run.timeline, lock_timeout=self.options.lock_timeout) as tx:
                result = tx.log.append(to_append, import_run=run.run_id)
                run.count_added(to_append, outcome, {e.id for e in result.added})
                run.record_progress(tx)
            run.refresh_statistics()
        run.progress(len(pending))


def _line_of(where: str) -> int:
    match = re.search(r":(?:item )?(\d+)$", where)
    return int(match.group(1)) if match else 0


def _strip_where(message: str, where: str) -> str:
    prefix = f"{where}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
