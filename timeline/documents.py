"""The native document format: reading YAML / JSON Lines / JSON documents, drafting events
from them, and writing events back out.

Pure module: lookups of what the database already holds are injected (`Lookups`), so the
same drafting serves `timeline add`, native imports and the seeds.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

import yaml

from timeline.dates import TIMELESS, DateError, FuzzyDate, parse_fuzzy
from timeline.entities import (
    DEFINITION_KINDS,
    REGISTRY_KINDS,
    Registry,
    entity_from_definition,
)
from timeline.errors import InvalidInput, UnknownEntity, ValidationError
from timeline.events import (
    CONFIDENCE_LEVELS,
    Event,
    NewEvent,
    Origin,
    Source,
    content_key,
    event_id_for,
    is_uuid,
    stable_id,
)
from timeline.limits import check_event, shown
from timeline.merges import MERGE_KINDS
from timeline.revisions import REVISION_KINDS
from timeline.vocabulary import KINDS, Resolver, kind_spec, validate_fields

ENVELOPE_KEYS = (
    "record",
    "kind",
    "date",
    "title",
    "sources",
    "confidence",
    "reported",
    "id",
    "timeline",
    "origin",
)
HEADER_KEYS = ("timeline", "zone", "title", "description", "attribution")


@dataclass(frozen=True, slots=True)
class Item:
    """One document of a file: its mapping and where it was (file:line or file:item N)."""

    where: str
    data: Mapping[str, Any]

    @property
    def is_header(self) -> bool:
        """A timeline header (`{timeline, zone, ...}` with no kind) rather than an event."""
        return "kind" not in self.data and "zone" in self.data


@dataclass(frozen=True, slots=True)
class ItemError:
    """A document that could not even be read as a mapping."""

    where: str
    message: str


def read_items(stream: IO[str], name: str, fmt: str) -> Iterator[Item | ItemError]:
    """The documents of a native file: `yaml` (a list, or one mapping), `jsonl` (one per line)
    or `json` (an array or one object). Malformed documents come out as ItemError."""
    if fmt == "jsonl":
        yield from _read_jsonl(stream, name)
        return
    try:
        if fmt == "yaml":
            loaded = _load_yaml(stream, name)
        elif fmt == "json":
            loaded = json.load(stream)
        else:
            raise InvalidInput(
                f"{shown(fmt)} is not a native format (yaml, jsonl, json)", subject="format"
            )
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InvalidInput(f"{name}{line}: not valid YAML: {problem}") from None
    except json.JSONDecodeError as err:
        raise InvalidInput(f"{name}:{err.lineno}: not valid JSON: {err.msg}") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{name}: not UTF-8 text") from None
    except ValueError as err:  # a number of thousands of digits (int-string limit)
        raise InvalidInput(f"{name}: not valid JSON: {str(err).split(':')[0]}") from None
    if loaded is None:
        return
    documents = [loaded] if isinstance(loaded, Mapping) else loaded
    if not isinstance(documents, list):
        raise InvalidInput(f"{name}: expected a list of events, found {type(loaded).__name__}")
    for number, document in enumerate(documents, start=1):
        where = f"{name}:item {number}"
        if isinstance(document, Mapping):
            yield Item(where, document)
        else:
            yield ItemError(where, f"expected a mapping, found {shown(document)}")


# A YAML file is read whole (JSON Lines streams): past this size, the file is refused with a
# pointer to JSON Lines rather than read into memory.
MAX_YAML_CHARACTERS = 64 * 1024 * 1024
# Aliases let a few hundred bytes of YAML stand for billions of nodes. Reading shares them
# (cheap); anything that walks the documents afterwards would not, so a file whose aliases
# expand to many more nodes than it holds is refused before that.
MAX_ALIAS_EXPANSION = 10


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml's when there is one), for hostile files: a scalar that
    only looks like a date or a number (2019-02-29, 25:00, a thousand digits) stays text,
    for the document's own validation to name, instead of failing inside PyYAML."""


