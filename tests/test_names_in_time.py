"""Names valid in a period: dated aliases in definitions, and names resolved at an event's date
by the registry, the drafting of documents and the validation of fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.lookups import FakeLookups
from timeline.dates import parse_fuzzy
from timeline.documents import Drafter, Item
from timeline.entities import DatedName, Entity, Registry, entity_from_fields
from timeline.errors import UnknownEntity, ValidationError
from timeline.vocabulary import validate_fields

ZONE = "Africa/Tripoli"
UCDP_GOVERNMENT = "Government of Libya"


def start(text: str) -> datetime:
    """The start of a date in Libya's zone: where an event of that date is resolved."""
    return parse_fuzzy(text, ZONE).start


def governments() -> Registry:
    """UCDP's "Government of Libya": Gaddafi's government up to 23 August 2011, the GNA from
    30 March 2016, and an import's actor of that name (undated) for the years between."""
    return Registry(
        [
            entity_from_fields(
                "actor.defined",
                {
                    "actor": "gaddafi-government",
                    "name": "Gaddafi government and loyalist forces",
                    "aliases": [
                        "Gaddafi forces",
                        {"name": UCDP_GOVERNMENT, "until": "2011-08-23"},
                    ],
                },
            ),
            entity_from_fields(
                "actor.defined",
                {
                    "actor": "gna",
                    "name": "Government of National Accord",
                    "aliases": ["GNA", {"name": UCDP_GOVERNMENT, "from": "2016-03-30"}],
                },
            ),
            Entity("ntc", "actor", "National Transitional Council", ("NTC",)),
        ],
        zone=ZONE,
    )


def with_imported(registry: Registry) -> Registry:
    registry.add(Entity("government-of-libya", "actor", UCDP_GOVERNMENT, review=True))
    return registry


# -- the registry --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2011-02-17", "gaddafi-government"),
        ("2011-08-23", "gaddafi-government"),  # `until` takes in the whole day
        ("2016-03-30", "gna"),
        ("2019-04-04", "gna"),
    ],
)
def test_a_dated_alias_means_its_entity_within_its_period(date: str, expected: str) -> None:
    assert governments().resolve(UCDP_GOVERNMENT, "actor", at=start(date)).id == expected


@pytest.mark.parametrize("date", ["2011-08-24", "2013-11-25", "2016-03-29"])
def test_outside_every_period_a_dated_name_means_nothing_and_says_what_it_means_when(
    date: str,
) -> None:
    with pytest.raises(UnknownEntity) as caught:
        governments().resolve(UCDP_GOVERNMENT, "actor", at=start(date), field="actors")
    message = str(caught.value)
    assert message.startswith(f"actors: actor {UCDP_GOVERNMENT!r} names no actor at ")
    assert "gaddafi-government (Gaddafi government and loyalist forces) until 2011-08-23" in message
    assert "gna (Government of National Accord) from 2016-03-30" in message


def test_a_dated_alias_wins_in_its_period_over_an_entity_that_goes_by_the_name_whenever() -> None:
    registry = with_imported(governments())
    at = registry.resolve
    assert at(UCDP_GOVERNMENT, "actor", at=start("2011-04-17")).id == "gaddafi-government"
    assert at(UCDP_GOVERNMENT, "actor", at=start("2013-11-25")).id == "government-of-libya"
    assert at(UCDP_GOVERNMENT, "actor", at=start("2016-05-12")).id == "gna"


def test_without_a_date_a_name_means_everything_it_ever_meant() -> None:
    registry = governments()
    assert [e.id for e in registry.find(UCDP_GOVERNMENT, "actor")] == ["gaddafi-government", "gna"]
    with pytest.raises(UnknownEntity, match="is ambiguous") as caught:
        registry.resolve(UCDP_GOVERNMENT, "actor")
    assert "gna (Government of National Accord) from 2016-03-30" in str(caught.value)
    # Plain aliases, ids and names are valid whenever, dated or not.
    for name in ("Gaddafi forces", "gna", "National Transitional Council"):
        assert registry.resolve(name, at=start("1990")).id in ("gaddafi-government", "gna", "ntc")


