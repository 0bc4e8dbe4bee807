"""Transitions: every change between two instants, event by event, and how they add up to
the net view."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from timeline.dates import OPEN_END
from timeline.events import Event
from timeline.projections import Answer, Projector
from timeline.projections.basis import fold_name
from timeline.projections.diff import control_state, diff
from timeline.projections.transitions import CHANGE_KINDS, transitions
from timeline.revisions import fold_order

from .helpers import REGISTRY, answer, before, instant, make, taken_from
from .strategies import instants, logs

FAST = settings(max_examples=80, deadline=None)


def moves(events: Iterable[Event], first: str | datetime, second: str | datetime) -> list[Any]:
    ordered = sorted(events, key=fold_order)
    return transitions(ordered, REGISTRY, instant(first), instant(second))


def summary(items: Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(date, kind, place id, from id, to id, possibly) of control transitions."""
    return [
        (
            t["date"],
            t["kind"],
            t["place"]["id"],
            (t["from"] or {}).get("id"),
            t["to"]["id"],
            t["possibly_in_range"],
        )
        for t in items
        if t["kind"].startswith("control")
    ]


# -- what the net view leaves out -------------------------------------------------------------

ROUND_TRIP = [
    make(1, "control", "2019-01-10", place="gharyan", by="gna"),
    make(2, "control", "2019-04-04", place="gharyan", by="lna", **taken_from("gna")),
    make(3, "control", "2019-06-26", place="gharyan", by="gna", **taken_from("lna")),
]


def test_a_place_taken_and_retaken_shows_both_changes() -> None:
    net = diff(answer(ROUND_TRIP, "2019-04-01"), answer(ROUND_TRIP, "2019-06-30"))
    assert net.control == ()  # Gharyan ended with the side that held it: no net change
    assert summary(moves(ROUND_TRIP, "2019-04-01", "2019-06-30")) == [
        ("2019-04-04", "control", "gharyan", "gna", "lna", False),
        ("2019-06-26", "control", "gharyan", "lna", "gna", False),
    ]


def test_events_whose_dates_straddle_either_instant_are_possibly_in_range() -> None:
    events = [
        *ROUND_TRIP,
        make(4, "control", "2019-04", place="tarhuna", by="lna"),  # straddles 1 April's end
        make(5, "control", "2019-06-20/2019-07-05", place="sirte", by="lna"),
        make(6, "control", "2019-03-30", place="tripoli", by="gna"),  # over before the range
        make(7, "control", "2019-07-02", place="tripoli", by="lna"),  # after it
    ]
    found = summary(moves(events, "2019-04-01", "2019-06-30"))
    assert found == [
        ("2019-04", "control", "tarhuna", None, "lna", True),
        ("2019-04-04", "control", "gharyan", "gna", "lna", False),
        ("2019-06-20/2019-07-05", "control", "sirte", None, "lna", True),
        ("2019-06-26", "control", "gharyan", "lna", "gna", False),
    ]
    # The net view cannot see Tarhuna: its event is in the answer at the first instant too.
    net = diff(answer(events, "2019-04-01"), answer(events, "2019-06-30"))
    assert [c["place"]["id"] for c in net.to_json()["control"]] == ["sirte"]


def test_a_report_of_the_same_holder_is_listed_as_a_confirmation() -> None:
    events = [*ROUND_TRIP, make(4, "control", "2019-05-01", place="gharyan", by="lna")]
    assert summary(moves(events, "2019-04-01", "2019-06-30"))[1] == (
        "2019-05-01",
        "control.confirmed",
        "gharyan",
        "lna",
        "lna",
        False,
    )


def test_a_transition_carries_its_event() -> None:
    (move,) = moves(ROUND_TRIP[:2], "2019-04-01", "2019-04-30")
    assert list(move)[:6] == ["date", "kind", "event", "event_kind", "title", "possibly_in_range"]
    assert (move["event"], move["event_kind"], move["title"]) == ("e2", "control", "control 2")
    assert move["actor"] == {"id": "lna", "name": "Libyan National Army"}
    assert move["sources"] == []


# -- every kind of change ---------------------------------------------------------------------

