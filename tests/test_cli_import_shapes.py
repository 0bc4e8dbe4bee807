"""`timeline import` refuses a source whose shape is not the format given at all, as a whole
and naming what it looks like; and says what earlier sources imported when a later one is
refused. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from timeline.cli import main

FIXTURES = Path(__file__).parent / "importers" / "fixtures"


def _run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", db_url, *args])


@pytest.mark.parametrize(
    ("content", "fmt", "looks"),
    [
        ("when,who,where\n2020-01-01,a,b\n2020-01-02,a,b\n", "jsonl", "CSV"),
        ("a;b;c\n1;2;3\n", "yaml", "CSV"),
        ('[{"kind": "note", "date": "2020", "title": "x"}]\n', "jsonl", "a JSON array"),
        ("<html><body>404</body></html>\n", "jsonl", "HTML or XML"),
        ("hello there\nnothing here\n", "jsonl", "plain text"),
    ],
)
def test_a_source_of_another_shape_is_refused_as_a_whole(
    db_url: str, tmp_path: Path, content: str, fmt: str, looks: str
) -> None:
    assert _run(db_url, "create", "libya", "--zone", "Africa/Tripoli").exit_code == 0
    path = tmp_path / f"source.{fmt}"
    path.write_text(content, encoding="utf-8")
    result = _run(db_url, "import", str(path), "--format", fmt)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr  # no line per rejected row
    assert lines[0].startswith(f"Error: --format: {path} looks like {looks}")
    assert f"not {fmt}" in lines[0]
    runs = json.loads(_run(db_url, "imports", "--format", "json").stdout)
    assert runs == []  # nothing was started


def test_a_damaged_native_file_is_still_checked_line_by_line(db_url: str, tmp_path: Path) -> None:
    assert _run(db_url, "create", "libya", "--zone", "Africa/Tripoli").exit_code == 0
    path = tmp_path / "damaged.jsonl"
    path.write_text('{"kind": "note", "date": "2020", "title": "ok"}\n{broken\n', "utf-8")
    result = _run(db_url, "import", str(path), "--format", "jsonl")
    assert "rejected" in result.stderr
    assert "imported 1 new" in result.stdout + result.stderr


def test_earlier_sources_are_reported_when_a_later_one_is_refused(
    db_url: str, tmp_path: Path
) -> None:
    assert _run(db_url, "create", "libya", "--zone", "Africa/Tripoli").exit_code == 0
    other = tmp_path / "b.csv"
    other.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    good = FIXTURES / "acled_current.csv"
    result = _run(db_url, "import", str(good), str(other), "--format", "acled")
    assert result.exit_code == 3, result.output
    assert "from acled_current.csv" in result.stdout
    assert result.stdout.startswith("imported ")
    assert "b.csv: not a CSV export of ACLED" in result.stderr
    quiet = _run(db_url, "import", str(good), str(other), "--format", "acled", "--quiet")
    assert quiet.stdout == ""
    assert "0 new" in quiet.stderr  # unchanged the second time, and still said