def _lenient(construct: Any) -> Any:
    def constructor(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
        try:
            return construct(loader, node)
        except ValueError:
            return loader.construct_scalar(node)

    return constructor


for _tag, _construct in (
    ("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_timestamp),
    ("tag:yaml.org,2002:int", yaml.SafeLoader.construct_yaml_int),
    ("tag:yaml.org,2002:float", yaml.SafeLoader.construct_yaml_float),
):
    _YamlLoader.add_constructor(_tag, _lenient(_construct))


def _load_yaml(stream: IO[str], name: str) -> Any:
    text = stream.read(MAX_YAML_CHARACTERS + 1)
    if len(text) > MAX_YAML_CHARACTERS:
        raise InvalidInput(
            f"{name}: a YAML file is limited to {MAX_YAML_CHARACTERS // (1024 * 1024)} MiB;"
            " import larger ones as JSON Lines"
        )
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, name)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_expansion(root: yaml.Node, name: str) -> None:
    """InvalidInput when the node graph, aliases followed, is much larger than itself."""
    distinct: set[int] = set()
    visited = 0
    stack = [root]
    while stack:
        node = stack.pop()
        visited += 1
        if id(node) in distinct:
            # An alias: the walk counts its expansion, and stops as soon as that is clearly
            # out of proportion, so that a bomb costs no more than an honest file.
            limit = MAX_ALIAS_EXPANSION * len(distinct) + 10_000
            if visited > limit:
                raise InvalidInput(
                    f"{name}: its aliases (*name) expand to more than {limit:,} nodes; "
                    "write the repeated values out"
                )
        distinct.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))


def _read_jsonl(stream: IO[str], name: str) -> Iterator[Item | ItemError]:
    line_number = 0
    try:
        for line_number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            where = f"{name}:{line_number}"
            try:
                document = json.loads(line)
            except json.JSONDecodeError as err:
                yield ItemError(where, f"not valid JSON: {err.msg}")
                continue
            except ValueError as err:  # a number of thousands of digits (int-string limit)
                yield ItemError(where, f"not valid JSON: {str(err).split(':')[0]}")
                continue
            if isinstance(document, Mapping):
                yield Item(where, document)
            else:
                yield ItemError(where, f"expected a JSON object, found {shown(line.strip()[:60])}")
    except UnicodeDecodeError:
        raise InvalidInput(f"{name}:{line_number + 1}: not UTF-8 text") from None


class Lookups(Protocol):
    """What drafting needs to know of the database."""

    def event(self, event_id: str) -> Event | None:
        """The stored event with this id, revisions applied (None when there is none)."""

    def offensive_named(self, timeline: str, name: str) -> list[str]:
        """Ids of stored `offensive.started` events with this name (case-insensitive)."""