EVERYTHING = [
    make(1, "control", "2020-01-01", place="sirte", by="gna"),
    make(2, "control", "2020-02-01", place="sirte", by="lna", **taken_from("gna")),
    make(3, "control", "2020-02-02", place="sirte", by="lna"),
    make(4, "offensive.started", "2020-02-03", actor="lna", name="Op", target="tripoli"),
    make(5, "offensive.ended", "2020-02-20", offensive="e4"),
    make(6, "support.started", "2020-02-04", backer="uae", backed="lna", kinds=["arms"]),
    make(7, "support.started", "2020-02-05", backer="uae", backed="lna", kinds=["drones"]),
    make(8, "support.ended", "2020-02-21", backer="uae", backed="lna"),
    make(9, "deployment", "2020-02-06", actor="wagner", place="tripoli", strength=800),
    make(10, "withdrawal", "2020-02-07", actor="wagner", place="tripoli", complete=False),
    make(11, "withdrawal", "2020-02-22", actor="wagner", place="tripoli"),
    make(12, "materiel.transferred", "2020-02-08", item="Pantsir", count=2, place="sirte"),
    make(13, "materiel.lost", "2020-02-09", item="pantsir", how="destroyed", count=3),
    make(14, "ceasefire.in_force", "2020-02-10", ceasefire="Truce"),
    make(15, "ceasefire.violated", "2020-02-11", ceasefire="truce", by=["lna"]),
    make(16, "ceasefire.violated", "2020-02-12", ceasefire="Truce", by=["gna"]),
]


def test_every_kind_of_change_is_a_transition() -> None:
    found = moves(EVERYTHING, "2020-01-15", "2020-03-01")
    kinds = [t["kind"] for t in found]
    # Stocks are never removed (a loss leaves one at zero): that kind cannot come up.
    assert set(kinds) == set(CHANGE_KINDS) - {"materiel.removed"}
    by_event = {t["event"]: t for t in found}
    assert (by_event["e5"]["kind"], by_event["e5"]["from"], by_event["e5"]["to"]) == (
        "offensive.ended",
        "active",
        None,
    )
    assert by_event["e7"]["kind"] == "support.changed"
    assert (by_event["e7"]["from"], by_event["e7"]["to"], by_event["e7"]["added"]) == (
        ["arms"],
        ["arms", "drones"],
        ["drones"],
    )
    assert (by_event["e10"]["from"], by_event["e10"]["to"]) == ("present", "withdrawing")
    assert by_event["e10"]["strength"] == {"from": 800, "to": 800}
    assert (by_event["e11"]["kind"], by_event["e11"]["to"]) == ("presence.left", None)
    # Three destroyed where two were held: the stock goes to zero, and the one more is
    # counted on the stock the loss names (no place, holder or supplier).
    lost = {
        (_ref(t["place"]), t["kind"], t["from"], t["to"], t["how"], t["beyond_holding"])
        for t in found
        if t["event"] == "e13"
    }
    assert lost == {
        ("sirte", "materiel.changed", 2, 0, "destroyed", 0),
        (None, "materiel.added", None, 0, "destroyed", 1),
    }
    assert by_event["e12"]["how"] == "transferred"
    assert [a["id"] for a in by_event["e16"]["by"]] == ["gna"]
    assert (by_event["e15"]["kind"], by_event["e15"]["from"], by_event["e15"]["to"]) == (
        "ceasefire",
        "in_force",
        "violated",
    )
    assert [a["id"] for a in by_event["e15"]["by"]] == ["lna"]
    assert by_event["e16"]["kind"] == "ceasefire.violated"


def test_an_end_is_dated_by_its_event_even_while_it_may_still_be_under_way() -> None:
    events = [
        make(1, "offensive.started", "2020-01-01", actor="lna", name="Op"),
        make(2, "offensive.ended", "2020-02", offensive="e1"),
    ]
    (ended,) = moves(events, "2020-01-15", "2020-02-10")
    assert (ended["kind"], ended["date"], ended["possibly_in_range"]) == (
        "offensive.ended",
        "2020-02",
        True,
    )


# -- how transitions add up -------------------------------------------------------------------


def _ref(ref: Any) -> str | None:
    return ref["id"] if ref else None


def keyed(result: Answer) -> dict[str, dict[Any, Any]]:
    """Each fact of an answer by its identity, with the value transitions say it changes."""
    return {
        "control": {_ref(i["place"]): _ref(i["controller"]) for i in result.control},
        "offensives": {i["id"]: "active" for i in result.offensives},
        "support": {
            (_ref(i["backer"]), _ref(i["backed"])): tuple(sorted(i["kinds"]))
            for i in result.support
        },
        "presence": {
            (_ref(i["actor"]), _ref(i["place"])): (
                i["status"],
                i["strength"],
                _ref(i["on_behalf_of"]),
            )
            for i in result.presence
        },
        "materiel": {
            (_ref(i["place"]), _ref(i["holder"]), fold_name(i["item"]), _ref(i["supplier"])): i[
                "count"
            ]
            for i in result.materiel
        },
        "ceasefires": {fold_name(i["name"]): i["status"] for i in result.ceasefires},
    }


