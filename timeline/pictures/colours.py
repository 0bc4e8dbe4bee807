"""One colour per actor, the same on every map and chart of a timeline.

Pure module. An actor's colour is picked by a hash of its id, so that it does not depend on
which other actors a picture shows; when that colour is taken by an actor listed earlier, the
next free one in the palette is used. Callers list actors in the order of their definitions,
so an actor defined later never changes the colour of one defined before it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

# Twenty colours that stay apart on white and on each other: Tableau 10, then its light half.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#aec7e8",
    "#ffbb78",
    "#98df8a",
    "#ff9896",
    "#c5b0d5",
    "#c49c94",
    "#f7b6d2",
    "#c7c7c7",
    "#dbdb8d",
    "#9edae5",
)
# A place whose controller is unknown: no actor's colour.
NOBODY = "#ffffff"


def preferred(actor_id: str, size: int = len(PALETTE)) -> int:
    """The palette index an actor's id hashes to (stable across runs, unlike `hash`)."""
    digest = hashlib.sha256(actor_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % size


def assign(actor_ids: Iterable[str], palette: tuple[str, ...] = PALETTE) -> dict[str, str]:
    """A colour for each actor id, in the order given: its hashed colour, or the next one
    free; once every colour is taken, the hashed one again (colours then repeat)."""
    colours: dict[str, str] = {}
    taken: set[int] = set()
    for actor_id in actor_ids:
        if actor_id in colours:
            continue
        slot = preferred(actor_id, len(palette))
        for step in range(len(palette)):
            candidate = (slot + step) % len(palette)
            if candidate not in taken:
                slot = candidate
                break
        taken.add(slot)
        colours[actor_id] = palette[slot]
    return colours
