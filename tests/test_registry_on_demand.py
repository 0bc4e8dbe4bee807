"""A registry read on demand is the registry read whole: by id, by name and walked through."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from timeline.dates import parse_fuzzy
from timeline.entities import ENTITY_TYPES, Registry, RegistryOnDemand, entity_from_fields
from timeline.events import Event, stable_id

IDS = ["gna", "lna", "tripoli", "sirte", "wagner"]
NAMES = ["GNA", "Government", "LNA", "Tripoli", "Sirte", "Wagner Group", "Haftar forces"]

definitions = st.lists(
    st.tuples(
        st.sampled_from(ENTITY_TYPES),
        st.sampled_from(IDS),
        st.sampled_from(NAMES),
        st.lists(st.sampled_from(NAMES), max_size=2),
        st.booleans(),
    ),
    max_size=12,
)


def fields_of(
    entity_type: str, entity_id: str, name: str, aliases: list[str], review: bool
) -> dict[str, Any]:
    return {entity_type: entity_id, "name": name, "aliases": aliases, "review": review}


class Reads:
    """Definitions as a store gives them, counting what was asked."""

    def __init__(self, stored: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        self.stored = stored
        self.asked: list[set[str] | None] = []

    def __call__(self, entities: Collection[str] | None) -> Iterator[tuple[str, Mapping[str, Any]]]:
        self.asked.append(None if entities is None else set(entities))
        for kind, fields in self.stored:
            if entities is None or fields[kind.split(".")[0]] in entities:
                yield kind, fields


def acceptance(entity_type: str, entity_id: str, seq: int) -> Event:
    return Event(
        seq=seq,
        id=stable_id("libya", f"accept-{entity_type}-{entity_id}"),
        timeline="libya",
        kind=f"{entity_type}.accepted",
        title="accepted",
        date=parse_fuzzy(".."),
        fields={entity_type: entity_id},
        recorded_at=parse_fuzzy("2020").start,
    )


def both(
    defined: list[tuple[str, str, str, list[str], bool]], accepted: list[tuple[str, str]]
) -> tuple[Registry, RegistryOnDemand, Reads]:
    stored = [
        (f"{t}.defined", fields_of(t, i, name, aliases, review))
        for t, i, name, aliases, review in defined
    ]
    whole = Registry(entity_from_fields(kind, fields) for kind, fields in stored)
    decisions = [acceptance(t, i, n) for n, (t, i) in enumerate(accepted)]
    whole.decide(decisions)
    reads = Reads(stored)
    on_demand = RegistryOnDemand(reads)
    on_demand.decide(decisions)
    return whole, on_demand, reads


@settings(max_examples=150, deadline=None)
@given(
    definitions,
    st.lists(st.tuples(st.sampled_from(ENTITY_TYPES), st.sampled_from(IDS)), max_size=3),
    st.lists(st.tuples(st.sampled_from(IDS), st.sampled_from([None, *ENTITY_TYPES]))),
)
def test_by_id_an_entity_read_on_demand_is_the_one_read_whole(
    defined: list[tuple[str, str, str, list[str], bool]],
    accepted: list[tuple[str, str]],
    asks: list[tuple[str, str | None]],
) -> None:
    whole, on_demand, reads = both(defined, accepted)
    for entity_id, entity_type in asks:
        assert on_demand.get(entity_id, entity_type) == whole.get(entity_id, entity_type)
        assert on_demand.ref_of(entity_id, entity_type) == whole.ref_of(entity_id, entity_type)
    # Each id read once, and never the whole registry for lookups by id.
    assert None not in reads.asked
    assert len(reads.asked) == len({entity_id for entity_id, _ in asks})


@settings(max_examples=150, deadline=None)
@given(
    definitions,
    st.lists(st.tuples(st.sampled_from(ENTITY_TYPES), st.sampled_from(IDS)), max_size=3),
    st.lists(st.sampled_from(IDS), max_size=3),
    st.sampled_from(NAMES + IDS),
)
def test_by_name_or_walked_through_it_is_the_registry_read_whole(
    defined: list[tuple[str, str, str, list[str], bool]],
    accepted: list[tuple[str, str]],
    first: list[str],
    name: str,
) -> None:
    whole, on_demand, reads = both(defined, accepted)
    for entity_id in first:  # some read by id before a name is looked up
        on_demand.get(entity_id)
    assert on_demand.find(name) == whole.find(name)
    assert on_demand.closest(name) == whole.closest(name)
    assert list(on_demand) == list(whole)
    assert len(on_demand) == len(whole)
    for entity_id in IDS:
        assert on_demand.get(entity_id) == whole.get(entity_id)
    # The whole registry is read once, and by id nothing more after it.
    assert reads.asked.count(None) == 1
    assert reads.asked[-1] is None