def fold(state: dict[str, dict[Any, Any]], moved: Iterable[dict[str, Any]]) -> None:
    """Apply transitions to a keyed state, as a reader of `diff --format json` would."""
    for t in moved:
        kind = t["kind"]
        if kind.startswith("control"):
            state["control"][_ref(t["place"])] = _ref(t["to"])
        elif kind.startswith("offensive."):
            if t["to"] is None:
                del state["offensives"][t["offensive"]]
            else:
                state["offensives"][t["offensive"]] = t["to"]
        elif kind.startswith("support."):
            key = (_ref(t["actor"]), _ref(t["backed"]))
            if t["to"] is None:
                del state["support"][key]
            else:
                state["support"][key] = tuple(sorted(t["to"]))
        elif kind.startswith("presence."):
            key = (_ref(t["actor"]), _ref(t["place"]))
            if kind == "presence.left":
                del state["presence"][key]
            else:
                value = (t["to"], t["strength"]["to"], _ref(t["on_behalf_of"]["to"]))
                state["presence"][key] = value
        elif kind.startswith("materiel."):
            stock = (_ref(t["place"]), _ref(t["holder"]), fold_name(t["item"]), _ref(t["supplier"]))
            if kind == "materiel.removed":
                del state["materiel"][stock]
            else:
                state["materiel"][stock] = t["to"]
        else:
            state["ceasefires"][fold_name(t["name"])] = t["to"]


def settled(events: list[Event], at: datetime) -> Answer:
    """The state with every event starting before `at` folded in and over."""
    projector = Projector()
    projector.apply_all(before(events, at))
    return projector.answer(OPEN_END, REGISTRY, timeline="t")


def starting_in(events: list[Event], low: datetime, high: datetime) -> set[str]:
    return {e.id for e in events if low <= e.date.start < high}


@FAST
@given(logs(min_size=5, max_size=30), instants, instants)
def test_folding_the_transitions_onto_the_first_state_gives_the_second(
    events: list[Event], one: datetime, two: datetime
) -> None:
    low, high = sorted((one, two))
    if low == high:
        return
    inside = starting_in(events, low, high)
    state = keyed(settled(events, low))
    fold(state, [t for t in moves(events, low, high) if t["event"] in inside])
    assert state == keyed(settled(events, high))


@FAST
@given(logs(min_size=5, max_size=30), instants, instants)
@example(
    # A place contested by nobody's holding before the second date: a change of the net view
    # that no holder makes.
    [make(1, "control.contested", "2020-01-01", place="p1", parties=["a1"])],
    instant("2019-12-20"),
    instant("2020-01-02"),
)
def test_the_net_view_is_the_fold_of_the_transitions_when_no_date_straddles_the_range(
    events: list[Event], one: datetime, two: datetime
) -> None:
    low, high = sorted((one, two))
    if low == high:
        return
    # Where no event is under way at either instant, each answer is the settled state.
    events = [e for e in events if not any(e.date.start < t < e.date.end for t in (low, high))]
    first, second = answer(events, low), answer(events, high)
    moved = moves(events, low, high)
    assert not any(t["possibly_in_range"] for t in moved)
    state = keyed(first)
    fold(state, moved)
    assert state == keyed(second)
    # And the net view's control changes are the places whose holder the fold changed, or
    # whose status, holders of parts or contesting parties changed under the same holder, or
    # that came to be fought over with nobody holding them (nothing -> contested), or ceased to be.
    before = {_ref(i["place"]): control_state(i) for i in first.control}
    after = {_ref(i["place"]): control_state(i) for i in second.control}
    changed = (
        {p for p, holder in state["control"].items() if keyed(first)["control"].get(p) != holder}
        | {p for p in after if p in before and before[p] != after[p]}
        | (after.keys() ^ before.keys())
    )
    assert {c["place"]["id"] for c in diff(first, second).control} == changed


@FAST
@given(logs(min_size=5, max_size=30), instants, st.integers(1, 60 * 24 * 60))
def test_every_control_event_inside_the_range_is_a_transition(
    events: list[Event], low: datetime, minutes: int
) -> None:
    high = low + timedelta(minutes=minutes)
    moved = moves(events, low, high)
    listed = {t["event"] for t in moved}
    inside = [e for e in events if low <= e.date.start and e.date.end <= high]
    assert {e.id for e in inside if e.kind == "control"} <= listed
    # Each transition says whether its event lies wholly inside the range, and comes in the
    # order the events are folded in.
    dates = {e.id: e for e in events}
    for t in moved:
        event = dates[t["event"]]
        assert event.date.start < high
        assert event.date.end > low
        assert t["possibly_in_range"] == (not (low <= event.date.start and event.date.end <= high))
    order = [fold_order(dates[t["event"]]) for t in moved]
    assert order == sorted(order)
