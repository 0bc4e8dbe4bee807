"""Every command documents itself, and asking for help never touches a database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from timeline import __version__, database
from timeline.cli import main


def walk(command: click.Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command and group under `command`, itself included."""
    yield path
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


def command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


COMMANDS = list(walk(main))


def test_the_commands_are_all_there() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {
        "add",
        "events",
        "show",
        "correct",
        "retract",
        "verify",
        "timelines",
        "create",
        "db",
        "db upgrade",
        "db current",
        "db downgrade",
    } <= names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "timeline")
def test_every_command_and_option_has_help(path: tuple[str, ...]) -> None:
    command = command_at(path)
    assert (command.help or "").strip(), f"{' '.join(path)}: no help text"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]}: no help"


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "timeline")
def test_help_never_opens_the_database(path: tuple[str, ...], tmp_path: Path) -> None:
    never = tmp_path / "never" / "timeline.db"
    for db in (f"sqlite:///{never}", "postgresql://postgres@127.0.0.1:1/x", "nosuchdb://x"):
        result = CliRunner().invoke(main, ["--db", db, *path, "--help"])
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Usage: ")
        assert result.stderr == ""
    assert not never.parent.exists()


def test_timeline_help_and_version_without_any_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "event-sourced database of armed-conflict timelines" in result.stdout
    for name in ("add", "events", "verify", "db"):
        assert f"  {name} " in result.stdout
    version = CliRunner().invoke(main, ["--version"])
    assert version.stdout == f"timeline {__version__}\n"
    assert not database.default_path().exists()
    assert not database.default_path().parent.exists()
    assert list(tmp_path.iterdir()) == []
