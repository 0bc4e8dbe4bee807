"""A native import of many batches: documents refer to events of earlier batches (stored by
then), and the drafter holds a batch of drafts, never the whole file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from timeline import documents
from timeline.importing import ImportOptions, run_import
from timeline.store import EventQuery
from timeline.store.memory import MemoryStore

SOURCE = [{"name": "Reuters", "published": "2020-01-02"}]


def offensives(count: int) -> list[dict[str, Any]]:
    """An actor, then `count` offensives, each ended by a document further on in the file."""
    docs: list[dict[str, Any]] = [
        {
            "kind": "actor.defined",
            "actor": "army",
            "name": "Army",
            "type": "armed_group",
        },
    ]
    for n in range(count):
        docs.append(
            {
                "id": f"push-{n}",
                "kind": "offensive.started",
                "date": "2020-01-02",
                "actor": "army",
                "title": f"Push {n} begins",
                "name": f"Push {n}",
                "sources": SOURCE,
            }
        )
    for n in range(count):
        docs.append(
            {
                "id": f"push-{n}-ends",
                "kind": "offensive.ended",
                "date": "2020-02-01",
                "offensive": f"push-{n}",
                "title": f"Push {n} ends",
                "outcome": "stalled",
                "sources": SOURCE,
            }
        )
    return docs


@pytest.mark.parametrize("dry_run", [False, True])
def test_later_batches_refer_to_the_events_of_earlier_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dry_run: bool
) -> None:
    path = tmp_path / "pushes.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in offensives(12)), encoding="utf-8")
    held: list[int] = []
    draft = documents.Drafter.draft

    def watched(self: documents.Drafter, *args: Any, **kwargs: Any) -> Any:
        held.append(len(self.drafted))
        return draft(self, *args, **kwargs)

    monkeypatch.setattr(documents.Drafter, "draft", watched)
    store = MemoryStore()
    store.catalog.create("war", "UTC")
    options = ImportOptions(fmt="jsonl", timeline="war", batch_size=5, dry_run=dry_run)
    result = run_import(store, [str(path)], options)

    assert (result.counts.new, result.counts.rejected) == (25, 0)
    if dry_run:
        # Nothing is stored: the drafter is all there is to refer to.
        assert max(held) == 24
        assert store.log.count() == 0
    else:
        assert max(held) < 5
        assert store.log.count() == 25
        ended = list(store.log.select(EventQuery("war", kinds=["offensive.ended"])))
        assert len(ended) == 12
