"""Answers from the store: what the analyst relies on.

The state at an instant must be the fold of exactly the events in effect by then, whatever
order they were recorded in and whatever snapshots exist; `--as-known` must replay only what
had been recorded, so that later corrections and late arrivals never leak into the past.

The folding logic is tested on the memory store (`clocked`): it keeps the SQL store's
semantics, which the store contract (tests/store/) pins on all three stores. The tests that
look at the snapshots table itself, or load the seeds through an import, run on SQLite and
PostgreSQL (`sql_clocked`), end to end.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import answering
from timeline import api, folding
from timeline.dates import format_instant, parse_fuzzy, parse_instant
from timeline.entities import DEFINITION_KINDS
from timeline.errors import InvalidInput
from timeline.events import NewEvent, stable_id
from timeline.projections.fatalities import dataset_of
from timeline.projections.state import SNAPSHOT_VERSION, Projector
from timeline.revisions import REVISION_KINDS
from timeline.store import EventQuery, Store
from timeline.store.codec import decompress_state
from timeline.store.memory import MemoryStore
from timeline.store.sql import SqlStore


class Clock:
    """A clock the test moves, so that knowledge times are known exactly."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> datetime:
        """Move on a minute; returns the new time."""
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def clocked(clock: Clock) -> MemoryStore:
    """A memory store, its recording times set by the test's clock."""
    return MemoryStore(clock=clock)


@pytest.fixture
def sql_clocked(store: SqlStore, clock: Clock) -> SqlStore:
    """The SQL store, its recording times set by the test's clock."""
    return SqlStore(store.engine, clock=clock)


def definitions(timeline: str) -> list[NewEvent]:
    timeless = parse_fuzzy("../..")
    out = []
    for name in ("gna", "lna", "turkey", "wagner"):
        out.append(
            NewEvent(
                stable_id(timeline, f"actor:{name}"),
                timeline,
                "actor.defined",
                name,
                timeless,
                {"actor": name, "name": name.upper()},
            )
        )
    for name in ("tripoli", "sirte", "watiya"):
        out.append(
            NewEvent(
                stable_id(timeline, f"place:{name}"),
                timeline,
                "place.defined",
                name,
                timeless,
                {"place": name, "name": name.title()},
            )
        )
    return out


def event(timeline: str, key: str, kind: str, date: str, **fields: Any) -> NewEvent:
    return NewEvent(
        stable_id(timeline, key), timeline, kind, f"{kind} {key}", parse_fuzzy(date), fields
    )


def controller(
    store: Store, timeline: str, when: str, place: str, as_known: str | None = None
) -> str | None:
    answer = answering.state_at(store, store.catalog.get(timeline), when, as_known=as_known)
    for item in answer.to_json()["control"]:
        if item["place"]["id"] == place:
            return str(item["controller"]["id"])
    return None


def test_a_correction_changes_the_answer_but_not_what_was_known_before_it(
    clocked: MemoryStore, clock: Clock
) -> None:
    clocked.catalog.create("t", "UTC")
    clocked.log.append(definitions("t"))
    capture = event(
        "t", "capture", "control", "2020-05-18", place="watiya", by="gna", **{"from": "lna"}
    )
    clocked.log.append([capture])
    before_correction = format_instant(clock.tick())
    clock.tick()
    correction = NewEvent(
        stable_id("t", "fix"),
        "t",
        "correction",
        "it was the LNA that held on",
        parse_fuzzy("2020-05-18"),
        {"target": capture.id, "fields": {"by": "lna", "from": "gna"}},
    )
    clocked.log.append([correction])

    assert controller(clocked, "t", "2020-05-20", "watiya") == "lna"
    assert controller(clocked, "t", "2020-05-20", "watiya", before_correction) == "gna"


