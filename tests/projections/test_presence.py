"""Forces present: deployments, withdrawals (under way, partial, complete), contested."""

from __future__ import annotations

from .helpers import answer, fold, ids, make


def test_deployment_opens_and_updates() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="turkey", place="tripoli", strength=500),
        make(
            2,
            "deployment",
            "2020-02-01",
            actor="turkey",
            place="tripoli",
            strength=2000,
            on_behalf_of="gna",
        ),
        make(3, "deployment", "2020-03-01", actor="turkey", place="tripoli"),
    ]
    (item,) = answer(events, "2020-03-10").presence
    assert item["actor"]["id"] == "turkey"
    assert item["place"]["id"] == "tripoli"
    assert item["strength"] == 2000
    assert item["on_behalf_of"]["id"] == "gna"
    assert (item["status"], item["contested"], item["certain"]) == ("present", False, True)
    assert item["since"] == "2020-01-05"
    assert item["events"] == ["e1", "e2"]


def test_deployment_without_place() -> None:
    events = [make(1, "deployment", "2020-01-05", actor="wagner", strength=1200)]
    (item,) = answer(events, "2020-01-10").presence
    assert item["place"] is None
    assert item["strength"] == 1200


def test_withdrawal_under_way_is_withdrawing() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="wagner", place="tripoli"),
        make(2, "withdrawal", "2020-05-24", actor="wagner", place="tripoli", complete=False),
    ]
    (item,) = answer(events, "2020-05-30").presence
    assert (item["status"], item["certain"]) == ("withdrawing", True)
    assert item["events"] == ["e1", "e2"]


def test_complete_withdrawal_certainly_over_removes_the_presence() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="wagner", place="tripoli"),
        make(2, "withdrawal", "2020-05-24", actor="wagner", place="tripoli"),
    ]
    assert answer(events, "2020-05-24").presence == ()


def test_complete_withdrawal_straddling_the_instant_is_withdrawing_uncertain() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="wagner", place="tripoli"),
        make(2, "withdrawal", "2020-05", actor="wagner", place="tripoli"),
    ]
    (item,) = answer(events, "2020-05-20").presence
    assert (item["status"], item["certain"]) == ("withdrawing", False)
    assert answer(events, "2020-05-31").presence == ()


def test_withdrawal_over_leaves_no_state() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="wagner", place="tripoli"),
        make(2, "withdrawal", "2020-05", actor="wagner", place="tripoli"),
        make(3, "note", "2020-06-02"),
    ]
    projector = fold(events)
    assert projector.presence.presences == {}
    assert projector.ledger.entries == {}


def test_partial_withdrawal_reduces_strength() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="turkey", place="tripoli", strength=2000),
        make(2, "withdrawal", "2020-06-01", actor="turkey", place="tripoli", strength=500),
    ]
    (item,) = answer(events, "2020-06-10").presence
    assert (item["strength"], item["status"]) == (1500, "present")
    assert item["events"] == ["e1", "e2"]


def test_withdrawal_of_at_least_the_strength_present_removes() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="turkey", place="tripoli", strength=2000),
        make(2, "withdrawal", "2020-06-01", actor="turkey", place="tripoli", strength=2000),
    ]
    assert answer(events, "2020-06-10").presence == ()


def test_withdrawal_without_place_leaves_every_place() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="wagner", place="tripoli"),
        make(2, "deployment", "2020-01-06", actor="wagner", place="sirte"),
        make(3, "deployment", "2020-01-07", actor="turkey", place="tripoli"),
        make(4, "withdrawal", "2020-06-01", actor="wagner"),
    ]
    assert ids(answer(events, "2020-06-10").presence, "actor") == ["turkey"]


def test_strength_withdrawn_from_no_particular_place_makes_all_withdrawing() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="wagner", place="tripoli", strength=800),
        make(2, "deployment", "2020-01-06", actor="wagner", place="sirte", strength=400),
        make(3, "withdrawal", "2020-06-01", actor="wagner", strength=300),
    ]
    items = answer(events, "2020-06-10").presence
    assert [(i["place"]["id"], i["strength"], i["status"]) for i in items] == [
        ("sirte", 400, "withdrawing"),
        ("tripoli", 800, "withdrawing"),
    ]


