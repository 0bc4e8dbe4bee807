"""Projections: pure folds of effective events into the state of a conflict at an instant.

`Projector` folds events (in fold order) into a bounded, snapshot-able state and gives the
`Answer` at an instant; `diff.diff` compares two answers; `history.history` lists an actor's
or a place's intervals. See the modules for each section's rules. The package itself holds
the fold alone: `timeline at`, which neither compares nor follows, imports nothing more.
"""

from __future__ import annotations

from timeline.projections.state import (
    SECTIONS,
    SNAPSHOT_VERSION,
    Answer,
    AnswerStream,
    Content,
    Projector,
)

__all__ = [
    "SECTIONS",
    "SNAPSHOT_VERSION",
    "Answer",
    "AnswerStream",
    "Content",
    "Projector",
]
