"""Hostile cells and documents, through `timeline import` and `timeline add --from-file`, on
SQLite and PostgreSQL: one bad value rejects its own record (file:row, field, a shortened
value) and the good records import; nothing reaches a database that it cannot hold; every
message and rejects line stays short; the exit codes say what happened."""

from __future__ import annotations

import csv
import functools
import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_import import FIXTURES, Cli, by_origin, csv_rows, expect, write_csv
from timeline.limits import MAX_COUNT

HUGE = "9" * 5000  # beyond Python's int-string limit (4300 digits)
LONG_LINE = 500  # no line of output may be longer than this


@pytest.fixture
def cli(db_url: str) -> Cli:
    return Cli(db_url)


@pytest.fixture
def libya(cli: Cli) -> Cli:
    cli.ok("create", "libya", "--zone", "Africa/Tripoli")
    return cli


def short_lines(text: str) -> list[str]:
    lines = text.splitlines()
    assert all(len(line) <= LONG_LINE for line in lines), max(lines, key=len)[:200]
    return lines


# -- dataset cells ------------------------------------------------------------------------------

# (column, value, what the rejection line says of it)
ACLED_CELLS = [
    ("fatalities", HUGE, "is out of range (0 to 1,000,000,000)"),
    ("fatalities", str(2**64), "is out of range"),
    ("fatalities", str(2**63), "is out of range"),
    ("fatalities", str(MAX_COUNT + 1), "is out of range"),
    ("timestamp", str(2**63), "is out of range"),
    ("timestamp", HUGE, "is out of range"),
    ("event_id_cnty", "K" * 300, "is longer than 194 characters"),
    ("notes", "shelling\x00of the port", "holds a NUL byte"),
    ("actor1", "A\x00B", "holds a NUL byte"),
    ("geo_precision", HUGE, "is out of range"),
]


@pytest.mark.parametrize(("column", "value", "reason"), ACLED_CELLS)
def test_a_bad_acled_cell_rejects_its_row_and_the_others_import(
    libya: Cli, tmp_path: Path, column: str, value: str, reason: str
) -> None:
    rows = csv_rows(FIXTURES / "acled_current.csv")
    bad_key = rows[1]["event_id_cnty"]
    rows[1][column] = value
    path = write_csv(tmp_path / "acled.csv", rows)
    rejects = tmp_path / "rejects.csv"

    result = libya("import", "--format", "acled", str(path), "--rejects", str(rejects))

    assert result.exit_code == 1, result.output
    expect(result.stdout, new=3, rejected=1)
    [line] = short_lines(result.stderr)
    assert line.startswith(f"rejected {path}:3: {column} '"), line
    assert reason in line, line
    stored = by_origin(libya.events())
    assert f"acled:{bad_key}" not in stored
    assert len(stored) == 3
    # The totals count the good rows, every one of them.
    good = [r for r in csv_rows(FIXTURES / "acled_current.csv") if r["event_id_cnty"] != bad_key]
    assert libya.at()["fatalities"]["total"] == sum(int(r["fatalities"]) for r in good)
    [run] = libya.runs()
    assert (run["status"], run["new"], run["rejected"]) == ("rejected", 3, 1)
    with rejects.open(encoding="utf-8", newline="") as stream:
        _, written = list(csv.reader(stream))
    assert written[:3] == [str(path), "3", column]
    assert len(written[3]) <= 200
    assert "\x00" not in written[3]
    assert reason in written[4]


UCDP_CELLS = [
    ("best", HUGE, "is out of range"),
    ("high", str(2**64), "is out of range"),
    ("id", "1" * 300, "is longer than 195 characters"),
    ("side_a", "Government\x00of Libya", "holds a NUL byte"),
]


@pytest.mark.parametrize(("column", "value", "reason"), UCDP_CELLS)
def test_a_bad_ucdp_cell_rejects_its_row_and_the_others_import(
    libya: Cli, tmp_path: Path, column: str, value: str, reason: str
) -> None:
    rows = csv_rows(FIXTURES / "ucdp_current.csv")
    rows[0][column] = value
    path = write_csv(tmp_path / "ged.csv", rows)
    result = libya("import", "--format", "ucdp", str(path))
    assert result.exit_code == 1, result.output
    expect(result.stdout, new=len(rows) - 1, rejected=1)
    [line] = short_lines(result.stderr)
    assert line.startswith(f"rejected {path}:2: {column} '"), line
    assert reason in line, line