def test_redeployment_after_withdrawal_began_is_present_again() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="wagner", place="sirte"),
        make(2, "withdrawal", "2020-05-24", actor="wagner", place="sirte", complete=False),
        make(3, "deployment", "2020-06-10", actor="wagner", place="sirte", strength=300),
    ]
    (item,) = answer(events, "2020-06-20").presence
    assert (item["status"], item["strength"], item["since"]) == ("present", 300, "2020-01-05")
    assert item["events"] == ["e1", "e3"]


def test_withdrawal_of_absent_forces_is_ignored() -> None:
    events = [make(1, "withdrawal", "2020-05-24", actor="wagner", place="sirte")]
    assert answer(events, "2020-06-01").presence == ()


def test_sorted_by_actor_name_then_place_name() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="wagner", place="tripoli"),
        make(2, "deployment", "2020-01-06", actor="turkey", place="tripoli"),
        make(3, "deployment", "2020-01-07", actor="wagner", place="al-watiya"),
    ]
    items = answer(events, "2020-02-01").presence
    assert [(i["actor"]["id"], i["place"]["id"]) for i in items] == [
        ("turkey", "tripoli"),
        ("wagner", "al-watiya"),
        ("wagner", "tripoli"),
    ]


# --- contested ------------------------------------------------------------------------------


def test_denial_after_the_deployment_contests_it() -> None:
    events = [
        make(1, "deployment", "2020-01-05", actor="wagner", place="sirte"),
        make(2, "denial", "2020-01-08", by="russia", denies="e1"),
    ]
    assert answer(events, "2020-01-07").presence[0]["contested"] is False
    (item,) = answer(events, "2020-01-10").presence
    assert item["contested"] is True
    assert ids([item], "actor") == ["wagner"]
    assert item["denied_by"] == [{"id": "russia", "name": "Russia"}]


def test_denial_before_the_deployment_in_fold_order_contests_it() -> None:
    # The denial's interval starts first (a whole month), the deployment is a day inside it.
    events = [
        make(1, "deployment", "2020-01-15", actor="wagner", place="sirte"),
        make(2, "denial", "2020-01", by="russia", denies="e1"),
    ]
    assert answer(events, "2020-01-20").presence[0]["contested"] is True


def test_denied_claim_asserting_the_deployment_contests_it() -> None:
    deployment = make(1, "deployment", "2020-01-05", actor="wagner", place="sirte")
    claim = make(2, "claim", "2020-01-06", by="gna", text="Wagner in Sirte", asserts="e1")
    denial = make(3, "denial", "2020-01-07", by="russia", denies="e2")
    (item,) = answer([deployment, claim, denial], "2020-01-10").presence
    assert item["contested"] is True
    # The claim behind the fact is in the claims section, contested.
    (shown,) = answer([deployment, claim, denial], "2020-01-10").claims
    assert (shown["id"], shown["status"]) == ("e2", "contested")


def test_claim_and_denial_before_the_deployment_in_fold_order() -> None:
    claim = make(2, "claim", "2020-01", by="gna", text="Wagner in Sirte", asserts="e1")
    denial = make(3, "denial", "2020-01-02", by="russia", denies="e2")
    deployment = make(1, "deployment", "2020-01-05", actor="wagner", place="sirte")
    assert answer([deployment, claim, denial], "2020-02-10").presence[0]["contested"] is True


def test_old_claim_behind_a_current_fact_stays_in_the_claims_section() -> None:
    deployment = make(1, "deployment", "2020-01-05", actor="wagner", place="sirte")
    claim = make(2, "claim", "2020-01-06", by="gna", text="Wagner in Sirte", asserts="e1")
    other = make(3, "claim", "2020-01-07", by="gna", text="something else")
    later = make(4, "note", "2020-12-01")
    result = answer([deployment, claim, other, later], "2020-12-10")
    assert [c["id"] for c in result.claims] == ["e2"]
    projector = fold([deployment, claim, other, later])
    assert set(projector.claims.claims) == {"e2"}
