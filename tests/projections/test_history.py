"""Histories of places and actors as intervals."""

from __future__ import annotations

import json

import pytest

from timeline.projections.history import history
from timeline.revisions import fold_order

from .helpers import REGISTRY, make

EVENTS = sorted(
    [
        make(1, "control", "2019-04-04", place="gharyan", by="lna"),
        make(2, "control", "2019-05-01", place="gharyan", by="lna"),  # still held: no new interval
        make(3, "control", "2019-06", place="gharyan", by="gna"),
        make(4, "control", "2019-06-26", place="gharyan", by="gna"),
        make(5, "control", "2019-08-01~", place="gharyan", by="lna"),
        make(6, "control", "2019-04-05", place="sirte", by="lna"),
        make(7, "deployment", "2019-09-01", actor="wagner", place="gharyan", strength=800),
        make(8, "withdrawal", "2019-10-01", actor="wagner", place="gharyan", strength=300),
        make(9, "withdrawal", "2019-11-01", actor="wagner", place="gharyan", complete=False),
        make(10, "withdrawal", "2020-05-24", actor="wagner"),
        make(11, "deployment", "2020-06-01", actor="wagner", place="sirte"),
        make(
            12,
            "support.started",
            "2019-05-01",
            backer="russia",
            backed="lna",
            kinds=["mercenaries"],
        ),
        make(13, "support.started", "2019-06-01", backer="russia", backed="lna", kinds=["air"]),
        make(14, "support.ended", "2019-07-01", backer="russia", backed="lna", kinds=["air"]),
        make(
            15, "support.ended", "2020-07-01", backer="russia", backed="lna", kinds=["mercenaries"]
        ),
        make(16, "support.started", "2020-08-01", backer="russia", backed="lna"),
        make(17, "support.started", "2019-05-01", backer="uae", backed="lna"),
    ],
    key=fold_order,
)


def test_place_history() -> None:
    doc = history("gharyan", "place", EVENTS, REGISTRY).to_json()
    assert json.loads(json.dumps(doc)) == doc
    assert doc["entity"] == {"id": "gharyan", "name": "Gharyan"}
    rows = [
        (c["controller"]["id"], c["from"], c["until"], c["opened_by"], c["closed_by"], c["certain"])
        for c in doc["control"]
    ]
    assert rows == [
        ("lna", "2019-04-04", "2019-06", "e1", "e3", True),
        ("gna", "2019-06", "2019-08-01~", "e3", "e5", False),  # approximate end
        ("lna", "2019-08-01~", None, "e5", None, False),
    ]
    assert doc["control"][1]["taken_from"]["id"] == "lna"
    (presence,) = doc["presence"]
    assert (presence["actor"]["id"], presence["from"], presence["until"], presence["strength"]) == (
        "wagner",
        "2019-09-01",
        "2020-05-24",
        500,
    )
    assert doc["support"] == []


def test_actor_history() -> None:
    doc = history("wagner", "actor", EVENTS, REGISTRY).to_json()
    assert doc["control"] == []
    assert [(p["place"]["id"], p["until"], p["closed_by"]) for p in doc["presence"]] == [
        ("gharyan", "2020-05-24", "e10"),
        ("sirte", None, None),
    ]
    lna = history("lna", "actor", EVENTS, REGISTRY).to_json()
    assert [(c["place"]["id"], c["from"], c["until"]) for c in lna["control"]] == [
        ("gharyan", "2019-04-04", "2019-06"),
        ("sirte", "2019-04-05", None),
        ("gharyan", "2019-08-01~", None),
    ]
    support = [
        (s["backer"]["id"], s["role"], s["kinds"], s["from"], s["until"]) for s in lna["support"]
    ]
    assert support == [
        ("russia", "backed", ["mercenaries", "air"], "2019-05-01", "2020-07-01"),
        ("uae", "backed", [], "2019-05-01", None),
        ("russia", "backed", [], "2020-08-01", None),
    ]
    russia = history("russia", "actor", EVENTS, REGISTRY).to_json()
    assert [s["role"] for s in russia["support"]] == ["backer", "backer"]


def test_month_interval_overlapping_its_successor_is_uncertain() -> None:
    events = [
        make(1, "control", "2019-06", place="sirte", by="gna"),
        make(2, "control", "2019-06-20", place="sirte", by="lna"),
    ]
    (first, _) = history("sirte", "place", events, REGISTRY).control
    assert first["certain"] is False


def test_relation_closes_with_the_removal_over_last() -> None:
    events = [
        make(1, "support.started", "2020-01-01", backer="turkey", backed="gna", kinds=["air"]),
        make(2, "support.started", "2020-01-02", backer="turkey", backed="gna", kinds=["arms"]),
        make(3, "support.ended", "2020-02", backer="turkey", backed="gna", kinds=["air"]),
        make(4, "support.ended", "2020-02-10", backer="turkey", backed="gna", kinds=["arms"]),
    ]
    (relation,) = history("gna", "actor", events, REGISTRY).support
    assert (relation["until"], relation["closed_by"]) == ("2020-02", "e3")
    assert relation["kinds"] == ["air", "arms"]
    # An end without kinds over sooner closes it instead.
    ended = [*events, make(5, "support.ended", "2020-02-15", backer="turkey", backed="gna")]
    (relation,) = history("gna", "actor", ended, REGISTRY).support
    assert (relation["until"], relation["closed_by"]) == ("2020-02-15", "e5")


def test_forces_back_before_a_withdrawal_is_over_stay_in_one_interval() -> None:
    events = [
        make(1, "deployment", "2020-01-01", actor="wagner", place="sirte"),
        make(2, "withdrawal", "2020-02", actor="wagner", place="sirte"),
        make(3, "deployment", "2020-02-10", actor="wagner", place="sirte", strength=200),
    ]
    (presence,) = history("sirte", "place", events, REGISTRY).presence
    assert (presence["from"], presence["until"], presence["strength"]) == ("2020-01-01", None, 200)


def test_entity_type_is_checked() -> None:
    with pytest.raises(ValueError, match="entity type"):
        history("x", "thing", [], REGISTRY)


def test_a_divided_and_contested_place() -> None:
    events = [
        make(1, "control", "2014-07-29", place="sirte", by="wagner"),
        make(2, "control.contested", "2014-07-29", place="sirte", parties=["lna", "wagner"]),
        make(3, "control", "2014-10-19", place="sirte", by="lna", partial=True),
        make(4, "control", "2016-02-23", place="sirte", by="lna", partial=True),
        make(5, "control", "2017-12-28", place="sirte", by="lna"),
    ]
    place = history("sirte", "place", events, REGISTRY).to_json()
    spans = [
        (i["controller"]["id"], i["from"], i["until"], i["partial"], i["partial_since"])
        for i in place["control"]
    ]
    assert spans == [
        ("wagner", "2014-07-29", "2017-12-28", True, "2014-10-19"),
        ("lna", "2014-10-19", "2017-12-28", True, "2014-10-19"),  # confirmed, not reopened
        ("lna", "2017-12-28", None, False, None),
    ]
    assert [
        ([p["id"] for p in c["parties"]], c["from"], c["until"], c["closed_by"])
        for c in place["contests"]
    ] == [(["lna", "wagner"], "2014-07-29", "2017-12-28", "e5")]
    lna = history("lna", "actor", events, REGISTRY).to_json()
    assert [c["place"]["id"] for c in lna["contests"]] == ["sirte"]
    assert [i["from"] for i in lna["control"]] == ["2014-10-19", "2017-12-28"]
    gna = history("gna", "actor", events, REGISTRY).to_json()
    assert gna["contests"] == []
