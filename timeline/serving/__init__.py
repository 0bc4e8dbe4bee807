"""`timeline serve`: the library's answers over HTTP, read-only, and a web page to slide
through them (`app.py`); the questions it answers (`questions.py`), how it reads their
parameters (`parameters.py`) and its OpenAPI document (`openapi.py`).

Needs the `serve` extra (Starlette and uvicorn); nothing else in the package imports this one.
"""

from __future__ import annotations

from timeline.errors import TimelineError

INSTALL_HINT = "pip install 'timeline[serve]'"


class ServerNotInstalled(TimelineError):
    """Serving needs Starlette and uvicorn, an optional extra that is not installed (exit 4)."""

    exit_code = 4


def require_server() -> None:
    """Fail with one line saying how to install the server when it is missing."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as err:
        raise ServerNotInstalled(
            f"serving needs {err.name}, which is not installed: {INSTALL_HINT}"
        ) from None
