"""ACLED (Armed Conflict Location & Event Data) exports, every CSV schema since 2011.

Three schemas are in circulation: before 2019 (29 columns, no `sub_event_type`, event types
such as "Battle-No change of territory" and "Remote violence"), 2019 to March 2023 (with
`sub_event_type`, plus `data_id`, `event_id_no_cnty`, `iso3`), and the current 31 columns
(with `disorder_type`, `civilian_targeting`, `tags`). Columns are found by name, so any of
them, in any order and letter case, read the same. The API (see `acled_api`) yields rows with
the same column names, mapped by the same `AcledParser.record`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO

from timeline.importers.sources import (
    BadField,
    CsvLayout,
    PlaceHint,
    RawRow,
    Rejection,
    SourceRecord,
    iso_week,
    parse_code,
    parse_coordinate,
    parse_count,
    parse_day,
    read_csv,
    split_names,
)

__all__ = ["AcledParser"]

_LAYOUT = CsvLayout(
    dataset="ACLED",
    key_column="event_id_cnty",
    key_prefix="acled:",
    required=(
        ("event_id_cnty",),
        ("event_date",),
        ("event_type",),
        ("actor1",),
        ("location",),
        ("fatalities",),
    ),
    stamp_column="timestamp",
    # event_id_cnty is ACLED's own name; the other set catches an export saved without it.
    signatures=(
        frozenset({"event_id_cnty"}),
        frozenset({"event_date", "event_type", "actor1", "fatalities"}),
    ),
)

# Event types of the pre-2019 schema, which had no sub-event types, by normalised name.
_OLD_EVENT_TYPES = {
    "battle-no change of territory": "clash",
    "battle-government regains territory": "control",
    "battle-non-state actor overtakes territory": "control",
    "non-violent transfer of territory": "control",
    "remote violence": "strike",
    "headquarters or base established": "deployment",
}
# Event types of the 2019+ schemas whose sub-event type does not change the kind.
_EVENT_TYPES = {
    "explosions/remote violence": "strike",
    "violence against civilians": "clash",
}
_TERRITORY_TAKEN = {"government regains territory", "non-state actor overtakes territory"}
_STRATEGIC = {
    "headquarters or base established": "deployment",
    "agreement": "agreement",
    # The 2019+ sub-event type of the old event type of the same name: a place changes hands.
    "non-violent transfer of territory": "control",
}
# Old event types read badly as titles ("Battle-No change of territory in Sirte").
_OLD_LABELS = {
    "battle-no change of territory": "Battle (no change of territory)",
    "battle-government regains territory": "Government regains territory",
    "battle-non-state actor overtakes territory": "Non-state actor overtakes territory",
}
_DASH = re.compile(r"\s*-\s*")
# ACLED notes open with the date ("On 29 February 2020, ..."), which says nothing as a name.
_DATE_OPENING = re.compile(
    r"On (?:or (?:about|around) )?\d{1,2} [A-Za-z]+ \d{4}(?: \([^)]*\))?,\s*", re.IGNORECASE
)
_SENTENCE_END = re.compile(r"(?<=[a-z0-9)\]])[.!?](?=\s+[A-Z\"'(]|\s*$)")
_NAME_LIMIT = 150


def _normal(text: str) -> str:
    return _DASH.sub("-", " ".join(text.split()).lower())


def _kind(event_type: str, sub_event_type: str) -> str:
    if event_type == "battles":
        return "control" if sub_event_type in _TERRITORY_TAKEN else "clash"
    if event_type == "strategic developments":
        return _STRATEGIC.get(sub_event_type, "note")
    return _EVENT_TYPES.get(event_type) or _OLD_EVENT_TYPES.get(event_type, "note")


def _is_state_force(inter: str) -> bool:
    # ACLED's inter codes: 1 (or, since 2023, the words "State forces") are state forces.
    text = inter.strip().lower()
    return text == "1" or text.startswith("state forces")


def _winner(
    event_type: str, sub_event_type: str, values: Mapping[str, str], actor1: str, actor2: str
) -> tuple[str, str]:
    """(who took the place, from whom). ACLED does not put the winner first: the event type
    says which side gained ("Government regains territory": the state forces; "Non-state
    actor overtakes territory": the non-state actor), and the inter codes say which is which."""
    state1 = _is_state_force(values.get("inter1", ""))
    state2 = _is_state_force(values.get("inter2", ""))
    state_gains = "government regains" in event_type or "government regains" in sub_event_type
    non_state_gains = "non-state actor overtakes" in (event_type + sub_event_type)
    if actor2 and (
        (state_gains and state2 and not state1) or (non_state_gains and state1 and not state2)
    ):
        return actor2, actor1
    return actor1, actor2


def _agreement_name(notes: str, actors: list[str]) -> str:
    text = _DATE_OPENING.sub("", " ".join(notes.split()), count=1)
    if text:
        end = _SENTENCE_END.search(text)
        sentence = text[: end.start()] if end else text.rstrip(".!?")
        if len(sentence) > _NAME_LIMIT:
            sentence = sentence[:_NAME_LIMIT].rsplit(" ", 1)[0] + "…"
        if sentence:
            return sentence[0].upper() + sentence[1:]
    if len(actors) > 1:
        return f"Agreement between {actors[0]} and {actors[1]}"
    return f"Agreement of {actors[0]}" if actors else "Agreement"


class AcledParser:
    """The ACLED CSV export (any schema since 2011); also maps ACLED API rows."""

    format = "acled"
    extensions: tuple[str, ...] = (".csv",)
    dataset = True

    def detect(self, head: bytes) -> bool:
        """Whether `head` starts with an ACLED CSV header (any schema since 2011)."""
        return _LAYOUT.detect(head)

    def rows(self, stream: BinaryIO, source: str) -> Iterator[RawRow | Rejection]:
        """Stream an ACLED CSV export as raw rows; the header is checked before this returns.

        Required columns (any case, any order): event_id_cnty, event_date, event_type,
        actor1, location, fatalities. Keys are ``acled:<event_id_cnty>``; the stamp is the
        `timestamp` column when there is one and it holds a number.
        """
        return read_csv(stream, source, _LAYOUT)

    def record(self, raw: RawRow) -> SourceRecord | Rejection:
        """Map one ACLED row onto the event vocabulary, or reject it naming the field."""
        try:
            return _record(raw)
        except BadField as bad:
            return bad.rejection(raw)


def _record(raw: RawRow) -> SourceRecord:
    values = raw.values
    get = values.get

    event_date = get("event_date", "")
    try:
        day = parse_day(event_date)
    except ValueError as exc:
        raise BadField("event_date", event_date, str(exc)) from None
    precision = get("time_precision", "").strip()
    # ACLED: 1 the day itself, 2 "a week or similar" around it, 3 only the month is known.
    if precision in ("", "1"):
        when = day.isoformat()
    elif precision == "2":
        when = iso_week(day)
    elif precision == "3":
        when = f"{day.year:04d}-{day.month:02d}"
    else:
        raise BadField("time_precision", get("time_precision", ""), "is not 1, 2 or 3")

    fatalities = parse_count("fatalities", get("fatalities", ""))
    lat = parse_coordinate("latitude", get("latitude", ""), 90)
    lon = parse_coordinate("longitude", get("longitude", ""), 180)
    geo_precision = parse_code("geo_precision", get("geo_precision", ""))

    event_type_text = " ".join(get("event_type", "").split())
    sub_event_text = " ".join(get("sub_event_type", "").split())
    event_type = _normal(event_type_text)
    kind = _kind(event_type, _normal(sub_event_text))

    actor1 = get("actor1", "").strip()
    actor2 = get("actor2", "").strip()
    actors = [actor1] if actor1 else []
    if actor2 and actor2 != actor1:
        actors.append(actor2)
    location = " ".join(get("location", "").split())
    notes = get("notes", "").strip()

    fields: dict[str, Any] = {}
    if kind == "control":
        if not location:
            raise BadField("location", None, "is empty: a change of control needs the place")
        if not actor1:
            raise BadField("actor1", None, "is empty: a change of control needs who took it")
        winner, loser = _winner(event_type, _normal(sub_event_text), values, actor1, actor2)
        fields["by"] = winner
        if loser and loser != winner:
            fields["from"] = loser
    elif kind == "strike":
        if actor1:
            fields["by"] = actor1
    elif kind == "deployment":
        if not actor1:
            raise BadField("actor1", None, "is empty: a deployment needs the actor deployed")
        fields["actor"] = actor1
    elif kind == "agreement":
        fields["name"] = _agreement_name(notes, actors)
        fields["parties"] = list(actors)
    elif kind == "note" and notes:
        fields["text"] = notes
    fields["actors"] = actors
    if location:
        fields["place"] = location
    fields["location"] = location
    fields["fatalities"] = fatalities
    fields["record"] = dict(values)

    label = sub_event_text or _OLD_LABELS.get(event_type) or event_type_text or "Event"
    title = f"{label} in {location}" if location else label

    # ACLED names its sources but not when they published; the reports are about the event's
    # date, which is the best "published" we can give without inventing one.
    sources = [{"name": "ACLED"}]
    sources += [{"name": name, "published": when} for name in split_names(get("source", ""))]

    admin1 = get("admin1", "").strip() or None
    place = PlaceHint(location, lat, lon, admin1, geo_precision) if location else None
    return SourceRecord(
        key=raw.key,
        source=raw.source,
        row=raw.row,
        content_hash=raw.content_hash,
        stamp=raw.stamp,
        kind=kind,
        date=when,
        title=title,
        fields=fields,
        sources=sources,
        place=place,
        actors=actors,
    )