def test_a_megabyte_cell_is_rejected_in_one_short_line(libya: Cli, tmp_path: Path) -> None:
    rows = csv_rows(FIXTURES / "acled_current.csv")
    rows[0]["fatalities"] = "many " * 200_000
    path = write_csv(tmp_path / "acled.csv", rows)
    rejects = tmp_path / "rejects.csv"
    result = libya("import", "--format", "acled", str(path), "--rejects", str(rejects))
    assert result.exit_code == 1
    short_lines(result.stderr)
    assert rejects.stat().st_size < 1000


# -- native documents ---------------------------------------------------------------------------

GOOD = {"kind": "note", "date": "2020-01-01", "title": "fine", "text": "a"}
# (document, what the rejection line says)
NATIVE_DOCUMENTS = [
    ({"kind": "clash", "date": "2020-01-02", "title": "x", "fatalities": 2**64}, "out of range"),
    ({"kind": "clash", "date": "2020-01-02", "title": "x", "fatalities": 2**63}, "out of range"),
    ({"kind": "clash", "date": "2020-01-02", "title": "x", "fatalities": -3}, "out of range"),
    ({"kind": "note", "date": "2020-01-02", "title": "a\x00b", "text": "x"}, "NUL byte"),
    ({"kind": "note", "date": "2020-01-02", "title": "x", "origin": "a:" + "k" * 300}, "longer"),
    (
        {
            "kind": "note",
            "date": "2020-01-02",
            "title": "x",
            "origin": {"key": "a:1", "stamp": 2**63},
        },
        "out of range",
    ),
    ({"kind": "note", "date": "2020-01-02", "title": "x", "confidence": "c" * 5000}, "is not one"),
    ({"kind": "note", "date": "2" * 5000, "title": "x"}, "date"),
    (
        {
            "kind": "clash",
            "date": "2020-01-02",
            "title": "x",
            "fatalities": 3,
            "fatalities_civilians": 4,
        },
        "fatalities: 3 is fewer than the dead it breaks down into (4:",
    ),
    (
        {"kind": "clash", "date": "2020-01-02", "title": "x", "fatalities_low": 7, "fatalities": 5},
        "fatalities_low: 7 is more than fatalities (5)",
    ),
]


@pytest.mark.parametrize(("document", "reason"), NATIVE_DOCUMENTS)
def test_a_bad_jsonl_document_is_rejected_and_the_others_import(
    libya: Cli, tmp_path: Path, document: dict[str, object], reason: str
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(document) + "\n", encoding="utf-8")
    result = libya("import", "--format", "jsonl", str(path))
    assert result.exit_code == 1, result.output
    expect(result.stdout, new=1, rejected=1)
    [line] = short_lines(result.stderr)
    assert line.startswith(f"rejected {path}:2: "), line
    assert reason in line, line
    assert [e["title"] for e in libya.events()] == ["fine"]


def test_a_json_number_of_thousands_of_digits_rejects_its_line(libya: Cli, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        json.dumps(GOOD)
        + "\n"
        + '{"kind": "clash", "date": "2020-01-02", "title": "x", "fatalities": '
        + HUGE
        + "}\n",
        encoding="utf-8",
    )
    result = libya("import", "--format", "jsonl", str(path))
    assert result.exit_code == 1, result.output
    [line] = short_lines(result.stderr)
    assert line.startswith(f"rejected {path}:2: not valid JSON"), line


# The second document of a YAML file (after a good one), and what its rejection says.
YAML_BAD = [
    ("kind: clash\n  title: x\n  date: 2019-02-29", "date: '2019-02-29' is not a date"),
    ("kind: clash\n  title: x\n  date: 2019-04-04 25:00:00", "'2019-04-04 25:00:00' is not a date"),
    (
        "kind: clash\n  title: x\n  date: 2020-01-02\n  reported: 2019-02-30",
        "reported: '2019-02-30'",
    ),
    (
        "kind: clash\n  title: x\n  date: 2020-01-02\n"
        "  sources: [{name: Reuters, published: 2019-02-29}]",
        "'2019-02-29' is not a date",
    ),
    (f"kind: clash\n  title: x\n  date: 2020-01-02\n  fatalities: {HUGE}", "out of range"),
    ("kind: clash\n  title: x\n  date: 2020-01-02\n  fatalities: 18446744073709551616", "range"),
    ('kind: note\n  text: a\n  date: 2020-01-02\n  title: "a\\0b"', "NUL byte"),
]


