"""Fatalities by dataset and the policy that picks one dataset per period for the total;
deaths among an actor's forces apart from deaths in the events it took part in."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.dates import to_micros
from timeline.events import Event, Origin
from timeline.projections import Projector
from timeline.projections.basis import View, int_field
from timeline.projections.fatalities import (
    DEFAULT_PREFERENCE,
    NATIVE,
    POLICY_KIND,
    dataset_of,
    only_actors,
)
from timeline.revisions import fold_order

from .helpers import REGISTRY, answer, before, instant, make
from .strategies import date_texts

FAST = settings(max_examples=80, deadline=None)


def of(dataset: str | None, event: Event, key: str | None = None) -> Event:
    """The event as imported from `dataset` (None: the timeline's own)."""
    origin = None if dataset is None else Origin(f"{dataset}:{key or event.id}")
    return replace(event, origin=origin)


def clash(seq: int, date: str, n: int, dataset: str | None = None, **fields: Any) -> Event:
    return of(dataset, make(seq, "clash", date, fatalities=n, **fields))


def policy(seq: int, date: str, *prefer: str) -> Event:
    return make(seq, POLICY_KIND, date, prefer=list(prefer))


# -- the default policy ------------------------------------------------------------------------


def test_each_period_takes_one_dataset_ucdp_then_acled_then_the_timeline() -> None:
    events = [
        clash(1, "2011-01-05", 10, "ucdp"),
        clash(2, "2011-06-01", 20, "ucdp"),
        clash(3, "2011-12-20", 30, "ucdp"),
        clash(4, "2011-02-15", 100, "acled"),  # UCDP covers: not in the total
        clash(5, "2011-12-20", 200, "acled"),  # the same day as UCDP's last: covered
        clash(6, "2011-12-21", 300, "acled"),  # after UCDP's coverage: ACLED counts
        clash(7, "2012-03-01", 400, "acled"),
        clash(8, "2011-03-01", 1000, None),  # covered by UCDP
        clash(9, "2012-02-01", 2000, None),  # covered by ACLED
        clash(10, "2012-06-01", 4000, None),  # nothing else covers: the timeline's own
    ]
    result = answer(events, "2012-12-31").fatalities
    assert result["total"] == 10 + 20 + 30 + 300 + 400 + 4000
    datasets = result["by_dataset"]
    assert {d: (v["total"], v["counted"]) for d, v in datasets.items()} == {
        "ucdp": (60, 60),
        "acled": (1000, 700),
        NATIVE: (7000, 4000),
    }
    assert datasets["ucdp"]["coverage"] == {
        "from": "2011-01-05",
        "to": "2011-12-20",
        "continues": False,
    }
    assert datasets["acled"]["coverage"]["from"] == "2011-02-15"
    assert result["policy"] == {
        "prefer": list(DEFAULT_PREFERENCE),
        "default": True,
        "since": None,
        "events": [],
    }
    # After the latest event of any dataset, no data.
    assert [(p["dataset"], p["from"][:10], p["until"][:10]) for p in result["periods"]] == [
        ("ucdp", "2011-01-05", "2011-12-21"),
        ("acled", "2011-12-21", "2012-03-02"),
        (NATIVE, "2012-03-02", "2012-06-02"),
        (None, "2012-06-02", "2013-01-01"),
    ]


def test_a_dataset_before_its_first_event_is_no_data_not_zero() -> None:
    events = [clash(1, "2011-01-05", 10, "ucdp"), clash(2, "2011-06-01", 5, "acled")]
    early = answer(events, "2011-03-01").fatalities
    assert early["by_dataset"]["acled"]["total"] is None
    assert early["by_dataset"]["acled"]["coverage"] is None
    assert early["by_dataset"]["ucdp"]["total"] == 10
    # Thirty days that UCDP's coverage (ended on 2011-01-05) does not reach: no data.
    assert early["by_dataset"]["ucdp"]["last_30_days"] is None
    late = answer(events, "2011-06-10").fatalities
    assert late["by_dataset"]["acled"]["last_30_days"] == 5
    # The ACLED clash falls after UCDP's latest event: it counts until UCDP's data reaches it.
    assert (late["total"], late["last_30_days"]) == (15, 5)


def test_figures_after_a_preferred_dataset_stop_counting_once_it_covers_them() -> None:
    events = [
        clash(1, "2011-01-05", 10, "ucdp"),
        clash(2, "2011-02-01", 100, "acled"),
        make(3, "note", "2011-03-01", text="UCDP's next event", fatalities=0),
    ]
    events[2] = of("ucdp", events[2])
    before_ucdp = answer(events, "2011-02-20").fatalities
    assert (before_ucdp["total"], before_ucdp["by_dataset"]["acled"]["counted"]) == (110, 100)
    after_ucdp = answer(events, "2011-03-05").fatalities
    assert (after_ucdp["total"], after_ucdp["by_dataset"]["acled"]["counted"]) == (10, 0)
    assert after_ucdp["by_dataset"]["acled"]["total"] == 100


def test_the_uncertain_and_30_day_figures_follow_the_policy_too() -> None:
    events = [
        clash(1, "2011-01-05", 10, "ucdp"),
        clash(2, "2011-01", 7, "ucdp"),  # straddles the instant
        clash(3, "2011-01-10", 100, "acled"),
        clash(4, "2011-01", 70, "acled"),
    ]
    result = answer(events, "2011-01-20").fatalities
    assert (result["total"], result["uncertain"], result["last_30_days"]) == (10, 7, 10)
    assert result["by_dataset"]["acled"]["uncertain"] == 70
    assert result["by_dataset"]["acled"]["last_30_days"] == 100


# -- policies ----------------------------------------------------------------------------------


def test_a_policy_event_changes_the_preference_from_its_date_on() -> None:
    events = [
        clash(1, "2011-01-05", 10, "ucdp"),
        clash(2, "2011-01-05", 100, "acled"),
        clash(3, "2012-01-05", 20, "ucdp"),
        clash(4, "2012-01-05", 200, "acled"),
        clash(5, "2013-01-05", 30, "ucdp"),
        policy(6, "2012", "acled", "ucdp"),
    ]
    result = answer(events, "2013-12-31").fatalities
    # 2011 by the default (UCDP); from 2012, ACLED where it covers (to 2012-01-05), then UCDP.
    assert result["total"] == 10 + 200 + 30
    assert result["policy"] == {
        "prefer": ["acled", "ucdp"],
        "default": False,
        "since": "2012",
        "events": ["e6"],
    }
    # Before the policy's date the default holds.
    assert answer(events, "2011-12-31").fatalities["total"] == 10


def test_an_undated_policy_holds_from_the_start_and_leaves_out_what_it_does_not_name() -> None:
    events = [
        policy(1, "../..", "acled"),
        clash(2, "2011-01-05", 10, "ucdp"),
        clash(3, "2011-01-05", 100, "acled"),
        clash(4, "2011-01-06", 1000, None),
    ]
    result = answer(events, "2011-12-31").fatalities
    assert result["total"] == 100
    assert result["by_dataset"]["ucdp"]["in_policy"] is False
    assert result["by_dataset"]["ucdp"]["total"] == 10
    assert result["by_dataset"][NATIVE]["counted"] == 0


def test_a_timeline_with_its_own_events_only_counts_them_all() -> None:
    events = [clash(1, "2011-01-05", 10), clash(2, "2015-01-05", 20)]
    result = answer(events, "2016-01-01").fatalities
    assert result["total"] == 30
    assert result["by_dataset"]["acled"]["total"] is None
    assert result["by_dataset"]["ucdp"]["total"] is None


# -- who died, and in whose events --------------------------------------------------------------


def test_deaths_among_an_actor_are_kept_apart_from_deaths_in_its_events() -> None:
    events = [
        # Four of its own killed in an attack on it...
        make(
            1,
            "strike",
            "2012-09-11",
            by="lna",
            actors=["turkey"],
            fatalities=4,
            fatalities_among={"turkey": 4},
        ),
        # ...and 41 killed by its own strike.
        make(2, "strike", "2016-02-19", by="turkey", actors=["wagner"], fatalities=41),
        of(
            "ucdp",
            make(
                3,
                "clash",
                "2019-04-05",
                actors=["gna", "lna"],
                fatalities=10,
                fatalities_among={"gna": 3, "lna": 1},
                fatalities_civilians=2,
                fatalities_unknown=4,
            ),
        ),
    ]
    result = answer(events, "2019-12-31").fatalities
    native = result["by_dataset"][NATIVE]
    assert native["among"] == {"turkey": 4}
    assert native["in_events_of"]["turkey"] == 45
    assert native["described"] == 4
    ucdp = result["by_dataset"]["ucdp"]
    assert ucdp["among"] == {"gna": 3, "lna": 1}
    assert (ucdp["civilians"], ucdp["unknown"], ucdp["described"]) == (2, 4, 10)
    assert ucdp["in_events_of"] == {"gna": 10, "lna": 10}
    # The total takes UCDP for 2019-04-05 and the timeline's own events before it.
    assert result["among"] == {"gna": 3, "lna": 1, "turkey": 4}
    assert result["in_events_of"] == result["by_actor"]
    assert result["by_actor"]["turkey"] == 45


def test_only_actors_keeps_every_per_actor_figure_to_the_given_ones() -> None:
    events = [
        of(
            "ucdp",
            make(
                1,
                "clash",
                "2019-04-05",
                actors=["gna", "lna"],
                fatalities=10,
                fatalities_among={"gna": 3, "lna": 1},
            ),
        ),
    ]
    figures = only_actors(answer(events, "2019-12-31").fatalities, {"gna"})
    assert (figures["by_actor"], figures["among"]) == ({"gna": 10}, {"gna": 3})
    assert figures["by_dataset"]["ucdp"]["among"] == {"gna": 3}
    assert figures["total"] == 10


# -- properties ----------------------------------------------------------------------------------

DATASETS = [None, "acled", "ucdp", "other"]


@st.composite
def fed_logs(draw: st.DrawFn) -> tuple[list[Event], datetime]:
    """Events of several datasets, with or without fatalities, a few policies, an instant."""
    count = draw(st.integers(3, 30))
    events = []
    for i in range(1, count + 1):
        text = draw(date_texts())
        if draw(st.integers(0, 12)) == 0:
            prefer = draw(
                st.lists(
                    st.sampled_from(["acled", "ucdp", NATIVE, "other"]), max_size=3, unique=True
                )
            )
            events.append(policy(i, draw(st.sampled_from([text, "../.."])), *prefer))
            continue
        fields: dict[str, Any] = {
            "actors": draw(st.lists(st.sampled_from(["gna", "lna"]), max_size=2, unique=True))
        }
        if draw(st.booleans()):
            fields["fatalities"] = draw(st.integers(0, 30))
            if draw(st.booleans()):
                # A breakdown of the total, as the vocabulary requires (never more than it).
                fields["fatalities_among"] = {
                    "gna": draw(st.integers(0, min(5, fields["fatalities"])))
                }
        events.append(of(draw(st.sampled_from(DATASETS)), make(i, "clash", text, **fields)))
    starts = sorted(e.date.start for e in events)
    at = starts[draw(st.integers(0, len(starts) - 1))] + timedelta(
        minutes=draw(st.integers(1, 60 * 24 * 60))
    )
    return events, at


def reference(events: list[Event], at: datetime, *, whole: bool = False) -> dict[str, Any]:
    """The figures from the whole list at once: each dataset's span over the events before
    the instant (`whole`: over all of them), and each toll counted when no dataset the policy
    prefers covers its start."""
    seen = sorted(before(events, at), key=fold_order)
    spans: dict[str, list[datetime]] = {}
    policies: list[tuple[datetime, list[str]]] = []
    for event in sorted(events, key=fold_order) if whole else seen:
        if event.kind == POLICY_KIND:
            if event.date.start < at:
                policies.append((event.date.start, list(event.fields["prefer"])))
            continue
        span = spans.setdefault(dataset_of(event), [event.date.start, event.date.end])
        span[1] = max(span[1], event.date.end, event.date.start + timedelta(microseconds=1))
    total = uncertain = 0
    by_dataset: dict[str, int] = {}
    for event in seen:
        n = int_field(event.fields, "fatalities")
        if event.kind == POLICY_KIND or not n:
            continue
        dataset, start = dataset_of(event), event.date.start
        prefer = list(DEFAULT_PREFERENCE)
        for since, listed in policies:
            if since <= start:
                prefer = listed
        covering = [d for d in prefer if d in spans and spans[d][0] <= start < spans[d][1]]
        counts = bool(covering) and covering[0] == dataset
        if event.date.end <= at:
            by_dataset[dataset] = by_dataset.get(dataset, 0) + n
            total += n if counts else 0
        else:
            uncertain += n if counts else 0
    return {"total": total, "uncertain": uncertain, "by_dataset": by_dataset}


@FAST
@given(fed_logs())
def test_the_total_takes_each_toll_from_the_one_dataset_that_counts_for_its_date(
    log: tuple[list[Event], datetime],
) -> None:
    events, at = log
    got = answer(events, at).fatalities
    expected = reference(events, at)
    assert (got["total"], got["uncertain"]) == (expected["total"], expected["uncertain"])
    own = {d: v["total"] for d, v in got["by_dataset"].items() if v["total"]}
    assert own == {d: n for d, n in expected["by_dataset"].items() if n}
    # The total is the sum of what each dataset gives it, never more than they hold together.
    assert got["total"] == sum(v["counted"] for v in got["by_dataset"].values())
    assert got["total"] <= sum(v["total"] or 0 for v in got["by_dataset"].values())
    assert got["by_actor"] == got["in_events_of"]
    assert sum(got["among"].values()) <= got["total"]


@FAST
@given(fed_logs())
def test_a_dataset_with_events_after_the_instant_covers_its_whole_span(
    log: tuple[list[Event], datetime],
) -> None:
    events, at = log
    projector = Projector()
    for event in before(events, at):
        projector.apply(event)
    later = {dataset_of(e) for e in events if e.date.start >= at and e.kind != POLICY_KIND}
    continuing = [d for d in projector.datasets_to_follow(at) if d in later]
    got = projector.answer(at, REGISTRY, timeline="t", continuing=continuing).fatalities
    expected = reference(events, at, whole=True)
    assert (got["total"], got["uncertain"]) == (expected["total"], expected["uncertain"])
    # Its data reaches past the instant: events after it, or one going on across it.
    across = {
        dataset_of(e) for e in before(events, at) if e.date.end > at and e.kind != POLICY_KIND
    }
    for dataset, figures in got["by_dataset"].items():
        if figures["coverage"] is not None and dataset in later | across:
            assert figures["coverage"]["continues"]
        elif figures["coverage"] is not None:
            assert not figures["coverage"]["continues"]


def test_a_dataset_known_to_go_on_covers_the_gap_before_the_instant() -> None:
    events = [clash(1, "2011-01-05", 10, "ucdp"), clash(2, "2011-02-01", 100, "acled")]
    projector = Projector()
    for event in before(events, "2011-02-20"):
        projector.apply(event)
    assert projector.datasets_to_follow(instant("2011-02-20")) == ["acled", "ucdp"]
    alone = projector.answer(instant("2011-02-20"), REGISTRY, timeline="t").fatalities
    assert alone["total"] == 110
    on = projector.answer(instant("2011-02-20"), REGISTRY, timeline="t", continuing=["ucdp"])
    assert on.fatalities["total"] == 10
    assert on.fatalities["periods"][-1]["dataset"] == "ucdp"


@FAST
@given(
    fed_logs(),
    st.lists(st.sampled_from(["acled", "ucdp", NATIVE]), min_size=2, max_size=3, unique=True),
)
def test_datasets_reporting_the_same_events_are_never_added_up(
    log: tuple[list[Event], datetime], datasets: list[str]
) -> None:
    events, at = log
    plain = [e for e in events if e.kind != POLICY_KIND]
    alone = [of(None if datasets[0] == NATIVE else datasets[0], e) for e in plain]
    copies = [
        replace(of(None if d == NATIVE else d, e, f"{i}-{e.id}"), id=f"{d}-{e.id}")
        for i, d in enumerate(datasets)
        for e in plain
    ]
    expected = answer(alone, at).fatalities
    got = answer(copies, at).fatalities
    assert (got["total"], got["uncertain"], got["last_30_days"]) == (
        expected["total"],
        expected["uncertain"],
        expected["last_30_days"],
    )


@FAST
@given(fed_logs())
def test_the_fold_with_snapshots_equals_deciding_everything_at_the_instant(
    log: tuple[list[Event], datetime],
) -> None:
    events, at = log
    ordered = before(events, at)
    straight = Projector()
    for event in ordered:
        straight.apply(event)
    expected = straight.answer(at, REGISTRY, timeline="t").fatalities
    # Deciding every toll at the instant, as the figures of an entity's events are.
    view = View(to_micros(at), REGISTRY, straight.ledger)
    assert straight.fatalities.restricted(ordered).render(view) == expected
    for split in range(0, len(ordered) + 1, 3):
        head = Projector()
        for event in ordered[:split]:
            head.apply(event)
        resumed = Projector.from_snapshot(json.loads(json.dumps(head.snapshot())))
        for event in ordered[split:]:
            resumed.apply(event)
        assert resumed.answer(at, REGISTRY, timeline="t").fatalities == expected
