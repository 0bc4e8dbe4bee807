"""`timeline serve` on the command line: its help, its options, and the line that says how to
install the server when it is missing. (tests/test_wheel.py runs the installed command.)"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from timeline.cli import main


def test_help_names_the_options_and_the_extra() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--db", "--root-path", "timeline[serve]"):
        assert option in result.output


@pytest.mark.parametrize("port", ["0", "65536", "http"])
def test_a_bad_port_is_a_usage_error(port: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--port", port])
    assert result.exit_code == 2
    assert "--port" in result.output


@pytest.mark.parametrize("missing", ["uvicorn", "starlette"])
def test_without_the_extra_it_says_how_to_install_it(
    missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 4
    assert result.output == (
        f"Error: serving needs {missing}, which is not installed: pip install 'timeline[serve]'\n"
    )


def test_workers_are_counted_from_one() -> None:
    result = CliRunner().invoke(main, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output
    assert "--workers" in CliRunner().invoke(main, ["serve", "--help"]).output


def test_several_workers_need_a_database(memory_stores: dict[str, object]) -> None:
    result = CliRunner().invoke(main, ["--db", "memory:w", "serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "--workers: more than one needs a database, not memory" in result.output


def test_several_workers_each_open_the_database_the_command_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn starts the workers from the factory's import string; each opens the database
    named in its environment and answers from it."""
    import uvicorn

    from timeline.serving import app as serving_app

    url = f"sqlite:///{tmp_path / 'w.db'}"
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setenv(serving_app.WORKER_DATABASE, "unset")
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    result = CliRunner().invoke(main, ["--db", url, "serve", "--workers", "2"])
    assert result.exit_code == 0, result.output
    [(target, options)] = calls
    assert (target, options["factory"], options["workers"]) == (
        "timeline.serving.app:worker_app",
        True,
        2,
    )
    assert os.environ[serving_app.WORKER_DATABASE] == url
    assert url not in result.output
    module, _, name = target.partition(":")
    factory = getattr(importlib.import_module(module), name)
    with TestClient(factory()) as client:
        assert client.get("/api/timelines").json() == []