@pytest.mark.parametrize(("lines", "reason"), YAML_BAD)
def test_a_bad_yaml_document_is_rejected_by_import_and_refused_by_add(
    libya: Cli, tmp_path: Path, lines: str, reason: str
) -> None:
    path = tmp_path / "events.yaml"
    path.write_text(
        f"- kind: note\n  date: 2020-01-01\n  title: fine\n  text: a\n- {lines}\n",
        encoding="utf-8",
    )
    result = libya("import", "--format", "yaml", str(path))
    assert result.exit_code == 1, result.output
    expect(result.stdout, new=1, rejected=1)
    [line] = short_lines(result.stderr)
    assert line.startswith(f"rejected {path}:2: "), line
    assert reason in line, line

    # `add --from-file` is all or nothing: the same document refuses the file, exit 2.
    before = libya.events()
    added = libya("add", "--from-file", str(path))
    assert added.exit_code == 2, added.output
    [error] = short_lines(added.stderr)
    assert error.startswith("Error: "), error
    assert reason in error, error
    assert libya.events() == before


def test_a_timeline_header_with_a_nul_byte_refuses_the_file(libya: Cli, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(
        json.dumps({"timeline": "li\x00bya", "zone": "Africa/Tripoli"}) + "\n" + json.dumps(GOOD),
        encoding="utf-8",
    )
    result = libya("import", "--format", "jsonl", str(path))
    assert result.exit_code == 2, result.output
    [line] = short_lines(result.stderr)
    assert "timeline name" in line
    assert libya.events() == []


def test_add_refuses_values_no_column_holds(libya: Cli) -> None:
    result = libya("add", "clash", "2020-01-02", "x", "--field", f"fatalities={2**64}")
    assert result.exit_code == 2, result.output
    assert "out of range" in result.stderr
    assert libya.events() == []


# -- exit codes ---------------------------------------------------------------------------------


def test_a_source_whose_every_record_is_rejected_exits_5(libya: Cli, tmp_path: Path) -> None:
    rows = csv_rows(FIXTURES / "acled_current.csv")
    for row in rows:
        row["fatalities"] = HUGE
    path = write_csv(tmp_path / "poison.csv", rows)
    result = libya("import", "--format", "acled", str(path))
    assert result.exit_code == 5, result.output
    lines = short_lines(result.stderr)
    assert len(lines) == len(rows) + 1
    assert lines[-1] == f"Error: nothing imported from {path}: every record was rejected"
    expect(result.stdout, rejected=len(rows))
    [run] = libya.runs()
    assert (run["status"], run["error"]) == ("failed", "every record was rejected")
    # A good source beside it still imports; the run still exits 5 for the poisoned one.
    both = libya("import", "--format", "acled", str(FIXTURES / "acled_current.csv"), str(path))
    assert both.exit_code == 5
    assert len(by_origin(libya.events())) == 4


def test_a_database_error_mid_import_exits_5_naming_what_was_committed(
    libya: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    import timeline.importing
    from timeline.importing import ImportOptions, datasets

    path = write_csv(tmp_path / "acled.csv", csv_rows(FIXTURES / "acled_current.csv"))
    real = datasets.DatasetImport._batch
    batches: list[int] = []

    def second_batch_fails(self: datasets.DatasetImport, *args: Any) -> None:
        batches.append(1)
        if len(batches) == 2:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))
        real(self, *args)

    monkeypatch.setattr(datasets.DatasetImport, "_batch", second_batch_fails)
    monkeypatch.setattr(
        timeline.importing, "ImportOptions", functools.partial(ImportOptions, batch_size=2)
    )
    result = libya("import", "--format", "acled", str(path))

    assert result.exit_code == 5, result.output
    [line] = short_lines(result.stderr)
    assert line == (
        f"Error: {path}: the import stopped: disk I/O error; 2 new, 0 corrected and "
        "0 retracted before it stay imported"
    )
    assert len(by_origin(libya.events())) == 2
    [run] = libya.runs()
    assert (run["status"], run["new"]) == ("failed", 2)
    assert "disk I/O error" in run["error"]


def test_exit_codes_at_a_glance(libya: Cli, tmp_path: Path) -> None:
    good = str(FIXTURES / "acled_current.csv")
    assert libya("import", "--format", "acled", good).exit_code == 0
    assert libya("import", "--format", "acled", str(FIXTURES / "acled_bad_rows.csv")).exit_code == 1
    assert libya("import", "--format", "nonsense", good).exit_code == 2
    assert libya("import", "--format", "acled", str(FIXTURES / "empty.csv")).exit_code == 3
    rows = csv_rows(FIXTURES / "acled_current.csv")
    for row in rows:
        row["event_date"] = "someday"
    poison = write_csv(tmp_path / "poison.csv", rows)
    assert libya("import", "--format", "acled", str(poison)).exit_code == 5
