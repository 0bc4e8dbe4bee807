"""Claims: the 90-day window, denials, and the claims behind current facts."""

from __future__ import annotations

from .helpers import answer, fold, make


def test_claim_is_shown_with_its_fields() -> None:
    events = [make(1, "claim", "2020-05-01", by="lna", text="Downed two drones", about=["turkey"])]
    (item,) = answer(events, "2020-05-02").claims
    assert item["text"] == "Downed two drones"
    assert item["by"]["id"] == "lna"
    assert item["about"] == [{"id": "turkey", "name": "Turkey"}]
    assert (item["denied_by"], item["status"], item["events"]) == ([], "uncontested", ["e1"])


def test_denied_claim_is_contested() -> None:
    events = [
        make(1, "claim", "2020-05-01", by="lna", text="Downed two drones"),
        make(2, "denial", "2020-05-02", by="turkey", denies="e1"),
        make(3, "denial", "2020-05-03", by="gna", denies="e1"),
    ]
    (item,) = answer(events, "2020-05-04").claims
    assert item["status"] == "contested"
    assert [d["id"] for d in item["denied_by"]] == ["turkey", "gna"]
    assert item["events"] == ["e1", "e2", "e3"]


def test_denial_before_the_claim_in_fold_order() -> None:
    events = [
        make(1, "claim", "2020-05-10", by="lna", text="x"),
        make(2, "denial", "2020-05", by="turkey", denies="e1"),
    ]
    assert answer(events, "2020-06-01").claims[0]["status"] == "contested"


def test_window_of_90_days() -> None:
    events = [
        make(1, "claim", "2020-01-01", by="lna", text="old"),
        make(2, "claim", "2020-03-15", by="lna", text="newer"),
    ]
    assert [c["text"] for c in answer(events, "2020-03-30").claims] == ["newer", "old"]
    assert [c["text"] for c in answer(events, "2020-04-05").claims] == ["newer"]


def test_old_claims_leave_the_state() -> None:
    events = [make(i, "claim", f"2019-{i:02d}-01", by="lna", text=str(i)) for i in range(1, 13)]
    projector = fold(events)
    assert len(projector.claims.claims) <= 4


def test_claim_straddling_is_uncertain() -> None:
    events = [make(1, "claim", "2020-05", by="lna", text="x")]
    assert answer(events, "2020-05-10").claims[0]["certain"] is False
