"""Properties of the fold over random logs: recording order, cut-off, snapshots."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.events import Event
from timeline.projections import Answer, Projector
from timeline.projections.basis import DEFINITION_KINDS, int_field, key_of
from timeline.projections.fatalities import participants
from timeline.revisions import fold_order

from .helpers import REGISTRY, before
from .strategies import instants, logs, logs_and_instants

FAST = settings(max_examples=60, deadline=None)


def answer_at(events: list[Event], at: datetime, limit: int = 50) -> Answer:
    projector = Projector()
    for event in before(events, at):
        projector.apply(event)
    return projector.answer(at, REGISTRY, timeline="t", recent_limit=limit)


@FAST
@given(logs_and_instants(), st.randoms(use_true_random=False))
def test_answer_does_not_depend_on_recording_order(
    log: tuple[list[Event], datetime], rnd: Any
) -> None:
    events, at = log
    seqs = [e.seq for e in events]
    rnd.shuffle(seqs)
    reseq = [e.revised(seq=s) for e, s in zip(events, seqs, strict=True)]
    rnd.shuffle(reseq)
    assert answer_at(reseq, at) == answer_at(events, at)


@FAST
@given(logs_and_instants(), logs(min_size=1, max_size=8))
def test_answer_at_d_rests_on_exactly_the_events_before_d(
    log: tuple[list[Event], datetime], extra: list[Event]
) -> None:
    events, at = log
    result = answer_at(events, at)
    # Events starting at or after the instant change nothing, however many are added.
    later = [e.revised(id=f"x{e.seq}", seq=1000 + e.seq, date=_shift_after(e, at)) for e in extra]
    assert answer_at(events + later, at) == result
    # Every cited event started before the instant.
    started = {e.id for e in events if e.date.start < at}
    doc = result.to_json()
    for name in (
        "control",
        "offensives",
        "support",
        "presence",
        "materiel",
        "ceasefires",
        "claims",
    ):
        for item in doc[name]:
            assert set(item["events"]) <= started, (name, item)
    _check_fatalities(events, at, doc["fatalities"])
    _check_recent(events, at, doc["recent"])
    _check_claims(events, at, doc)


def _shift_after(event: Event, at: datetime) -> Any:
    shift = at - event.date.start + timedelta(days=1)
    from timeline.dates import FuzzyDate  # local: only this helper builds dates by hand

    return FuzzyDate(
        event.date.text, event.date.start + shift, event.date.end + shift, event.date.precision
    )


def _check_fatalities(events: list[Event], at: datetime, got: dict[str, Any]) -> None:
    """Against a reference that keeps every event: what the bounded state must reproduce."""
    total = uncertain = recent = 0
    by_actor: dict[str, int] = {}
    for event in events:
        n = int_field(event.fields, "fatalities")
        if event.date.start >= at or n is None or n <= 0:
            continue
        if event.date.end <= at:
            total += n
            if event.date.start >= at - timedelta(days=30):
                recent += n
            for actor in participants(event):
                by_actor[actor] = by_actor.get(actor, 0) + n
        else:
            uncertain += n
    # These logs hold the timeline's own events only: one dataset, all of it counted.
    old_keys = ("total", "uncertain", "last_30_days", "by_actor")
    assert {k: got[k] for k in old_keys} == {
        "total": total,
        "uncertain": uncertain,
        "last_30_days": recent,
        "by_actor": dict(sorted(by_actor.items())),
    }
    assert set(by_actor) <= set(got["actors"])
    assert got["in_events_of"] == got["by_actor"]
    native = got["by_dataset"]["timeline"]
    if native["total"] is not None:
        assert (native["total"], native["counted"]) == (total, total)


def _check_recent(events: list[Event], at: datetime, got: list[dict[str, Any]]) -> None:
    expected = [
        e.id
        for e in sorted(events, key=fold_order, reverse=True)
        if e.date.start < at
        and e.date.start >= at - timedelta(days=14)
        and e.kind not in DEFINITION_KINDS
    ][:50]
    assert [r["id"] for r in got] == expected


def _check_claims(events: list[Event], at: datetime, doc: dict[str, Any]) -> None:
    window = {
        e.id for e in events if e.kind == "claim" and at - timedelta(days=90) <= e.date.start < at
    }
    shown = {c["id"] for c in doc["claims"]}
    assert window <= shown


@FAST
@given(logs_and_instants())
def test_snapshot_and_resume_equals_the_straight_fold(log: tuple[list[Event], datetime]) -> None:
    events, at = log
    ordered = before(events, at)
    straight = Projector()
    for event in ordered:
        straight.apply(event)
    expected = straight.answer(at, REGISTRY, timeline="t")
    final = straight.snapshot()
    json.dumps(final)  # only JSON types
    for split in range(len(ordered) + 1):
        head = Projector()
        for event in ordered[:split]:
            head.apply(event)
        resumed = Projector.from_snapshot(json.loads(json.dumps(head.snapshot())))
        for event in ordered[split:]:
            resumed.apply(event)
        assert resumed.answer(at, REGISTRY, timeline="t") == expected
        assert resumed.snapshot() == final


@FAST
@given(logs_and_instants(), instants)
def test_answers_along_the_way_do_not_disturb_the_fold(
    log: tuple[list[Event], datetime], other: datetime
) -> None:
    events, first = log
    second = other
    early, late = sorted((first, second))
    late += timedelta(microseconds=1)
    straight = answer_at(events, late)
    projector = Projector()
    for event in before(events, early):
        projector.apply(event)
    projector.answer(early, REGISTRY, timeline="t")
    for event in before(events, late)[len(before(events, early)) :]:
        projector.apply(event)
    assert projector.answer(late, REGISTRY, timeline="t") == straight


@given(st.lists(st.one_of(st.none(), st.text()), max_size=4))
def test_composite_keys_are_the_compact_json_of_their_parts(parts: list[str | None]) -> None:
    # Snapshots store these keys: they must stay the text `json.dumps` wrote before.
    assert key_of(*parts) == json.dumps(parts, separators=(",", ":"))
