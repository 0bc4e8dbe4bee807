"""UCDP GED CSV exports, old (`best_est`, US dates) and current (`best`, ISO dates)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.dates import parse_fuzzy
from timeline.importers.sources import RawRow, Rejection, SourceError, SourceRecord, content_hash
from timeline.importers.ucdp import UcdpParser
from timeline.vocabulary import Resolver, validate_fields

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_FIXTURES = Path(__file__).parent.parent / "fixtures"


def read(name: str) -> list[RawRow | Rejection]:
    with (FIXTURES / name).open("rb") as stream:
        return list(UcdpParser().rows(stream, name))


def records(name: str) -> dict[str, SourceRecord]:
    out: dict[str, SourceRecord] = {}
    for raw in read(name):
        assert isinstance(raw, RawRow), raw
        record = UcdpParser().record(raw)
        assert isinstance(record, SourceRecord), record
        out[raw.key] = record
    return out


def row(**values: str) -> RawRow:
    base = {
        "id": "1",
        "type_of_violence": "1",
        "side_a": "Government of Libya",
        "side_b": "LNA",
        "date_start": "2019-04-04",
        "date_end": "2019-04-04",
        "date_prec": "1",
        "best": "3",
        "where_coordinates": "Tripoli town",
    }
    base.update(values)
    return RawRow.of("ged.csv", 9, "ucdp:1", content_hash(base), None, base)


def test_parser_names_its_format() -> None:
    assert UcdpParser.format == "ucdp"


def test_old_export_reads_with_trailing_commas_and_us_dates() -> None:
    found = records("ucdp_old.csv")
    assert list(found) == [
        "ucdp:32485",
        "ucdp:40001",
        "ucdp:40002",
        "ucdp:40003",
        "ucdp:40004",
        "ucdp:40005",
    ]
    record = found["ucdp:32485"]
    assert record.kind == "clash"
    assert record.date == "2011-04-17"
    assert record.title == "Government of Libya – NTC clash in Misrata town"
    assert record.actors == ["Government of Libya", "NTC"]
    assert record.stamp is None
    fields = dict(record.fields)
    assert fields.pop("record")["best_est"] == "17"
    assert fields == {
        "actors": ["Government of Libya", "NTC"],
        "place": "Misrata town",
        "location": "Misrata town, Misrata district",
        "fatalities": 17,
        "fatalities_low": 17,
        "fatalities_high": 17,
        # GED's split of its best estimate: all 17 of unknown status.
        "fatalities_among": {"Government of Libya": 0, "NTC": 0},
        "fatalities_civilians": 0,
        "fatalities_unknown": 17,
        "where_prec": 1,
    }
    assert record.sources == [
        {"name": "UCDP GED"},
        {"name": "Associated Press Newswires", "published": "2011-04-17"},
    ]
    assert record.place is not None
    assert record.place.name == "Misrata town"
    assert (record.place.lat, record.place.lon) == (32.375352, 15.092543)
    assert (record.place.admin1, record.place.precision) == ("Misrata district", 1)


def test_row_numbers_follow_multi_line_source_articles() -> None:
    assert [r.row for r in read("ucdp_old.csv")] == [2, 3, 5, 6, 7, 8]


def test_date_spans_become_days_intervals_months_and_years() -> None:
    found = records("ucdp_old.csv")
    assert found["ucdp:40001"].date == "2019-04-04/2019-04-06"  # date_prec 2, a span of days
    assert found["ucdp:40003"].date == "2019-04"  # date_prec 4, exactly April
    assert found["ucdp:40004"].date == "2012-02-12/2012-02-21"  # date_prec 4, not a month
    assert found["ucdp:40005"].date == "2015"  # date_prec 5, exactly 2015


def test_one_sided_violence_is_a_strike_by_side_a() -> None:
    record = records("ucdp_old.csv")["ucdp:40002"]
    assert record.kind == "strike"
    assert record.fields["by"] == "IS"
    assert record.actors == ["IS", "Civilians"]
    assert record.title == "IS attack on Civilians in Sabratha town"
    assert record.sources == [
        {"name": "UCDP GED"},
        {"name": "Agence France Presse", "published": "2016-02-24"},
        {"name": "Reuters News", "published": "2016-02-25"},
    ]


def test_non_state_conflict_is_a_clash() -> None:
    assert records("ucdp_old.csv")["ucdp:40001"].kind == "clash"  # type_of_violence 2


def test_current_export_reads_best_high_low_and_iso_dates() -> None:
    found = records("ucdp_current.csv")
    first = found["ucdp:244657"]
    assert first.date == "2019-12-29"  # written "2019-12-29 00:00:00.000"
    assert (
        first.fields["fatalities"],
        first.fields["fatalities_low"],
        first.fields["fatalities_high"],
    ) == (4, 2, 6)
    assert first.sources == [
        {"name": "UCDP GED"},
        {"name": "Libya Observer", "published": "2019-12-29"},
        {"name": "Reuters News", "published": "2019-12-30"},
    ]
    assert found["ucdp:244658"].kind == "strike"
    assert found["ucdp:244659"].date == "2019-12-30/2020-01-02"


@pytest.mark.parametrize("name", ["ucdp_old.csv", "ucdp_current.csv"])
def test_every_date_text_is_one_the_store_reads(name: str) -> None:
    for record in records(name).values():
        parse_fuzzy(record.date)


@given(
    st.dates(min_value=date(1989, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(min_value=0, max_value=400),
    st.sampled_from(["1", "2", "3", "4", "5", ""]),
)
def test_date_text_covers_exactly_the_inclusive_span(start: date, days: int, prec: str) -> None:
    end = start + timedelta(days=days)
    record = UcdpParser().record(
        row(date_start=start.isoformat(), date_end=f"{end:%m/%d/%Y} 00:00:00", date_prec=prec)
    )
    assert isinstance(record, SourceRecord)
    fuzzy = parse_fuzzy(record.date)
    assert fuzzy.start.date() == start
    assert fuzzy.end.date() == end + timedelta(days=1)


@given(st.integers(min_value=1989, max_value=2030), st.integers(min_value=1, max_value=12))
def test_a_whole_month_at_month_precision_is_written_as_the_month(year: int, month: int) -> None:
    start = date(year, month, 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    record = UcdpParser().record(
        row(date_start=start.isoformat(), date_end=end.isoformat(), date_prec="4")
    )
    assert isinstance(record, SourceRecord)
    assert record.date == f"{year:04d}-{month:02d}"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"date_start": "04/31/2019 00:00:00"}, "ged.csv:9: date_start '04/31/2019 00:00:00' is"),
        ({"date_end": "2019-04-01"}, "ged.csv:9: date_end '2019-04-01' is before date_start"),
        ({"type_of_violence": "7"}, "ged.csv:9: type_of_violence '7' is not 1, 2 or 3"),
        ({"best": "about 5"}, "ged.csv:9: best 'about 5' is not a whole number"),
        ({"low": "-"}, "ged.csv:9: low '-' is not a whole number"),
        ({"date_prec": "day"}, "ged.csv:9: date_prec 'day' is not a whole number"),
        ({"where_prec": "x"}, "ged.csv:9: where_prec 'x' is not a whole number"),
        ({"latitude": "200"}, "ged.csv:9: latitude '200' is out of range"),
    ],
)
def test_bad_values_are_rejected_naming_field_and_value(
    values: dict[str, str], message: str
) -> None:
    rejection = UcdpParser().record(row(**values))
    assert isinstance(rejection, Rejection)
    assert rejection.message().startswith(message)


def test_best_est_is_read_when_best_is_absent() -> None:
    values = {"best_est": "8", "low_est": "5", "high_est": "11"}
    base = row(**values).values
    del base["best"]
    raw = RawRow.of("ged.csv", 9, "ucdp:1", content_hash(base), None, base)
    record = UcdpParser().record(raw)
    assert isinstance(record, SourceRecord)
    assert (
        record.fields["fatalities"],
        record.fields["fatalities_low"],
        record.fields["fatalities_high"],
    ) == (8, 5, 11)


def test_missing_required_columns_are_named() -> None:
    data = b"id,date_start,date_end,side_a,high\n1,2019-01-01,2019-01-01,A,2\n"
    with pytest.raises(SourceError) as caught:
        UcdpParser().rows(io.BytesIO(data), "ged.csv")
    assert str(caught.value).startswith(
        "ged.csv: not a CSV export of UCDP GED: missing columns side_b, best or best_est"
    )


def test_an_acled_file_given_as_ucdp_is_refused_at_once() -> None:
    with (FIXTURES / "acled_current.csv").open("rb") as stream, pytest.raises(SourceError):
        UcdpParser().rows(stream, "acled_current.csv")


# -- who died: GED's split of its best estimate ----------------------------------------------


def test_deaths_are_kept_among_each_side_civilians_and_unknown() -> None:
    raw = row(best="10", deaths_a="3", deaths_b="1", deaths_civilians="2", deaths_unknown="4")
    record = UcdpParser().record(raw)
    assert isinstance(record, SourceRecord)
    assert record.fields["fatalities_among"] == {"Government of Libya": 3, "LNA": 1}
    assert (record.fields["fatalities_civilians"], record.fields["fatalities_unknown"]) == (2, 4)


def test_one_side_named_twice_gets_both_counts() -> None:
    raw = row(side_b="Government of Libya", deaths_a="3", deaths_b="1")
    record = UcdpParser().record(raw)
    assert isinstance(record, SourceRecord)
    assert record.fields["fatalities_among"] == {"Government of Libya": 4}


def test_an_export_without_the_split_gives_none() -> None:
    record = UcdpParser().record(row())
    assert isinstance(record, SourceRecord)
    assert not {"fatalities_among", "fatalities_civilians", "fatalities_unknown"} & set(
        record.fields
    )


def test_a_bad_death_count_rejects_the_row_naming_the_column() -> None:
    rejected = UcdpParser().record(row(deaths_b="many"))
    assert isinstance(rejected, Rejection)
    assert (rejected.field, rejected.value) == ("deaths_b", "many")


def test_the_split_adds_up_to_the_best_estimate_in_the_libya_2011_fixture() -> None:
    with (SHARED_FIXTURES / "ucdp_libya_2011.csv").open("rb") as stream:
        raws = list(UcdpParser().rows(stream, "ucdp_libya_2011.csv"))
    found = [UcdpParser().record(raw) for raw in raws if isinstance(raw, RawRow)]
    assert len(found) == 6
    for record in found:
        assert isinstance(record, SourceRecord)
        fields = record.fields
        split = sum(fields["fatalities_among"].values())
        split += fields["fatalities_civilians"] + fields["fatalities_unknown"]
        assert split == fields["fatalities"]
    one_sided = next(r for r in found if isinstance(r, SourceRecord) and r.kind == "strike")
    assert one_sided.fields["fatalities_civilians"] == 7


@given(st.integers(0, 2000), st.integers(0, 2000), st.integers(0, 2000))
def test_a_bound_that_does_not_bracket_the_best_estimate_is_left_out(
    low: int, best: int, high: int
) -> None:
    # Real GED rows publish e.g. best 336, high 325, low 336: the row keeps its best
    # estimate, what its deaths by side add up to, and the bounds that hold together with it.
    record = UcdpParser().record(
        row(best=str(best), low=str(low), high=str(high), deaths_unknown=str(best))
    )
    assert isinstance(record, SourceRecord), record
    fields = dict(record.fields)
    assert fields["fatalities"] == best
    assert fields.get("fatalities_low") == (low if low <= best else None)
    assert fields.get("fatalities_high") == (high if high >= best else None)
    assert (fields["record"]["low"], fields["record"]["high"]) == (str(low), str(high))
    checked = {k: v for k, v in fields.items() if k.startswith("fatalities")}
    assert validate_fields("clash", checked, Resolver()) == checked