def test_a_late_arrival_changes_past_answers_and_as_known_keeps_the_old_ones(
    clocked: MemoryStore, clock: Clock
) -> None:
    clocked.catalog.create("t", "UTC")
    clocked.log.append(definitions("t"))
    clocked.log.append([event("t", "a", "control", "2019-04-04", place="tripoli", by="gna")])
    clocked.log.append([event("t", "b", "control", "2020-01-06", place="sirte", by="lna")])
    folding.refresh_snapshots(clocked, "t", every=1)
    before_arrival = format_instant(clock.tick())
    clock.tick()
    # Tonight's import brings a record of 2019: the LNA took Tripoli in June (fiction).
    clocked.log.append([event("t", "late", "control", "2019-06", place="tripoli", by="lna")])

    assert controller(clocked, "t", "2019-12-31", "tripoli") == "lna"
    assert controller(clocked, "t", "2019-12-31", "tripoli", before_arrival) == "gna"
    # Seen from inside its month the late event is only possibly in effect.
    item = next(
        i
        for i in answering.state_at(clocked, clocked.catalog.get("t"), "2019-06-15").to_json()[
            "control"
        ]
        if i["place"]["id"] == "tripoli"
    )
    assert (item["controller"]["id"], item["certain"]) == ("lna", False)


def test_rebuild_changes_no_answer(clocked: MemoryStore) -> None:
    clocked.catalog.create("t", "UTC")
    clocked.log.append(definitions("t"))
    clocked.log.append(
        [
            event("t", f"e{i}", "control", f"20{10 + i % 10}-0{1 + i % 9}", place=place, by=actor)
            for i, (place, actor) in enumerate(
                itertools.product(["tripoli", "sirte", "watiya"], ["gna", "lna", "turkey"])
            )
        ]
    )
    info = clocked.catalog.get("t")
    dates = ["2010-12-31", "2013-06-30", "2016-01-01", "2019-12-31", "2025"]
    without = [answering.state_at(clocked, info, d).to_json() for d in dates]
    assert folding.rebuild(clocked, info.name, every=2) > 0
    assert [answering.state_at(clocked, info, d).to_json() for d in dates] == without


# -- the property: snapshots never change an answer ----------------------------------------------

ACTORS = ["gna", "lna", "turkey", "wagner"]
PLACES = ["tripoli", "sirte", "watiya"]
DATES = [
    "2019",
    "2019-04",
    "2019-04-04",
    "2019-06~",
    "2019-06-26",
    "2019-W30",
    "2020-01/2020-03",
    "2020-01-06",
]


@st.composite
def logs(draw: st.DrawFn) -> list[list[dict[str, Any]]]:
    """Batches of event specs, some of them corrections or retractions of earlier ones."""
    batches = []
    count = 0
    for _ in range(draw(st.integers(1, 4))):
        batch = []
        for _ in range(draw(st.integers(1, 6))):
            roll = draw(st.integers(0, 9))
            if count and roll == 0:
                batch.append(
                    {
                        "revise": draw(st.integers(0, count - 1)),
                        "date": draw(st.sampled_from(DATES)),
                    }
                )
            elif count and roll == 1:
                batch.append({"retract": draw(st.integers(0, count - 1))})
            else:
                kind = draw(st.sampled_from(["control", "deployment", "clash", "support.started"]))
                batch.append(
                    {
                        "kind": kind,
                        "date": draw(st.sampled_from(DATES)),
                        "actor": draw(st.sampled_from(ACTORS)),
                        "other": draw(st.sampled_from(ACTORS)),
                        "place": draw(st.sampled_from(PLACES)),
                        "n": draw(st.integers(0, 9)),
                    }
                )
                count += 1
        batches.append(batch)
    return batches


def build(timeline: str, spec: dict[str, Any], made: list[NewEvent], key: str) -> NewEvent:
    if "revise" in spec or "retract" in spec:
        target = made[spec.get("revise", spec.get("retract", 0))]
        if "retract" in spec:
            return NewEvent(
                stable_id(timeline, key),
                timeline,
                "retraction",
                "retracted",
                target.date,
                {"target": target.id, "reason": "test"},
            )
        return NewEvent(
            stable_id(timeline, key),
            timeline,
            "correction",
            target.title,
            parse_fuzzy(spec["date"]),
            {"target": target.id, "fields": {}},
        )
    kind = spec["kind"]
    fields: dict[str, Any]
    if kind == "control":
        fields = {"place": spec["place"], "by": spec["actor"]}
    elif kind == "deployment":
        fields = {"actor": spec["actor"], "place": spec["place"], "strength": spec["n"] * 100}
    elif kind == "clash":
        fields = {
            "actors": [spec["actor"], spec["other"]],
            "place": spec["place"],
            "fatalities": spec["n"],
        }
    else:
        fields = {"backer": spec["actor"], "backed": spec["other"], "kinds": ["arms"]}
    return NewEvent(
        stable_id(timeline, key), timeline, kind, f"{kind} {key}", parse_fuzzy(spec["date"]), fields
    )


