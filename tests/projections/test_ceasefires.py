"""Ceasefires: status transitions, parties, violations per actor."""

from __future__ import annotations

from .helpers import answer, make

NAME = "Berlin ceasefire"


def test_transitions() -> None:
    events = [
        make(1, "ceasefire.proposed", "2020-01-08", ceasefire=NAME, parties=["gna"]),
        make(2, "ceasefire.in_force", "2020-01-12", ceasefire=NAME, parties=["lna"]),
        make(3, "ceasefire.violated", "2020-01-20", ceasefire=NAME, by=["lna"]),
        make(4, "ceasefire.violated", "2020-01-25", ceasefire=NAME, by=["lna", "gna"]),
        make(5, "ceasefire.collapsed", "2020-02-20", ceasefire=NAME),
        make(6, "ceasefire.ended", "2020-03-01", ceasefire=NAME),
    ]
    steps = [
        ("2020-01-10", "proposed", "2020-01-08", {}),
        ("2020-01-15", "in_force", "2020-01-12", {}),
        ("2020-01-21", "violated", "2020-01-20", {"lna": 1}),
        ("2020-01-26", "violated", "2020-01-20", {"gna": 1, "lna": 2}),
        ("2020-02-21", "collapsed", "2020-02-20", {"gna": 1, "lna": 2}),
        ("2020-03-02", "ended", "2020-03-01", {"gna": 1, "lna": 2}),
    ]
    for when, status, since, violations in steps:
        (item,) = answer(events, when).ceasefires
        assert (item["status"], item["since"], item["violations"]) == (status, since, violations)
        assert item["name"] == NAME
    (item,) = answer(events, "2020-03-02").ceasefires
    assert [p["id"] for p in item["parties"]] == ["gna", "lna"]
    assert item["events"] == ["e1", "e2", "e3", "e4", "e5", "e6"]


def test_agreement_puts_the_ceasefire_in_force() -> None:
    events = [
        make(1, "ceasefire.proposed", "2020-08-21", ceasefire="August ceasefire"),
        make(
            2,
            "agreement",
            "2020-10-23",
            name="5+5",
            ceasefire="august CEASEFIRE",
            parties=["gna", "lna"],
        ),
        make(3, "agreement", "2020-10-24", name="unrelated", parties=["gna"]),
    ]
    (item,) = answer(events, "2020-10-30").ceasefires
    assert (item["name"], item["status"], item["since"]) == (
        "August ceasefire",
        "in_force",
        "2020-10-23",
    )
    assert [p["id"] for p in item["parties"]] == ["gna", "lna"]


def test_violation_of_a_proposed_ceasefire_keeps_its_status_but_counts() -> None:
    events = [
        make(1, "ceasefire.proposed", "2020-01-08", ceasefire=NAME),
        make(2, "ceasefire.violated", "2020-01-09", ceasefire=NAME, by=["lna"]),
    ]
    (item,) = answer(events, "2020-01-10").ceasefires
    assert (item["status"], item["violations"]) == ("proposed", {"lna": 1})


def test_violation_of_an_unknown_ceasefire_makes_it_violated() -> None:
    events = [make(1, "ceasefire.violated", "2020-01-09", ceasefire=NAME, by=["lna"])]
    assert answer(events, "2020-01-10").ceasefires[0]["status"] == "violated"


def test_uncertain_status_and_violations() -> None:
    events = [
        make(1, "ceasefire.in_force", "2020-01-12", ceasefire=NAME),
        make(2, "ceasefire.violated", "2020-02", ceasefire=NAME, by=["lna"]),
    ]
    (item,) = answer(events, "2020-02-10").ceasefires
    assert (item["status"], item["certain"]) == ("violated", False)
    assert (item["violations"], item["violations_uncertain"]) == ({}, {"lna": 1})
    (item,) = answer(events, "2020-02-29").ceasefires
    assert (item["certain"], item["violations"]) == (True, {"lna": 1})


def test_sorted_by_name() -> None:
    events = [
        make(1, "ceasefire.proposed", "2020-01-08", ceasefire="b"),
        make(2, "ceasefire.proposed", "2020-01-09", ceasefire="A"),
    ]
    assert [c["name"] for c in answer(events, "2020-01-10").ceasefires] == ["A", "b"]


def test_a_long_violated_ceasefire_cites_its_latest_reports_and_counts_them_all() -> None:
    events = [make(1, "ceasefire.in_force", "2020-01-01", ceasefire=NAME, parties=["gna"])]
    events += [
        make(n, "ceasefire.violated", f"2020-02-{n:02d}", ceasefire=NAME, by=["lna"])
        for n in range(2, 26)
    ]
    # A violation reported only to the month: not certainly over on 2020-03-10.
    events.append(make(26, "ceasefire.violated", "2020-03", ceasefire=NAME, by=["gna"]))
    (item,) = answer(events, "2020-03-10").ceasefires
    assert item["violations"] == {"lna": 24}
    assert item["violations_uncertain"] == {"gna": 1}
    # The status changes (in force, then violated), the ten latest violations, in fold order.
    assert item["events"] == ["e1", "e2", *(f"e{n}" for n in range(17, 27))]
    (item,) = answer(events, "2020-04-02").ceasefires
    assert (item["violations"], item["violations_uncertain"]) == ({"gna": 1, "lna": 24}, {})
