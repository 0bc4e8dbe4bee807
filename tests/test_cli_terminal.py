"""Output that fits the terminal: tables at 80 columns break no date or word, styles only on a
terminal and never under NO_COLOR, a closed pipe ends quietly; one run through a real
pseudo-terminal."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.cli import main, plain
from timeline.store.sql import SqlStore

REPO = Path(__file__).resolve().parents[1]
Invoke = Callable[..., Result]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DATE = re.compile(r"\d{4}(?:-\d\d(?:-\d\d)?)?(?:[~?]|/\d{4}(?:-\d\d(?:-\d\d)?)?)*")


def _url(store: SqlStore) -> str:
    return store.engine.url.render_as_string(hide_password=False)


@pytest.fixture
def narrow(libya_store: SqlStore) -> Invoke:
    runner = CliRunner(env={"COLUMNS": "80"})
    return lambda *args: runner.invoke(main, ["--db", _url(libya_store), *args])


def _dates(answer: object) -> set[str]:
    """Every fuzzy date ("since", an event's "date") an answer shows in a column that always
    stays; the dates of materiel losses are in one a narrow table may leave out."""
    found: set[str] = set()
    if isinstance(answer, dict):
        for key, value in answer.items():
            if key in ("since", "date") and isinstance(value, str):
                found.add(value)
            if key != "losses":
                found |= _dates(value)
    elif isinstance(answer, list):
        for value in answer:
            found |= _dates(value)
    return found


def _check_fits(text: str, whole: set[str], width: int = 80) -> None:
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    # A cell's text, its borders removed, holds each date whole on one line.
    cells = {cell.strip() for line in lines for cell in re.split(r"[│┃]", line)}
    words = {word for cell in cells for word in cell.split()}
    for date in whole:
        assert date in words or any(date in cell for cell in cells), date


@pytest.mark.parametrize("date", ["2016-06-01", "2019-04-10", "2020-05-26"])
def test_the_briefing_at_80_columns_breaks_no_date(narrow: Invoke, date: str) -> None:
    answer = json.loads(narrow("at", date, "--format", "json").stdout)
    result = narrow("at", date)
    assert result.exit_code == 0, result.output
    _check_fits(result.stdout, {d.rstrip("~?") for d in _dates(answer) if len(d) <= 30})
    for item in answer["presence"]:
        assert re.search(rf"│ {item['status']}\b", result.stdout), item["status"]


def test_the_events_table_at_80_columns_breaks_no_date(narrow: Invoke) -> None:
    records = json.loads(narrow("events", "--format", "json").stdout)
    result = narrow("events")
    assert result.exit_code == 0, result.output
    _check_fits(result.stdout, {r["date"] for r in records})


def test_an_empty_column_takes_no_space(narrow: Invoke) -> None:
    # No force of 2016-06-01 has a strength on record.
    text = narrow("at", "2016-06-01", "--section", "presence").stdout
    assert "Force" in text
    assert "Strength" not in text


words = st.text(alphabet="abcdefghij0123456789-/~", min_size=1, max_size=24)
cells = st.lists(words, max_size=5).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), count=st.integers(1, 7), width=st.integers(20, 200))
def test_fit_keeps_every_word_whole_when_the_room_allows(
    data: st.DataObject, count: int, width: int
) -> None:
    headings = [f"h{n}" for n in range(count)]
    rows = data.draw(st.lists(st.lists(cells, min_size=count, max_size=count), max_size=6))
    kept, widths = plain.fit(headings, rows, width, droppable=headings[1:])
    assert kept
    assert kept == sorted(kept)
    assert sum(widths) + 3 * len(kept) + 1 <= width or widths == [1] * len(kept)
    longest = [max([len(w) for row in rows for w in row[n].split()] or [0]) for n in kept]
    if sum(max(n, 2) for n in longest) + 3 * len(kept) + 1 <= width:
        assert all(w >= n for w, n in zip(widths, longest, strict=True))


def _in_terminal(url: str, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run `timeline ARGS` with a pseudo-terminal 80 columns wide as stdout; its output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 80, 0, 0))
    clean = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    clean.update({"TERM": "xterm-256color", "TIMELINE_DB": url, **env})
    process = subprocess.Popen(
        [sys.executable, "-m", "timeline", *args],
        stdout=slave,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=clean,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    process.wait(timeout=120)
    assert process.stderr is not None
    assert process.stderr.read() == b""
    return process.returncode, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


# What a terminal gets is the same on either backend: these run on SQLite alone.
@pytest.mark.slow
@pytest.mark.parametrize("libya_store", ["sqlite"], indirect=True)
def test_a_real_terminal_gets_styles_at_its_width_and_none_under_no_color(
    libya_store: SqlStore,
) -> None:
    url = _url(libya_store)
    code, styled = _in_terminal(url, ["at", "2020-05-26"], {})
    assert code == 0
    assert "\x1b[1m" in styled  # bold headings
    text = ANSI.sub("", styled)
    assert text.startswith("libya at 2020-05-26T22:00:00Z")
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "2020-05/2020-05-21" in text  # Russia at Al Jufra: the interval whole
    code, plain_text = _in_terminal(url, ["at", "2020-05-26"], {"NO_COLOR": "1"})
    assert code == 0
    assert "\x1b" not in plain_text
    assert plain_text == text


@pytest.mark.slow
@pytest.mark.parametrize("libya_store", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    "args",
    [
        ["at", "2020-05-26"],
        ["at", "2020-05-26", "--format", "json"],
        ["at", "2020-05-26", "--format", "jsonl"],
        ["events"],
        ["history", "al-watiya"],
        ["export", "--format", "yaml"],
    ],
    ids=" ".join,
)
def test_a_closed_pipe_ends_the_command_quietly_with_0(
    libya_store: SqlStore, args: list[str]
) -> None:
    env = {**os.environ, "TIMELINE_DB": _url(libya_store)}
    process = subprocess.Popen(
        [sys.executable, "-m", "timeline", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
        env=env,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.read(10)  # like `head`: a little, then gone
    process.stdout.close()
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0
    assert "Traceback" not in errors, errors
    assert "Error" not in errors, errors
