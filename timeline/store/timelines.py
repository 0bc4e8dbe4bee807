"""What every store implementation agrees on about timelines and the kinds of the log."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from timeline import entities
from timeline.dates import OPEN_START, DateError, from_micros, to_micros, validate_zone
from timeline.errors import InvalidInput
from timeline.limits import shown
from timeline.store.records import COUNT_NAMES, ImportRun

# Definitions of actors and places hold for all time: no valid date, no place in a fold.
DEFINITION_KINDS = tuple(entities.DEFINITION_KINDS)
# The registry's events (definitions, merges, acceptances) are not facts of the conflict: no
# timeline's count or span includes them.
REGISTRY_KINDS = tuple(sorted(entities.REGISTRY_KINDS))
# Events that hold for all time and change no fold, so make no snapshot stale. A merge is
# not one of them: its valid date is the period whose folds it changes.
TIMELESS_KINDS = (*entities.DEFINITION_KINDS, *entities.ACCEPT_KINDS)
# The valid start of an event dated with an open start ("../2011"): the first instant.
OPEN_START_US = to_micros(OPEN_START)


def check_timeline_name(name: str) -> None:
    """InvalidInput unless `name` is 1-64 letters, digits, '-', '_' or '.'."""
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_." for c in name):
        raise InvalidInput(
            f"timeline name {shown(name)}: use 1-64 letters, digits, '-', '_' or '.'",
            subject="timeline",
        )


def run_status(status: str, host: str | None, pid: int | None) -> str:
    """The status of an import run as shown: a run that died without finishing leaves
    "running" behind, and on the host it ran on that can be told apart ("interrupted")."""
    if status == "running" and host == socket.gethostname() and pid:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return "interrupted"
        except PermissionError:
            pass
    return status


def check_new_timeline(name: str, zone: str, title: str | None = None) -> None:
    """InvalidInput unless `name` is a valid timeline name, `zone` a known time zone and
    `title` a text a database holds."""
    check_timeline_name(name)
    if title is not None and "\x00" in title:
        raise InvalidInput(f"title {shown(title)} holds a NUL byte", subject="title")
    try:
        validate_zone(zone)
    except DateError as err:
        raise InvalidInput(str(err), subject="zone") from None


def import_run(row: Any) -> ImportRun:
    """The ImportRun of a row of the import ledger: anything with its columns as attributes
    (instants in microseconds, as stored)."""
    return ImportRun(
        id=row.id,
        timeline=row.timeline,
        source=row.source,
        format=row.format,
        content_hash=row.content_hash,
        started_at=from_micros(row.started_at),
        finished_at=from_micros(row.finished_at) if row.finished_at is not None else None,
        status=run_status(row.status, row.host, row.pid),
        new=row.new,
        corrected=row.corrected,
        retracted=row.retracted,
        unchanged=row.unchanged,
        rejected=row.rejected,
        error=row.error,
        feed=row.feed,
        high_water=row.high_water,
    )


def finished_columns(
    finished_at: datetime,
    status: str,
    counts: Mapping[str, int],
    error: str | None,
    content_hash: str | None,
    high_water: int | None,
) -> dict[str, Any]:
    """The columns of the import ledger that recording how a run ended sets: the hash read at
    the start stays unless another is given, the high-water mark is set only when given, and
    counts under names the ledger has no column for are left out."""
    columns: dict[str, Any] = {
        "finished_at": to_micros(finished_at),
        "status": status,
        "error": error,
        **count_columns(counts),
    }
    if content_hash:
        columns["content_hash"] = content_hash
    if high_water is not None:
        columns["high_water"] = high_water
    return columns


def count_columns(counts: Mapping[str, int]) -> dict[str, int]:
    """The count columns of the import ledger among `counts` (others are left out)."""
    return {name: n for name, n in counts.items() if name in COUNT_NAMES}
