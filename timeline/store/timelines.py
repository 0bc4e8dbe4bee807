"""What every store implementation agrees on about timelines and the kinds of the log."""

from __future__ import annotations

import os
import socket

from timeline import entities
from timeline.dates import OPEN_START, to_micros
from timeline.errors import InvalidInput

# Definitions of actors and places hold for all time: no valid date, no place in a fold.
DEFINITION_KINDS = tuple(entities.DEFINITION_KINDS)
# The valid start of an event dated with an open start ("../2011"): the first instant.
OPEN_START_US = to_micros(OPEN_START)


def check_timeline_name(name: str) -> None:
    """InvalidInput unless `name` is 1-64 letters, digits, '-', '_' or '.'."""
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_." for c in name):
        raise InvalidInput(
            f"timeline name {name!r}: use 1-64 letters, digits, '-', '_' or '.'", subject="timeline"
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
