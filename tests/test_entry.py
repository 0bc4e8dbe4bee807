"""The `timeline` process: it ends with the command's exit code and everything it printed,
its database connections closed, without Python's clean-up of every object (cli/entry.py)."""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
import types
from pathlib import Path
from typing import Any

import pytest

from cli import entry

REPO = Path(__file__).resolve().parent.parent


def timeline(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "timeline", "--db", f"sqlite:///{db}", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_process_ends_with_the_command_s_code_output_and_closed_database(
    tmp_path: Path,
) -> None:
    db = tmp_path / "war.db"
    assert timeline(db, "create", "libya", "--zone", "UTC").returncode == 0
    # A database made by the command: its first connection closed too (see below).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["war.db"]
    added = timeline(db, "add", "note", "2020-05-20", "Talks in Berlin")
    assert added.returncode == 0, added.stderr

    answer = timeline(db, "at", "2020-05-26", "--format", "json")
    assert answer.returncode == 0, answer.stderr
    assert [e["title"] for e in json.loads(answer.stdout)["recent"]] == ["Talks in Berlin"]

    refused = timeline(db, "at", "2020-13-01")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1
    assert "2020-13-01" in refused.stderr

    # The connections were closed before the process left: SQLite removes a WAL file when
    # the last connection to the database closes, and leaves it behind otherwise.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["war.db"]


class Left(Exception):
    """Raised in place of leaving the process."""

    def __init__(self, how: str, code: object) -> None:
        super().__init__(how, code)
        self.how, self.code = how, code


@pytest.fixture
def leaving(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`run` with the process's ways out replaced: it raises Left instead, and the exit
    handlers it would run and the engines it would close are noted, not run nor closed (they
    are this test process's own)."""
    ran: list[str] = []

    def exit_now(code: int) -> None:
        raise Left("os._exit", code)

    def exit_usual(code: object = None) -> None:
        raise Left("sys.exit", code)

    monkeypatch.setattr(os, "_exit", exit_now)
    monkeypatch.setattr(sys, "exit", exit_usual)
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: ran.append("exit handlers"))
    # This test process's engines stay open; the threads of other tests do not count.
    database = types.SimpleNamespace(close_engines=lambda: ran.append("engines closed"))
    monkeypatch.setitem(sys.modules, "timeline.database", database)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    return ran


@pytest.mark.parametrize(
    ("raised", "code", "stderr"),
    [(None, 0, ""), (0, 0, ""), (3, 3, ""), ("a message", 1, "a message\n")],
)
def test_the_exit_code_is_the_one_python_would_give(
    leaving: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: Any,
    code: int,
    stderr: str,
) -> None:
    def command(**_: Any) -> None:
        raise SystemExit(raised)

    monkeypatch.setattr(entry, "main", command)
    with pytest.raises(Left) as left:
        entry.run()
    assert (left.value.how, left.value.code) == ("os._exit", code)
    assert leaving == ["exit handlers", "engines closed"]
    assert capsys.readouterr().err == stderr


def test_with_other_threads_running_the_process_leaves_the_usual_way(
    leaving: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def command(**_: Any) -> None:
        raise SystemExit(4)

    monkeypatch.setattr(entry, "main", command)
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    with pytest.raises(Left) as left:
        entry.run()
    assert (left.value.how, left.value.code) == ("sys.exit", 4)
    assert leaving == []
