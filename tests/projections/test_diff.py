"""Diffs between two answers."""

from __future__ import annotations

import json

from timeline.projections.diff import diff

from .helpers import answer, make

EVENTS = [
    make(1, "control", "2019-04-04", place="gharyan", by="lna"),
    make(2, "control", "2019-04-05", place="tripoli", by="gna"),
    make(
        3, "offensive.started", "2019-04-04", actor="lna", target="tripoli", name="Flood of Dignity"
    ),
    make(4, "support.started", "2019-05-01", backer="uae", backed="lna", kinds=["drones", "air"]),
    make(5, "support.started", "2019-05-02", backer="russia", backed="lna", kinds=["mercenaries"]),
    make(6, "deployment", "2019-09-01", actor="wagner", place="tripoli", strength=800),
    make(7, "deployment", "2019-09-02", actor="turkey", place="tripoli"),
    make(
        8, "materiel.transferred", "2019-09-03", item="drones", place="sirte", holder="lna", count=2
    ),
    make(9, "materiel.transferred", "2019-09-04", item="pantsir", place="sirte", holder="lna"),
    make(10, "ceasefire.proposed", "2019-09-05", ceasefire="Berlin"),
    make(11, "clash", "2019-09-06", actors=["lna"], fatalities=5),
    # --- between the two instants
    make(12, "control", "2020-06-04", place="tripoli", by="gna"),  # confirmation, no change
    make(13, "control", "2020-03-01", place="gharyan", by="gna"),
    make(14, "offensive.ended", "2020-06-04", offensive="e3"),
    make(
        15, "offensive.started", "2020-06-06", actor="gna", target="sirte", name="Paths of Victory"
    ),
    make(16, "support.ended", "2020-01-01", backer="uae", backed="lna", kinds=["air"]),
    make(17, "support.started", "2020-01-02", backer="uae", backed="lna", kinds=["financial"]),
    make(18, "support.ended", "2020-01-03", backer="russia", backed="lna"),
    make(19, "support.started", "2020-01-04", backer="turkey", backed="gna"),
    make(20, "withdrawal", "2020-05-24", actor="wagner", place="tripoli"),
    make(21, "withdrawal", "2020-05-25", actor="turkey", place="tripoli", complete=False),
    make(22, "deployment", "2020-05-26", actor="russia", place="sirte"),
    make(
        23,
        "materiel.transferred",
        "2020-05-27",
        item="Drones",
        place="sirte",
        holder="lna",
        count=3,
    ),
    make(24, "materiel.transferred", "2020-05-28", item="MiG-29", place="sirte", holder="lna"),
    make(25, "ceasefire.in_force", "2020-06-07", ceasefire="berlin"),
    make(26, "ceasefire.proposed", "2020-06-08", ceasefire="Cairo"),
    make(27, "clash", "2020-06-08", actors=["lna", "gna"], fatalities=7),
]


def test_diff_between_two_instants() -> None:
    before = answer(EVENTS, "2019-10-01")
    after = answer(EVENTS, "2020-06-10")
    d = diff(before, after)
    doc = d.to_json()
    assert json.loads(json.dumps(doc)) == doc
    assert (doc["from"], doc["to"]) == ("2019-10-02T00:00:00Z", "2020-06-11T00:00:00Z")
    # Control: Gharyan changed hands; Tripoli was only confirmed.
    assert [(c["place"]["id"], c["from"]["id"], c["to"]["id"]) for c in doc["control"]] == [
        ("gharyan", "lna", "gna")
    ]
    assert doc["control"][0]["events"] == ["e13"]
    assert [o["name"] for o in doc["offensives"]["begun"]] == ["Paths of Victory"]
    assert [o["name"] for o in doc["offensives"]["ended"]] == ["Flood of Dignity"]
    assert [s["backer"]["id"] for s in doc["support"]["begun"]] == ["turkey"]
    assert [s["backer"]["id"] for s in doc["support"]["ended"]] == ["russia"]
    (changed,) = doc["support"]["changed"]
    assert (changed["added"], changed["removed"]) == (["financial"], ["air"])
    assert [p["actor"]["id"] for p in doc["presence"]["arrived"]] == ["russia"]
    assert [p["actor"]["id"] for p in doc["presence"]["left"]] == ["wagner"]
    (moved,) = doc["presence"]["changed"]
    assert moved["status"] == {"from": "present", "to": "withdrawing"}
    assert moved["strength"] is None
    assert [m["item"] for m in doc["materiel"]["added"]] == ["MiG-29"]
    assert doc["materiel"]["removed"] == []
    (count,) = doc["materiel"]["changed"]
    assert (count["item"], count["from_count"], count["to_count"], count["events"]) == (
        "drones",
        2,
        5,
        ["e23"],
    )
    assert [(c["name"], c["from_status"], c["to_status"]) for c in doc["ceasefires"]] == [
        ("Berlin", "proposed", "in_force"),
        ("Cairo", None, "proposed"),
    ]
    assert doc["fatalities"] == {"total": 7, "uncertain": 0, "by_actor": {"gna": 7, "lna": 7}}
    assert not d.is_empty()


def test_diff_of_an_answer_with_itself_is_empty() -> None:
    same = answer(EVENTS, "2020-01-01")
    assert diff(same, same).is_empty()
