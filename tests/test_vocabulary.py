"""The vocabulary: documented kinds, field validation and normalisation, upcasting old rows."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.lookups import FakeLookups
from timeline.dates import parse_fuzzy, to_micros
from timeline.documents import Drafter
from timeline.entities import Entity, Registry
from timeline.errors import UnknownEntity, ValidationError
from timeline.events import stable_id
from timeline.store.codec import row_to_event
from timeline.vocabulary import KINDS, kind_spec, upcast, validate_fields

VOCABULARY_DOC = Path(__file__).resolve().parent.parent / "docs" / "vocabulary.md"


def registry() -> Registry:
    return Registry(
        [
            Entity("gna", "actor", "Government of National Accord", ("GNA", "GNA forces")),
            Entity("lna", "actor", "Libyan National Army", ("LNA", "Haftar")),
            Entity("khalifa-haftar", "actor", "Khalifa Haftar", ("Haftar",)),
            Entity("turkey", "actor", "Turkey", ("Türkiye",)),
            Entity("al-watiya", "place", "Al Watiya Air Base", ("Watiya",)),
            Entity("tripoli", "place", "Tripoli"),
        ]
    )


def resolver() -> Drafter:
    return Drafter("libya", "Africa/Tripoli", registry(), FakeLookups())


def check(kind: str, **fields: Any) -> dict[str, Any]:
    return validate_fields(kind, fields, resolver())


# -- the documented vocabulary -----------------------------------------------------------------


def documented_kinds() -> dict[str, str]:
    """Each kind in docs/vocabulary.md's table, with the text of its fields cell."""
    section = VOCABULARY_DOC.read_text(encoding="utf-8").split("## Kinds", 1)[1]
    section = section.split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            kinds_cell, fields_cell = (c.strip() for c in line.strip().strip("|").split("|"))
            for kind in re.findall(r"`([^`]+)`", kinds_cell):
                rows[kind] = fields_cell
    return rows


def test_every_kind_is_documented_and_every_documented_kind_exists() -> None:
    assert set(documented_kinds()) == set(KINDS)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_fields_of_every_kind_are_documented(kind: str) -> None:
    cell = documented_kinds()[kind]
    named = set(re.findall(r"`([^`]+)`", cell))
    starred = set(re.findall(r"`([^`]+)`\*", cell))
    spec = KINDS[kind]
    assert {f.name for f in spec.fields} <= named
    assert starred == {f.name for f in spec.fields if f.required}


# -- field-level errors ------------------------------------------------------------------------


def test_an_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(ValidationError, match="'skirmish'") as caught:
        check("skirmish")
    assert caught.value.field == "kind"
    assert "control" in str(caught.value)
    assert "ceasefire.violated" in str(caught.value)
    with pytest.raises(ValidationError, match="'skirmish'"):
        kind_spec("skirmish")


def test_an_unknown_field_lists_the_fields_of_the_kind() -> None:
    with pytest.raises(ValidationError, match=r"^winner: unknown field for kind control") as caught:
        check("control", place="tripoli", by="gna", winner="gna")
    assert caught.value.field == "winner"
    assert "place, by, from" in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "fields", "missing"),
    [
        ("control", {"by": "gna"}, "place"),
        ("control", {"place": "tripoli"}, "by"),
        ("retraction", {}, "target"),
        ("actor.defined", {"name": "Wagner Group"}, "actor"),
        ("deployment", {"strength": 300}, "actor"),
        ("control", {"place": "tripoli", "by": ""}, "by"),  # empty means absent
        ("materiel.lost", {"item": "Pantsir", "count": 2}, "how"),
        ("materiel.lost", {"how": "destroyed"}, "item"),
    ],
)
def test_a_missing_required_field(kind: str, fields: dict[str, Any], missing: str) -> None:
    with pytest.raises(ValidationError, match=rf"^{missing}: required for kind {kind}$") as caught:
        validate_fields(kind, fields, resolver())
    assert caught.value.field == missing


