"""A history says, at every instant, what the answer of `timeline at` says at that instant.

For a random log and every actor and place, at each start and end of an event, just after
each, and between each two, the intervals of the history that hold at the instant (read as
the history module's docstring says: a holding until the start of the event that closes it,
a presence or a relation until that event's end) give the entity's facts of the answer:

- control: place, controller, whom it was taken from, since when, the opening event;
- presence: actor and place, since when, the opening event;
- support: backer and backed, since when, the opening event; and the kinds the answer shows
  are among the interval's kinds (the history lists every kind the interval had).

Certainty: an interval holds certainly at an instant when its opening event is over and its
closing one has not started. The answer's certainty also rests on every later event that
confirmed or updated the fact, which a history does not list, so what is checked is the one
way that follows: a fact the answer shows as certain, the history holds certainly. Strength,
sponsor and status of a presence are not compared: a history keeps the last known of the
first two for the whole interval, and no status.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from hypothesis import given, settings

from timeline.events import Event
from timeline.projections import Projector
from timeline.projections.history import history
from timeline.revisions import fold_order

from .helpers import REGISTRY
from .strategies import ACTORS, FACT_KINDS, PLACES, logs

SECTIONS = ("control", "presence", "support", "contests")
ENTITIES = [(a, "actor") for a in ACTORS] + [(p, "place") for p in PLACES]

Fact = tuple[str | None, ...]


def _id(ref: dict[str, str] | None) -> str | None:
    return ref["id"] if ref is not None else None


def instants_of(events: list[Event]) -> list[datetime]:
    """Every start and end, a microsecond after each, and the middle of each gap."""
    bounds = sorted({e.date.start for e in events} | {e.date.end for e in events})
    points = set(bounds)
    points.update(b + timedelta(microseconds=1) for b in bounds)
    points.update(a + (b - a) / 2 for a, b in pairwise(bounds))
    return sorted(points)


def answered(doc: dict[str, Any], entity: str, entity_type: str) -> dict[str, dict[Fact, Any]]:
    """The entity's facts in an answer: fact -> (certain, kinds)."""
    place = entity_type == "place"
    facts: dict[str, dict[Fact, Any]] = {s: {} for s in SECTIONS}
    for c in doc["control"]:
        for h in c["holders"]:
            if (c["place"]["id"] if place else h["actor"]["id"]) == entity:
                fact = (c["place"]["id"], h["actor"]["id"], _id(h["from"]), h["since"])
                facts["control"][(*fact, h["events"][0])] = (h["certain"], h["partial"])
        contest = c["contest"]
        parties = [p["id"] for p in contest["parties"]] if contest else []
        if contest and (c["place"]["id"] == entity if place else entity in parties):
            key: Fact = (c["place"]["id"], contest["since"], contest["events"][0])
            facts["contests"][key] = (contest["certain"], parties)
    for p in doc["presence"]:
        if _id(p["place"] if place else p["actor"]) == entity:
            fact = (p["actor"]["id"], _id(p["place"]), p["since"], p["events"][0])
            facts["presence"][fact] = (p["certain"], None)
    for s in doc["support"] if not place else ():
        if entity in (s["backer"]["id"], s["backed"]["id"]):
            fact = (s["backer"]["id"], s["backed"]["id"], s["since"], s["events"][0])
            facts["support"][fact] = (s["certain"], s["kinds"])
    return facts


def held(doc: dict[str, Any], by_id: dict[str, Event], at: datetime) -> dict[str, dict[Fact, Any]]:
    """The facts a history document holds at `at`: fact -> (certain, kinds)."""
    facts: dict[str, dict[Fact, Any]] = {s: {} for s in SECTIONS}
    for section in facts:
        for i in doc[section]:
            opened = by_id[i["opened_by"]]
            closed = by_id[i["closed_by"]] if i["closed_by"] is not None else None
            if not opened.date.start < at:
                continue
            if closed is not None:
                # A holding gives way when the next report starts; a presence or a relation
                # goes when the event ending it is over.
                gives_way = section in ("control", "contests")
                until = closed.date.start if gives_way else closed.date.end
                if (at > until) if gives_way else (at >= until):
                    continue
            certain = opened.date.end <= at and (closed is None or at <= closed.date.start)
            if section == "control":
                fact: Fact = (
                    i["place"]["id"],
                    i["controller"]["id"],
                    _id(i["taken_from"]),
                    i["from"],
                    i["opened_by"],
                )
                assert fact not in facts[section], (section, fact, "held twice at once")
                facts[section][fact] = (certain, i["partial"])
                continue
            if section == "contests":
                fact = (i["place"]["id"], i["from"], i["opened_by"])
                assert fact not in facts[section], (section, fact, "held twice at once")
                facts[section][fact] = (certain, [p["id"] for p in i["parties"]])
                continue
            if section == "presence":
                fact = (i["actor"]["id"], _id(i["place"]), i["from"], i["opened_by"])
            else:
                fact = (i["backer"]["id"], i["backed"]["id"], i["from"], i["opened_by"])
            assert fact not in facts[section], (section, fact, "held twice at once")
            facts[section][fact] = (certain, i.get("kinds"))
    return facts


# Long logs of the kinds histories follow meet the rarer turns of the rules; logs of every
# kind check that the others change nothing (a history folds only the first).
@settings(max_examples=60, deadline=None)
@given(logs(min_size=20, max_size=40, kinds=FACT_KINDS) | logs(min_size=12, max_size=30))
def test_history_holds_what_the_answer_shows_at_every_instant(events: list[Event]) -> None:
    ordered = sorted(events, key=fold_order)
    by_id = {e.id: e for e in events}
    histories = {
        (entity, kind): history(entity, kind, ordered, REGISTRY).to_json()
        for entity, kind in ENTITIES
    }
    projector = Projector()
    fed = 0
    for at in instants_of(events):
        while fed < len(ordered) and ordered[fed].date.start < at:
            projector.apply(ordered[fed])
            fed += 1
        doc = projector.answer(at, REGISTRY, timeline="t").to_json()
        for (entity, kind), past in histories.items():
            expected = answered(doc, entity, kind)
            got = held(past, by_id, at)
            for section, facts in expected.items():
                where = (at.isoformat(), entity, section)
                if section == "contests" and kind == "actor":
                    # An actor's history keeps a contest it was once a party to while the
                    # contest lasts, though the parties named later may leave it out.
                    assert set(facts) <= set(got[section]), where
                else:
                    assert set(got[section]) == set(facts), where
                for fact, (certain, detail) in facts.items():
                    history_certain, history_detail = got[section][fact]
                    assert history_certain or not certain, (*where, fact)
                    if section == "control":
                        # Partial now: the interval says it was partial at some time in it.
                        assert history_detail or not detail, (*where, fact)
                    elif detail is not None:
                        assert set(detail) <= set(history_detail), (*where, fact)
