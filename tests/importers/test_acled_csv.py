"""ACLED CSV exports of every schema, mapped onto the vocabulary."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.dates import parse_fuzzy
from timeline.importers.acled import AcledParser
from timeline.importers.sources import RawRow, Rejection, SourceError, SourceRecord, content_hash

FIXTURES = Path(__file__).parent / "fixtures"
LNA = "Military Forces of Libya (2014-) Haftar Faction"
GNA = "Military Forces of Libya (2016-) Government of National Accord"
# The kinds' own fields (docs/vocabulary.md) and the extra keys imported records may carry.
KIND_FIELDS = {
    "clash": {"actors", "place", "fatalities", "fatalities_low", "fatalities_high"},
    "strike": {"by", "actors", "place", "fatalities", "fatalities_low", "fatalities_high"},
    "control": {"place", "by", "from"},
    "deployment": {"actor", "place", "strength", "on_behalf_of"},
    "agreement": {"name", "parties", "ceasefire"},
    "note": {"text", "about", "actors", "place", "fatalities"},
}
EXTRA_FIELDS = {"actors", "place", "location", "fatalities", "record", "text"}


def read(name: str) -> list[RawRow | Rejection]:
    with (FIXTURES / name).open("rb") as stream:
        return list(AcledParser().rows(stream, name))


def records(name: str) -> dict[str, SourceRecord]:
    out: dict[str, SourceRecord] = {}
    for raw in read(name):
        assert isinstance(raw, RawRow), raw
        record = AcledParser().record(raw)
        assert isinstance(record, SourceRecord), record
        out[raw.key.removeprefix("acled:")] = record
    return out


def messages(name: str) -> list[str]:
    out = []
    for raw in read(name):
        result = AcledParser().record(raw) if isinstance(raw, RawRow) else raw
        if isinstance(result, Rejection):
            out.append(result.message())
    return out


def test_parser_names_its_format() -> None:
    assert AcledParser.format == "acled"


# --- schemas and kinds -------------------------------------------------------------------


def test_pre_2019_event_types_map_to_kinds() -> None:
    found = records("acled_pre2019.csv")
    assert {key: r.kind for key, r in found.items()} == {
        "LBY900": "clash",  # Battle-No change of territory
        "LBY901": "control",  # Battle-Non-state actor overtakes territory
        "LBY902": "control",  # Battle-Government regains territory
        "LBY903": "strike",  # Remote violence
        "LBY904": "clash",  # Violence against civilians
        "LBY905": "note",  # Riots/Protests
        "LBY906": "note",  # Strategic development
        "LBY907": "deployment",  # Headquarters or base established
        "LBY908": "control",  # Non-violent transfer of territory
        "LBY909": "clash",
        "LBY910": "clash",
    }


def test_2019_event_and_sub_event_types_map_to_kinds() -> None:
    found = records("acled_2019.csv")
    assert {key: r.kind for key, r in found.items()} == {
        "LBY9289": "clash",  # Battles / Armed clash
        "LBY9300": "control",  # Battles / Government regains territory
        "LBY9301": "control",  # Battles / Non-state actor overtakes territory
        "LBY9302": "strike",  # Explosions/Remote violence / Air/drone strike
        "LBY9303": "agreement",  # Strategic developments / Agreement
        "LBY9304": "agreement",
        "LBY9305": "deployment",  # Strategic developments / Headquarters or base established
        "LBY9306": "note",  # Protests
        "LBY9307": "note",  # Riots
        "LBY9308": "clash",  # Violence against civilians
        "LBY9309": "control",  # Strategic developments / Non-violent transfer of territory
        "LBY9310": "note",  # Strategic developments / Looting/property destruction
    }


def test_current_schema_reads() -> None:
    found = records("acled_current.csv")
    assert {key: (r.kind, r.date) for key, r in found.items()} == {
        "LBY10001": ("clash", "2020-W01"),
        "LBY10002": ("strike", "2020-02-29"),
        "LBY10003": ("clash", "2020-04"),
        "LBY10004": ("control", "2020-05-18"),
    }


def test_clash_fields_title_and_sources() -> None:
    record = records("acled_2019.csv")["LBY9289"]
    assert record.key == "acled:LBY9289"
    assert record.date == "2020-02-29"
    assert record.title == "Armed clash in Tripoli"
    assert record.actors == [LNA, GNA]
    assert record.stamp == 1583165000
    fields = dict(record.fields)
    original = fields.pop("record")
    assert fields == {
        "actors": [LNA, GNA],
        "place": "Tripoli",
        "location": "Tripoli",
        "fatalities": 3,
    }
    assert original["event_id_cnty"] == "LBY9289"
    assert original["event_date"] == "29 February 2020"
    assert record.sources == [
        {"name": "ACLED"},
        {"name": "Libya Observer", "published": "2020-02-29"},
        {"name": "Libya Herald", "published": "2020-02-29"},
    ]
    assert record.place is not None
    assert (record.place.name, record.place.lat, record.place.lon) == ("Tripoli", 32.8925, 13.18)
    assert (record.place.admin1, record.place.precision) == ("Tripoli", 1)


def test_control_takes_place_by_and_from() -> None:
    record = records("acled_2019.csv")["LBY9300"]
    assert record.title == "Government regains territory in Al Watiya"
    assert (record.fields["place"], record.fields["by"], record.fields["from"]) == (
        "Al Watiya",
        GNA,
        LNA,
    )
    without_loser = records("acled_current.csv")["LBY10004"]
    assert "from" not in without_loser.fields
    assert without_loser.place is not None
    assert (without_loser.place.lat, without_loser.place.precision) == (None, None)


def test_old_control_event_types_read_well_as_titles() -> None:
    found = records("acled_pre2019.csv")
    assert found["LBY901"].title == "Non-state actor overtakes territory in Tripoli"
    assert found["LBY900"].title == "Battle (no change of territory) in Benghazi"


def test_strike_is_by_actor1() -> None:
    record = records("acled_2019.csv")["LBY9302"]
    assert record.title == "Air/drone strike in Sirte"
    assert record.fields["by"] == "Military Forces of Turkey (2016-)"
    assert record.fields["fatalities"] == 5


def test_deployment_is_of_actor1_at_the_location() -> None:
    record = records("acled_2019.csv")["LBY9305"]
    assert (record.fields["actor"], record.fields["place"]) == ("Wagner Group", "Al Jufra")


def test_agreement_is_named_from_the_notes_or_its_parties() -> None:
    found = records("acled_2019.csv")
    assert found["LBY9303"].fields["name"] == (
        "The GNA and the LNA signed a permanent ceasefire agreement in Geneva"
    )
    assert found["LBY9303"].fields["parties"] == [GNA, LNA]
    assert found["LBY9304"].fields["name"] == f"Agreement between {GNA} and {LNA}"


def test_notes_become_the_text_of_notes_only() -> None:
    found = records("acled_2019.csv")
    assert found["LBY9306"].fields["text"] == "Residents protest power cuts."
    assert "text" not in found["LBY9289"].fields
    assert found["LBY9289"].fields["record"]["notes"].startswith("On 29 February 2020")


@pytest.mark.parametrize("name", ["acled_pre2019.csv", "acled_2019.csv", "acled_current.csv"])
def test_every_record_keeps_fatalities_and_only_allowed_fields(name: str) -> None:
    for record in records(name).values():
        assert isinstance(record.fields["fatalities"], int)
        assert record.fields["record"]["event_id_cnty"] == record.key.removeprefix("acled:")
        assert set(record.fields) <= KIND_FIELDS[record.kind] | EXTRA_FIELDS, record.kind
        parse_fuzzy(record.date)  # the date text is one the store reads
        assert "\n" not in record.title


# --- dates and precision ------------------------------------------------------------------


def test_time_precision_gives_day_week_or_month() -> None:
    found = records("acled_pre2019.csv")
    assert found["LBY900"].date == "2011-03-17"  # 1: the day
    assert found["LBY902"].date == "2011-W15"  # 2: the ISO week of 2011-04-15
    assert found["LBY904"].date == "2011-05"  # 3: the month
    assert records("acled_current.csv")["LBY10002"].date == "2020-02-29"  # empty: the day


def test_week_precision_uses_the_iso_week_year() -> None:
    assert records("acled_current.csv")["LBY10001"].date == "2020-W01"  # 2019-12-30


def test_spreadsheet_mangled_dates_read_as_the_same_day() -> None:
    found = records("acled_spreadsheet.csv")  # BOM, CRLF, header in mixed case and order
    assert len(found) == 7
    assert {r.date for r in found.values()} == {"2020-02-29"}
    assert {r.fields["record"]["event_date"] for r in found.values()} >= {"29-Feb-20", "2/29/2020"}


def _api_row(**values: str) -> RawRow:
    base = {
        "event_id_cnty": "LBY1",
        "event_date": "2020-02-29",
        "time_precision": "1",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "actor1": LNA,
        "actor2": GNA,
        "location": "Tripoli",
        "fatalities": "0",
    }
    base.update(values)
    return RawRow.of("api", 1, "acled:LBY1", content_hash(base), None, base)


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    st.sampled_from(["1", "2", "3", ""]),
)
def test_any_day_at_any_precision_gives_a_date_text_covering_it(day: date, prec: str) -> None:
    record = AcledParser().record(_api_row(event_date=day.isoformat(), time_precision=prec))
    assert isinstance(record, SourceRecord)
    fuzzy = parse_fuzzy(record.date)
    assert fuzzy.start.date() <= day < fuzzy.end.date()


# --- line numbers ------------------------------------------------------------------------


def test_line_numbers_count_embedded_newlines() -> None:
    found = read("acled_multiline.csv")
    assert [(r.row, r.key) for r in found if isinstance(r, RawRow)] == [
        (2, "acled:LBY501"),
        (3, "acled:LBY502"),  # its notes run over lines 3-5
        (6, "acled:LBY503"),  # CRLF inside the notes: lines 6-7
        (8, "acled:LBY504"),
    ]
    second = found[1]
    assert isinstance(second, RawRow)
    assert second.values["notes"] == 'First line\nsecond line with "quotes"\nthird line'


def test_line_numbers_in_the_old_schema_fixture() -> None:
    rows = [r for r in read("acled_pre2019.csv") if isinstance(r, RawRow)]
    assert (rows[-2].key, rows[-2].row) == ("acled:LBY909", 11)
    assert (rows[-1].key, rows[-1].row) == ("acled:LBY910", 14)


# --- bad input ----------------------------------------------------------------------------


def test_bad_rows_are_rejected_one_line_each_and_the_rest_is_read() -> None:
    assert messages("acled_bad_rows.csv") == [
        "acled_bad_rows.csv:3: event_date '31-Feb-20' is not a date (there is no 31 February 2020)",
        "acled_bad_rows.csv:4: fatalities 'many' is not a whole number (0 or more)",
        "acled_bad_rows.csv:5: time_precision '4' is not 1, 2 or 3",
        "acled_bad_rows.csv:6: the record has 5 fields where the header has 12",
        "acled_bad_rows.csv:7: notes 'Caf\ufffd bombed' is not UTF-8 text (save the file as UTF-8)",
        "acled_bad_rows.csv:8: latitude 'north' is not a number",
        'acled_bad_rows.csv:9: a quote inside a quoted field is not doubled (write "" for a quote)',
        "acled_bad_rows.csv:10: event_id_cnty is empty",
    ]
    good = [r.key for r in read("acled_bad_rows.csv") if isinstance(r, RawRow)]
    assert good[0] == "acled:LBY1"
    assert good[-2:] == ["acled:LBY10", "acled:LBY12"]


def test_rejections_carry_field_and_value() -> None:
    rows = read("acled_bad_rows.csv")
    raw = rows[1]
    assert isinstance(raw, RawRow)
    rejection = AcledParser().record(raw)
    assert isinstance(rejection, Rejection)
    assert (rejection.source, rejection.row) == ("acled_bad_rows.csv", 3)
    assert (rejection.field, rejection.value) == ("event_date", "31-Feb-20")


def test_truncated_file_rejects_the_cut_record() -> None:
    rows = read("acled_truncated.csv")
    assert [r.key for r in rows if isinstance(r, RawRow)] == ["acled:LBY20001", "acled:LBY20002"]
    assert [r.message() for r in rows if isinstance(r, Rejection)] == [
        "acled_truncated.csv:4: a quoted field is not closed before the end of the file "
        "(the file is cut off, or a quote is stray)"
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "acled_missing_columns.csv",
            "acled_missing_columns.csv: not a CSV export of ACLED: missing columns "
            "event_date, fatalities (the header has: event_id_cnty, date, event_type, actor1, "
            "location, deaths)",
        ),
        ("empty.csv", "empty.csv: the file is empty"),
        ("junk.bin", "junk.bin: the file holds binary data (NUL bytes), not CSV text"),
    ],
)
def test_unreadable_files_raise_source_error(name: str, message: str) -> None:
    with (FIXTURES / name).open("rb") as stream, pytest.raises(SourceError) as caught:
        AcledParser().rows(stream, name)  # raised by the call, before any row is asked for
    assert str(caught.value) == message


def test_a_header_alone_is_an_empty_export_not_an_error() -> None:
    assert read("acled_header_only.csv") == []


def test_control_without_location_or_actor_is_rejected() -> None:
    parser = AcledParser()
    for values, message in (
        ({"sub_event_type": "Government regains territory", "location": ""}, "location is empty"),
        ({"sub_event_type": "Government regains territory", "actor1": ""}, "actor1 is empty"),
    ):
        rejection = parser.record(_api_row(**values))
        assert isinstance(rejection, Rejection)
        assert rejection.message().startswith(f"api:1: {message}")


def test_coordinates_and_geo_precision_must_be_numbers() -> None:
    parser = AcledParser()
    for field, value in (("longitude", "east"), ("geo_precision", "exact"), ("latitude", "99")):
        rejection = parser.record(_api_row(**{field: value}))
        assert isinstance(rejection, Rejection)
        assert (rejection.field, rejection.value) == (field, value)


def test_rows_read_from_a_non_seekable_stream() -> None:
    data = (FIXTURES / "acled_current.csv").read_bytes()

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            super().__init__()
            self._data = data

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            n = min(len(buffer), len(self._data), 7)  # dribbles, like a pipe
            buffer[:n] = self._data[:n]
            self._data = self._data[n:]
            return n

    rows = list(AcledParser().rows(io.BufferedReader(Pipe()), "-"))
    assert [r.key for r in rows if isinstance(r, RawRow)] == [
        "acled:LBY10001",
        "acled:LBY10002",
        "acled:LBY10003",
        "acled:LBY10004",
    ]


@pytest.mark.parametrize(
    ("event_type", "sub_event_type", "actor1", "inter1", "actor2", "inter2", "winner"),
    [
        # ACLED often lists the state forces first whoever won; the event type says which
        # side gained, and the inter codes which actor is the state.
        ("Battle-Non-state actor overtakes territory", "", "Army", "1", "NLA", "2", "NLA"),
        ("Battle-Non-state actor overtakes territory", "", "Militia", "3", "Army", "1", "Militia"),
        ("Battle-Government regains territory", "", "Militia", "2", "Army", "1", "Army"),
        ("Battle-Government regains territory", "", "Army", "1", "NLA", "2", "Army"),
        (
            "Battles",
            "Non-state actor overtakes territory",
            "Army",
            "State forces",
            "NLA",
            "Rebel group",
            "NLA",
        ),
        (
            "Battles",
            "Government regains territory",
            "NLA",
            "Rebel group",
            "Army",
            "State forces",
            "Army",
        ),
        # Two non-state sides: nothing tells them apart, actor1 is taken as the winner.
        ("Battle-Non-state actor overtakes territory", "", "Militia", "3", "Tribe", "4", "Militia"),
    ],
)
def test_control_goes_to_the_side_the_event_type_says_gained(
    event_type: str,
    sub_event_type: str,
    actor1: str,
    inter1: str,
    actor2: str,
    inter2: str,
    winner: str,
) -> None:
    row = _api_row(
        event_type=event_type,
        sub_event_type=sub_event_type,
        actor1=actor1,
        actor2=actor2,
        inter1=inter1,
        inter2=inter2,
    )
    record = AcledParser().record(row)
    assert isinstance(record, SourceRecord)
    assert record.kind == "control"
    assert record.fields["by"] == winner
    assert record.fields["from"] == ({actor1, actor2} - {winner}).pop()
