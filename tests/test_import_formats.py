"""The registry of import formats: detection from a source's first bytes, one contract every
registered format keeps on bad input, and `timeline import` with a wrong `--format` or none.

The contract (after doc2dash's parser contract): whatever a format is handed (an empty file,
a header alone, binary junk, another format's file, a file cut off mid-record) the import
ends with one line per fault naming the file (and the row, for a record), never a
traceback, and stores nothing it could not read whole.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_import import FIXTURES, Cli, expect
from timeline.errors import InvalidInput
from timeline.importers.sources import read_head
from timeline.importing import FORMATS, REGISTRY, detected, format_named
from timeline.importing.formats import resolve
from timeline.seeds import seed_root

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def detect(data: bytes) -> list[str]:
    return [fmt.format for fmt in detected(data)]


def detect_file(path: Path) -> list[str]:
    with path.open("rb") as stream:
        return detect(read_head(stream, path.name))


@pytest.fixture
def libya(db_url: str) -> Cli:
    """A database holding one empty timeline, `libya`."""
    cli = Cli(db_url)
    cli.ok("create", "libya", "--zone", "Africa/Tripoli")
    return cli


# -- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("acled_current.csv", ["acled"]),
        ("acled_2019.csv", ["acled"]),
        ("acled_pre2019.csv", ["acled"]),
        ("acled_spreadsheet.csv", ["acled"]),  # UTF-8 BOM, column names in mixed case
        ("acled_header_only.csv", ["acled"]),
        ("acled_multiline.csv", ["acled"]),
        ("acled_truncated.csv", ["acled"]),
        ("acled_bad_rows.csv", ["acled"]),
        # Recognised, so that the parser can say which required column is missing.
        ("acled_missing_columns.csv", ["acled"]),
        ("ucdp_current.csv", ["ucdp"]),
        ("ucdp_old.csv", ["ucdp"]),
        ("empty.csv", []),
        ("junk.bin", []),
    ],
)
def test_the_fixtures_are_detected_as_their_format(name: str, expected: list[str]) -> None:
    assert detect_file(FIXTURES / name) == expected


def test_csv_headers_are_detected_with_a_bom_blank_lines_quotes_or_semicolons() -> None:
    assert detect(b"\xef\xbb\xbfid,relid,side_a,side_b,best\r\n1,x,A,B,2\r\n") == ["ucdp"]
    assert detect(b'\n\n"EVENT_ID_CNTY","EVENT_DATE"\nLBY1,2020-01-01\n') == ["acled"]
    assert detect(b"event_date;event_type;actor1;fatalities\n") == ["acled"]
    # Words of a header inside a cell, or a header that is neither dataset's, are not enough.
    assert detect(b"name,notes\nx,event_id_cnty relid side_a\n") == []
    assert detect(b"id,date_start,best\n") == []


def test_native_documents_are_detected_by_their_structure() -> None:
    assert detect(b'{"timeline": "libya", "zone": "Africa/Tripoli"}\n{"kind": "note"}\n') == [
        "jsonl"
    ]
    assert detect(b"\xef\xbb\xbf# comment\n\n- kind: note\n  date: 2020-01-01\n") == ["yaml"]
    assert detect(b"timeline: libya\nzone: Africa/Tripoli\n") == ["yaml"]
    assert detect(b"---\n- kind: note\n") == ["yaml"]
    # A JSON array is neither JSON Lines nor a YAML list; a cut-off first object is unknown.
    assert detect(b'[{"kind": "note"}]\n') == []
    assert detect(b'{"kind": "note", "da') == []
    assert detect(b'{"type": "FeatureCollection", "features": []}\n') == []


def test_the_shipped_seed_files_are_yaml() -> None:
    files = sorted((seed_root() / "libya").glob("*.yaml"))
    assert files
    assert {path.name: detect_file(path) for path in files} == {
        path.name: ["yaml"] for path in files
    }


@pytest.mark.skipif(not DATA.is_dir(), reason=f"the shared real-data folder {DATA} is absent")
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("acled_libya_2011-01-31_2012-03-01_McCartneyAC.csv", ["acled"]),
        ("ucdp_libya_ceciliatrasi.csv", ["ucdp"]),
        ("libya_places.csv", []),
        ("libya_border.geojson", []),
    ],
)
def test_the_real_exports_are_detected_as_their_format(name: str, expected: list[str]) -> None:
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    assert detect_file(path) == expected


def test_a_format_given_is_checked_and_one_omitted_must_be_detectable() -> None:
    acled, ucdp = format_named("acled"), format_named("ucdp")
    head = (FIXTURES / "ucdp_current.csv").read_bytes()[:8192]
    assert resolve("x.csv", head, None) is ucdp
    assert resolve("x.csv", head, ucdp) is ucdp
    with pytest.raises(InvalidInput) as wrong:
        resolve("x.csv", head, acled)
    assert (str(wrong.value), wrong.value.subject) == ("x.csv looks like ucdp, not acled", "fmt")
    # Nothing recognised: the format given decides (its parser says what is wrong) ...
    assert resolve("e.csv", b"", acled) is acled
    # ... and without one the source is refused, naming it and the formats there are.
    with pytest.raises(InvalidInput, match=r"^e\.csv: cannot tell its format \(it is empty\)"):
        resolve("e.csv", b"", None)
    with pytest.raises(InvalidInput, match="'xlsx' is not one of acled, ucdp, jsonl, yaml"):
        format_named("xlsx")


# -- the contract every registered format keeps -----------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A good file of a format: its header and its first record, and where to cut the record
    so that what is left cannot be read as a whole record."""

    suffix: str
    header: bytes
    record: bytes
    cut_before: bytes

    @property
    def whole(self) -> bytes:
        return self.header + self.record

    @property
    def truncated(self) -> bytes:
        return self.header + self.record[: self.record.index(self.cut_before)]


