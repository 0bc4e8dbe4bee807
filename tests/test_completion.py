"""Shell completion offers the timelines, kinds, actors and places of the database, on both
backends, and creates nothing where there is no database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.shell_completion import ShellComplete

from timeline.cli import main
from timeline.store.sql import SqlStore


def complete(args: list[str], incomplete: str) -> list[str]:
    shell = ShellComplete(main, {}, "timeline", "_TIMELINE_COMPLETE")
    return [item.value for item in shell.get_completions(args, incomplete)]


@pytest.fixture
def libya_db(libya_store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> str:
    url = libya_store.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("TIMELINE_DB", url)
    return url


def test_timelines_kinds_and_entities_complete(libya_db: str) -> None:
    assert complete(["at", "-t"], "Li") == ["libya"]
    assert complete(["events", "--kind"], "ceasefire.") == [
        "ceasefire.collapsed",
        "ceasefire.ended",
        "ceasefire.in_force",
        "ceasefire.proposed",
        "ceasefire.violated",
    ]
    watiya = complete(["history"], "al w")
    assert "Al Watiya Air Base" in watiya
    assert "al-watiya" in complete(["events", "--entity"], "al-w")
    assert "Sirte" in complete(["at", "2020", "-e"], "sir")
    assert "Tripoli" in complete(["chart", "control", "-o", "c.png", "--place"], "trip")
    # --db given on the command line wins over the environment.
    assert complete(["--db", libya_db, "history"], "tarh") == ["Tarhuna", "tarhuna"]


def test_completion_creates_no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "none.db"
    monkeypatch.setenv("TIMELINE_DB", f"sqlite:///{missing}")
    assert complete(["at", "-t"], "") == []
    assert complete(["history"], "a") == []
    assert not missing.exists()
    monkeypatch.delenv("TIMELINE_DB")
    assert complete(["at", "-t"], "") == []  # the default database does not exist in tests
    # Kinds need no database.
    assert "control" in complete(["events", "-k"], "con")
