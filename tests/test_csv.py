"""`events --format csv` and `export --format csv` write one flat schema that a reader loads
with `csv` and types without parsing JSON; on both backends."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

from click.testing import CliRunner

from timeline.cli import main
from timeline.documents import CSV_COLUMNS, CSV_FIELDS
from timeline.store.sql import SqlStore

NUMBERS = ("seq", "count", "strength", "fatalities", "fatalities_low", "fatalities_high")
INSTANTS = ("valid_from", "valid_to", "recorded_at", "reported_at")


def _rows(store: SqlStore, *args: str) -> list[dict[str, str]]:
    url = store.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["--db", url, *args])
    assert result.exit_code == 0, result.output
    reader = csv.DictReader(io.StringIO(result.stdout))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


def test_events_and_export_write_the_same_flat_rows(libya_store: SqlStore) -> None:
    listed = _rows(libya_store, "events", "--format", "csv")
    exported = _rows(libya_store, "export", "--format", "csv")
    assert len(listed) == len(exported) > 300
    assert {r["id"]: r for r in listed} == {r["id"]: r for r in exported}


def test_every_column_has_the_type_a_reader_would_infer(libya_store: SqlStore) -> None:
    rows = _rows(libya_store, "export", "--format", "csv")
    for row in rows:
        for column in NUMBERS:
            assert row[column] == "" or row[column].lstrip("-").isdigit(), (column, row)
        for column in ("lat", "lon"):
            assert row[column] == "" or -180 <= float(row[column]) <= 180, (column, row)
        for column in INSTANTS:
            if row[column]:
                assert datetime.fromisoformat(row[column]).tzinfo is not None, (column, row)
        for column in CSV_COLUMNS:
            if column != "extra":
                # No JSON to parse: lists are joined, sources are text.
                assert not row[column].startswith(("{", "[")), (column, row)
        if row["extra"]:
            assert isinstance(json.loads(row["extra"]), dict)
            assert not set(json.loads(row["extra"])) & set(CSV_FIELDS)
    clashes = [r for r in rows if r["kind"] in ("clash", "strike") and r["actors"]]
    assert clashes
    assert all("; " in r["actors"] or r["actors"].replace("-", "").isalnum() for r in clashes)
    control = next(r for r in rows if r["kind"] == "control" and r["place"] == "al-watiya")
    assert control["by"]
    assert "Daily Sabah 2020-05-18" in control["sources"] or control["sources"]
    # Most rows need no JSON at all.
    assert sum(1 for r in rows if not r["extra"]) > 0.8 * len(rows)
