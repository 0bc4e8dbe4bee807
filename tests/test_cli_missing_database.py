"""A command that only reads, pointed at a SQLite file that does not exist, says there is no
database there and creates nothing; a command that writes creates it, and the default database
is still made and seeded by the first `timeline at`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.app import READ_ONLY_COMMANDS
from timeline.cli import main

ARGS = {
    "at": ["at", "2020-05-26"],
    "diff": ["diff", "2020-01-01", "2020-06-01"],
    "history": ["history", "al-watiya"],
    "timelines": ["timelines"],
    "events": ["events"],
    "show": ["show", "17cc81ec"],
    "export": ["export"],
    "imports": ["imports"],
    "verify": ["verify"],
    "map": ["map", "2020-05-26", "-o", "x.png"],
    "chart": ["chart", "fatalities", "-o", "x.png"],
    "report": ["report", "2020-05-26", "-o", "x.html"],
}


def test_every_read_only_command_is_a_command() -> None:
    assert set(ARGS) == READ_ONLY_COMMANDS
    assert set(main.commands) >= READ_ONLY_COMMANDS


@pytest.mark.parametrize("command", sorted(ARGS))
@pytest.mark.parametrize("how", ["--db", "TIMELINE_DB"])
def test_a_read_only_command_on_a_missing_file_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, how: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "not" / "there" / "timeline.db"
    url = f"sqlite:///{path}"
    if how == "--db":
        result = CliRunner().invoke(main, ["--db", url, *ARGS[command]])
    else:
        result = CliRunner().invoke(main, ARGS[command], env={"TIMELINE_DB": url})
    assert result.exit_code == 2, result.output
    assert (
        result.stderr == f"Error: --db: no database at {str(path)!r}: there is nothing to "
        "read, and reading creates no database\n"
    )
    assert not (tmp_path / "not").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_command_that_writes_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "timeline.db"
    result = CliRunner().invoke(
        main, ["--db", f"sqlite:///{path}", "create", "syria", "--zone", "Asia/Damascus"]
    )
    assert result.exit_code == 0, result.output
    assert path.exists()
    timelines = CliRunner().invoke(main, ["--db", f"sqlite:///{path}", "timelines"])
    assert timelines.exit_code == 0
    assert "syria" in timelines.stdout


def test_the_default_database_is_still_made_and_seeded_by_the_first_at() -> None:
    from timeline import database

    assert not database.default_path().exists()
    result = CliRunner().invoke(main, ["at", "2020-05-26", "--section", "control"])
    assert result.exit_code == 0, result.output
    assert database.default_path().exists()
    assert "loaded the shipped timelines (libya)" in result.stderr
