"""The vocabulary of event kinds: their fields, their schema versions, and how old versions
of stored rows are read by new code (upcasters).

Pure module. `docs/vocabulary.md` is the reference a person reads; `KINDS` is the same table
for the code, and a test keeps the two in step.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from timeline.dates import DateError, FuzzyDate, parse_fuzzy
from timeline.errors import ValidationError
from timeline.limits import MAX_COUNT, check_count, shown


class FieldType(StrEnum):
    """What a field holds, and so how it is checked and normalised."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    SLUG = "slug"  # the id of the entity a definition introduces
    ACTOR = "actor"
    PLACE = "place"
    ACTORS = "actors"  # a list of actors
    ENTITIES = "entities"  # a list of actors or places
    WORDS = "words"  # a list of short texts
    ALIASES = "aliases"  # a list of names, each a text or {name, from, until}
    EVENT = "event"  # a reference to another event (id or slug)
    EVENT_OR_NAME = "event-or-name"  # an event reference, or a name it is known by
    OBJECT = "object"
    ACTOR_COUNTS = "actor-counts"  # a mapping of actors to integers
    DATASETS = "datasets"  # a list of dataset names (`acled`, `ucdp`, `timeline`)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a kind."""

    name: str
    type: FieldType
    required: bool = False
    # For a text field that takes one of a few words: those words (lowercase).
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One kind of event: its fields and the version of its schema."""

    name: str
    fields: tuple[FieldSpec, ...]
    version: int = 1
    dated: bool = True  # definitions may leave out the date: they hold whatever the date

    def field(self, name: str) -> FieldSpec | None:
        """The spec of one field of this kind, including the fields every kind takes."""
        # Looked up for every field of every imported row: an index, built once per kind.
        index = _FIELD_INDEX.get(self.name)
        if index is None:
            index = _FIELD_INDEX[self.name] = {
                **COMMON_FIELDS,
                **{spec.name: spec for spec in self.fields},
            }
        return index.get(name)


_FIELD_INDEX: dict[str, dict[str, FieldSpec]] = {}


def _f(
    name: str, kind: FieldType, required: bool = False, choices: tuple[str, ...] = ()
) -> FieldSpec:
    return FieldSpec(name, kind, required, choices)


# How materiel leaves its holder's hands (`materiel.lost`): `captured` hands it to `captured_by`.
LOSS_HOW = ("destroyed", "captured", "lost", "withdrawn")


T = FieldType
# Fields any kind takes: what imported records carry besides their kind's own fields.
COMMON_FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        _f("location", T.TEXT),
        _f("place", T.PLACE),
        _f("actors", T.ACTORS),
        _f("fatalities", T.INTEGER),
        _f("fatalities_low", T.INTEGER),
        _f("fatalities_high", T.INTEGER),
        # Who the dead were, where the data says: among each actor's forces, civilians, and
        # of unknown status (UCDP GED's deaths_a/deaths_b, deaths_civilians, deaths_unknown).
        _f("fatalities_among", T.ACTOR_COUNTS),
        _f("fatalities_civilians", T.INTEGER),
        _f("fatalities_unknown", T.INTEGER),
        _f("where_prec", T.INTEGER),
        _f("text", T.TEXT),
    )
}

_CEASEFIRE = (_f("ceasefire", T.TEXT, True), _f("parties", T.ACTORS))
_DEFINITION = (
    _f("name", T.TEXT, True),
    _f("aliases", T.ALIASES),
    _f("type", T.TEXT),
    _f("description", T.TEXT),
    _f("review", T.BOOLEAN),
)

KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec(
            "actor.defined",
            (_f("actor", T.SLUG, True), *_DEFINITION, _f("speaks_for", T.ACTOR)),
            dated=False,
        ),
        KindSpec(
            "place.defined",
            (_f("place", T.SLUG, True), *_DEFINITION, _f("lat", T.NUMBER), _f("lon", T.NUMBER)),
            dated=False,
        ),
        # Decisions about the registry: undated (the merge's date, when given, is the period
        # it holds in), never folded themselves (see timeline.merges).
        KindSpec(
            "actor.merged", (_f("actor", T.ACTOR, True), _f("into", T.ACTOR, True)), dated=False
        ),
        KindSpec(
            "place.merged", (_f("place", T.PLACE, True), _f("into", T.PLACE, True)), dated=False
        ),
        KindSpec("actor.accepted", (_f("actor", T.ACTOR, True),), dated=False),
        KindSpec("place.accepted", (_f("place", T.PLACE, True),), dated=False),
        # `partial` (added without a version change: a stored event without it reads as
        # before, the whole place held) says `by` holds part of the place, not all of it.
        KindSpec(
            "control",
            (
                _f("place", T.PLACE, True),
                _f("by", T.ACTOR, True),
                _f("from", T.ACTOR),
                _f("partial", T.BOOLEAN),
            ),
        ),
        KindSpec("control.contested", (_f("place", T.PLACE, True), _f("parties", T.ACTORS, True))),
        KindSpec(
            "offensive.started",
            (_f("actor", T.ACTOR, True), _f("name", T.TEXT, True), _f("target", T.PLACE)),
        ),
        KindSpec(
            "offensive.ended", (_f("offensive", T.EVENT_OR_NAME, True), _f("outcome", T.TEXT))
        ),
        KindSpec(
            "support.started",
            (_f("backer", T.ACTOR, True), _f("backed", T.ACTOR, True), _f("kinds", T.WORDS)),
        ),
        KindSpec(
            "support.ended",
            (_f("backer", T.ACTOR, True), _f("backed", T.ACTOR, True), _f("kinds", T.WORDS)),
        ),
        KindSpec(
            "deployment",
            (
                _f("actor", T.ACTOR, True),
                _f("place", T.PLACE),
                _f("strength", T.INTEGER),
                _f("on_behalf_of", T.ACTOR),
            ),
        ),
        KindSpec(
            "withdrawal",
            (
                _f("actor", T.ACTOR, True),
                _f("place", T.PLACE),
                _f("strength", T.INTEGER),
                _f("to", T.PLACE),
                _f("complete", T.BOOLEAN),
            ),
        ),
        KindSpec(
            "materiel.transferred",
            (
                _f("item", T.TEXT, True),
                _f("count", T.INTEGER),
                _f("place", T.PLACE),
                _f("holder", T.ACTOR),
                _f("supplier", T.ACTOR),
            ),
        ),
        KindSpec(
            "materiel.lost",
            (
                _f("item", T.TEXT, True),
                _f("how", T.TEXT, True, LOSS_HOW),
                _f("count", T.INTEGER),
                _f("place", T.PLACE),
                _f("holder", T.ACTOR),
                _f("supplier", T.ACTOR),
                _f("captured_by", T.ACTOR),
            ),
        ),
        KindSpec("ceasefire.proposed", _CEASEFIRE),
        KindSpec("ceasefire.in_force", _CEASEFIRE),
        # Version 2: `by` became a list, since violations are often blamed on several sides.
        KindSpec("ceasefire.violated", (*_CEASEFIRE, _f("by", T.ACTORS)), version=2),
        KindSpec("ceasefire.collapsed", _CEASEFIRE),
        KindSpec("ceasefire.ended", _CEASEFIRE),
        KindSpec(
            "agreement",
            (_f("name", T.TEXT, True), _f("parties", T.ACTORS), _f("ceasefire", T.TEXT)),
        ),
        KindSpec(
            "statement",
            (_f("by", T.ACTOR, True), _f("text", T.TEXT, True), _f("about", T.ENTITIES)),
        ),
        KindSpec(
            "claim",
            (
                _f("by", T.ACTOR, True),
                _f("text", T.TEXT, True),
                _f("about", T.ENTITIES),
                _f("asserts", T.EVENT),
            ),
        ),
        KindSpec(
            "denial",
            (_f("by", T.ACTOR, True), _f("denies", T.EVENT, True), _f("text", T.TEXT)),
        ),
        KindSpec("clash", (_f("place", T.PLACE),)),
        KindSpec("strike", (_f("by", T.ACTOR), _f("place", T.PLACE))),
        # A correction's other keys replace the target's fields; they are checked against
        # the target's kind when the correction is drafted.
        KindSpec(
            "correction",
            (_f("target", T.EVENT, True), _f("fields", T.OBJECT), _f("restates", T.BOOLEAN)),
        ),
        KindSpec("retraction", (_f("target", T.EVENT, True), _f("reason", T.TEXT, True))),
        KindSpec("note", (_f("about", T.ENTITIES), _f("place", T.PLACE))),
        # Which dataset's fatality figures count in a total, from the event's date on (an
        # undated one: from the start); see timeline.projections.fatalities.
        KindSpec("fatalities.policy", (_f("prefer", T.DATASETS, True),), dated=False),
    )
}

# Entity fields, by kind, for readers that want every entity an event names.
ENTITY_TYPES = {
    T.ACTOR: "actor",
    T.PLACE: "place",
    T.ACTORS: "actor",
    T.ENTITIES: None,
    T.ACTOR_COUNTS: "actor",
}

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# A dataset's name: the prefix of its records' keys (`acled` of `acled:LBY9289`), or
# `timeline` for the timeline's own events.
_DATASET = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class Resolver:
    """What validation needs from the database: entities and events by reference.

    The drafting code implements it over the store and the batch being drafted.
    """

    def entity(
        self, name: str, entity_type: str | None, field: str, at: datetime | None = None
    ) -> str:
        """The id of the entity `name` designates in an event beginning at `at` (None: an
        undated event, such as a definition); raises UnknownEntity."""
        raise NotImplementedError

    def event(self, reference: str, field: str, kinds: tuple[str, ...] = ()) -> str:
        """The id of the stored or drafted event `reference` designates (raises)."""
        raise NotImplementedError

    def offensive(self, reference: str, field: str) -> str:
        """The id of the `offensive.started` event named by id, slug or name (raises)."""
        raise NotImplementedError


def kind_spec(kind: str) -> KindSpec:
    """The spec of a kind, or a ValidationError listing the kinds there are."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ValidationError(
            f"kind: unknown kind {kind!r} (kinds: {', '.join(sorted(KINDS))})", field="kind"
        )
    return spec


