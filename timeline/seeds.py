"""The timelines shipped with the package (`seeds/`), loaded through the ordinary native
import: idempotent, so loading twice adds nothing and a newer package tops up an older
database with corrections where the seed text changed."""

from __future__ import annotations

from pathlib import Path

from timeline import resource_dir
from timeline.errors import NotFound
from timeline.importing import ImportOptions, ImportReport, run_import
from timeline.store import Store

HEADER = "timeline.yaml"


def seed_root() -> Path:
    """The folder holding one sub-folder per shipped timeline."""
    return resource_dir("seeds")


def available() -> list[str]:
    """Names of the shipped timelines."""
    root = seed_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / HEADER).is_file())


def seed_files(name: str) -> list[Path]:
    """The files of one shipped timeline: its header first, then its events in name order."""
    folder = seed_root() / name
    if not (folder / HEADER).is_file():
        raise NotFound(
            f"no shipped timeline {name!r} (shipped: {', '.join(available()) or 'none'})",
            subject="timeline",
        )
    events = sorted(p for p in folder.glob("*.yaml") if p.name != HEADER)
    return [folder / HEADER, *events]


def load_seed(store: Store, name: str) -> ImportReport:
    """Load or top up one shipped timeline."""
    files = [str(p) for p in seed_files(name)]
    return run_import(store, files, ImportOptions(fmt="yaml", timeline=name))


def load_all_seeds(store: Store) -> list[str]:
    """Load every shipped timeline; returns their names."""
    names = available()
    for name in names:
        load_seed(store, name)
    return names