def naive_answer(
    store: Store, timeline: str, when: str, as_known: datetime | None
) -> dict[str, Any]:
    """The reference: every event recorded by then, revisions applied, folded from scratch."""
    instant = parse_instant(when)
    events = list(store.log.select(EventQuery(timeline, as_known=as_known)))
    projector = folding.fold_everything(events, before=instant)
    registry = api.load_registry(store, timeline, as_known)
    # The datasets with records starting at or after the instant: their coverage goes on.
    later = {
        dataset_of(e)
        for e in events
        if e.date.start >= instant and e.kind not in {*REVISION_KINDS, *DEFINITION_KINDS}
    }
    continuing = [d for d in projector.datasets_to_follow(instant) if d in later]
    return projector.answer(
        instant, registry, timeline=timeline, as_known=as_known, continuing=continuing
    ).to_json()


COUNTER = itertools.count()


# On the memory store an example costs a fraction of what it costs on SQL: twice the examples
# the SQL backends ran, in a few seconds.
@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batches=logs(), every=st.integers(1, 4), refresh_after=st.sets(st.integers(0, 3)))
def test_snapshots_never_change_an_answer(
    clocked: MemoryStore,
    clock: Clock,
    batches: list[list[dict[str, Any]]],
    every: int,
    refresh_after: set[int],
) -> None:
    timeline = f"p{next(COUNTER)}"
    clocked.catalog.create(timeline, "UTC")
    clocked.log.append(definitions(timeline))
    made: list[NewEvent] = []
    knowledge: list[datetime] = []
    for number, batch in enumerate(batches):
        drafts = []
        for index, spec in enumerate(batch):
            draft = build(timeline, spec, made, f"{number}.{index}")
            if draft.kind not in REVISION_KINDS:
                made.append(draft)
            drafts.append(draft)
        clocked.log.append(drafts)
        knowledge.append(clock.tick())
        clock.tick()
        if number in refresh_after:
            folding.refresh_snapshots(clocked, timeline, every=every)
    info = clocked.catalog.get(timeline)
    for when in ("2019-04-04", "2019-06-30", "2019-12-31", "2020-02-15", "2021"):
        expected = naive_answer(clocked, timeline, when, None)
        assert answering.state_at(clocked, info, when).to_json() == expected
        known = knowledge[0]
        expected_then = naive_answer(clocked, timeline, when, known)
        got_then = answering.state_at(clocked, info, when, as_known=format_instant(known))
        assert got_then.to_json() == expected_then


def test_seeds_load_once(libya_store: SqlStore) -> None:
    # The run's seeded database (each backend): loading the seeds again leaves it as it was.
    from timeline.seeds import load_seed

    count = libya_store.log.count()
    again = load_seed(libya_store, "libya")
    assert (again.counts.new, again.counts.corrected, again.counts.retracted) == (0, 0, 0)
    assert again.counts.unchanged > 500
    assert libya_store.log.count() == count
    assert libya_store.log.verify().ok


def test_a_snapshot_of_another_version_is_ignored_not_fatal(clocked: MemoryStore) -> None:
    from timeline.store import Snapshot

    clocked.catalog.create("t", "UTC")
    clocked.log.append(definitions("t"))
    clocked.log.append([event("t", "a", "control", "2019-04-04", place="tripoli", by="gna")])
    stale = Snapshot(parse_instant("2019-01-01"), 0, clocked.clock(), {"version": -1})
    clocked.snapshots.add("t", [stale])
    assert controller(clocked, "t", "2019-12-31", "tripoli") == "gna"
    assert folding.refresh_snapshots(clocked, "t", every=1) >= 0
    assert controller(clocked, "t", "2019-12-31", "tripoli") == "gna"


