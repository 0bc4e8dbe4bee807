"""Control of places: the latest control event per place, with certainty at the instant."""

from __future__ import annotations

from timeline.events import Source

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
