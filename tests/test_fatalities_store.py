"""Fatality figures read from the store, on SQLite and PostgreSQL: an entity's events as their
corrections leave them, and a dataset's coverage reaching past the instant asked."""

from __future__ import annotations

from typing import Any

import pytest

from tests import answering
from timeline import api, lookups
from timeline.documents import Item
from timeline.events import Origin
from timeline.store import Store, TimelineInfo


@pytest.fixture
def libya(store: Store) -> TimelineInfo:
    info = store.catalog.create("libya", "UTC")
    api.add_documents(
        store,
        info,
        [
            Item("", {"kind": "actor.defined", "actor": "gna", "name": "GNA"}),
            Item("", {"kind": "actor.defined", "actor": "lna", "name": "LNA"}),
        ],
    )
    return info


def add(store: Store, info: TimelineInfo, **document: Any) -> str:
    origin = document.pop("origin", None)
    drafter = lookups.drafter(store, info)
    event = drafter.draft(
        Item("", {"title": "t", **document}), origin=Origin(origin) if origin else None
    )
    store.log.append([event])
    return event.id


def test_an_entity_takes_its_events_as_corrected(store: Store, libya: TimelineInfo) -> None:
    add(store, libya, kind="clash", date="2019-04-05", actors=["gna"], fatalities=10)
    later_named = add(store, libya, kind="clash", date="2019-04-06", fatalities=5)
    no_longer = add(store, libya, kind="clash", date="2019-04-07", actors=["gna"], fatalities=7)
    api.correct_event(store, later_named, fields={"actors": ["gna"]})
    api.correct_event(store, no_longer, fields={"actors": ["lna"]})
    answer = answering.state_at(
        store, libya, "2019-12-31", sections=["fatalities"], entities=["GNA"]
    )
    figures = answer.fatalities
    assert figures["total"] == 10 + 5
    assert figures["entities"] == [{"id": "gna", "name": "GNA"}]
    assert figures["in_events_of"] == {"gna": 15}


def test_a_dataset_with_later_events_covers_up_to_the_instant(
    store: Store, libya: TimelineInfo
) -> None:
    add(store, libya, kind="clash", date="2011-03-01", fatalities=10, origin="ucdp:1")
    acled = add(store, libya, kind="clash", date="2011-03-20", fatalities=100, origin="acled:1")
    add(store, libya, kind="clash", date="2011-06-01", fatalities=20, origin="ucdp:2")

    def figures(at: str) -> dict[str, Any]:
        return answering.state_at(store, libya, at, sections=["fatalities"]).fatalities

    # On 2011-04-30 UCDP GED's next event is a month away, but it is there: UCDP covers
    # 2011-03-20, and ACLED's count stays out of the total.
    april = figures("2011-04-30")
    assert april["total"] == 10
    assert april["by_dataset"]["ucdp"]["coverage"]["continues"] is True
    # As known before UCDP's June event was recorded, UCDP ended on 2011-03-01: ACLED counts.
    known = store.log.get(acled).recorded_at
    earlier = answering.state_at(
        store, libya, "2011-04-30", as_known=known, sections=["fatalities"]
    ).fatalities
    assert earlier["total"] == 110
    assert earlier["by_dataset"]["ucdp"]["coverage"]["continues"] is False
    june = figures("2011-06-30")
    assert (june["total"], june["by_dataset"]["acled"]["counted"]) == (30, 0)
    after = figures("2011-12-31")
    assert after["by_dataset"]["ucdp"]["coverage"] == {
        "from": "2011-03-01",
        "to": "2011-06-01",
        "continues": False,
    }
