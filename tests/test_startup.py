"""The command line starts without the library: `--version`, `--help` and every command's help
import click and the small modules of the command line, never SQLAlchemy, rich or the
projections (bench/startup.py measures what that is worth; this pins the property)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from timeline import choices, importing
from timeline.cli import main
from timeline.schema import SCHEMA_REVISION

REPO = Path(__file__).resolve().parent.parent

# Modules (and their submodules) that only commands which use them may import.
HEAVY = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "rich",
    "yaml",
    "pendulum",
    "timeline.projections",
    "timeline.store",
    "timeline.api",
    "timeline.answers",
    "timeline.importing",
    "timeline.database",
    "timeline.documents",
    # Reading dates and events is what commands do, not their help: timeline.events brings
    # hashlib, orjson and a dozen dataclasses, timeline.dates zoneinfo.
    "timeline.events",
    "timeline.dates",
    "csv",
)


def fresh_interpreter(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`script` run by a new Python process from the checkout, which must succeed."""
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


# Runs in a fresh interpreter: asks for the version, the help of `timeline` and the help of
# every command and group under it, then reports the exit codes and what was imported.
SCRIPT = """
import contextlib, io, json, sys
from timeline.cli import main

def walk(command, path=()):
    yield path
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))

runs = []
for args in [["--version"], *([*path, "--help"] for path in walk(main))]:
    out = io.StringIO()
    code = None
    with contextlib.redirect_stdout(out):
        try:
            main(args, prog_name="timeline")
        except SystemExit as exit:
            code = exit.code
    runs.append({"args": args, "code": code, "output": out.getvalue()})
print(json.dumps({"runs": runs, "modules": sorted(sys.modules)}))
"""


def test_version_and_help_import_nothing_heavy() -> None:
    result = fresh_interpreter(SCRIPT)
    report = json.loads(result.stdout)
    runs = report["runs"]
    paths = {" ".join(run["args"][:-1]) for run in runs if run["args"][-1] == "--help"}
    assert {"", "at", "import", "db", "db upgrade", "export", "seed"} <= paths
    for run in runs:
        assert run["code"] in (0, None), run
        expected = "timeline " if run["args"] == ["--version"] else "Usage: "
        assert run["output"].startswith(expected), run
    imported = [
        name
        for name in report["modules"]
        if any(name == heavy or name.startswith(heavy + ".") for heavy in HEAVY)
    ]
    assert imported == []


def test_version_and_a_command_s_help_import_no_more_of_the_standard_library() -> None:
    # What a bare `import click` does not import and these did, for a tenth of its time each:
    # pathlib (with urllib.parse and ipaddress), hashlib, json. (`timeline --help` alone reads
    # platformdirs, and pathlib with it, to name the default database's file.)
    script = (
        "import sys\n"
        "from timeline.cli import main\n"
        "for args in (['--version'], ['at', '--help'], ['import', '--help']):\n"
        "    try:\n"
        "        main(args, prog_name='timeline')\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    modules = set(fresh_interpreter(script).stderr.split())
    assert "click" in modules
    assert modules.isdisjoint({"pathlib", "hashlib", "json", "csv", "zoneinfo"})


def test_the_import_formats_offered_are_those_the_registry_holds() -> None:
    # The other choices are the library's own lists (SECTIONS, EXPORT_FORMATS, ...); the
    # import formats are the registry's keys, which the command line cannot load to show help.
    assert choices.IMPORT_FORMATS == importing.FORMATS


def test_a_database_error_is_still_one_line(tmp_path: Path) -> None:
    # A database that claims the newest schema but has no tables: the first query fails in
    # SQLAlchemy, which the command line no longer imports before a command runs.
    path = tmp_path / "hollow.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        conn.execute("INSERT INTO alembic_version VALUES (?)", (SCHEMA_REVISION,))
    conn.close()
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{path}", "timelines"])
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr == "Error: database error: no such table: timelines\n"


# `timeline at` on a database already at the schema head: what it must not import.
NOT_FOR_AN_ANSWER = (
    "alembic",  # the schema is at the head: one query says so
    "sqlalchemy.dialects.postgresql",  # a SQLite database
    "psycopg",
    "yaml",  # documents are for writing
    "timeline.documents",
    "timeline.importing",
    "timeline.seeds",
    "platformdirs",  # the database is named
    "rich",  # stdout is a pipe: cli/plain.py lays the briefing out
    "pendulum",  # time zones come from the standard library
    "timeline.projections.diff",  # an answer neither compares two states
    "timeline.projections.history",  # nor follows an entity
    "timeline.projections.transitions",
    "difflib",  # nor looks for the names closest to one it did not find
)

ANSWER = """
import json, sys
from timeline.cli import main
try:
    main(["--db", sys.argv[1], "at", "2020-05-26"], prog_name="timeline")
except SystemExit as exit:
    assert exit.code in (0, None), exit.code
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def test_an_answer_imports_only_what_it_uses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'small.db'}"
    for args in (
        ["create", "libya", "--zone", "Africa/Tripoli"],
        ["add", "place.defined", "-", "Tripoli", "-f", "place=tripoli", "-f", "name=Tripoli"],
        ["add", "actor.defined", "-", "GNA", "-f", "actor=gna", "-f", "name=GNA"],
        [
            "add",
            "control",
            "2020-05-18",
            "GNA holds Tripoli",
            "-f",
            "place=tripoli",
            "-f",
            "by=gna",
        ],
    ):
        result = CliRunner().invoke(main, ["--db", url, *args])
        assert result.exit_code == 0, result.output
    process = fresh_interpreter(ANSWER, url)
    assert "GNA holds Tripoli" in process.stdout
    modules = json.loads(process.stderr.splitlines()[-1])  # after any note
    assert "sqlalchemy" in modules  # it did read the database
    imported = [
        name
        for name in modules
        if any(name == unused or name.startswith(unused + ".") for unused in NOT_FOR_AN_ANSWER)
    ]
    assert imported == []
