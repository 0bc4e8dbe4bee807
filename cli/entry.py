"""The `timeline` process: the command line, then the quick way out of the interpreter.

`run` is what the installed command and `python -m timeline` call; tests and programs call
`main` (through click's CliRunner or `main.main(..., standalone_mode=False)`), which at most
raises SystemExit and leaves the process to end as Python ends it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading

from .app import main


def run() -> None:
    """Run the command line and end the process with its exit code.

    Python's own way out frees every object a command made and every module it imported, one
    by one: after `timeline at`, about 70 ms, a quarter of what the command costs above a bare
    SQLAlchemy import (bench/startup.py). The operating system takes the memory back at once,
    so the process leaves by `os._exit` once what matters at exit is done: the exit handlers
    run, the database connections are closed (a server sees them end as usual), and both
    output streams are flushed. A process with other threads still running (a server shutting
    down) leaves the usual way, which waits for them.
    """
    try:
        # Named as the installed command is, in usage lines and in the completion variable
        # (_TIMELINE_COMPLETE) that click reads.
        main(prog_name="timeline")
    except SystemExit as exit:
        code = _exit_code(exit.code)
    else:  # main always ends by SystemExit in standalone mode; a wrapper might not
        code = 0
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    database = sys.modules.get("timeline.database")
    if database is not None:
        database.close_engines()
    for stream in (sys.stdout, sys.stderr):
        # A reader gone away (`timeline at DATE | head -3`) ends the process quietly with the
        # code it had, as the commands do when they notice it themselves.
        with contextlib.suppress(OSError, ValueError, AttributeError):  # None: no stream
            stream.flush()
    os._exit(code)


def _exit_code(code: object) -> int:
    """The process exit code Python gives `sys.exit(code)`: 0 for None, an integer as is, and
    anything else written to stderr, with 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
