"""An entity's history, read from the store, agrees with `timeline at` at every date asked:
the facts the history holds at an instant are the facts the answer shows for that entity."""

from __future__ import annotations

import pytest

from tests import answering
from tests.projections.test_history_agrees import answered, held
from timeline import answers
from timeline.dates import parse_instant
from timeline.store import EventQuery, Store
from timeline.store.effective import effective

ENTITIES = [
    ("gnc", "actor"),
    ("lna", "actor"),
    ("gna", "actor"),
    ("wagner", "actor"),
    ("tripoli", "place"),
    ("benghazi", "place"),
    ("al-watiya", "place"),
    ("sirte", "place"),
]
DATES = ["2011-08-31", "2014-08-31", "2016-12-31", "2019-06-30", "2020-05-26", "2020-10-31"]


# History and answers come from the same events whatever the backend: checked on SQLite.
@pytest.mark.parametrize("libya_store", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("entity", "entity_type"), ENTITIES)
def test_history_agrees_with_the_answer_on_the_seeds(
    libya_store: Store, entity: str, entity_type: str
) -> None:
    info = libya_store.catalog.get("libya")
    past = answers.history_of(libya_store, info, entity).to_json()
    by_id = {e.id: e for e in effective(libya_store.log, EventQuery("libya", with_record=False))}
    for date in DATES:
        at = parse_instant(date, info.zone)
        expected = answered(
            answering.state_at(libya_store, info, at).to_json(), entity, entity_type
        )
        got = held(past, by_id, at)
        for section, facts in expected.items():
            assert set(got[section]) == set(facts), (date, entity, section)


def test_a_holding_ends_with_a_capture_that_does_not_name_the_holder(libya_store: Store) -> None:
    info = libya_store.catalog.get("libya")
    held_places = {
        c["place"]["id"]: c["until"]
        for c in answers.history_of(libya_store, info, "gnc").to_json()["control"]
    }
    # Libya Dawn took Tripoli in August 2014; the GNC's hold on it ended then.
    assert held_places["tripoli"] == "2014-08-23"
