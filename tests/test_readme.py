"""The README's commands are the ones that work: CI runs its test command word for word, and
every `timeline` command and option the tour shows exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

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
