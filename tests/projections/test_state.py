"""The projector and the answer: schema, JSON, snapshots, filtering."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.events import Event, Source
from timeline.projections import SECTIONS, Answer, Projector
from timeline.projections.state import encode_state, encode_state_parts
from timeline.store.codec import compress_parts, load_state

from .helpers import REGISTRY, answer, fold, instant, make, taken_from

SOURCE = Source("Libya Observer", url="https://example.org/x", published="2020-05-18")


def rich_log() -> list[Event]:
    return [
        make(1, "actor.defined", "2019-01-01", actor="gna", name="GNA"),
        make(
            2,
            "control",
            "2020-05-18",
            place="al-watiya",
            by="gna",
            sources=[SOURCE],
            **taken_from("lna"),
        ),
        make(
            3,
            "offensive.started",
            "2020-05-20",
            actor="gna",
            target="sirte",
            name="Paths of Victory",
        ),
        make(4, "support.started", "2020-01", backer="turkey", backed="gna", kinds=["drones"]),
        make(
            5,
            "deployment",
            "2020-05-01",
            actor="wagner",
            place="sirte",
            strength=1200,
            on_behalf_of="lna",
        ),
        make(
            6,
            "materiel.transferred",
            "2020-05-19",
            item="MiG-29",
            count=6,
            place="al-watiya",
            holder="lna",
            supplier="russia",
        ),
        make(7, "ceasefire.proposed", "2020-05-21", ceasefire="Cairo", parties=["lna"]),
        make(8, "clash", "2020-05-22", actors=["gna", "lna"], fatalities=12),
        make(9, "claim", "2020-05-23", by="lna", text="Shot down a drone", asserts="e3"),
        make(10, "denial", "2020-05-24", by="gna", denies="e9"),
    ]


REQUIRED = {
    "control": {"place", "controller", "from", "since", "certain", "events", "sources"},
    "offensives": {"actor", "target", "name", "since", "certain", "events"},
    "support": {"backer", "backed", "kinds", "since", "certain", "events"},
    "presence": {
        "actor",
        "place",
        "strength",
        "on_behalf_of",
        "status",
        "contested",
        "since",
        "certain",
        "events",
    },
    "materiel": {"place", "holder", "supplier", "item", "count", "since", "certain", "events"},
    "ceasefires": {"name", "status", "parties", "violations", "since", "events"},
    "claims": {"text", "by", "denied_by", "status", "events"},
    "recent": {"id", "date", "kind", "title"},
}


def test_to_json_schema() -> None:
    result = answer(rich_log(), "2020-05-25", REGISTRY)
    doc = result.to_json()
    assert list(doc) == ["timeline", "at", "as_known", "as_published", "unpublished", *SECTIONS]
    assert doc["timeline"] == "t"
    assert doc["at"] == "2020-05-26T00:00:00Z"
    assert doc["as_known"] is None
    for section, keys in REQUIRED.items():
        assert doc[section], section
        for item in doc[section]:
            assert keys <= set(item), (section, keys - set(item))
            if section != "recent":
                assert all(isinstance(e, str) for e in item["events"])
                assert isinstance(item["sources"], list)
    assert {"total", "uncertain", "last_30_days", "by_actor"} <= set(doc["fatalities"])
    assert doc["control"][0]["sources"] == [SOURCE.to_json()]
    assert doc["offensives"][0]["target"] == {"id": "sirte", "name": "Sirte"}
    assert json.loads(json.dumps(doc)) == doc


def test_as_known_is_reported() -> None:
    projector = fold(rich_log())
    known = datetime(2020, 6, 1, 12, tzinfo=UTC)
    result = projector.answer(instant("2020-06-01"), REGISTRY, timeline="libya", as_known=known)
    assert result.to_json()["as_known"] == "2020-06-01T12:00:00Z"
    assert result.to_json()["timeline"] == "libya"


def test_to_json_is_a_copy() -> None:
    result = answer(rich_log(), "2020-05-25")
    doc = result.to_json()
    doc["control"][0]["place"]["name"] = "changed"
    assert result.to_json()["control"][0]["place"]["name"] == "Al Watiya Air Base"


def test_a_shared_document_is_the_same_document_without_the_copy() -> None:
    result = answer(rich_log(), "2020-05-25")
    shared = result.to_json(shared=True)
    assert json.dumps(shared) == json.dumps(result.to_json())
    assert shared["control"][0] is result.to_json(shared=True)["control"][0]
    assert result.to_json()["control"][0] is not shared["control"][0]


def test_sections_order() -> None:
    result = answer(rich_log(), "2020-05-25")
    assert result.sections() == SECTIONS == Answer.order()
    assert SECTIONS[0] == "control"
    assert SECTIONS[-1] == "recent"


def test_filter_sections_and_entities() -> None:
    result = answer(rich_log(), "2020-05-25")
    only = result.filter({"control", "presence"}, None)
    assert only.sections() == ("control", "presence")
    assert list(only.to_json()) == [
        "timeline",
        "at",
        "as_known",
        "as_published",
        "unpublished",
        "control",
        "presence",
    ]
    about_lna = result.filter(None, {"lna"})
    assert [i["place"]["id"] for i in about_lna.control] == ["al-watiya"]  # taken from lna
    assert about_lna.offensives == ()  # gna's offensive does not mention lna
    assert len(about_lna.presence) == 1  # on behalf of lna
    assert len(about_lna.materiel) == 1
    assert about_lna.fatalities["by_actor"] == {"lna": 12}
    assert about_lna.fatalities["total"] == 12
    assert [r["id"] for r in about_lna.recent] == [
        "e9",
        "e8",
        "e7",
        "e6",
        "e2",
    ]  # e5 is older than 14 days
    turkey = result.filter({"support"}, {"turkey"})
    assert len(turkey.support) == 1
    assert turkey.sections() == ("support",)
    with pytest.raises(ValueError, match="unknown sections"):
        result.filter({"nope"}, None)


def test_snapshot_round_trip_gives_the_same_answer() -> None:
    events = sorted(rich_log(), key=lambda e: (e.date.start, e.date.end, e.seq))
    straight = fold(events)
    half = fold(events[:5])
    resumed = Projector.from_snapshot(json.loads(json.dumps(half.snapshot())))
    for event in events[5:]:
        resumed.apply(event)
    at = instant("2020-05-25")
    assert resumed.answer(at, REGISTRY, timeline="t") == straight.answer(at, REGISTRY, timeline="t")
    assert resumed.snapshot() == straight.snapshot()
    assert resumed.last_start == straight.last_start == datetime(2020, 5, 24, tzinfo=UTC)


def test_snapshot_json_is_the_snapshot_written_out() -> None:
    events = sorted(rich_log(), key=lambda e: (e.date.start, e.date.end, e.seq))
    projector = fold(events[:5])
    text = projector.snapshot_json()
    assert json.loads(text) == projector.snapshot()
    resumed = Projector.from_snapshot(json.loads(text), copy=False)
    for event in events[5:]:
        resumed.apply(event)
        projector.apply(event)
    assert resumed.snapshot() == projector.snapshot()


def test_snapshot_parts_make_the_snapshot_json_stored_as_it_is_read() -> None:
    events = sorted(rich_log(), key=lambda e: (e.date.start, e.date.end, e.seq))
    for projector in (Projector(), fold(events[:5]), fold(events)):
        parts = list(projector.snapshot_parts())
        assert len(parts) > 2  # a part a section, not the whole text at once
        assert b"".join(parts) == projector.snapshot_json()
        # Compressed part by part, it reads back as the state.
        blob, size = compress_parts(parts)
        assert size == len(projector.snapshot_json())
        assert load_state(blob) == projector.snapshot()


# JSON-ready values as the sections make them: mappings keyed by text (or by numbers, which
# JSON writes as text), lists long and short, nested.
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=12)
        | st.dictionaries(st.text(max_size=4) | st.integers(-9, 9), inner, max_size=6)
    ),
    max_leaves=40,
)


@given(_JSON_VALUES, st.integers(1, 5), st.integers(0, 3))
def test_a_state_written_in_parts_is_the_state_written_at_once(
    value: Any, items: int, split_keys: int
) -> None:
    assert b"".join(encode_state_parts(value, items, split_keys)) == encode_state(value)


def test_a_long_list_of_a_state_is_written_a_few_items_at_a_time() -> None:
    state = {"ledger": {"ids": [f"e{n}" for n in range(10)], "refs": []}, "recent": [[1, 2]]}
    parts = list(encode_state_parts(state, 4))
    assert b"".join(parts) == encode_state(state)
    # The ten ids in three runs of at most four, none of them the whole list.
    runs = [p for p in parts if p.startswith(b'"e')]
    assert [len(orjson.loads(b"[" + run + b"]")) for run in runs] == [4, 4, 2]


def test_a_large_mapping_of_a_state_is_written_a_few_entries_at_a_time() -> None:
    # A section keyed by place: too many keys to write one by one, too many to write at once.
    state = {"control": {f"p{n}": [n, None] for n in range(10)}}
    parts = list(encode_state_parts(state, items=4, split_keys=2))
    assert b"".join(parts) == encode_state(state)
    runs = [p for p in parts if p.startswith(b'"p')]
    assert [len(orjson.loads(b"{" + run + b"}")) for run in runs] == [4, 4, 2]


def test_snapshot_of_a_new_projector() -> None:
    data: dict[str, Any] = json.loads(json.dumps(Projector().snapshot()))
    assert Projector.from_snapshot(data).last_start is None


def test_snapshot_version_is_checked() -> None:
    data = Projector().snapshot()
    data["version"] = 999
    with pytest.raises(ValueError, match="version"):
        Projector.from_snapshot(data)


def test_answer_does_not_change_the_state() -> None:
    projector = fold(rich_log())
    before = projector.snapshot()
    projector.answer(instant("2020-05-25"), REGISTRY, timeline="t")
    projector.answer(instant("2021-05-25"), REGISTRY, timeline="t")
    assert projector.snapshot() == before


def test_unknown_entities_show_their_id() -> None:
    result = answer([make(1, "control", "2020-01-01", place="nowhere", by="someone")], "2020-02-01")
    assert result.control[0]["place"] == {"id": "nowhere", "name": "nowhere"}


def test_a_limit_cuts_list_sections_and_counts_what_it_left_out() -> None:
    result = answer(rich_log(), "2020-05-25")
    sizes = {name: len(result.section(name)) for name in SECTIONS if name != "fatalities"}
    for count in (0, 1):
        limited = result.limit(count)
        for name, size in sizes.items():
            kept = limited.section(name)
            if name == "recent":
                assert kept == result.section(name)
                continue
            assert kept == result.section(name)[:count]
            assert limited.left_out.get(name, 0) == max(0, size - count)
        assert limited.fatalities == result.fatalities
    nothing = result.limit(0)
    assert nothing.to_json()["left_out"] == {n: s for n, s in sizes.items() if n != "recent"}
    assert "left_out" not in result.limit(10_000).to_json()
    with pytest.raises(ValueError, match="-1"):
        result.limit(-1)
