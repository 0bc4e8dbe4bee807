"""The `timeline` command: a thin client of the `timeline` library.

Commands parse their arguments, make one library call and print; every library error becomes
a one-line message and an exit code here, in one place (`TimelineGroup.invoke`).
"""

from __future__ import annotations

from .app import main

__all__ = ["main"]