def validate_fields(
    kind: str,
    fields: Mapping[str, Any],
    resolver: Resolver,
    *,
    partial: bool = False,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Check `fields` against the kind's schema and normalise them: entity names become
    ids (the names valid at `at`, the start of the event's date), event references become
    event ids, numeric text becomes numbers.

    With `partial` (corrections), required fields may be missing. Raises ValidationError
    naming the field and the value.
    """
    spec = kind_spec(kind)
    out: dict[str, Any] = {}
    for name, value in fields.items():
        field = spec.field(name)
        if field is None:
            known = ", ".join(f.name for f in spec.fields) or "none"
            common = ", ".join(COMMON_FIELDS)
            raise ValidationError(
                f"{name}: unknown field for kind {kind} (its fields: {known}; any kind's: "
                f"{common})",
                field=name,
            )
        if value is None or value == "" or value == []:
            continue
        out[name] = _check(field, value, resolver, at)
    if not partial:
        for field in spec.fields:
            if field.required and field.name not in out:
                raise ValidationError(f"{field.name}: required for kind {kind}", field=field.name)
        if kind == "materiel.lost":
            _check_loss(out)
        _check_fatalities(out)
    return out


# Estimates of the dead in the order they must hold: each at most the next.
_ESTIMATES = ("fatalities_low", "fatalities", "fatalities_high")


def _check_fatalities(fields: Mapping[str, Any]) -> None:
    """Counts of the dead that contradict one another: an estimate above a higher one, or
    more dead by side and status than in all. Totals and tables add up what an event says;
    an event that says both cannot be counted (UCDP GED's best estimate is its deaths on
    each side, among civilians and of unknown status added up; the UCDP importer leaves out
    a published low or high estimate that does not bracket it)."""
    given = [(name, fields[name]) for name in _ESTIMATES if fields.get(name) is not None]
    for (lower, low), (higher, high) in itertools.pairwise(given):
        if low > high:
            raise ValidationError(f"{lower}: {low} is more than {higher} ({high})", field=lower)
    total = fields.get("fatalities")
    if total is None:
        return
    among = fields.get("fatalities_among") or {}
    parts = sum(among.values())
    parts += (fields.get("fatalities_civilians") or 0) + (fields.get("fatalities_unknown") or 0)
    if parts > total:
        raise ValidationError(
            f"fatalities: {total} is fewer than the dead it breaks down into ({parts}: among "
            "the sides, civilians and of unknown status)",
            field="fatalities",
        )


def _check_loss(fields: Mapping[str, Any]) -> None:
    """A captor only for what was captured: anything else would add materiel to an actor's
    holding that no source says it took."""
    captor = fields.get("captured_by")
    if captor is not None and fields.get("how") != "captured":
        raise ValidationError(
            f"captured_by: {shown(captor)} is given, but how is {shown(fields.get('how'))}, "
            "not 'captured'",
            field="captured_by",
        )


def _check(field: FieldSpec, value: Any, resolver: Resolver, at: datetime | None) -> Any:
    name, kind = field.name, field.type
    if kind is T.TEXT:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise _wrong(name, value, "a text")
        if field.choices:
            word = str(value).strip().lower()
            if word not in field.choices:
                raise _wrong(name, value, f"one of {', '.join(field.choices)}")
            return word
        return str(value).strip()
    if kind is T.INTEGER:
        return _integer(name, value)
    if kind is T.NUMBER:
        return _number(name, value)
    if kind is T.BOOLEAN:
        return _boolean(name, value)
    if kind is T.SLUG:
        if not isinstance(value, str) or not _SLUG.match(value):
            raise _wrong(name, value, "an id of lowercase letters, digits, '.', '_' or '-'")
        return value
    if kind in (T.ACTOR, T.PLACE):
        if not isinstance(value, str):
            raise _wrong(name, value, f"the id, name or alias of a {kind.value}")
        return resolver.entity(value, kind.value, name, at)
    if kind in (T.ACTORS, T.ENTITIES):
        items = _list(name, value)
        entity_type = "actor" if kind is T.ACTORS else None
        out = []
        for item in items:
            if not isinstance(item, str):
                raise _wrong(name, item, "a name or id")
            resolved = resolver.entity(item, entity_type, name, at)
            if resolved not in out:
                out.append(resolved)
        return out
    if kind is T.WORDS:
        words = []
        for item in _list(name, value):
            if not isinstance(item, str | int | float) or isinstance(item, bool):
                raise _wrong(name, item, "a word")
            words.append(str(item).strip())
        return [w for w in dict.fromkeys(words) if w]
    if kind is T.ALIASES:
        return _aliases(name, value)
    if kind is T.EVENT:
        if not isinstance(value, str):
            raise _wrong(name, value, "an event id or slug")
        return resolver.event(value, name)
    if kind is T.EVENT_OR_NAME:
        if not isinstance(value, str):
            raise _wrong(name, value, "an event id, slug or name")
        return resolver.offensive(value, name)
    if kind is T.OBJECT:
        if not isinstance(value, Mapping):
            raise _wrong(name, value, "a mapping")
        return dict(value)
    if kind is T.ACTOR_COUNTS:
        return _actor_counts(name, value, resolver)
    if kind is T.DATASETS:
        names = []
        for item in _list(name, value):
            text = item.strip().lower() if isinstance(item, str) else item
            if not isinstance(text, str) or not _DATASET.match(text):
                raise _wrong(name, item, "a dataset name (acled, ucdp, timeline, ...)")
            names.append(text)
        return list(dict.fromkeys(names))
    raise AssertionError(kind)


def _aliases(name: str, value: Any) -> list[Any]:
    """A list of names: each a text, valid whenever, or `{name, from, until}`, valid from
    the start of `from` to the end of `until` (either may be left out: open)."""
    out: list[Any] = []
    plain: set[str] = set()
    for item in _list(name, value):
        if isinstance(item, Mapping):
            alias: dict[str, str] | str = _dated_alias(name, item)
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            alias = str(item).strip()
        else:
            raise _wrong(name, item, "a name or {name, from, until}")
        if isinstance(alias, dict):
            out.append(alias)
        elif alias and alias.casefold() not in plain:
            plain.add(alias.casefold())
            out.append(alias)
    return out


def _dated_alias(field: str, item: Mapping[str, Any]) -> dict[str, str] | str:
    """A dated alias, its dates as their texts (a mapping without dates is a plain name)."""
    unknown = sorted(set(item) - {"name", "from", "until"})
    if unknown:
        raise ValidationError(
            f"{field}: unknown key {shown(unknown[0])} in {shown(dict(item))} (a dated alias "
            "takes name, from and until)",
            field=field,
        )
    text = item.get("name")
    if isinstance(text, bool) or not isinstance(text, str | int | float) or not str(text).strip():
        raise _wrong(field, dict(item), "an alias: its name is missing")
    alias = {"name": str(text).strip()}
    bounds: dict[str, FuzzyDate] = {}
    for key in ("from", "until"):
        bound = item.get(key)
        if bound is None or bound == "":
            continue
        try:
            bounds[key] = parse_fuzzy(_date_text(bound))
        except (DateError, ValueError) as err:
            raise ValidationError(
                f"{field}: {key} of {shown(alias['name'])}: {err}", field=field
            ) from None
        alias[key] = bounds[key].text
    since, until = bounds.get("from"), bounds.get("until")
    if since is not None and until is not None and until.end <= since.start:
        raise ValidationError(
            f"{field}: {shown(alias['name'])} is valid until {alias['until']}, before it is "
            f"valid from {alias['from']}",
            field=field,
        )
    return alias if len(alias) > 1 else alias["name"]


def _date_text(value: Any) -> str:
    # YAML reads an unquoted 2016-03-30 as a date and 2016 as an integer: both mean their text.
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{shown(value)} is not a date")
    return str(value)


def _actor_counts(name: str, value: Any, resolver: Resolver) -> dict[str, int]:
    """A mapping of actors (names, ids or aliases) to counts, keyed by actor id; two names
    of one actor add up."""
    if not isinstance(value, Mapping):
        raise _wrong(name, value, "a mapping of actors to counts")
    out: dict[str, int] = {}
    for actor, count in value.items():
        if not isinstance(actor, str):
            raise _wrong(name, actor, "a name or id")
        entity = resolver.entity(actor, "actor", name)
        out[entity] = check_count(name, out.get(entity, 0) + _integer(name, count))
    return out


def _list(name: str, value: Any) -> list[Any]:
    if isinstance(value, str):
        # From the command line: --field parties=gna,lna
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    raise _wrong(name, value, "a list")


# Every integer field counts people or things (fatalities, strength, materiel) or is a small
# code (where_prec): 0 to limits.MAX_COUNT. More digits than that are out of range before
# int() is asked to read them (it refuses thousands of digits with its own ValueError).
_INTEGER_TEXT = re.compile(r"\s*\+?0*(\d{1,30})\s*", re.ASCII)


def _integer(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise _wrong(name, value, "an integer")
    if isinstance(value, int):
        return check_count(name, value)
    if isinstance(value, float) and value.is_integer():
        return check_count(name, int(value))
    if isinstance(value, str) and (match := _INTEGER_TEXT.fullmatch(value)):
        return check_count(name, int(match[1]))
    if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        raise ValidationError(
            f"{name}: {shown(value)} is out of range (0 to {MAX_COUNT:,})", field=name
        )
    raise _wrong(name, value, "an integer")


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool):
        raise _wrong(name, value, "a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _wrong(name, value, "a number") from None
    if not math.isfinite(number):
        raise _wrong(name, value, "a finite number")
    return number


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "no", "0"):
        return False
    raise _wrong(name, value, "true or false")


def _wrong(name: str, value: Any, expected: str) -> ValidationError:
    return ValidationError(f"{name}: {shown(value)} is not {expected}", field=name)


# -- upcasting ---------------------------------------------------------------------------------

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

# (kind, stored version) -> function turning those fields into the next version's. Stored rows
# are never rewritten; they are read through these.
UPCASTERS: dict[tuple[str, int], Upcaster] = {}

# Kinds renamed since rows were first stored: old name -> (new name, version the old one maps to).
RENAMED_KINDS: dict[str, tuple[str, int]] = {}


def upcaster(kind: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function that reads fields of `kind` at `from_version` as the next version."""

    def register(function: Upcaster) -> Upcaster:
        UPCASTERS[(kind, from_version)] = function
        return function

    return register


@upcaster("ceasefire.violated", 1)
def _violated_by_became_a_list(fields: dict[str, Any]) -> dict[str, Any]:
    by = fields.get("by")
    if isinstance(by, str):
        return {**fields, "by": [by]}
    return fields


def upcast(kind: str, version: int, fields: dict[str, Any]) -> tuple[str, int, dict[str, Any]]:
    """Read a stored (kind, version, fields) as the current version of its kind."""
    if kind in RENAMED_KINDS:
        kind, version = RENAMED_KINDS[kind]
    spec = KINDS.get(kind)
    if spec is None:
        return kind, version, fields
    while version < spec.version:
        step = UPCASTERS.get((kind, version))
        if step is not None:
            fields = step(fields)
        version += 1
    return kind, version, fields


def entity_references(kind: str, fields: Mapping[str, Any]) -> list[str]:
    """Every entity id the fields of an event name (actors and places)."""
    spec = KINDS.get(kind)
    out: list[str] = []
    if spec is None:
        return out
    for name, value in fields.items():
        field = spec.field(name)
        if field is None or field.type not in ENTITY_TYPES:
            continue
        values = list(value) if isinstance(value, list | dict) else [value]
        out.extend(v for v in values if isinstance(v, str) and v not in out)
    return out
