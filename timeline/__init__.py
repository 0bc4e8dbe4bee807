"""timeline: an event-sourced database of armed-conflict timelines."""

from __future__ import annotations

import os.path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__version__ = "0.1.0"

# os.path rather than pathlib: every command imports this package, `--version` and `--help`
# too, and pathlib would bring urllib.parse and ipaddress with it (a tenth of a bare click
# import).
_package_dir = os.path.dirname(os.path.realpath(__file__))
_checkout_dir = os.path.dirname(_package_dir)
# The wheel carries cli/, alembic/ and seeds/ inside this package. A source checkout keeps
# them beside it; adding the checkout to the package path makes `timeline.cli` import the
# same way in both, so tests and `python -m timeline` work without an install step.
if not os.path.isdir(os.path.join(_package_dir, "cli")) and os.path.isfile(
    os.path.join(_checkout_dir, "cli", "__init__.py")
):
    __path__.append(_checkout_dir)


def resource_dir(name: str) -> Path:
    """Return the folder of shipped data `name` ("alembic" or "seeds"), installed or checked out."""
    from pathlib import Path

    inside = Path(_package_dir, name)
    if inside.is_dir():
        return inside
    return Path(_checkout_dir, name)
