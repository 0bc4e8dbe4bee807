"""timeline: an event-sourced database of armed-conflict timelines."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

_package_dir = Path(__file__).resolve().parent
# The wheel carries cli/, alembic/ and seeds/ inside this package. A source checkout keeps
# them beside it; adding the checkout to the package path makes `timeline.cli` import the
# same way in both, so tests and `python -m timeline` work without an install step.
if not (_package_dir / "cli").is_dir() and (_package_dir.parent / "cli" / "__init__.py").is_file():
    __path__.append(str(_package_dir.parent))


def resource_dir(name: str) -> Path:
    """Return the folder of shipped data `name` ("alembic" or "seeds"), installed or checked out."""
    inside = _package_dir / name
    if inside.is_dir():
        return inside
    return _package_dir.parent / name