class Drafter(Resolver):
    """Turns document mappings into validated `NewEvent`s for one timeline.

    It remembers what it drafted, so a document can define an actor and use it, or refer to
    an event drafted before it, before anything is stored (until `forget_drafted`).
    """

    def __init__(self, timeline: str, zone: str, registry: Registry, lookups: Lookups) -> None:
        self.timeline = timeline
        self.zone = zone
        self.registry = registry
        self.lookups = lookups
        self.drafted: dict[str, NewEvent] = {}
        self._offensives: dict[str, str] = {}

    # -- Resolver ---------------------------------------------------------------------------

    def entity(
        self, name: str, entity_type: str | None, field: str, at: dt.datetime | None = None
    ) -> str:
        """The id of the entity `name` designates in an event beginning at `at`."""
        return self.registry.resolve(name, entity_type, field=field, at=at).id

    def event(self, reference: str, field: str, kinds: tuple[str, ...] = ()) -> str:
        """The id of the stored or drafted event `reference` designates (id or slug)."""
        found = self._find_event(reference)
        if found is None:
            raise ValidationError(f"{field}: no event {shown(reference)}", field=field)
        return found.id

    def offensive(self, reference: str, field: str) -> str:
        """The `offensive.started` event named by id, slug or offensive name."""
        found = self._find_event(reference)
        if found is not None:
            if found.kind != "offensive.started":
                raise ValidationError(
                    f"{field}: {shown(reference)} is a {found.kind}, not an offensive.started",
                    field=field,
                )
            return found.id
        folded = reference.casefold()
        ids = {self._offensives[folded]} if folded in self._offensives else set()
        ids.update(self.lookups.offensive_named(self.timeline, reference))
        if len(ids) == 1:
            return ids.pop()
        if ids:
            raise ValidationError(
                f"{field}: several offensives are named {shown(reference)}; give the id"
            )
        raise ValidationError(f"{field}: no offensive {shown(reference)}", field=field)

    def _find_event(self, reference: str) -> NewEvent | Event | None:
        if is_uuid(reference):
            event_id = reference.lower()
        else:
            event_id = stable_id(self.timeline, f"slug:{reference}")
        return self.drafted.get(event_id) or self.lookups.event(event_id)

    # -- drafting ---------------------------------------------------------------------------

    def draft(self, item: Item, *, origin: Origin | None = None) -> NewEvent:
        """A validated event from one document; raises ValidationError naming item and field."""
        try:
            event = self._draft(item.data, origin)
            check_event(event)
        except (ValidationError, UnknownEntity) as err:
            raise ValidationError(str(err), where=item.where) from None
        except DateError as err:
            raise ValidationError(f"date: {err}", where=item.where, field="date") from None
        self.remember(event)
        return event

    def forget_drafted(self) -> None:
        """Forget the events drafted so far, once they are stored: the documents after them
        find them in the store instead (what is drafted and held grows with the file; what a
        batch holds does not)."""
        self.drafted.clear()

    def remember(self, event: NewEvent) -> None:
        """Make a drafted event visible to the documents after it."""
        self.drafted[event.id] = event
        if event.kind in DEFINITION_KINDS:
            self.registry.add(entity_from_definition(_as_stored(event)))
        elif event.kind in REGISTRY_KINDS:
            # A merge or an acceptance: the documents after it resolve names through it.
            self.registry.decide([_as_stored(event)])
        elif event.kind == "offensive.started":
            self._offensives[str(event.fields["name"]).casefold()] = event.id

    def _draft(self, data: Mapping[str, Any], origin: Origin | None) -> NewEvent:
        kind = _text(data.get("kind"), "kind")
        spec = kind_spec(kind)
        timeline = data.get("timeline")
        if timeline is not None and timeline != self.timeline:
            raise ValidationError(
                f"timeline: {shown(timeline)} is not the timeline being written "
                f"({shown(self.timeline)})",
                field="timeline",
            )
        fields = {k: v for k, v in data.items() if k not in ENVELOPE_KEYS}
        if kind in REVISION_KINDS:
            return self._draft_revision(kind, data, fields, origin)
        date = self._date(data.get("date"), required=spec.dated)
        # Names mean what they meant at the event's date; undated kinds (definitions, merges)
        # name entities whatever the date.
        validated = validate_fields(kind, fields, self, at=date.start if spec.dated else None)
        if kind in MERGE_KINDS and validated[MERGE_KINDS[kind]] == validated["into"]:
            raise ValidationError(
                f"into: {shown(validated['into'])} cannot be merged into itself", field="into"
            )
        title = data.get("title")
        if title is None and kind in DEFINITION_KINDS:
            title = f"{validated['name']} defined"
        draft = NewEvent(
            id="",
            timeline=self.timeline,
            kind=kind,
            title=_text(title, "title"),
            date=date,
            fields=validated,
            kind_version=spec.version,
            sources=parse_sources(data.get("sources")),
            confidence=_confidence(data.get("confidence")),
            reported_at=self._reported(data.get("reported")),
            origin=origin or _origin(data.get("origin")),
            record=_record(data.get("record")),
        )
        return self._with_id(draft, data.get("id"))

    def _draft_revision(
        self, kind: str, data: Mapping[str, Any], fields: dict[str, Any], origin: Origin | None
    ) -> NewEvent:
        reference = _text(fields.pop("target", None), "target")
        target = self._find_event(reference)
        if target is None:
            raise ValidationError(f"target: no event {shown(reference)}", field="target")
        if target.kind in REVISION_KINDS:
            # Revisions act on the original event, so that its history reads in one place.
            root = self._find_event(str(target.fields["target"]))
            assert root is not None
            target = root
        if kind == "retraction":
            reason = _text(fields.pop("reason", None), "reason")
            if fields:
                raise ValidationError(f"{next(iter(fields))}: unknown field for kind retraction")
            replaced: dict[str, Any] = {"target": target.id, "reason": reason}
            title = data.get("title") or f"Retracted: {target.title}"
            date = target.date
        else:
            if "date" not in data and "title" not in data and not fields:
                raise ValidationError("correction: give a new date, title or field to replace")
            restates = fields.pop("restates", None)
            nested = fields.pop("fields", None) or {}
            if not isinstance(nested, Mapping):
                raise ValidationError(f"fields: {shown(nested)} is not a mapping", field="fields")
            wanted = {**fields, **nested}
            when = self._date(data["date"], required=True) if "date" in data else target.date
            target_spec = KINDS.get(target.kind)
            at = when.start if target_spec is None or target_spec.dated else None
            changes = validate_fields(target.kind, wanted, self, partial=True, at=at)
            # A field set to null is removed from the target.
            changes.update({k: None for k, v in wanted.items() if v is None})
            replaced = {"target": target.id, "fields": changes}
            if restates is not None:
                if not isinstance(restates, bool):
                    raise ValidationError(
                        f"restates: {shown(restates)} is not true or false", field="restates"
                    )
                if restates:
                    replaced["restates"] = True
            title = data.get("title") or target.title
            date = self._date(data["date"], required=True) if "date" in data else target.date
        draft = NewEvent(
            id="",
            timeline=self.timeline,
            kind=kind,
            title=_text(title, "title"),
            date=date,
            fields=replaced,
            kind_version=KINDS[kind].version,
            sources=parse_sources(data.get("sources")),
            confidence=_confidence(data.get("confidence")),
            reported_at=self._reported(data.get("reported")),
            origin=origin or _origin(data.get("origin")),
            record=_record(data.get("record")),
        )
        return self._with_id(draft, data.get("id"))

    def _with_id(self, draft: NewEvent, given: Any) -> NewEvent:
        if given is not None and not isinstance(given, str):
            raise ValidationError(f"id: {shown(given)} is not a UUID or slug", field="id")
        if draft.origin is not None:
            key = (
                draft.origin.key
                if draft.origin.version == 1
                else (f"{draft.origin.key}#{draft.origin.version}")
            )
        else:
            key = content_key(draft)
        return replace(draft, id=event_id_for(self.timeline, given or None, key))

    def _date(self, value: Any, *, required: bool) -> FuzzyDate:
        if value is None or value == "":
            if required:
                raise ValidationError("date: required", field="date")
            return TIMELESS
        return parse_fuzzy(_date_text(value), self.zone)

    def _reported(self, value: Any) -> dt.datetime | None:
        if value is None or value == "":
            return None
        try:
            return parse_fuzzy(_date_text(value), self.zone).start
        except DateError as err:
            raise ValidationError(f"reported: {err}", field="reported") from None


