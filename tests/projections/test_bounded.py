"""The state stays bounded by the answer, not by the length of the log."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

from timeline.events import Event

from .helpers import fold, make

ACTORS = [f"a{i}" for i in range(6)]
PLACES = [f"p{i}" for i in range(6)]


def long_log(n: int, seed: int = 7) -> list[Event]:
    """Ten years of a busy conflict: control changes, clashes, claims and denials, forces
    coming and going, support and offensives starting and ending."""
    rnd = random.Random(seed)
    day = date(2011, 1, 1)
    events = []
    running: list[str] = []  # offensives started and not ended yet
    for seq in range(1, n + 1):
        day += timedelta(days=rnd.choice([0, 0, 1, 1, 2]))
        text = f"{day:%Y-%m}" if rnd.random() < 0.1 else f"{day:%Y-%m-%d}"
        actor, other, place = rnd.choice(ACTORS), rnd.choice(ACTORS), rnd.choice(PLACES)
        kind = rnd.choice(
            [
                "control",
                "clash",
                "claim",
                "denial",
                "deployment",
                "withdrawal",
                "support",
                "offensive",
            ]
        )
        if kind == "control":
            events.append(make(seq, "control", text, place=place, by=actor))
        elif kind == "clash":
            events.append(
                make(seq, "clash", text, actors=[actor, other], fatalities=rnd.randint(0, 9))
            )
        elif kind == "claim":
            events.append(
                make(seq, "claim", text, by=actor, text="x", asserts=f"e{seq - rnd.randint(1, 5)}")
            )
        elif kind == "denial":
            events.append(make(seq, "denial", text, by=actor, denies=f"e{seq - rnd.randint(1, 5)}"))
        elif kind == "deployment":
            events.append(
                make(
                    seq, "deployment", text, actor=actor, place=place, strength=rnd.randint(1, 900)
                )
            )
        elif kind == "withdrawal":
            events.append(make(seq, "withdrawal", text, actor=actor, place=place))
        elif kind == "support":
            started = rnd.random() < 0.5
            events.append(
                make(
                    seq,
                    "support.started" if started else "support.ended",
                    text,
                    backer=actor,
                    backed=other,
                    kinds=["arms"],
                )
            )
        elif rnd.random() < 0.5 or not running:
            running.append(f"op {seq}")
            events.append(make(seq, "offensive.started", text, actor=actor, name=running[-1]))
        else:
            name = running.pop(rnd.randrange(len(running)))
            events.append(make(seq, "offensive.ended", text, offensive=name))
    return events


def test_snapshot_size_does_not_grow_with_the_log() -> None:
    events = long_log(8000)
    sizes = [len(json.dumps(fold(events[:n]).snapshot())) for n in (2000, 4000, 8000)]
    # The same kind of conflict, four times as long: about the same state.
    assert max(sizes) < 1.5 * min(sizes), sizes
    projector = fold(events)
    assert len(projector.ledger.entries) < 200
    assert len(projector.claims.claims) < 200
    assert len(projector.fatalities.open) < 10