def test_corrections_may_leave_out_required_fields() -> None:
    assert validate_fields("control", {"from": "LNA"}, resolver(), partial=True) == {"from": "lna"}


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("deployment", {"actor": "gna", "strength": "many"}, "strength: 'many' is not an integer"),
        ("deployment", {"actor": "gna", "strength": 2.5}, "strength: 2.5 is not an integer"),
        ("deployment", {"actor": "gna", "strength": True}, "strength: True is not an integer"),
        ("place.defined", {"place": "x", "name": "X", "lat": "north"}, "lat: 'north' is not a"),
        ("place.defined", {"place": "x", "name": "X", "lat": "nan"}, "lat: 'nan' is not a finite"),
        ("withdrawal", {"actor": "gna", "complete": "maybe"}, "complete: 'maybe' is not true or"),
        ("actor.defined", {"actor": "Wagner Group", "name": "W"}, "actor: 'Wagner Group' is not"),
        ("control", {"place": ["tripoli"], "by": "gna"}, "place: ['tripoli'] is not the id"),
        ("clash", {"actors": 3}, "actors: 3 is not a list"),
        ("statement", {"by": "gna", "text": {"a": 1}}, "text: {'a': 1} is not a text"),
        (
            "materiel.lost",
            {"item": "Pantsir", "how": "stolen"},
            "how: 'stolen' is not one of destroyed, captured, lost, withdrawn",
        ),
        (
            "materiel.lost",
            {"item": "Pantsir", "how": "destroyed", "captured_by": "GNA"},
            "captured_by: 'gna' is given, but how is 'destroyed', not 'captured'",
        ),
    ],
)
def test_a_value_of_the_wrong_type(kind: str, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        validate_fields(kind, fields, resolver())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"fatalities_low": 5, "fatalities": 4}, "fatalities_low: 5 is more than fatalities (4)"),
        ({"fatalities": 9, "fatalities_high": 8}, "fatalities: 9 is more than fatalities_high (8)"),
        # Without the best estimate, the low one is held to the high one.
        ({"fatalities_low": 3, "fatalities_high": 2}, "fatalities_low: 3 is more than"),
        (
            {"fatalities": 10, "fatalities_civilians": 11},
            "fatalities: 10 is fewer than the dead it breaks down into (11:",
        ),
        (
            {"fatalities": 10, "fatalities_among": {"GNA": 4, "lna": 4}, "fatalities_unknown": 3},
            "fatalities: 10 is fewer than the dead it breaks down into (11:",
        ),
    ],
)
def test_counts_of_the_dead_that_contradict_one_another(
    fields: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)) as raised:
        validate_fields("clash", {"actors": ["gna"], **fields}, resolver())
    assert raised.value.field == message.split(":")[0]


def test_counts_of_the_dead_that_hold_together() -> None:
    fields = {
        "actors": ["gna", "lna"],
        "fatalities_low": 8,
        "fatalities": 11,
        "fatalities_high": 11,
        "fatalities_among": {"gna": 4, "lna": 4},
        "fatalities_civilians": 2,
        "fatalities_unknown": 1,
    }
    assert validate_fields("clash", fields, resolver())["fatalities"] == 11
    # A breakdown with no total, or a part of one, says nothing against itself.
    validate_fields("clash", {"actors": ["gna"], "fatalities_civilians": 5}, resolver())
    validate_fields(
        "clash", {"actors": ["gna"], "fatalities": 5, "fatalities_civilians": 2}, resolver()
    )
    # A correction gives some fields only; the whole event is what it corrects.
    validate_fields("clash", {"fatalities_low": 9, "fatalities": 1}, resolver(), partial=True)


def test_an_unknown_entity_names_the_closest_matches() -> None:
    with pytest.raises(UnknownEntity, match=r"^by: unknown actor 'Libyan Nationl Army'") as caught:
        check("control", place="tripoli", by="Libyan Nationl Army")
    assert "closest: lna" in str(caught.value)
    with pytest.raises(UnknownEntity, match="unknown place 'Tripolis'; closest: tripoli"):
        check("control", place="Tripolis", by="gna")
    # A place is not an actor, however well its name matches.
    with pytest.raises(UnknownEntity, match="unknown actor 'Tripoli'"):
        check("control", place="tripoli", by="Tripoli")
    with pytest.raises(UnknownEntity, match=r"^parties: unknown actor 'wagner'$"):
        check("agreement", name="Berlin", parties="gna, wagner")


def test_an_ambiguous_alias_names_each_entity() -> None:
    with pytest.raises(UnknownEntity, match="'haftar' is ambiguous") as caught:
        check("control", place="tripoli", by="haftar")
    assert "khalifa-haftar (Khalifa Haftar)" in str(caught.value)
    assert "lna (Libyan National Army)" in str(caught.value)


# -- normalisation -----------------------------------------------------------------------------


def test_entity_names_and_aliases_become_ids() -> None:
    assert check(
        "control", place="WATIYA", by="gna forces", **{"from": "Libyan  National army"}
    ) == {
        "place": "al-watiya",
        "by": "gna",
        "from": "lna",
    }
    assert check("control", place="al-watiya", by="türkiye")["by"] == "turkey"
    # An exact id wins over an alias that happens to spell it.
    assert check("control", place="tripoli", by="lna")["by"] == "lna"