def test_the_period_is_read_in_the_registrys_zone() -> None:
    # 23 August 2011 ends at 22:00 UTC in Tripoli; in UTC two hours later.
    just_after = datetime(2011, 8, 23, 22, 30, tzinfo=UTC)
    tripoli = governments()
    assert tripoli.find(UCDP_GOVERNMENT, "actor", at=just_after) == []
    utc = Registry(list(governments()), zone="UTC")
    assert [e.id for e in utc.find(UCDP_GOVERNMENT, "actor", at=just_after)] == [
        "gaddafi-government"
    ]


def test_a_redefinition_that_lists_an_alias_again_gives_it_its_new_period() -> None:
    registry = Registry(
        [Entity("gna", "actor", "Government of National Accord", ("GNA", UCDP_GOVERNMENT))],
        zone=ZONE,
    )
    assert registry.find(UCDP_GOVERNMENT, at=start("2011-04-17"))[0].id == "gna"
    registry.add(
        entity_from_fields(
            "actor.defined",
            {
                "actor": "gna",
                "name": "Government of National Accord",
                "aliases": [{"name": UCDP_GOVERNMENT, "from": "2016-03-30"}],
            },
        )
    )
    assert registry.find(UCDP_GOVERNMENT, at=start("2011-04-17")) == []
    assert registry.find(UCDP_GOVERNMENT, at=start("2016-05-12"))[0].id == "gna"
    # An alias the new definition does not list is kept as it was.
    assert registry.resolve("GNA", at=start("2011-04-17")).id == "gna"
    assert registry.get("gna") == Entity(
        "gna",
        "actor",
        "Government of National Accord",
        ("GNA", UCDP_GOVERNMENT),
        dated=(DatedName(UCDP_GOVERNMENT, "2016-03-30"),),
    )


def test_closest_names_count_the_same_words_in_another_order() -> None:
    registry = governments()
    assert registry.closest("Forces of Muammar Gaddafi", "actor")[0] == "gaddafi-government"
    assert "gaddafi-government" not in registry.closest(
        "Gaddafi forces", "actor", exclude="gaddafi-government"
    )


day = timedelta(days=1)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@given(
    since=st.integers(0, 3000),
    length=st.integers(1, 3000),
    moment=st.integers(-100, 6500),
)
def test_a_name_resolves_to_the_dated_entity_exactly_within_its_period(
    since: int, length: int, moment: int
) -> None:
    """Whatever the period and the instant: the dated meaning inside it, the undated one
    outside it, and never anything else."""
    first = (EPOCH + since * day).date().isoformat()
    last = (EPOCH + (since + length - 1) * day).date().isoformat()
    registry = Registry(
        [
            Entity("whenever", "actor", "Government"),
            entity_from_fields(
                "actor.defined",
                {
                    "actor": "dated",
                    "name": "Dated government",
                    "aliases": [{"name": "Government", "from": first, "until": last}],
                },
            ),
        ]
    )
    at = EPOCH + moment * day + timedelta(hours=12)
    inside = since <= moment < since + length
    assert registry.resolve("government", at=at).id == ("dated" if inside else "whenever")


# -- definitions and their validation -------------------------------------------------------------


def check_aliases(value: Any) -> Any:
    fields = validate_fields(
        "actor.defined", {"actor": "x", "name": "X", "aliases": value}, libya_drafter()
    )
    return fields["aliases"]


def libya_drafter() -> Drafter:
    return Drafter("libya", ZONE, governments(), FakeLookups())


