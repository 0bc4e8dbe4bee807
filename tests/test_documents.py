"""The native document format: reading files, drafting validated events, writing them back."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lookups import FakeLookups
from timeline.dates import TIMELESS, UTC, parse_fuzzy
from timeline.documents import (
    Drafter,
    Item,
    ItemError,
    _YamlLoader,
    dump_yaml,
    event_document,
    parse_sources,
    read_items,
)
from timeline.entities import Entity, Registry
from timeline.errors import InvalidInput, ValidationError
from timeline.events import Event, NewEvent, Origin, Source, stable_id

ZONE = "Africa/Tripoli"


def stored(
    key: str, kind: str, date: str, title: str, timeline: str = "libya", **fields: Any
) -> Event:
    """An event as the database would hand it to drafting."""
    return Event(
        seq=1,
        id=stable_id(timeline, f"slug:{key}"),
        timeline=timeline,
        kind=kind,
        title=title,
        date=parse_fuzzy(date, ZONE),
        fields=fields,
        recorded_at=dt.datetime(2024, 1, 1, tzinfo=UTC),
    )


DEPLOYMENT = stored(
    "wagner-jufra", "deployment", "2019-09", "Wagner deploys to Jufra", actor="lna", strength=200
)
OFFENSIVE = stored(
    "tripoli-offensive",
    "offensive.started",
    "2019-04-04",
    "LNA launches offensive on Tripoli",
    actor="lna",
    name="Flood of Dignity",
)


def registry() -> Registry:
    return Registry(
        [
            Entity("gna", "actor", "Government of National Accord", ("GNA", "GNA forces")),
            Entity("lna", "actor", "Libyan National Army", ("LNA",)),
            Entity("tripoli", "place", "Tripoli"),
        ]
    )


def drafter(timeline: str = "libya", events: Iterable[Event] = (DEPLOYMENT, OFFENSIVE)) -> Drafter:
    return Drafter(timeline, ZONE, registry(), FakeLookups(events))


def draft(drafter_: Drafter, where: str = "doc.yaml:item 1", **data: Any) -> NewEvent:
    return drafter_.draft(Item(where, data))


def error_of(drafter_: Drafter, **data: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        drafter_.draft(Item("doc.yaml:item 4", data))
    message = str(caught.value)
    assert message.startswith("doc.yaml:item 4: ")
    assert "\n" not in message
    return message


def items(text: str, fmt: str, name: str = "events.yaml") -> list[Item | ItemError]:
    return list(read_items(io.StringIO(text), name, fmt))


# -- ids ---------------------------------------------------------------------------------------


def test_a_slug_gives_a_stable_id_per_timeline() -> None:
    note = {"kind": "note", "date": "2020", "title": "x", "id": "my-slug"}
    first = draft(drafter(), **note)
    assert first.id == stable_id("libya", "slug:my-slug")
    assert draft(drafter(), **{**note, "title": "another text"}).id == first.id
    assert draft(drafter("syria"), **note).id != first.id


def test_without_an_id_the_same_content_gives_the_same_id() -> None:
    note = {"kind": "note", "date": "2020-05", "title": "Sirte shelled", "text": "heavy"}
    same = draft(drafter(), **note).id
    assert draft(drafter(), **note).id == same
    assert draft(drafter(), **{**note, "title": "Sirte shelled again"}).id != same
    assert draft(drafter(), **{**note, "date": "2020-06"}).id != same
    assert draft(drafter("syria"), **note).id != same


def test_an_origin_gives_the_id() -> None:
    by_origin = draft(drafter(), kind="note", date="2020", title="a", origin="acled:LBY1")
    assert by_origin.id == stable_id("libya", "acled:LBY1")
    assert by_origin.origin == Origin("acled:LBY1")
    retitled = draft(drafter(), kind="note", date="2020", title="b", origin="acled:LBY1")
    assert retitled.id == by_origin.id


def test_a_uuid_is_kept_as_given() -> None:
    given = "6B1F4B7E-5D0E-4C59-9F64-2A8F1C3E9D10"
    assert draft(drafter(), kind="note", date="2020", title="x", id=given).id == given.lower()
    assert "id: 42 is not a UUID or slug" in error_of(
        drafter(), kind="note", date="2020", title="x", id=42
    )


# -- references --------------------------------------------------------------------------------


def test_references_by_slug_or_uuid() -> None:
    d = drafter()
    claim = draft(
        d,
        kind="claim",
        id="lna-claims-tripoli",
        date="2019-04-05",
        title="LNA claims airport",
        by="LNA",
        text="We hold the airport",
    )
    denial = draft(
        d,
        kind="denial",
        date="2019-04-06",
        title="GNA denies",
        by="gna",
        denies="lna-claims-tripoli",
    )
    assert denial.fields["denies"] == claim.id
    stored_denial = draft(
        d, kind="denial", date="2019-10", title="denied", by="gna", denies=DEPLOYMENT.id.upper()
    )
    assert stored_denial.fields["denies"] == DEPLOYMENT.id
    message = error_of(d, kind="denial", date="2019", title="x", by="gna", denies="no-such-claim")
    assert "denies: no event 'no-such-claim'" in message


def test_an_offensive_is_named_by_reference_or_by_name() -> None:
    d = drafter()
    ended = draft(
        d, kind="offensive.ended", date="2020-06-04", title="ends", offensive="flood of DIGNITY"
    )
    assert ended.fields["offensive"] == OFFENSIVE.id
    by_slug = draft(
        d, kind="offensive.ended", date="2020-06", title="ends", offensive="tripoli-offensive"
    )
    assert by_slug.fields["offensive"] == OFFENSIVE.id
    new = draft(
        d, kind="offensive.started", date="2020-06", title="go", actor="gna", name="Volcano"
    )
    assert (
        draft(d, kind="offensive.ended", date="2020-07", title="end", offensive="volcano").fields[
            "offensive"
        ]
        == new.id
    )
    assert "is a deployment, not an offensive.started" in error_of(
        d, kind="offensive.ended", date="2020", title="x", offensive="wagner-jufra"
    )
    assert "offensive: no offensive 'Operation Nowhere'" in error_of(
        d, kind="offensive.ended", date="2020", title="x", offensive="Operation Nowhere"
    )
    draft(
        d,
        kind="offensive.started",
        date="2021",
        title="again",
        actor="gna",
        name="Flood of Dignity",
    )
    assert "several offensives are named 'Flood of Dignity'" in error_of(
        d, kind="offensive.ended", date="2021", title="x", offensive="Flood of Dignity"
    )


# -- corrections and retractions ---------------------------------------------------------------


def test_a_correction_defaults_its_date_and_title_from_the_target() -> None:
    fix = draft(drafter(), kind="correction", target="wagner-jufra", strength="250")
    assert fix.kind == "correction"
    assert fix.date == DEPLOYMENT.date
    assert fix.title == DEPLOYMENT.title
    assert fix.fields == {"target": DEPLOYMENT.id, "fields": {"strength": 250}}
    assert fix.target == DEPLOYMENT.id

    redated = draft(drafter(), kind="correction", target=DEPLOYMENT.id, date="2019-10-02")
    assert redated.date == parse_fuzzy("2019-10-02", ZONE)
    assert redated.title == DEPLOYMENT.title
    assert redated.fields == {"target": DEPLOYMENT.id, "fields": {}}


def test_a_correction_is_checked_against_the_kind_of_its_target() -> None:
    assert "strength: 'many' is not an integer" in error_of(
        drafter(), kind="correction", target="wagner-jufra", strength="many"
    )
    assert "winner: unknown field for kind deployment" in error_of(
        drafter(), kind="correction", target="wagner-jufra", winner="gna"
    )
    assert "actor: unknown actor 'wagner'" in error_of(
        drafter(), kind="correction", target="wagner-jufra", actor="wagner"
    )
    assert "give a new date, title or field" in error_of(
        drafter(), kind="correction", target="wagner-jufra"
    )
    assert "target: no event 'no-such-event'" in error_of(
        drafter(), kind="correction", target="no-such-event", title="x"
    )
    assert "target: required" in error_of(drafter(), kind="correction", title="x")


def test_a_correction_of_a_correction_acts_on_the_original() -> None:
    d = drafter()
    first = draft(d, kind="correction", id="fix-1", target="wagner-jufra", strength=250)
    second = draft(d, kind="correction", target=first.id, strength=300)
    assert second.fields["target"] == DEPLOYMENT.id


def test_a_retraction_needs_a_reason() -> None:
    assert "reason: required" in error_of(drafter(), kind="retraction", target="wagner-jufra")
    assert "strength: unknown field for kind retraction" in error_of(
        drafter(), kind="retraction", target="wagner-jufra", reason="dup", strength=3
    )
    withdrawn = draft(drafter(), kind="retraction", target="wagner-jufra", reason="duplicate")
    assert withdrawn.fields == {"target": DEPLOYMENT.id, "reason": "duplicate"}
    assert withdrawn.title == "Retracted: Wagner deploys to Jufra"
    assert withdrawn.date == DEPLOYMENT.date


# -- definitions -------------------------------------------------------------------------------


def test_an_entity_defined_in_a_batch_can_be_used_after() -> None:
    d = Drafter("libya", ZONE, Registry(), FakeLookups())
    defined = draft(
        d,
        kind="actor.defined",
        actor="wagner",
        name="Wagner Group",
        aliases="Wagner, PMC Wagner",
    )
    assert defined.date == TIMELESS
    assert defined.title == "Wagner Group defined"
    place = draft(
        d, kind="place.defined", place="jufra", name="Al Jufra Air Base", lat="29.2", lon=16
    )
    assert place.fields == {"place": "jufra", "name": "Al Jufra Air Base", "lat": 29.2, "lon": 16.0}
    used = draft(
        d,
        kind="deployment",
        date="2019-09",
        title="arrives",
        actor="pmc wagner",
        place="Al Jufra Air Base",
    )
    assert used.fields == {"actor": "wagner", "place": "jufra"}
    # A later definition of the same id adds aliases; the old ones still resolve.
    draft(d, kind="actor.defined", actor="wagner", name="Wagner Group", aliases=["Africa Corps"])
    assert (
        draft(d, kind="deployment", date="2024", title="t", actor="Africa Corps").fields["actor"]
        == "wagner"
    )
    assert (
        draft(d, kind="deployment", date="2024", title="u", actor="PMC Wagner").fields["actor"]
        == "wagner"
    )


def test_an_entity_used_before_its_definition_is_unknown() -> None:
    d = Drafter("libya", ZONE, Registry(), FakeLookups())
    assert "actor: unknown actor 'wagner'" in error_of(
        d, kind="deployment", date="2019", title="t", actor="wagner"
    )


# -- the envelope ------------------------------------------------------------------------------


def test_a_drafted_event_carries_its_envelope() -> None:
    event = draft(
        drafter(),
        kind="control",
        date="2020-05-18",
        title="  GNA captures Al Watiya ",
        place="tripoli",
        by="gna forces",
        sources=[{"name": "Daily Sabah", "published": "18 May 2020"}],
        confidence="confirmed",
        reported="2020-05-18T16:00Z",
        timeline="libya",
    )
    assert event.timeline == "libya"
    assert event.title == "GNA captures Al Watiya"
    assert event.date.start == dt.datetime(2020, 5, 17, 22, tzinfo=UTC)
    assert event.sources == (Source("Daily Sabah", None, "2020-05-18"),)
    assert event.confidence == "confirmed"
    assert event.reported_at == dt.datetime(2020, 5, 18, 16, tzinfo=UTC)
    assert event.kind_version == 1
    violated = draft(
        drafter(), kind="ceasefire.violated", date="2020", title="v", ceasefire="x", by="lna"
    )
    assert (violated.kind_version, violated.fields["by"]) == (2, ["lna"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"date": "2020", "title": "x"}, "kind: required"),
        ({"kind": "skirmish", "date": "2020", "title": "x"}, "kind: unknown kind 'skirmish'"),
        ({"kind": "note", "title": "x"}, "date: required"),
        ({"kind": "note", "date": "2019-13", "title": "x"}, "date: '2019-13' is not a date"),
        (
            {"kind": "note", "date": "early May 2020", "title": "x"},
            "'early May 2020' is not a date",
        ),
        ({"kind": "note", "date": ["2020"], "title": "x"}, "date: ['2020'] is not a date"),
        ({"kind": "note", "date": "2020"}, "title: required"),
        ({"kind": "note", "date": "2020", "title": " "}, "title: required"),
        (
            {"kind": "note", "date": "2020", "title": "x", "confidence": "sure"},
            "confidence: 'sure'",
        ),
        ({"kind": "note", "date": "2020", "title": "x", "origin": "LBY1"}, "origin: 'LBY1' is not"),
        ({"kind": "note", "date": "2020", "title": "x", "reported": "soon"}, "reported: 'soon'"),
        ({"kind": "note", "date": "2020", "title": "x", "timeline": "syria"}, "timeline: 'syria'"),
        ({"kind": "note", "date": "2020", "title": "x", "sources": 3}, "sources: 3 is not a list"),
    ],
)
def test_envelope_errors_name_the_key_and_value(data: dict[str, Any], message: str) -> None:
    assert message in error_of(drafter(), **data)


# -- sources -----------------------------------------------------------------------------------


def test_sources() -> None:
    assert parse_sources(None) == ()
    assert parse_sources("Reuters") == (Source("Reuters"),)
    assert parse_sources({"name": "AFP", "url": " https://afp.com/a "}) == (
        Source("AFP", "https://afp.com/a"),
    )
    assert parse_sources(
        ["Reuters", {"name": "Libya Observer", "url": "http://x.ly/1", "published": "4 April 2019"}]
    ) == (Source("Reuters"), Source("Libya Observer", "http://x.ly/1", "2019-04-04"))
    assert parse_sources([{"name": "AP", "published": dt.date(2020, 5, 18)}]) == (
        Source("AP", None, "2020-05-18"),
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([{"name": "A", "url": "htp://x"}], "sources[0].url: 'htp://x' is not an http(s) URL"),
        (["Reuters", {"name": "A", "url": "https://"}], "sources[1].url: 'https://' is not"),
        ([{"name": "A", "url": "https://x.ly/a b"}], "sources[0].url: 'https://x.ly/a b'"),
        ([{"url": "https://x.ly"}], "sources[0].name: required"),
        ([{"name": "A", "author": "B"}], "sources[0]: unknown key 'author'"),
        ([{"name": "A", "published": "last week"}], "sources[0].published: 'last week'"),
        ([3], "sources[0]: 3 is not a source"),
    ],
)
def test_bad_sources_name_the_field(value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        parse_sources(value)
    assert message in error_of(drafter(), kind="note", date="2020", title="x", sources=value)


# -- reading files -----------------------------------------------------------------------------


def test_yaml_dates_are_read_as_dates() -> None:
    text = """