def _csv_sample(name: str) -> Sample:
    header, record = (FIXTURES / name).read_bytes().splitlines(keepends=True)[:2]
    return Sample(".csv", header, record, record[len(record) // 2 :][:12])


SAMPLES = {
    "acled": _csv_sample("acled_current.csv"),
    "ucdp": _csv_sample("ucdp_current.csv"),
    "jsonl": Sample(
        ".jsonl",
        b'{"timeline": "libya", "zone": "Africa/Tripoli"}\n',
        b'{"kind": "note", "date": "2020-01-01", "title": "A note", "text": "a"}\n',
        b'ate": "2020',
    ),
    # YAML has no end marker: a file cut inside a value reads as a shorter value, so the
    # sample is cut inside a key.
    "yaml": Sample(
        ".yaml",
        b"- timeline: libya\n  zone: Africa/Tripoli\n",
        b"- kind: note\n  date: 2020-01-01\n  title: A note\n  text: a\n",
        b"te: 2020",
    ),
}
CASES = ["empty", "header only", "binary junk", "another format", "truncated"]


def test_every_registered_format_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(REGISTRY) == sorted(FORMATS)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_refuses_bad_input_in_one_line_per_fault_storing_nothing(
    libya: Cli, tmp_path: Path, fmt: str, case: str
) -> None:
    sample = SAMPLES[fmt]
    data = {
        "empty": b"",
        "header only": sample.header,
        "binary junk": (FIXTURES / "junk.bin").read_bytes(),
        "truncated": sample.truncated,
    }
    before = libya.events()
    if case == "another format":
        others = [other for other in FORMATS if other != fmt]
        for other in others:
            path = tmp_path / f"{other}{SAMPLES[other].suffix}"
            path.write_bytes(SAMPLES[other].whole)
            result = libya("import", "--format", fmt, str(path))
            assert result.exit_code == 2, result.output
            assert result.stderr == f"Error: --format: {path} looks like {other}, not {fmt}\n"
        assert libya.events() == before
        assert libya.runs() == []
        return
    path = tmp_path / f"source{sample.suffix}"
    path.write_bytes(data[case])
    result = libya("import", "--format", fmt, str(path))
    assert libya.events() == before
    lines = result.stderr.splitlines()
    where = re.escape(str(path))
    if case == "header only":
        assert (result.exit_code, lines) == (0, []), result.output
        expect(result.stdout)
    elif case == "empty":
        # Nothing to import (native documents), or a file refused as empty (a dataset).
        assert (result.exit_code, lines) in ((0, []), (3, [f"Error: {path}: the file is empty"]))
    elif case == "binary junk":
        assert result.exit_code in (2, 3), result.output
        [line] = lines
        assert re.fullmatch(rf"Error: {where}(:\d+)?: .*(binary|not UTF-8).*", line), line
    else:
        # Cut mid-record: that record is rejected naming its row, and with nothing else in
        # the file nothing was imported (exit 5, not 1); or the file is refused there.
        assert result.exit_code in (5, 2), result.output
        assert re.fullmatch(rf"(rejected|Error:) {where}:\d+: \S.*", lines[0]), lines[0]
        if result.exit_code == 5:
            assert lines[1:] == [f"Error: nothing imported from {path}: every record was rejected"]
        else:
            assert len(lines) == 1


# -- `timeline import` with a wrong --format, or none -----------------------------------------


def test_a_wrong_format_is_refused_before_anything_is_written(libya: Cli) -> None:
    acled = str(FIXTURES / "acled_current.csv")
    ucdp = str(FIXTURES / "ucdp_current.csv")
    result = libya("import", "--format", "acled", acled, ucdp)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"Error: --format: {ucdp} looks like ucdp, not acled\n"
    assert result.stdout == ""
    # The good file before it was not imported either: every file is checked first.
    assert libya.events() == []
    assert libya.runs() == []


def test_a_wrong_format_on_stdin_is_refused_before_the_run_is_recorded(libya: Cli) -> None:
    data = (FIXTURES / "ucdp_current.csv").read_bytes()
    result = libya("import", "--format", "acled", "-", input=data)
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: --format: stdin looks like ucdp, not acled\n",
    )
    assert libya.events() == []
    assert libya.runs() == []


def test_without_format_each_file_is_imported_as_detected(libya: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("acled_current.csv", "ucdp_current.csv"):
        (folder / name).write_bytes((FIXTURES / name).read_bytes())
    expected = {
        "acled": libya(
            "import", "--dry-run", "--format", "acled", str(folder / "acled_current.csv")
        ),
        "ucdp": libya("import", "--dry-run", "--format", "ucdp", str(folder / "ucdp_current.csv")),
    }
    new = {fmt: int(re.findall(r"(\d+) new", r.stdout)[0]) for fmt, r in expected.items()}
    assert all(new.values()), expected

    out = libya.ok("import", str(folder))
    expect(out, new=sum(new.values()))
    runs = libya.runs()
    assert sorted((Path(r["source"]).name, r["format"], r["new"]) for r in runs) == [
        ("acled_current.csv", "acled", new["acled"]),
        ("ucdp_current.csv", "ucdp", new["ucdp"]),
    ]
    # Native documents too: the timeline's own export, imported back, is all there already.
    export = tmp_path / "libya.jsonl"
    export.write_text(libya.export(), encoding="utf-8")
    expect(libya.ok("import", str(export)), unchanged=len(libya.events()))


def test_without_format_stdin_is_detected_and_hashed_whole(libya: Cli) -> None:
    data = (FIXTURES / "acled_current.csv").read_bytes()
    result = libya("import", "-", input=data)
    assert result.exit_code == 0, result.output
    expect(result.stdout, new=4)
    [run] = libya.runs()
    assert (run["source"], run["format"]) == ("stdin", "acled")
    # The bytes read ahead to detect the format are hashed with the rest.
    assert run["content_hash"] == hashlib.sha256(data).hexdigest()


def test_without_format_an_unrecognised_file_is_refused_naming_it(
    libya: Cli, tmp_path: Path
) -> None:
    path = tmp_path / "places.csv"
    path.write_text("name,latitude,longitude\nTripoli,32.9,13.2\n", encoding="utf-8")
    result = libya("import", str(FIXTURES / "acled_current.csv"), str(path))
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"Error: --format: {path}: cannot tell its format (no format recognises its first "
        "bytes); it must be one of acled, ucdp, jsonl, yaml\n"
    )
    assert libya.events() == []
    assert libya.runs() == []
