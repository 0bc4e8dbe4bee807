"""Materiel: transfers add up per (place, holder, item, supplier)."""

from __future__ import annotations

import json
from typing import Any

from timeline.projections import Projector

from .helpers import REGISTRY, answer, before, instant, make


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


# -- losses -----------------------------------------------------------------------------------

HELD: dict[str, Any] = {"place": "al-watiya", "holder": "lna", "supplier": "uae"}


def stocks(events: list[Any], when: str = "2020-07-01") -> dict[tuple[Any, ...], dict[str, Any]]:
    """The answer's stocks by (place, holder, item, supplier) ids."""

    def ref(value: Any) -> Any:
        return value["id"] if value else None

    return {
        (ref(i["place"]), ref(i["holder"]), i["item"], ref(i["supplier"])): i
        for i in answer(events, when).materiel
    }


def test_a_loss_takes_from_the_holding() -> None:
    events = [
        make(1, "materiel.transferred", "2020-05-01", item="Pantsir", count=5, **HELD),
        make(2, "materiel.lost", "2020-05-16", item="pantsir", how="destroyed", count=2, **HELD),
    ]
    stock = stocks(events)[("al-watiya", "lna", "Pantsir", "uae")]
    assert (stock["count"], stock["lost"], stock["lost_beyond_holding"]) == (3, 2, 0)
    assert stock["losses"] == [
        {
            "event": "e2",
            "date": "2020-05-16",
            "how": "destroyed",
            "count": 2,
            "captured_by": None,
            "beyond_holding": 0,
        }
    ]
    assert stock["events"] == ["e1", "e2"]
    assert stocks(events, "2020-05-15")[("al-watiya", "lna", "Pantsir", "uae")]["count"] == 5


def test_a_loss_beyond_the_holding_stops_at_zero_and_says_so() -> None:
    events = [
        make(1, "materiel.transferred", "2020-05-01", item="Pantsir", count=2, **HELD),
        make(2, "materiel.lost", "2020-05-16", item="Pantsir", how="destroyed", count=5, **HELD),
        make(3, "materiel.lost", "2020-05-17", item="Pantsir", how="lost", count=1, **HELD),
    ]
    stock = stocks(events)[("al-watiya", "lna", "Pantsir", "uae")]
    assert (stock["count"], stock["lost"], stock["lost_beyond_holding"]) == (0, 6, 4)
    assert [(x["count"], x["beyond_holding"]) for x in stock["losses"]] == [(5, 3), (1, 1)]


def test_a_loss_of_what_no_holding_records_is_a_stock_at_zero() -> None:
    events = [
        make(
            1, "materiel.lost", "2019-06-30", item="TB2", how="destroyed", count=1, place="tripoli"
        )
    ]
    ((key, stock),) = stocks(events).items()
    assert key == ("tripoli", None, "TB2", None)
    assert (stock["count"], stock["lost"], stock["lost_beyond_holding"]) == (0, 1, 1)
    assert stock["since"] == "2019-06-30"


def test_a_loss_naming_less_takes_from_every_matching_stock_oldest_first() -> None:
    events = [
        make(1, "materiel.transferred", "2020-05-01", item="drone", count=2, **HELD),
        make(2, "materiel.transferred", "2020-05-02", item="drone", count=3, place="sirte"),
        make(3, "materiel.transferred", "2020-05-03", item="drone", count=9, holder="gna"),
        # No place: the LNA's drones wherever they are.
        make(
            4, "materiel.lost", "2020-05-10", item="Drone", how="withdrawn", count=4, holder="lna"
        ),
    ]
    found = stocks(events)
    assert found[("al-watiya", "lna", "drone", "uae")]["count"] == 0
    # The Sirte stock names no holder: a loss that names one does not touch it.
    assert found[("sirte", None, "drone", None)]["count"] == 3
    assert found[(None, "gna", "drone", None)]["count"] == 9
    # What the LNA's one stock could not cover is counted where the loss points: no place.
    beyond = found[(None, "lna", "Drone", None)]
    assert (beyond["count"], beyond["lost_beyond_holding"]) == (0, 2)


def test_a_loss_without_a_count_makes_the_count_unknown() -> None:
    events = [
        make(1, "materiel.transferred", "2020-05-01", item="Hawk", count=3, **HELD),
        make(2, "materiel.lost", "2020-07-05", item="Hawk", how="destroyed", **HELD),
        make(3, "materiel.lost", "2020-07-06", item="Hawk", how="destroyed", count=2, **HELD),
    ]
    stock = stocks(events, "2020-07-10")[("al-watiya", "lna", "Hawk", "uae")]
    # Of an unknown number, two more can go without going below zero: it stays unknown.
    assert (stock["count"], stock["lost"], stock["lost_beyond_holding"]) == (None, 2, 0)
    assert [x["count"] for x in stock["losses"]] == [None, 2]


def test_a_capture_adds_to_the_captors_holding() -> None:
    events = [
        make(1, "materiel.transferred", "2020-05-01", item="Pantsir", count=1, **HELD),
        make(
            2,
            "materiel.lost",
            "2020-05-18",
            item="Pantsir",
            how="captured",
            count=2,
            captured_by="gna",
            **HELD,
        ),
    ]
    found = stocks(events)
    lost = found[("al-watiya", "lna", "Pantsir", "uae")]
    assert (lost["count"], lost["lost"], lost["lost_beyond_holding"]) == (0, 2, 1)
    assert lost["losses"][0]["captured_by"] == {
        "id": "gna",
        "name": "Government of National Accord",
    }
    # The captor has what it took, whatever the holding on record was.
    gained = found[("al-watiya", "gna", "Pantsir", None)]
    assert (gained["count"], gained["since"], gained["events"]) == (2, "2020-05-18", ["e2"])
    assert gained["captured"] == [
        {
            "event": "e2",
            "date": "2020-05-18",
            "count": 2,
            "from": {"id": "lna", "name": "Libyan National Army"},
        }
    ]


def test_a_loss_not_certainly_over_makes_the_stock_uncertain() -> None:
    events = [
        make(1, "materiel.transferred", "2020-04-01", item="Pantsir", count=3, **HELD),
        make(2, "materiel.lost", "2020-05", item="Pantsir", how="destroyed", count=1, **HELD),
    ]
    stock = stocks(events, "2020-05-15")[("al-watiya", "lna", "Pantsir", "uae")]
    assert (stock["count"], stock["certain"]) == (2, False)


def test_losses_survive_a_snapshot_and_an_older_state_still_loads() -> None:
    events = [
        make(1, "materiel.transferred", "2020-05-01", item="Pantsir", count=1, **HELD),
        make(2, "materiel.lost", "2020-05-18", item="Pantsir", how="captured", count=2,
             captured_by="gna", **HELD),
    ]  # fmt: skip
    projector = Projector()
    projector.apply_all(before(events, "2020-06-01"))
    restored = Projector.from_snapshot(json.loads(json.dumps(projector.snapshot())))
    at = instant("2020-06-01")
    assert restored.answer(at, REGISTRY, timeline="t") == projector.answer(
        at, REGISTRY, timeline="t"
    )
    # A state written before losses were recorded keeps seven columns per stock.
    old = projector.snapshot()
    old["materiel"] = [[*row[:6], row[6][:1]] for row in old["materiel"][:1]]
    (stock,) = Projector.from_snapshot(old).materiel.stocks.values()
    assert (stock.count, stock.losses, stock.beyond, stock.captures) == (0, [], 0, [])