- timeline: libya
  zone: Africa/Tripoli
- kind: note
  date: 2020-05-18
  title: a day
- kind: note
  date: 2019
  title: a year
- kind: note
  date: 2020-05-18 14:30:00
  title: a moment
"""
    read = items(text, "yaml")
    assert all(isinstance(i, Item) for i in read)
    header, day, year, moment = (i for i in read if isinstance(i, Item))
    assert header.is_header
    assert not day.is_header
    assert day.data["date"] == dt.date(2020, 5, 18)
    assert day.where == "events.yaml:item 2"
    d = drafter()
    assert draft(d, **day.data).date == parse_fuzzy("2020-05-18", ZONE)
    assert draft(d, **year.data).date.text == "2019"
    assert draft(d, **moment.data).date.start == dt.datetime(2020, 5, 18, 12, 30, tzinfo=UTC)


def test_a_single_yaml_mapping_and_an_empty_file() -> None:
    assert [i.where for i in items("kind: note\ndate: 2020\ntitle: x\n", "yaml")] == [
        "events.yaml:item 1"
    ]
    assert items("", "yaml") == []
    assert items("# only a comment\n", "yaml") == []


@pytest.mark.parametrize(
    ("text", "fmt", "message"),
    [
        ("- kind: note\n  title: [unclosed\n", "yaml", "events.yaml:3: not valid YAML"),
        ("- kind: note\n\t- date: 2020\n", "yaml", "events.yaml:2: not valid YAML"),
        ("42\n", "yaml", "events.yaml: expected a list of events, found int"),
        ('[\n  {"kind": "note"},\n  {kind}\n]\n', "json", "events.yaml:3: not valid JSON"),
        ('"text"', "json", "events.yaml: expected a list of events, found str"),
        ("", "xml", "'xml' is not a native format"),
    ],
)
def test_a_malformed_file_names_file_and_line(text: str, fmt: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(message)) as caught:
        items(text, fmt)
    assert "\n" not in str(caught.value)


def test_items_that_are_not_mappings_are_reported_where_they_are() -> None:
    read = items("- kind: note\n- just text\n- [1, 2]\n", "yaml")
    assert [type(i).__name__ for i in read] == ["Item", "ItemError", "ItemError"]
    assert [i.where for i in read] == [f"events.yaml:item {n}" for n in (1, 2, 3)]
    from_json = items('[{"kind": "note"}, 7]', "json", "e.json")
    assert isinstance(from_json[1], ItemError)
    assert from_json[1].where == "e.json:item 2"


def test_json_lines_report_each_bad_line_and_read_on() -> None:
    text = '{"kind": "note", "date": "2020", "title": "a"}\n\n[1]\n{bad\n{"kind": "note"}\n'
    read = items(text, "jsonl", "e.jsonl")
    assert [(type(i).__name__, i.where) for i in read] == [
        ("Item", "e.jsonl:1"),
        ("ItemError", "e.jsonl:3"),
        ("ItemError", "e.jsonl:4"),
        ("Item", "e.jsonl:5"),
    ]
    errors = [i for i in read if isinstance(i, ItemError)]
    assert "expected a JSON object" in errors[0].message
    assert "not valid JSON" in errors[1].message


# -- writing -----------------------------------------------------------------------------------


def test_an_exported_document_drafts_back_to_the_same_event() -> None:
    original = draft(
        drafter(),
        kind="control",
        date="2020-05~",
        title="GNA captures Al Watiya",
        place="tripoli",
        by="GNA",
        **{"from": "lna"},
        sources=[
            {"name": "Daily Sabah", "url": "https://dailysabah.com/a", "published": "2020-05-18"}
        ],
        confidence="reported",
        reported="2020-05-18T16:00:30.5Z",
        origin={"key": "acled:LBY9289", "version": 2, "hash": "ab" * 32, "stamp": 1589800000},
    )
    document = event_document(original)
    assert document["kind"] == "control"
    assert document["id"] == original.id
    assert document["from"] == "lna"
    again = draft(drafter(), **document)
    assert again == original


def test_a_source_record_travels_beside_the_fields() -> None:
    d = drafter()
    event = d.draft(
        Item("doc:1", {"kind": "note", "date": "2020", "title": "t", "record": {"id": "7"}})
    )
    assert event.record == {"id": "7"}
    assert "record" not in event.fields
    with pytest.raises(ValidationError, match="record: 'raw' is not a mapping"):
        d.draft(Item("doc:2", {"kind": "note", "date": "2020", "title": "t", "record": "raw"}))


BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9) if previous else '1, 2, 3'}]\n"
    for previous, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def test_a_yaml_alias_bomb_is_refused_in_one_short_line() -> None:
    with pytest.raises(InvalidInput, match=r"events\.yaml: its aliases \(\*name\) expand") as err:
        items(BOMB, "yaml")
    assert len(str(err.value)) < 200


def test_honest_aliases_still_read() -> None:
    text = (
        "- kind: note\n  title: a\n  sources: &s [{name: BBC News, published: 2011-02-21}]\n"
        "- kind: note\n  title: b\n  sources: *s\n"
    )
    found = items(text, "yaml")
    assert [i.data["sources"] for i in found if isinstance(i, Item)] == [
        [{"name": "BBC News", "published": dt.date(2011, 2, 21)}]
    ] * 2


@pytest.mark.parametrize(
    ("scalar", "text"),
    [
        ("2019-02-29", "2019-02-29"),
        ("2019-04-04 25:00:00", "2019-04-04 25:00:00"),
        ("9" * 5000, "9" * 5000),
    ],
)
def test_scalars_yaml_cannot_build_stay_text_for_validation_to_name(scalar: str, text: str) -> None:
    (item,) = items(f"- kind: note\n  date: {scalar}\n  count: {scalar}\n", "yaml")
    assert isinstance(item, Item)
    assert item.data == {"kind": "note", "date": text, "count": text}


def test_an_oversized_yaml_file_is_refused_before_it_is_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from timeline import documents

    monkeypatch.setattr(documents, "MAX_YAML_CHARACTERS", 100)
    with pytest.raises(InvalidInput, match=r"limited to .* import larger ones as JSON Lines"):
        items("- kind: note\n  title: " + "x" * 200 + "\n", "yaml")


_scalars = (
    st.none() | st.booleans() | st.integers(-(10**18), 10**18) | st.floats(allow_nan=False)
) | st.text()
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


# Documents as export writes them, some with a dataset's source record (written as flow JSON).
_documents = st.lists(
    st.dictionaries(st.text(), _values, max_size=5)
    | st.builds(
        lambda document, record: {**document, "record": record},
        st.dictionaries(st.text(), _values, max_size=3),
        _values,
    ),
    max_size=4,
)


@settings(max_examples=200, deadline=None)
@given(_documents)
def test_dump_yaml_reads_back_as_written(documents: list[dict[str, Any]]) -> None:
    out = io.StringIO()
    dump_yaml(documents, out)
    assert (yaml.load(out.getvalue(), Loader=_YamlLoader) or []) == documents


def test_dump_yaml_writes_plain_text_plainly_and_quotes_what_would_change() -> None:
    out = io.StringIO()
    dump_yaml([{"title": "GNA forces take Sirte", "date": "2020-05-18", "n": 3, "x": "yes"}], out)
    assert (
        out.getvalue()
        == '- title: GNA forces take Sirte\n  date: "2020-05-18"\n  n: 3\n  x: "yes"\n'
    )