def _as_stored(event: NewEvent) -> Event:
    return Event(
        seq=0,
        id=event.id,
        timeline=event.timeline,
        kind=event.kind,
        title=event.title,
        date=event.date,
        fields=event.fields,
        recorded_at=dt.datetime.now(dt.UTC),
    )


def _record(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(f"record: {shown(value)} is not a mapping", field="record")
    return dict(value)


def _date_text(value: Any) -> str:
    # YAML reads unquoted 2020-05-18 as a date and 2019 as an int; both mean their text.
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationError(f"date: {shown(value)} is not a date", field="date")
    return str(value)


def _text(value: Any, field: str) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValidationError(f"{field}: required", field=field)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValidationError(f"{field}: {shown(value)} is not a text", field=field)
    return str(value).strip()


def _confidence(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if value not in CONFIDENCE_LEVELS:
        raise ValidationError(
            f"confidence: {shown(value)} is not one of {', '.join(CONFIDENCE_LEVELS)}",
            field="confidence",
        )
    return str(value)


def _origin(value: Any) -> Origin | None:
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        # The long form `timeline export` writes for versioned records of a dataset.
        key = _origin(value.get("key"))
        version, stamp = value.get("version", 1), value.get("stamp")
        digest = value.get("hash")
        if key is None or not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValidationError(f"origin: {shown(dict(value))} is not an origin", field="origin")
        if stamp is not None and (not isinstance(stamp, int) or isinstance(stamp, bool)):
            raise ValidationError(f"origin.stamp: {shown(stamp)} is not an integer", field="origin")
        if digest is not None and not isinstance(digest, str):
            raise ValidationError(f"origin.hash: {shown(digest)} is not a text", field="origin")
        return Origin(key.key, version, digest, stamp)
    if not isinstance(value, str) or ":" not in value:
        raise ValidationError(
            f"origin: {shown(value)} is not 'dataset:record-key' (e.g. acled:LBY9289)",
            field="origin",
        )
    return Origin(value)


def parse_sources(value: Any) -> tuple[Source, ...]:
    """Sources from a document: a list of `{name, url, published, retrospective}` mappings
    or names."""
    if value is None:
        return ()
    if isinstance(value, str | Mapping):
        value = [value]
    if not isinstance(value, list):
        raise ValidationError(f"sources: {shown(value)} is not a list", field="sources")
    out = []
    for index, item in enumerate(value):
        where = f"sources[{index}]"
        if isinstance(item, str):
            item = {"name": item}
        if not isinstance(item, Mapping):
            raise ValidationError(f"{where}: {shown(item)} is not a source", field="sources")
        unknown = set(item) - {"name", "url", "published", "retrospective"}
        if unknown:
            raise ValidationError(
                f"{where}: unknown key {shown(sorted(unknown)[0])}", field="sources"
            )
        name = _text(item.get("name"), f"{where}.name")
        url = item.get("url")
        if url is not None:
            url = check_url(str(url), f"{where}.url")
        published = item.get("published")
        if published is not None:
            try:
                published = parse_fuzzy(_date_text(published)).text
            except DateError as err:
                raise ValidationError(f"{where}.published: {err}", field="sources") from None
        retrospective = item.get("retrospective", False)
        if not isinstance(retrospective, bool):
            raise ValidationError(
                f"{where}.retrospective: {retrospective!r} is not true or false", field="sources"
            )
        out.append(Source(name=name, url=url, published=published, retrospective=retrospective))
    return tuple(out)


def check_url(url: str, field: str) -> str:
    """An http(s) URL with a host, or a ValidationError naming the field and the value."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in url.strip():
        raise ValidationError(f"{field}: {shown(url)} is not an http(s) URL", field=field)
    return url.strip()


# -- writing ---------------------------------------------------------------------------------


def event_document(event: Event | NewEvent) -> dict[str, Any]:
    """The native document of an event: what `timeline export` writes and `import` reads."""
    doc: dict[str, Any] = {"kind": event.kind, "id": event.id}
    if event.date.text != TIMELESS.text:
        doc["date"] = event.date.text
    doc["title"] = event.title
    doc.update(event.fields)
    if event.sources:
        doc["sources"] = [s.to_json() for s in event.sources]
    if event.confidence:
        doc["confidence"] = event.confidence
    if event.reported_at:
        doc["reported"] = event.reported_at.isoformat().replace("+00:00", "Z")
    if event.record is not None:
        doc["record"] = dict(event.record)
    origin = event.origin
    if origin is not None:
        plain = origin.version == 1 and origin.content_hash is None and origin.stamp is None
        doc["origin"] = (
            origin.key
            if plain
            else {
                "key": origin.key,
                "version": origin.version,
                "hash": origin.content_hash,
                "stamp": origin.stamp,
            }
        )
    return doc


def header_document(name: str, zone: str, title: str | None) -> dict[str, Any]:
    """The timeline header that opens an export, so that it can create the timeline."""
    doc: dict[str, Any] = {"timeline": name, "zone": zone}
    if title:
        doc["title"] = title
    return doc


def dump_jsonl(documents: Iterable[Mapping[str, Any]], out: IO[str]) -> None:
    """Write documents as JSON Lines."""
    for document in documents:
        out.write(json.dumps(document, ensure_ascii=False, sort_keys=False))
        out.write("\n")


def dump_yaml(documents: Iterable[Mapping[str, Any]], out: IO[str]) -> None:
    """Write documents as a YAML list in block style, one item at a time.

    Written here rather than by PyYAML: its representer walks every node in Python, and for
    3,200 imported events (each with its source record) took 2-7 s even with libyaml's
    emitter, against a tenth of a second here. Text that YAML would read as anything but the
    same text is written as a JSON string, which YAML reads as a double-quoted scalar;
    tests/test_documents.py checks that the loader reads back every document as written.
    """
    write = out.write
    for document in documents:
        lines: list[str] = []
        document = dict(document)
        record = None
        if len(document) > 1 and document.get("record") is not None:
            record = document.pop("record")
        _yaml_mapping(document, "- ", "  ", lines)
        if record is not None:
            # A dataset's own record, kept for the machine: one line of JSON (a YAML flow
            # mapping), written by orjson, instead of a block of thirty lines written here.
            lines.append(f"  record: {_yaml_flow(record)}\n")
        write("".join(lines))


def _yaml_flow(value: Any) -> str:
    """`value` as JSON that YAML reads back as written: floats, which YAML 1.1 may read as
    text ("1e-05"), and anything orjson cannot write go through the block writer's scalars."""
    import orjson

    if _has_float(value):
        return _yaml_flow_slow(value)
    try:
        return _yaml_escaped(orjson.dumps(value).decode())
    except TypeError:
        return _yaml_flow_slow(value)


# The types of a flat record that holds no float, told apart in one pass of C (`map(type)`):
# an imported row is a flat mapping of text, and walking its values one by one in Python
# took a fifth of writing 3,500 events.
_FLOATLESS = frozenset({str, int, bool, type(None)})


def _has_float(value: Any) -> bool:
    if type(value) is dict and _FLOATLESS.issuperset(map(type, value.values())):
        return False
    if isinstance(value, float):
        return True
    if isinstance(value, Mapping):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_float(v) for v in value)
    return False


def _yaml_flow_slow(value: Any) -> str:
    if isinstance(value, Mapping):
        items = (f"{_yaml_flow_slow(str(k))}: {_yaml_flow_slow(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_yaml_flow_slow(v) for v in value) + "]"
    text = _yaml_scalar(value)
    if type(value) is str and not text.startswith('"') and any(c in text for c in ",[]{}#"):
        # Plain text in a flow collection must not hold its indicators.
        return _yaml_escaped(json.dumps(value, ensure_ascii=False))
    return text


# Text written as it is: no leading or trailing space, nothing YAML gives a meaning (": ",
# " #", flow or block indicators at the start), and a resolver check below for the words and
# numbers YAML reads as other types ("yes", "null", "1e3", "2020-05-18").
_PLAIN = re.compile(r"[A-Za-z_(][A-Za-z0-9 _.,;()'/+-]*[A-Za-z0-9_.)']|[A-Za-z_]")
_RESOLVER = yaml.resolver.Resolver()


def _yaml_scalar(value: Any) -> str:
    if type(value) is str:
        return _yaml_text(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        # YAML 1.1 reads an exponent as a float only with a dot in the mantissa.
        if "." not in text and "e" in text:
            text = text.replace("e", ".0e", 1)
        return text
    return _yaml_text(str(value))


@functools.lru_cache(maxsize=1 << 14)
def _yaml_text(text: str) -> str:
    # Cached: keys and many values (kinds, ids of actors, dates) repeat across events.
    if (
        _PLAIN.fullmatch(text)
        and ": " not in text
        and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
        == "tag:yaml.org,2002:str"
    ):
        return text
    # What json.dumps(text, ensure_ascii=False) writes, without building an encoder per call.
    return _yaml_escaped(_json_string(text))


_json_string = json.encoder.encode_basestring

# What JSON leaves as it is but YAML does not read inside quotes: DEL, the C1 controls, its
# line breaks NEL, LS and PS, the BOM and the non-characters.
_YAML_ESCAPES = {
    code: f"\\u{code:04x}"
    for code in (0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF)
}


def _yaml_escaped(text: str) -> str:
    """JSON text with what YAML does not read inside quotes escaped (`_YAML_ESCAPES`)."""
    # Only DEL of those is ASCII, and both tests run in C (isascii reads a flag): translate
    # looks up every character in Python's dict, a tenth of a second over 4 MB of records.
    if text.isascii() and "\x7f" not in text:
        return text
    return text.translate(_YAML_ESCAPES)


def _yaml_mapping(mapping: Mapping[str, Any], first: str, indent: str, lines: list[str]) -> None:
    """Block mapping lines: the first key after `first`, the others after `indent`."""
    if not mapping:
        lines.append(f"{first}{{}}\n")
        return
    prefix = first
    for key, value in mapping.items():
        label = _yaml_text(key) if type(key) is str else _yaml_scalar(key)
        if type(value) is str:  # most values: written here, without a call per value
            lines.append(f"{prefix}{label}: {_yaml_text(value)}\n")
        else:
            _yaml_value(value, f"{prefix}{label}:", indent, lines)
        prefix = indent


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _yaml_value(value: Any, label: str, indent: str, lines: list[str]) -> None:
    # Exact types first: documents are built of dicts, lists and text, and an isinstance of
    # an abstract class (Mapping) costs ten times a type comparison.
    kind = type(value)
    if kind is str:
        lines.append(f"{label} {_yaml_text(value)}\n")
    elif kind in _SCALARS:
        lines.append(f"{label} {_yaml_scalar(value)}\n")
    elif (kind is dict or (kind is not list and isinstance(value, Mapping))) and value:
        lines.append(label + "\n")
        _yaml_mapping(value, indent + "  ", indent + "  ", lines)
    elif (kind is list or isinstance(value, list | tuple)) and value:
        lines.append(label + "\n")
        inner = indent + "  "
        for item in value:  # indentless, as PyYAML writes a list in a mapping
            item_kind = type(item)
            if item_kind is str:
                lines.append(f"{indent}- {_yaml_text(item)}\n")
            elif (
                item_kind is dict or (item_kind is not list and isinstance(item, Mapping))
            ) and item:
                _yaml_mapping(item, indent + "- ", inner, lines)
            elif (item_kind is list or isinstance(item, list | tuple)) and item:
                _yaml_value(item, indent + "-", inner, lines)
            else:
                lines.append(f"{indent}- {_yaml_inline(item)}\n")
    else:
        lines.append(f"{label} {_yaml_inline(value)}\n")


def _yaml_inline(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return _yaml_scalar(value)


def event_record(event: Event) -> dict[str, Any]:
    """An event with everything the store knows of it, for `--format json|jsonl|csv`."""
    from timeline.dates import format_instant

    return {
        "id": event.id,
        "seq": event.seq,
        "timeline": event.timeline,
        "kind": event.kind,
        "kind_version": event.kind_version,
        "date": event.date.text,
        "valid_from": format_instant(event.date.start),
        "valid_to": format_instant(event.date.end),
        "precision": event.date.precision.value,
        "approximate": event.date.approximate,
        "uncertain": event.date.uncertain,
        "title": event.title,
        "fields": dict(event.fields),
        "sources": [s.to_json() for s in event.sources],
        "confidence": event.confidence,
        "origin": event.origin.key if event.origin else None,
        "origin_version": event.origin.version if event.origin else None,
        "recorded_at": format_instant(event.recorded_at),
        "reported_at": format_instant(event.reported_at) if event.reported_at else None,
        "import_run": event.import_run,
        "hash": event.hash,
        "record": dict(event.record) if event.record is not None else None,
    }


# One flat CSV for `timeline events --format csv` and `timeline export --format csv`, for
# pandas and spreadsheets: a column per envelope value and per common field, lists joined by
# "; ", sources as readable text, numbers as numbers; JSON only in `extra`, the fields of
# rarer kinds, empty for most rows.
CSV_FIELDS = (
    "place",
    "location",
    "lat",
    "lon",
    "by",
    "from",
    "actor",
    "actors",
    "target",
    "backer",
    "backed",
    "parties",
    "name",
    "kinds",
    "item",
    "count",
    "strength",
    "fatalities",
    "fatalities_low",
    "fatalities_high",
    "text",
    "about",
    "offensive",
    "ceasefire",
    # What actor.defined and place.defined say of the entity.
    "type",
    "aliases",
    "description",
)
CSV_COLUMNS = (
    "id",
    "seq",
    "timeline",
    "kind",
    "date",
    "valid_from",
    "valid_to",
    "precision",
    "title",
    *CSV_FIELDS,
    "sources",
    "confidence",
    "origin",
    "recorded_at",
    "reported_at",
    "extra",
)


def csv_record(event: Event) -> dict[str, str | int | float]:
    """An event as one row of the flat CSV (`CSV_COLUMNS`)."""
    from timeline.dates import format_instant

    fields = event.fields
    row: dict[str, str | int | float] = {
        "id": event.id,
        "seq": event.seq,
        "timeline": event.timeline,
        "kind": event.kind,
        "date": event.date.text,
        "valid_from": format_instant(event.date.start),
        "valid_to": format_instant(event.date.end),
        "precision": event.date.precision.value,
        "title": event.title or "",
    }
    for name in CSV_FIELDS:
        row[name] = _csv_value(fields.get(name))
    row["sources"] = "; ".join(
        " ".join(str(part) for part in (s.name, s.published, s.url) if part) for s in event.sources
    )
    row["confidence"] = event.confidence or ""
    row["origin"] = event.origin.key if event.origin else ""
    row["recorded_at"] = format_instant(event.recorded_at)
    row["reported_at"] = format_instant(event.reported_at) if event.reported_at else ""
    extra = {k: v for k, v in fields.items() if k not in CSV_FIELDS}
    row["extra"] = json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else ""
    return row


def _csv_value(value: Any) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
