"""The parsers on the real exports in ../shared/data, when that folder is present."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from timeline.dates import parse_fuzzy
from timeline.importers.acled import AcledParser
from timeline.importers.sources import Parser, RawRow, SourceRecord
from timeline.importers.ucdp import UcdpParser
from timeline.vocabulary import Resolver, validate_fields

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
ACLED = DATA / "acled_libya_2011-01-31_2012-03-01_McCartneyAC.csv"
UCDP = DATA / "ucdp_libya_ceciliatrasi.csv"

pytestmark = pytest.mark.skipif(
    not (ACLED.is_file() and UCDP.is_file()),
    reason=f"the shared real-data folder {DATA} is not present",
)


class Names(Resolver):
    """Every entity name resolves to itself: the fields are checked, not the names."""

    def entity(
        self, name: str, entity_type: str | None, field: str, at: datetime | None = None
    ) -> str:
        return name


@pytest.mark.parametrize(
    ("parser", "path", "count"),
    [(AcledParser(), ACLED, 740), (UcdpParser(), UCDP, 1120)],
    ids=["acled", "ucdp"],
)
def test_real_exports_read_whole_without_rejections(parser: Parser, path: Path, count: int) -> None:
    with path.open("rb") as stream:
        rows = list(parser.rows(stream, path.name))
    rejected = [r.message() for r in rows if not isinstance(r, RawRow)]
    assert rejected == []
    raws = [r for r in rows if isinstance(r, RawRow)]
    assert len(raws) == count
    assert len({r.key for r in raws}) == count
    mapped = [parser.record(r) for r in raws]
    assert [m.message() for m in mapped if not isinstance(m, SourceRecord)] == []
    for record in mapped:
        assert isinstance(record, SourceRecord)
        parse_fuzzy(record.date)
        # What the parser maps is what the vocabulary accepts (the counts of the dead
        # holding together included), with every name standing for itself.
        fields = {k: v for k, v in record.fields.items() if k != "record"}
        validate_fields(record.kind, fields, Names())


def test_real_line_numbers_point_at_the_record() -> None:
    lines = ACLED.read_text(encoding="utf-8").split("\n")
    with ACLED.open("rb") as stream:
        for raw in AcledParser().rows(stream, ACLED.name):
            assert isinstance(raw, RawRow)
            assert f",{raw.key.removeprefix('acled:')}," in lines[raw.row - 1]
