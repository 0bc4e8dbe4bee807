"""The `timeline` command: a thin client of the `timeline` library.

Commands parse their arguments, make one library call and print; every library error becomes
a one-line message and an exit code here, in one place (`TimelineGroup.invoke`).
"""

from __future__ import annotations

# Commands register themselves on `main` when their modules are imported; here, rather than
# at the foot of app.py, so that the command modules and the group they join form no cycle.
from . import (
    database_commands,
    entity_commands,
    event_commands,
    feed_commands,
    import_commands,
    picture_commands,
    serve_command,  # noqa: F401 (registers `timeline serve`)
    state_commands,
)
from .app import main

__all__ = [
    "database_commands",
    "entity_commands",
    "event_commands",
    "feed_commands",
    "import_commands",
    "main",
    "picture_commands",
    "state_commands",
]
