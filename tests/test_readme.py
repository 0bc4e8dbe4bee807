"""The README's commands are the ones that work: CI runs its test command word for word, and
every `timeline` command and option the tour shows exists."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from timeline.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.S)


def test_the_readme_has_the_two_set_up_commands() -> None:
    install, tests = (block.strip() for block in shell_blocks()[:2])
    assert install.endswith("pip install . && timeline at 2020-05-26")
    assert "pip install '.[test]'" in tests
    for tool in ("ruff check .", "ruff format --check .", "mypy", "pytest"):
        assert tool in tests


def test_ci_runs_the_readme_test_command_word_for_word() -> None:
    tests = shell_blocks()[1].strip()
    command = tests.split("&& . .venv/bin/activate && ", 1)[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command in ci.splitlines()


def _timeline_commands() -> list[list[str]]:
    commands = []
    for line in README.splitlines():
        line = line.strip()
        if line.startswith("$ timeline ") and not line.endswith("\\"):
            commands.append(shlex.split(line[2:])[1:])
    return commands


@pytest.mark.parametrize("words", _timeline_commands(), ids=" ".join)
def test_every_command_and_option_the_readme_shows_exists(words: list[str]) -> None:
    command: click.Command = main
    context = click.Context(main)
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        found = command.get_command(context, rest.pop(0))
        assert found is not None, words
        command = found
    options = {opt for param in command.params for opt in param.opts}
    for word in rest:
        if word.startswith("--"):
            assert word.split("=")[0] in options, (words, word)


# -- the outputs the README shows are the ones the commands print ------------------------------

# When a database recorded something: differs from run to run, so compared as a placeholder.
RECORDED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")


def _section(start: str, end: str) -> str:
    return README.split(start, 1)[1].split(end, 1)[0]


def _plain_blocks(text: str) -> list[str]:
    """The code blocks of `text` opened by a bare fence (not ```sh, ```ini...)."""
    blocks: list[str] = []
    current: list[str] | None = None
    plain = False
    for line in text.splitlines():
        if line.startswith("```"):
            if current is None:
                current, plain = [], line == "```"
            else:
                if plain:
                    blocks.append("\n".join(current) + "\n")
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def _sessions(text: str) -> list[tuple[list[str], list[str]]]:
    """The `$ timeline ...` commands of the plain code blocks of `text`, each with the lines
    shown after it."""
    sessions: list[tuple[list[str], list[str]]] = []
    for block in _plain_blocks(text):
        pending = ""
        for line in block.splitlines():
            if pending or line.startswith("$ timeline "):
                pending += line.removesuffix("\\").strip() + " "
                if not line.endswith("\\"):
                    sessions.append((shlex.split(pending[2:])[1:], []))
                    pending = ""
            elif sessions:
                sessions[-1][1].append(line.rstrip())
    return sessions


def _shown_in(expected: list[str], actual: list[str]) -> None:
    """Every line shown is printed, in that order; all of them, when nothing is elided."""
    expected = [RECORDED.sub("<instant>", line) for line in expected]
    actual = [RECORDED.sub("<instant>", line.rstrip()) for line in actual]
    if "..." not in expected:
        assert actual == expected
        return
    position = 0
    for line in expected:
        if line == "...":
            continue
        assert line in actual[position:], (line, actual)
        position = actual.index(line, position) + 1


@pytest.fixture
def tour(tmp_path: Path) -> Callable[..., Result]:
    """The README's scratch database, made as it says, on a pipe 100 columns wide."""
    runner = CliRunner(env={"COLUMNS": "100", "TIMELINE_DB": f"sqlite:///{tmp_path / 'tour.db'}"})
    assert "export TIMELINE_DB=sqlite:///tour.db && timeline seed" in README
    assert runner.invoke(main, ["seed"]).exit_code == 0
    return lambda args: runner.invoke(main, args)


def test_the_briefing_the_readme_shows_is_the_one_printed(tour: Callable[..., Result]) -> None:
    actual = tour(["at", "2020-05-26"]).stdout.splitlines()
    first_screen, forces = _plain_blocks(_section("## Set up", "## A tour"))
    shown = first_screen.splitlines()
    assert shown[0].startswith("new database ")  # what the first run of the default prints
    _shown_in(shown[1:], actual)
    assert shown[-1] == "..."
    assert [line.rstrip() for line in actual[: len(shown) - 2]] == shown[1:-1]
    _shown_in(["...", *forces.splitlines(), "..."], actual)


def test_the_tour_prints_what_the_readme_shows(tour: Callable[..., Result]) -> None:
    sessions = _sessions(_section("## A tour", "## Shell completion"))
    assert len(sessions) >= 10
    recorded = None
    for args, expected in sessions:
        if "--as-known" in args and recorded is not None:
            args = [recorded if RECORDED.fullmatch(a) else a for a in args]
        result = tour(args)
        assert result.exit_code == 0, (args, result.output)
        actual = (result.stdout + result.stderr).splitlines()
        if args[0] == "show":
            found = re.search(r"recorded_at: (\S+)", result.stdout)
            assert found is not None
            recorded = found.group(1)
        if "--as-known" in args:
            expected = [RECORDED.sub(str(recorded), line) for line in expected]
        _shown_in(expected, actual)
