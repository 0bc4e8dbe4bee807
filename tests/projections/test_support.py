"""Support relations: kinds added and removed per (backer, backed)."""

from __future__ import annotations

from .helpers import answer, fold, make


def test_kinds_union_and_since_first_start() -> None:
    events = [
        make(1, "support.started", "2019-12", backer="turkey", backed="gna", kinds=["drones"]),
        make(2, "support.started", "2020-01-05", backer="turkey", backed="gna", kinds=["air"]),
        make(3, "support.started", "2020-02-01", backer="turkey", backed="gna", kinds=["drones"]),
    ]
    (item,) = answer(events, "2020-03-01").support
    assert item["backer"]["id"] == "turkey"
    assert item["backed"]["id"] == "gna"
    assert item["kinds"] == ["air", "drones"]
    assert item["since"] == "2019-12"
    assert item["events"] == ["e1", "e2"]
    assert item["certain"] is True


def test_ended_kinds_are_removed_and_all_removed_ends_relation() -> None:
    base = [
        make(
            1,
            "support.started",
            "2020-01-01",
            backer="turkey",
            backed="gna",
            kinds=["air", "drones"],
        ),
        make(2, "support.ended", "2020-02-01", backer="turkey", backed="gna", kinds=["air"]),
    ]
    (item,) = answer(base, "2020-02-10").support
    assert item["kinds"] == ["drones"]
    assert item["events"] == ["e1"]
    more = [
        *base,
        make(3, "support.ended", "2020-03-01", backer="turkey", backed="gna", kinds=["drones"]),
    ]
    assert answer(more, "2020-03-10").support == ()


def test_ended_without_kinds_ends_relation() -> None:
    events = [
        make(1, "support.started", "2020-01-01", backer="uae", backed="lna", kinds=["drones"]),
        make(2, "support.ended", "2020-02-01", backer="uae", backed="lna"),
    ]
    assert answer(events, "2020-01-31").support != ()
    assert answer(events, "2020-02-01").support == ()


def test_relation_stays_while_any_removal_of_its_kinds_is_under_way() -> None:
    events = [
        make(1, "support.started", "2020-01-01", backer="turkey", backed="gna", kinds=["air"]),
        make(2, "support.started", "2020-01-02", backer="turkey", backed="gna", kinds=["arms"]),
        make(3, "support.ended", "2020-02", backer="turkey", backed="gna", kinds=["air"]),
        make(4, "support.ended", "2020-02-10", backer="turkey", backed="gna", kinds=["arms"]),
    ]
    # The arms removal is over; the air one (all of February) may still be under way.
    (item,) = answer(events, "2020-02-20").support
    assert (item["kinds"], item["status"], item["certain"]) == (["air"], "ending", False)
    assert answer(events, "2020-02-28").support != ()
    assert answer(events, "2020-03-01").support == ()
    # An end without kinds over sooner ends the relation sooner.
    ended = [*events, make(5, "support.ended", "2020-02-15", backer="turkey", backed="gna")]
    assert answer(ended, "2020-02-14").support != ()
    assert answer(ended, "2020-02-15").support == ()


def test_kindless_relation() -> None:
    events = [make(1, "support.started", "2020-01-01", backer="uae", backed="lna")]
    (item,) = answer(events, "2020-01-10").support
    assert item["kinds"] == []


def test_end_straddling_the_instant_is_shown_uncertain() -> None:
    events = [
        make(
            1,
            "support.started",
            "2020-01-01",
            backer="turkey",
            backed="gna",
            kinds=["air", "drones"],
        ),
        make(2, "support.ended", "2020-02", backer="turkey", backed="gna", kinds=["air"]),
    ]
    (item,) = answer(events, "2020-02-10").support
    assert item["kinds"] == ["air", "drones"]
    assert item["ending"] == ["air"]
    assert item["certain"] is False
    assert item["status"] == "active"
    (item,) = answer(events, "2020-02-29").support
    assert (item["kinds"], item["certain"]) == (["drones"], True)


def test_restart_after_end_opens_a_new_relation() -> None:
    events = [
        make(
            1, "support.started", "2020-01-01", backer="russia", backed="lna", kinds=["mercenaries"]
        ),
        make(2, "support.ended", "2020-02-01", backer="russia", backed="lna"),
        make(3, "support.started", "2020-03-01", backer="russia", backed="lna", kinds=["air"]),
    ]
    (item,) = answer(events, "2020-03-10").support
    assert (item["kinds"], item["since"], item["events"]) == (["air"], "2020-03-01", ["e3"])


def test_removals_over_leave_no_state() -> None:
    events = [
        make(1, "support.started", "2020-01-01", backer="turkey", backed="gna", kinds=["air"]),
        make(2, "support.ended", "2020-02", backer="turkey", backed="gna", kinds=["air"]),
        make(3, "note", "2020-03-05", text="later"),
    ]
    projector = fold(events)
    assert projector.support.relations == {}
    assert projector.ledger.entries == {}


def test_sorted_by_backer_then_backed() -> None:
    events = [
        make(1, "support.started", "2020-01-01", backer="uae", backed="lna"),
        make(2, "support.started", "2020-01-02", backer="russia", backed="lna"),
        make(3, "support.started", "2020-01-03", backer="turkey", backed="gna"),
    ]
    items = answer(events, "2020-02-01").support
    assert [i["backer"]["name"] for i in items] == ["Russia", "Turkey", "United Arab Emirates"]
