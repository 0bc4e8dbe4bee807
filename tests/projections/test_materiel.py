"""Materiel: transfers add up per (place, holder, item, supplier)."""

from __future__ import annotations

from typing import Any

from .helpers import answer, make


def test_counts_add_up_since_first() -> None:
    base: dict[str, Any] = {"place": "al-watiya", "holder": "gna", "supplier": "turkey"}
    events = [
        make(1, "materiel.transferred", "2020-05-01", item="Hawk SAM", count=2, **base),
        make(2, "materiel.transferred", "2020-05-10", item="hawk sam", count=3, **base),
        make(3, "materiel.transferred", "2020-05-12", item="Hawk SAM", **base),
    ]
    (item,) = answer(events, "2020-06-01").materiel
    assert item["place"]["id"] == "al-watiya"
    assert item["holder"]["id"] == "gna"
    assert item["supplier"]["id"] == "turkey"
    assert (item["item"], item["count"], item["since"]) == ("Hawk SAM", 5, "2020-05-01")
    assert item["events"] == ["e1", "e2", "e3"]


def test_count_is_null_when_none_given() -> None:
    events = [
        make(1, "materiel.transferred", "2020-05-01", item="Pantsir", place="sirte", holder="lna")
    ]
    (item,) = answer(events, "2020-06-01").materiel
    assert item["count"] is None
    assert item["supplier"] is None


def test_separate_suppliers_are_separate_facts() -> None:
    events = [
        make(
            1,
            "materiel.transferred",
            "2020-05-01",
            item="drones",
            place="sirte",
            supplier="uae",
            count=1,
        ),
        make(
            2,
            "materiel.transferred",
            "2020-05-02",
            item="drones",
            place="sirte",
            supplier="russia",
            count=4,
        ),
    ]
    items = answer(events, "2020-06-01").materiel
    assert [(i["supplier"]["id"], i["count"]) for i in items] == [("russia", 4), ("uae", 1)]


def test_uncertain_transfer_makes_the_fact_uncertain() -> None:
    events = [
        make(1, "materiel.transferred", "2020-05-01", item="drones", place="sirte", count=1),
        make(2, "materiel.transferred", "2020-05", item="drones", place="sirte", count=4),
    ]
    (item,) = answer(events, "2020-05-15").materiel
    assert (item["count"], item["certain"]) == (5, False)


def test_denied_transfer_is_contested_either_order() -> None:
    after = [
        make(1, "materiel.transferred", "2020-05-01", item="drones", place="sirte"),
        make(2, "denial", "2020-05-03", by="uae", denies="e1"),
    ]
    assert answer(after, "2020-05-10").materiel[0]["contested"] is True
    before = [
        make(1, "materiel.transferred", "2020-05-10", item="drones", place="sirte"),
        make(2, "denial", "2020-05", by="uae", denies="e1"),
    ]
    assert answer(before, "2020-06-10").materiel[0]["contested"] is True
