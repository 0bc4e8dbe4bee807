"""Control of places: the latest control event per place, with certainty at the instant; places
divided between sides and contested between parties; how well each holding is corroborated."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.events import Origin, Source
from timeline.projections.control import count_outlets, outlet_names

from .helpers import answer, ids, make, taken_from


def test_latest_control_event_per_place_wins() -> None:
    events = [
        make(1, "control", "2019-04-04", place="gharyan", by="lna"),
        make(2, "control", "2019-06-26", place="gharyan", by="gna"),
        make(3, "control", "2020-05-18", place="al-watiya", by="gna", **taken_from("lna")),
    ]
    control = answer(events, "2020-06-01").control
    assert ids(control, "place") == ["al-watiya", "gharyan"]  # by place name
    assert ids(control, "controller") == ["gna", "gna"]
    assert ids(control, "from") == ["lna", "lna"]  # given, then the previous controller
    assert control[1]["since"] == "2019-06-26"
    assert control[1]["events"] == ["e2"]


def test_from_is_null_when_nobody_held_it_before() -> None:
    control = answer(
        [make(1, "control", "2019-04-04", place="gharyan", by="lna")], "2019-05"
    ).control
    assert control[0]["from"] is None
    assert control[0]["controller"] == {"id": "lna", "name": "Libyan National Army"}


def test_fold_order_not_recording_order_decides() -> None:
    # Recorded first (seq 1) but later in valid time: it must win over the late-arriving 2019 row.
    events = [
        make(1, "control", "2020-05-18", place="al-watiya", by="gna"),
        make(9, "control", "2019-08-01", place="al-watiya", by="lna"),
    ]
    control = answer(events, "2020-06-01").control
    assert ids(control, "controller") == ["gna"]
    assert ids(control, "from") == ["lna"]
    assert ids(answer(events, "2020-01-01").control, "controller") == ["lna"]


def test_event_not_started_is_not_shown() -> None:
    events = [make(1, "control", "2019-04-04", place="gharyan", by="lna")]
    assert answer(events, "2019-04-03").control == ()


def test_month_precision_event_seen_mid_month_is_uncertain() -> None:
    events = [
        make(1, "control", "2019-01-10", place="gharyan", by="gna"),
        make(2, "control", "2019-04", place="gharyan", by="lna"),
    ]
    mid = answer(events, "2019-04-15").control[0]
    assert mid["controller"]["id"] == "lna"
    assert mid["certain"] is False
    assert mid["from"]["id"] == "gna"
    end = answer(events, "2019-04-30").control[0]
    assert end["certain"] is True


def test_year_event_is_certain_at_the_last_day_of_the_year() -> None:
    events = [make(1, "control", "2019", place="sirte", by="lna")]
    assert answer(events, "2019-12-31").control[0]["certain"] is True
    assert answer(events, "2019-12-30").control[0]["certain"] is False


def test_same_holder_confirmed_keeps_since_and_cites_both() -> None:
    events = [
        make(1, "control", "2019-04-04", place="gharyan", by="lna"),
        make(2, "control", "2019-05-01", place="gharyan", by="lna"),
        make(3, "control", "2019-05-20", place="gharyan", by="lna"),
    ]
    item = answer(events, "2019-06-01").control[0]
    assert item["since"] == "2019-04-04"
    assert item["events"] == ["e1", "e3"]


def test_recapture_starts_a_new_holding() -> None:
    events = [
        make(1, "control", "2019-04-04", place="gharyan", by="lna"),
        make(2, "control", "2019-06-26", place="gharyan", by="gna"),
        make(3, "control", "2019-07-10", place="gharyan", by="lna"),
    ]
    item = answer(events, "2019-08-01").control[0]
    assert (item["controller"]["id"], item["from"]["id"], item["since"]) == (
        "lna",
        "gna",
        "2019-07-10",
    )


def test_sources_are_cited_and_deduplicated() -> None:
    daily = Source("Daily Sabah", published="2020-05-18")
    events = [
        make(1, "control", "2020-05-18", place="al-watiya", by="gna", sources=[daily]),
        make(2, "control", "2020-05-19", place="al-watiya", by="gna", sources=[daily]),
    ]
    item = answer(events, "2020-05-20").control[0]
    assert item["sources"] == [{"name": "Daily Sabah", "published": "2020-05-18"}]


def test_a_denied_capture_is_contested() -> None:
    events = [
        make(1, "control", "2019-04-04", place="gharyan", by="lna"),
        make(2, "denial", "2019-04-05", by="gna", denies="e1"),
    ]
    item = answer(events, "2019-04-06").control[0]
    assert item["contested"] is True
    assert ids([item], "controller") == ["lna"]
    assert [d["id"] for d in item["denied_by"]] == ["gna"]


# -- divided and contested places --------------------------------------------------------------

BENGHAZI_LIKE = [
    make(1, "control", "2012-08-08", place="sirte", by="gna"),
    make(2, "control.contested", "2014-05-16", place="sirte", parties=["lna", "wagner"]),
    make(3, "control", "2014-07-29", place="sirte", by="wagner", **taken_from("lna")),
    make(4, "control.contested", "2014-07-29", place="sirte", parties=["lna", "wagner"]),
    make(5, "control", "2014-10-19", place="sirte", by="lna", partial=True),
    make(6, "control", "2016-02-23", place="sirte", by="lna", partial=True),
    make(7, "control", "2017-07-05", place="sirte", by="lna", **taken_from("wagner")),
]


def test_a_contest_leaves_the_holder_and_names_the_parties() -> None:
    item = answer(BENGHAZI_LIKE, "2014-06-01").control[0]
    assert ids([item], "controller") == ["gna"]
    assert item["status"] == "contested"
    assert [p["id"] for p in item["contest"]["parties"]] == ["lna", "wagner"]
    assert item["contest"]["since"] == "2014-05-16"
    assert item["contest"]["events"] == ["e2"]
    assert item["events"] == ["e1", "e2"]  # the holding, then the contest


def test_a_plain_capture_ends_the_contest_and_a_new_one_begins() -> None:
    item = answer(BENGHAZI_LIKE, "2014-09-01").control[0]
    assert ids([item], "controller") == ["wagner"]
    assert item["contest"]["since"] == "2014-07-29"  # not May: that contest ended on the 29th
    assert item["contest"]["events"] == ["e4"]
    assert [h["actor"]["id"] for h in item["holders"]] == ["wagner"]


def test_a_partial_holding_divides_the_place() -> None:
    item = answer(BENGHAZI_LIKE, "2015-06-01").control[0]
    assert ids([item], "controller") == ["lna"]  # the side that last took a part
    assert item["partial"] is True
    assert [(h["actor"]["id"], h["partial"], h["since"]) for h in item["holders"]] == [
        ("lna", True, "2014-10-19"),
        ("wagner", True, "2014-07-29"),
    ]
    # The side that held it all now holds a part since the other side's part was reported.
    wagner = item["holders"][1]
    assert wagner["events"] == ["e3", "e5"]
    assert item["status"] == "contested"


def test_a_later_partial_report_confirms_the_part_held() -> None:
    lna = answer(BENGHAZI_LIKE, "2016-06-01").control[0]["holders"][0]
    assert lna["since"] == "2014-10-19"
    assert lna["events"] == ["e5", "e6"]
    assert lna["corroboration"]["events"] == 2
    assert lna["corroboration"]["latest"] == "2016-02-23"


def test_a_plain_capture_ends_the_division_and_the_contest() -> None:
    item = answer(BENGHAZI_LIKE, "2018-01-01").control[0]
    assert (item["status"], item["partial"], item["contest"]) == ("held", False, None)
    assert [h["actor"]["id"] for h in item["holders"]] == ["lna"]
    assert item["since"] == "2017-07-05"  # a new holding: of the whole place
    assert ids([item], "from") == ["wagner"]
    assert item["events"] == ["e7"]


def test_divided_without_a_contest() -> None:
    events = [
        make(1, "control", "2019-04-04", place="gharyan", by="lna"),
        make(2, "control", "2019-05-01", place="gharyan", by="gna", partial=True),
    ]
    item = answer(events, "2019-06-01").control[0]
    assert item["status"] == "divided"
    assert item["from"] is None  # who held the part before is not said
    assert [h["partial"] for h in item["holders"]] == [True, True]


def test_one_side_known_to_hold_part() -> None:
    events = [make(1, "control", "2019-04-04", place="gharyan", by="lna", partial=True)]
    item = answer(events, "2019-06-01").control[0]
    assert (item["status"], item["partial"]) == ("partial", True)


def test_a_holder_reported_holding_part_of_what_it_held() -> None:
    events = [
        make(1, "control", "2019-04-04", place="gharyan", by="lna"),
        make(2, "control", "2019-05-01", place="gharyan", by="lna", partial=True),
    ]
    item = answer(events, "2019-06-01").control[0]
    assert (item["status"], item["since"], item["events"]) == (
        "partial",
        "2019-04-04",
        ["e1", "e2"],
    )


def test_a_contest_at_a_place_nobody_is_known_to_hold() -> None:
    events = [make(1, "control.contested", "2019-04-04", place="gharyan", parties=["lna", "gna"])]
    item = answer(events, "2019-06-01").control[0]
    assert (item["controller"], item["from"], item["since"]) == (None, None, "2019-04-04")
    assert (item["status"], item["holders"], item["corroboration"]) == ("contested", [], None)


def test_a_confirmation_by_the_sole_holder_ends_the_contest_but_not_the_holding() -> None:
    events = [
        make(1, "control", "2019-04-04", place="gharyan", by="lna"),
        make(2, "control.contested", "2019-04-10", place="gharyan", parties=["lna", "gna"]),
        make(3, "control", "2019-05-01", place="gharyan", by="lna"),
    ]
    item = answer(events, "2019-06-01").control[0]
    assert (item["status"], item["since"], item["events"]) == ("held", "2019-04-04", ["e1", "e3"])


def test_the_parties_named_again_keep_the_contest_date() -> None:
    events = [
        make(1, "control.contested", "2019-04-04", place="gharyan", parties=["lna", "gna"]),
        make(2, "control.contested", "2019-05-01", place="gharyan", parties=["gna", "wagner"]),
    ]
    contest = answer(events, "2019-06-01").control[0]["contest"]
    assert [p["id"] for p in contest["parties"]] == ["gna", "wagner"]
    assert (contest["since"], contest["events"]) == ("2019-04-04", ["e1", "e2"])


# -- corroboration -----------------------------------------------------------------------------


def test_corroboration_counts_outlets_events_and_the_latest_date() -> None:
    reuters = Source("Reuters", published="2019-04-04")
    reprint = Source("Egypt Today (Reuters)", published="2019-04-05")
    afp = Source("AFP", published="2019-05-02")
    events = [
        make(1, "control", "2019-04-04", place="gharyan", by="lna", sources=[reuters, reprint]),
        make(2, "control", "2019-05-01", place="gharyan", by="lna", sources=[afp]),
        make(3, "clash", "2019-05-10", place="gharyan", actors=["lna"], sources=[reuters]),
    ]
    one = answer(events, "2019-04-10").control[0]["corroboration"]
    assert (one["sources"], one["events"], one["single_source"]) == (1, 1, True)
    assert one["source_names"] == ["Reuters", "Egypt Today (Reuters)"]
    two = answer(events, "2019-06-01").control[0]["corroboration"]
    # A clash at the place does not confirm who holds it.
    assert (two["sources"], two["events"], two["latest"], two["single_source"]) == (
        2,
        2,
        "2019-05-01",
        False,
    )


def test_corroboration_starts_again_with_a_new_holding() -> None:
    events = [
        make(1, "control", "2019-04-04", place="gharyan", by="lna", sources=[Source("A")]),
        make(2, "control", "2019-05-01", place="gharyan", by="lna", sources=[Source("B")]),
        make(3, "control", "2019-06-26", place="gharyan", by="gna", sources=[Source("C")]),
    ]
    support = answer(events, "2019-07-01").control[0]["corroboration"]
    assert (support["sources"], support["events"], support["source_names"]) == (1, 1, ["C"])


def test_an_imported_event_counts_its_dataset_apart_from_its_outlets() -> None:
    imported = replace(
        make(
            1,
            "control",
            "2019-04-04",
            place="gharyan",
            by="lna",
            sources=[Source("ACLED"), Source("Libya Observer")],
        ),
        origin=Origin("acled:LBY1"),
    )
    ucdp = replace(
        make(2, "control", "2019-04-05", place="gharyan", by="lna", sources=[Source("UCDP GED")]),
        origin=Origin("ucdp:7"),
    )
    support = answer([imported, ucdp], "2019-05-01").control[0]["corroboration"]
    assert (support["sources"], support["datasets"]) == (1, 2)
    assert support["dataset_names"] == ["acled", "ucdp"]
    assert support["source_names"] == ["Libya Observer"]


def test_no_source_at_all_is_single_source() -> None:
    events = [make(1, "control", "2019-04-04", place="gharyan", by="lna")]
    support = answer(events, "2019-05-01").control[0]["corroboration"]
    assert (support["sources"], support["single_source"]) == (0, True)


@pytest.mark.parametrize(
    ("names", "outlets"),
    [
        (["Reuters", "reuters "], 1),
        (["Reuters", "Egypt Today (Reuters)"], 1),
        (["Reuters (The Daily Star)", "The Daily Star", "Reuters"], 1),
        (["Egypt Today (Reuters)", "Egypt Today (AFP)"], 1),
        (["Reuters", "AFP", "BBC News"], 3),
        (["", "  "], 0),
    ],
)
def test_outlets_sharing_a_name_count_once(names: list[str], outlets: int) -> None:
    assert count_outlets(names) == outlets


NAMES = st.text(alphabet="ab (c)", max_size=8)


@given(st.lists(NAMES, max_size=6), st.lists(NAMES, max_size=6))
def test_outlet_counts_are_order_free_and_subadditive(first: list[str], second: list[str]) -> None:
    names = first + second
    count = count_outlets(names)
    assert count_outlets(list(reversed(names))) == count
    assert count_outlets(names + names) == count  # a source named twice is one outlet
    assert count <= len({n for n in names if outlet_names(n)})
    # Two lists together have at most the outlets of each: a name in both, or a name that
    # joins two ("A (B)"), merges them.
    assert count <= count_outlets(first) + count_outlets(second)