def test_aliases_are_texts_or_dated_mappings_normalised() -> None:
    assert check_aliases(["GNA", " GNA ", "gna"]) == ["GNA"]
    assert check_aliases(
        [
            "Government of Libya",
            {"name": "Government of Libya", "from": 2016},
            {"name": "Libyan government", "until": "23 August 2011"},
            {"name": "Tripoli government"},
        ]
    ) == [
        "Government of Libya",
        {"name": "Government of Libya", "from": "2016"},
        {"name": "Libyan government", "until": "2011-08-23"},
        "Tripoli government",
    ]
    assert check_aliases("GNA, unity government") == ["GNA", "unity government"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([{"name": "X", "since": "2016"}], r"aliases: unknown key 'since' in"),
        ([{"from": "2016"}], r"aliases: .* is not an alias: its name is missing"),
        ([{"name": "X", "from": "2016-13"}], r"aliases: from of 'X': '2016-13' is not a date"),
        (
            [{"name": "X", "from": "2016", "until": "2015"}],
            r"aliases: 'X' is valid until 2015, before it is valid from 2016",
        ),
        ([["X"]], r"aliases: \['X'\] is not a name or \{name, from, until\}"),
    ],
)
def test_a_bad_alias_is_refused_naming_it(value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        check_aliases(value)


def test_an_entity_keeps_its_dated_aliases() -> None:
    entity = entity_from_fields(
        "actor.defined",
        {
            "actor": "gna",
            "name": "Government of National Accord",
            "aliases": ["GNA", {"name": UCDP_GOVERNMENT, "from": "2016-03-30"}],
        },
    )
    assert entity.aliases == ("GNA", UCDP_GOVERNMENT)
    assert entity.dated == (DatedName(UCDP_GOVERNMENT, "2016-03-30", None),)
    assert entity.dated[0].label() == "from 2016-03-30"


# -- drafting documents ---------------------------------------------------------------------------


def draft(drafter: Drafter, **document: Any) -> dict[str, Any]:
    return dict(drafter.draft(Item("doc.yaml:item 1", document)).fields)


def test_a_document_names_what_a_name_meant_at_its_date() -> None:
    drafter = libya_drafter()
    clash = {"kind": "clash", "title": "Fighting", "actors": [UCDP_GOVERNMENT, "NTC"]}
    assert draft(drafter, date="2011-04-17", **clash)["actors"] == ["gaddafi-government", "ntc"]
    assert draft(drafter, date="2016-05", **clash)["actors"] == ["gna", "ntc"]
    with pytest.raises(ValidationError, match=r"^doc.yaml:item 1: actors: actor 'Gov"):
        draft(drafter, date="2013", **clash)


def test_a_correction_names_what_a_name_meant_at_its_new_date() -> None:
    drafter = libya_drafter()
    original = drafter.draft(
        Item("a", {"kind": "clash", "date": "2011-04-17", "title": "F", "actors": ["NTC"]})
    )
    fixed = drafter.draft(
        Item(
            "b",
            {
                "kind": "correction",
                "target": original.id,
                "date": "2016-05-12",
                "actors": [UCDP_GOVERNMENT],
            },
        )
    )
    assert fixed.fields["fields"] == {"actors": ["gna"]}


def test_a_document_defines_a_dated_alias_and_uses_it_after() -> None:
    drafter = Drafter("t", "UTC", Registry(), FakeLookups())
    draft(
        drafter,
        kind="actor.defined",
        actor="old",
        name="Old regime",
        aliases=[{"name": "The government", "until": "2010"}],
    )
    draft(drafter, kind="actor.defined", actor="new", name="New regime")
    note = {"kind": "note", "title": "n", "actors": ["The government"]}
    assert draft(drafter, date="2009-06", **note)["actors"] == ["old"]
    with pytest.raises(ValidationError, match="names no actor at 2011-01-01T00:00:00Z"):
        draft(drafter, date="2011", **note)


def test_a_name_listed_whenever_and_for_a_period_is_valid_whenever() -> None:
    entity = entity_from_fields(
        "actor.defined",
        {
            "actor": "gna",
            "name": "Government of National Accord",
            "aliases": [{"name": "GNA", "from": "2016"}, "gna forces", {"name": "GNA"}],
        },
    )
    assert entity.dated == ()
    assert Registry([entity]).resolve("GNA", at=start("2011")).id == "gna"