def test_numbers_and_booleans_from_text() -> None:
    assert check("deployment", actor="GNA", strength="300") == {"actor": "gna", "strength": 300}
    assert check("deployment", actor="gna", strength=" +300 ")["strength"] == 300
    assert check("deployment", actor="gna", strength=300.0)["strength"] == 300
    assert check("place.defined", place="x", name="X", lat="32.47", lon=11)["lat"] == 32.47
    assert check("withdrawal", actor="gna", complete="no")["complete"] is False
    assert check("withdrawal", actor="gna", complete="Yes")["complete"] is True


def test_how_materiel_was_lost_is_one_word_of_four_in_any_case() -> None:
    assert check(
        "materiel.lost", item="Pantsir", how=" Captured ", count="1", captured_by="GNA forces"
    ) == {"item": "Pantsir", "how": "captured", "count": 1, "captured_by": "gna"}
    # Captured, by whom not said: a loss, and nobody's gain.
    assert check("materiel.lost", item="Pantsir", how="captured") == {
        "item": "Pantsir",
        "how": "captured",
    }


def test_comma_separated_lists() -> None:
    assert check("agreement", name="Berlin", parties="GNA, LNA,gna") == {
        "name": "Berlin",
        "parties": ["gna", "lna"],
    }
    assert check("support.started", backer="Turkey", backed="GNA", kinds="drones, air,drones") == {
        "backer": "turkey",
        "backed": "gna",
        "kinds": ["drones", "air"],
    }
    assert check("note", about=["Watiya", "LNA"])["about"] == ["al-watiya", "lna"]
    assert check("note", place="tripoli", about=None, text="") == {"place": "tripoli"}


# -- upcasting ---------------------------------------------------------------------------------


def stored_row(kind: str, version: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the events table as an older release wrote it."""
    date = parse_fuzzy("2020-01-12", "Africa/Tripoli")
    return {
        "seq": 7,
        "id": stable_id("libya", "violation"),
        "timeline": "libya",
        "kind": kind,
        "kind_version": version,
        "title": "LNA shells Mitiga airport",
        "payload": json.dumps(fields, sort_keys=True),
        "date_text": date.text,
        "valid_from": to_micros(date.start),
        "valid_to": to_micros(date.end),
        "precision": date.precision.value,
        "approximate": 0,
        "uncertain": 0,
        "recorded_at": 1_579_000_000_000_000,
        "reported_at": None,
        "sources": json.dumps([{"name": "Libya Observer"}]),
        "confidence": "reported",
        "origin": None,
        "origin_version": None,
        "origin_hash": None,
        "origin_stamp": None,
        "import_run": None,
        "target": None,
        "hash": "1" * 64,
        "prev_hash": "0" * 64,
    }


def test_a_version_1_violation_reads_as_version_2() -> None:
    event = row_to_event(stored_row("ceasefire.violated", 1, {"ceasefire": "berlin", "by": "lna"}))
    assert (event.kind, event.kind_version) == ("ceasefire.violated", 2)
    assert event.fields == {"ceasefire": "berlin", "by": ["lna"]}
    assert event.date.text == "2020-01-12"
    assert event.title == "LNA shells Mitiga airport"


def test_a_current_row_reads_unchanged() -> None:
    fields = {"ceasefire": "berlin", "by": ["lna", "gna"]}
    event = row_to_event(stored_row("ceasefire.violated", 2, fields))
    assert (event.kind_version, event.fields) == (2, fields)
    note = row_to_event(stored_row("note", 1, {"text": "x"}))
    assert (note.kind, note.kind_version, note.fields) == ("note", 1, {"text": "x"})


def test_upcast() -> None:
    stored = {"ceasefire": "berlin", "by": "lna"}
    assert upcast("ceasefire.violated", 1, stored) == (
        "ceasefire.violated",
        2,
        {"ceasefire": "berlin", "by": ["lna"]},
    )
    assert stored == {"ceasefire": "berlin", "by": "lna"}  # stored rows are never rewritten
    assert upcast("ceasefire.violated", 1, {"ceasefire": "berlin"}) == (
        "ceasefire.violated",
        2,
        {"ceasefire": "berlin"},
    )
    assert upcast("ceasefire.violated", 2, {"by": ["gna"]}) == (
        "ceasefire.violated",
        2,
        {"by": ["gna"]},
    )
    # A kind this release does not know reads as stored, for a newer release's rows.
    assert upcast("flotilla.sailed", 3, {"x": 1}) == ("flotilla.sailed", 3, {"x": 1})


def test_every_upcast_row_validates_against_its_kind() -> None:
    _, _, fields = upcast("ceasefire.violated", 1, {"ceasefire": "berlin", "by": "lna"})
    assert validate_fields("ceasefire.violated", fields, resolver()) == fields