def test_a_refresh_writes_snapshots_a_few_at_a_time(
    clocked: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    clocked.catalog.create("t", "UTC")
    clocked.log.append(definitions("t"))
    clocked.log.append(
        [
            event("t", f"e{day}", "control", f"2019-01-{day:02d}", place="tripoli", by="gna")
            for day in range(1, 31)
        ]
    )
    sizes: list[int] = []
    add = clocked.snapshots.add

    def counting(timeline: str, snapshots: Any, **kwargs: Any) -> int:
        sizes.append(len(snapshots))
        return add(timeline, snapshots, **kwargs)

    monkeypatch.setattr(clocked.snapshots, "add", counting)
    written = folding.refresh_snapshots(clocked, "t", every=1)
    assert written == 29  # one before every event but the first
    assert sum(sizes) == written
    assert max(sizes) <= folding.SNAPSHOT_WRITE_BATCH < written
    assert controller(clocked, "t", "2019-01-15", "tripoli") == "gna"


def test_a_refresh_holds_no_more_json_than_its_bound_before_writing(
    clocked: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scaled down: a state of this war is a few hundred bytes; a bound of 1,000 bytes lets
    # two or three wait together, never the eight the count allows.
    monkeypatch.setattr(folding, "SNAPSHOT_WRITE_BYTES", 1000)
    clocked.catalog.create("t", "UTC")
    clocked.log.append(definitions("t"))
    clocked.log.append(
        [
            event("t", f"e{day}", "control", f"2019-01-{day:02d}", place="tripoli", by="gna")
            for day in range(1, 31)
        ]
    )
    batches: list[list[int]] = []
    add = clocked.snapshots.add

    def measuring(timeline: str, snapshots: Any, **kwargs: Any) -> int:
        batches.append([len(decompress_state(snap.blob)) for snap in snapshots])
        return add(timeline, snapshots, **kwargs)

    monkeypatch.setattr(clocked.snapshots, "add", measuring)
    written = folding.refresh_snapshots(clocked, "t", every=1)
    assert written == 29
    assert sum(len(batch) for batch in batches) == written
    # Each batch but the last stops at the first snapshot that reaches the bound.
    for batch in batches[:-1]:
        assert sum(batch) >= 1000 > sum(batch[:-1])
    assert max(len(batch) for batch in batches) < folding.SNAPSHOT_WRITE_BATCH
    assert controller(clocked, "t", "2019-01-15", "tripoli") == "gna"


def test_snapshots_of_a_growing_state_are_spaced_by_its_size(
    clocked: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Scaled down: a state counts as big from 512 bytes of JSON, one event per 128 bytes.
    monkeypatch.setattr(folding, "SNAPSHOT_EVERY", 4)
    monkeypatch.setattr(folding, "SNAPSHOT_JSON_PER_EVENT", 128)
    clocked.catalog.create("t", "UTC")
    clocked.log.append(definitions("t"))
    # Every day a new offensive that never ends: the state grows with the log.
    clocked.log.append(
        [
            event(
                "t",
                f"o{n}",
                "offensive.started",
                f"2019-{1 + n // 28:02d}-{1 + n % 28:02d}",
                actor="lna",
                name=f"Push {n}",
            )
            for n in range(300)
        ]
    )
    folding.refresh_snapshots(clocked, "t", every=4)
    stored = []
    instant = parse_instant("2020-01-01")
    while (snapshot := clocked.snapshots.before("t", instant)) is not None:
        stored.append(snapshot)
        instant = snapshot.boundary - timedelta(microseconds=1)
    stored.reverse()
    assert len(stored) >= 3
    for earlier, later in itertools.pairwise(stored):
        size = len(Projector.from_snapshot(earlier.state).snapshot_json())  # as refresh sees it
        assert later.event_count - earlier.event_count == folding.snapshot_gap(size, 4)
    gaps = [b.event_count - a.event_count for a, b in itertools.pairwise(stored)]
    assert gaps == sorted(gaps)
    assert gaps[-1] > gaps[0] > 4
    answer = answering.state_at(clocked, clocked.catalog.get("t"), "2019-12-31")
    assert len(answer.offensives) == 300


def test_the_gap_after_a_snapshot_grows_with_it_only_past_the_default_spacing() -> None:
    per = folding.SNAPSHOT_JSON_PER_EVENT
    assert folding.snapshot_gap(0) == folding.SNAPSHOT_EVERY
    assert folding.snapshot_gap(per * folding.SNAPSHOT_EVERY) == folding.SNAPSHOT_EVERY
    assert folding.snapshot_gap(per * 1000) == 1000
    assert folding.snapshot_gap(per * 1000 + 1) == 1001
    assert folding.snapshot_gap(per * 1000, every=5000) == 5000
    assert folding.snapshot_gap(100, every=1) == 1  # a small state keeps any spacing asked


def test_overlapping_refreshes_store_each_boundary_once(sql_clocked: SqlStore) -> None:
    sql_clocked.catalog.create("t", "UTC")
    sql_clocked.log.append(definitions("t"))
    sql_clocked.log.append([event("t", "a", "control", "2019-04-04", place="tripoli", by="gna")])
    sql_clocked.log.append([event("t", "b", "control", "2019-05-04", place="sirte", by="lna")])
    # Two cron runs fold the same log and store the same boundaries, one after the other.
    first = folding.refresh_snapshots(sql_clocked, "t", every=1, full=True)
    snapshot = sql_clocked.snapshots.before("t", parse_instant("2020-01-01"))
    assert snapshot is not None
    assert sql_clocked.snapshots.add("t", [snapshot]) == 1
    assert first == 1
    with sql_clocked.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM snapshots").scalar()
    assert stored == 1
    assert controller(sql_clocked, "t", "2019-12-31", "sirte") == "lna"


def test_answers_leave_the_cycle_collector_as_they_found_it(clocked: MemoryStore) -> None:
    import gc

    clocked.catalog.create("t", "UTC")
    clocked.log.append(definitions("t"))
    clocked.log.append([event("t", "a", "control", "2019-04-04", place="tripoli", by="gna")])
    assert gc.isenabled()
    assert controller(clocked, "t", "2019-12-31", "tripoli") == "gna"
    folding.refresh_snapshots(clocked, "t", every=1)
    assert gc.isenabled()
    gc.disable()
    try:
        assert controller(clocked, "t", "2019-12-31", "tripoli") == "gna"
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()
    with pytest.raises(InvalidInput), folding.collector_paused():
        raise InvalidInput("an error inside")
    assert gc.isenabled()


def snapshot_rows(store: SqlStore) -> tuple[int, int]:
    """(current, superseded) snapshots stored."""
    with store.engine.connect() as conn:
        current, superseded = conn.exec_driver_sql(
            "SELECT count(*) - count(superseded_at), count(superseded_at) FROM snapshots"
        ).one()
    return int(current), int(superseded)


def a_refreshed_month(store: Store) -> None:
    """Timeline "t": Sirte changes hands daily in March 2019, a snapshot before every day."""
    store.catalog.create("t", "UTC")
    store.log.append(definitions("t"))
    store.log.append(
        [
            event("t", f"m{day}", "control", f"2019-03-{day:02d}", place="sirte", by=by)
            for day, by in zip(range(1, 29), itertools.cycle(["gna", "lna"]), strict=False)
        ]
    )
    folding.refresh_snapshots(store, "t", every=1)


def test_as_known_before_a_late_arrival_starts_from_the_snapshots_it_superseded(
    sql_clocked: SqlStore, clock: Clock
) -> None:
    a_refreshed_month(sql_clocked)
    before_arrival = clock.tick()
    clock.tick()
    # Tonight's import brings a record from the start of the month, and refreshes.
    sql_clocked.log.append(
        [event("t", "late", "control", "2019-03-01T12:00", place="tripoli", by="lna")]
    )
    assert snapshot_rows(sql_clocked) == (0, 27)  # every one of them is stale for today...
    folding.refresh_snapshots(sql_clocked, "t", every=1)
    assert snapshot_rows(sql_clocked) == (28, 27)

    # ...but still what was known before the arrival, and answers about then start there.
    info = sql_clocked.catalog.get("t")
    then = format_instant(before_arrival)
    served = sql_clocked.snapshots.before("t", parse_instant("2019-03-20"), as_known=before_arrival)
    assert served is not None
    assert served.known_through < before_arrival
    assert served.boundary == parse_instant("2019-03-20")
    now = sql_clocked.snapshots.before("t", parse_instant("2019-03-20"))
    assert now is not None
    assert now.known_through > before_arrival
    for when in ("2019-03-01", "2019-03-19", "2019-03-31"):
        expected = naive_answer(sql_clocked, "t", when, before_arrival)
        assert answering.state_at(sql_clocked, info, when, as_known=then).to_json() == expected
        assert answering.state_at(sql_clocked, info, when).to_json() == naive_answer(
            sql_clocked, "t", when, None
        )
    assert controller(sql_clocked, "t", "2019-03-31", "tripoli", then) is None
    assert controller(sql_clocked, "t", "2019-03-31", "tripoli") == "lna"


def test_superseded_snapshots_are_kept_as_many_as_current_ones_the_latest_first(
    sql_clocked: SqlStore, clock: Clock
) -> None:
    a_refreshed_month(sql_clocked)
    knowledge = []
    for night in range(3):
        knowledge.append(clock.tick())
        clock.tick()
        late = event("t", f"late{night}", "note", f"2019-03-0{night + 1}T06:00", text="late")
        sql_clocked.log.append([late])
        folding.refresh_snapshots(sql_clocked, "t", every=1)
        current, superseded = snapshot_rows(sql_clocked)
        assert superseded <= current == 28 + night
    # The last night's knowledge still has its snapshots; the first night's lost them.
    middle = parse_instant("2019-03-20")
    assert sql_clocked.snapshots.before("t", middle, as_known=knowledge[-1]) is not None
    assert sql_clocked.snapshots.before("t", middle, as_known=knowledge[0]) is None
    info = sql_clocked.catalog.get("t")
    for known in knowledge:
        got = answering.state_at(sql_clocked, info, "2019-03-31", as_known=format_instant(known))
        assert got.to_json() == naive_answer(sql_clocked, "t", "2019-03-31", known)


def test_rebuild_forgets_superseded_snapshots(sql_clocked: SqlStore, clock: Clock) -> None:
    a_refreshed_month(sql_clocked)
    clock.tick()
    sql_clocked.log.append([event("t", "late", "note", "2019-03-01T06:00", text="late")])
    folding.refresh_snapshots(sql_clocked, "t", every=1)
    assert snapshot_rows(sql_clocked)[1] > 0
    folding.rebuild(sql_clocked, "t", every=1)
    assert snapshot_rows(sql_clocked) == (28, 0)


def controller_name(store: Store, when: str, place: str, as_known: str | None = None) -> str:
    answer = answering.state_at(store, store.catalog.get("t"), when, as_known=as_known)
    return next(
        str(item["controller"]["name"])
        for item in answer.to_json()["control"]
        if item["place"]["id"] == place
    )


def test_a_corrected_definition_renames_an_actor_and_as_known_keeps_the_old_name(
    clocked: MemoryStore, clock: Clock
) -> None:
    clocked.catalog.create("t", "UTC")
    clocked.log.append(definitions("t"))
    clocked.log.append([event("t", "a", "control", "2019-04-04", place="tripoli", by="gna")])
    before = format_instant(clock.tick())
    clock.tick()
    clocked.log.append(
        [
            NewEvent(
                stable_id("t", "rename"),
                "t",
                "correction",
                "the GNA's full name",
                parse_fuzzy("../.."),
                {
                    "target": stable_id("t", "actor:gna"),
                    "fields": {"actor": "gna", "name": "Government of National Accord"},
                },
            )
        ]
    )
    assert controller_name(clocked, "2019-12-31", "tripoli") == "Government of National Accord"
    assert controller_name(clocked, "2019-12-31", "tripoli", before) == "GNA"
    # The name it had still finds it.
    assert api.resolve_entity(clocked, "t", "GNA").name == "Government of National Accord"


def test_an_answer_reads_the_definitions_of_its_entities_in_one_go(
    clocked: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not every definition of the timeline (a long war defines tens of thousands), and not
    one entity at a time as facts name them."""
    clocked.catalog.create("t", "UTC")
    clocked.log.append(definitions("t"))
    clocked.log.append(
        [
            event("t", "a", "control", "2019-04-04", place="tripoli", by="gna"),
            event("t", "b", "control", "2019-06-26", place="sirte", by="lna", **{"from": "gna"}),
        ]
    )
    asked: list[set[str] | None] = []
    read = clocked.log.definitions

    def counted(timeline: str, **bounds: Any) -> Any:
        entities = bounds.get("entities")
        asked.append(None if entities is None else set(entities))
        return read(timeline, **bounds)

    monkeypatch.setattr(clocked.log, "definitions", counted)
    assert controller_name(clocked, "2019-12-31", "tripoli") == "GNA"
    assert controller_name(clocked, "2019-12-31", "sirte") == "LNA"
    assert len(asked) == 2  # one read per answer
    assert all(a is not None and {"gna", "lna", "tripoli", "sirte"} <= a for a in asked)
    assert all(a is not None and not a & {"turkey", "wagner", "watiya"} for a in asked)


def test_a_projector_is_freed_by_reference_counting_alone(clocked: MemoryStore) -> None:
    """A state has hundreds of thousands of objects at a million events: a reference cycle
    would leave all of them for the cycle collector to walk after every answer."""
    import gc
    import weakref

    clocked.catalog.create("t", "UTC")
    clocked.log.append(definitions("t"))
    clocked.log.append(
        [
            event("t", "a", "control", "2019-04-04", place="tripoli", by="gna"),
            event(
                "t",
                "c",
                "claim",
                "2019-04-05",
                by="gna",
                text="Tripoli is ours",
                asserts=stable_id("t", "a"),
            ),
        ]
    )
    folding.refresh_snapshots(clocked, "t", every=1)
    gc.disable()
    try:
        projector = folding.projector_at(clocked, "t", parse_instant("2020-01-01"), None)
        projector.answer(parse_instant("2020-01-01"), api.load_registry(clocked, "t"), timeline="t")
        watched: list[weakref.ref[object]] = [
            weakref.ref(projector),
            weakref.ref(projector.claims),
            weakref.ref(projector.control),
        ]
        del projector
        assert [ref() for ref in watched] == [None, None, None]
    finally:
        gc.enable()


def test_snapshots_written_before_zstandard_are_still_read(sql_clocked: SqlStore) -> None:
    import zlib

    from timeline.store.codec import decompress_state as _decompress_state

    gna_holds_tripoli(sql_clocked)
    folding.refresh_snapshots(sql_clocked, "t", every=1)
    from timeline.store.codec import snapshot_digest

    with sql_clocked.engine.begin() as conn:
        rows = conn.exec_driver_sql(
            "SELECT boundary, known_through, event_count, state FROM snapshots"
        ).all()
        assert rows
        assert all(bytes(row.state).startswith(b"\x28\xb5\x2f\xfd") for row in rows)
        for row in rows:
            old = zlib.compress(_decompress_state(row.state), 1)
            digest = snapshot_digest("t", row.boundary, row.known_through, row.event_count, old)
            conn.execute(
                sa.text(
                    "UPDATE snapshots SET state = :state, digest = :digest "
                    "WHERE boundary = :boundary"
                ),
                {"state": old, "digest": digest, "boundary": row.boundary},
            )
    snapshot = sql_clocked.snapshots.before("t", parse_instant("2019-12-31"))
    assert snapshot is not None
    assert snapshot.state["version"] == SNAPSHOT_VERSION
    assert controller(sql_clocked, "t", "2019-12-31", "tripoli") == "gna"


def gna_holds_tripoli(store: Store, *more: NewEvent) -> None:
    """Timeline `t`: the GNA takes Tripoli on 1, 2 and 3 January 2019; then `more`."""
    store.catalog.create("t", "UTC")
    store.log.append(definitions("t"))
    store.log.append(
        [
            event("t", f"e{day}", "control", f"2019-01-{day:02d}", place="tripoli", by="gna")
            for day in range(1, 4)
        ]
        + list(more)
    )


def test_a_damaged_snapshot_is_passed_over_and_rewritten(sql_clocked: SqlStore) -> None:
    gna_holds_tripoli(
        sql_clocked, event("t", "f", "control", "2019-02-01", place="tripoli", by="lna")
    )
    assert folding.refresh_snapshots(sql_clocked, "t", every=1) > 0
    for damage in (b"\x28\xb5\x2f\xfd not zstd", b"neither zstd nor zlib"):
        with sql_clocked.engine.begin() as conn:
            conn.execute(sa.text("UPDATE snapshots SET state = :state"), {"state": damage})
        assert sql_clocked.snapshots.before("t", parse_instant("2019-12-31")) is None
        assert controller(sql_clocked, "t", "2019-12-31", "tripoli") == "lna"
        assert controller(sql_clocked, "t", "2019-01-15", "tripoli") == "gna"
    # The next refresh finds no readable snapshot and writes them all again.
    assert folding.refresh_snapshots(sql_clocked, "t", every=1) > 0
    assert sql_clocked.snapshots.before("t", parse_instant("2019-12-31")) is not None
