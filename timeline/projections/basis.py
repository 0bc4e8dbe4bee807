"""What facts rest on: the ledger of cited events, deadlines, and the answer-time view.

Pure module. Every fact of a projection cites the events it rests on. The ledger keeps, for
each event some current fact cites, what an answer needs about it: the end of its interval
(certainty is decided at answer time against that end), its sources, and the denials aimed
at it. Entries are reference-counted, so the ledger holds exactly what the current facts
rest on and shrinks again when facts go: the state stays bounded by the answer, never by the
length of the log.
"""

from __future__ import annotations

import heapq
import json
import json.encoder
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from timeline.dates import to_micros
from timeline.entities import Registry
from timeline.events import Event

DAY = int(timedelta(days=1).total_seconds()) * 1_000_000

# Fields that name actors or places, in any kind of the vocabulary (docs/vocabulary.md).
# `recent` and `Answer.filter` use them to say which entities an event or fact mentions.
ENTITY_FIELDS = (
    "actor",
    "actors",
    "by",
    "from",
    "place",
    "to",
    "target",
    "backer",
    "backed",
    "on_behalf_of",
    "holder",
    "supplier",
    "captured_by",
    "parties",
    "about",
)

DEFINITION_KINDS = frozenset({"actor.defined", "place.defined"})

Source = dict[str, str]


# --- reading event fields -------------------------------------------------------------------
# Events are validated on append; these readers still refuse a wrong type quietly rather than
# crash a whole answer on one odd imported row.


def text_field(fields: Mapping[str, Any], name: str) -> str | None:
    """A non-empty string field, or None."""
    value = fields.get(name)
    return value if isinstance(value, str) and value else None


def list_field(fields: Mapping[str, Any], name: str) -> list[str]:
    """A list-of-strings field (a lone string counts as a list of one), deduplicated."""
    value = fields.get(name)
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        # A fold asks this several times an event: a list comprehension, and the dict that
        # deduplicates only for a list that has two names to compare, halved its time.
        found = [v for v in value if isinstance(v, str) and v]
        return list(dict.fromkeys(found)) if len(found) > 1 else found
    return []


def int_field(fields: Mapping[str, Any], name: str) -> int | None:
    """An integer field (booleans are not integers here), or None."""
    value = fields.get(name)
    if type(value) is int:  # the usual case, decided without two isinstance calls
        return value
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def fold_name(text: str) -> str:
    """The key names are matched by: case-insensitive, whitespace collapsed."""
    return " ".join(text.casefold().split())


def mentioned(event: Event) -> list[str]:
    """Ids of every entity the event's fields name, in field order, deduplicated."""
    # Called for every event folded: an event names a few of the entity fields at most, so
    # the absent ones are skipped before list_field is asked.
    fields = event.fields
    found: dict[str, None] = {}
    for name in ENTITY_FIELDS:
        if name in fields:
            found.update(dict.fromkeys(list_field(fields, name)))
    return list(found)


def key_of(*parts: str | None) -> str:
    """A dict key for a composite key (JSON keys must be strings; None stays distinct).

    The compact JSON of the list of parts, written by hand: restoring a state computes
    thousands of these, and `json.dumps` costs several times more for the same text.
    """
    return "[" + ",".join("null" if p is None else _json_string(p) for p in parts) + "]"


# What json.dumps writes for a str (ASCII-only, the C encoder when there is one).
_json_string: Callable[[str], str] = json.encoder.encode_basestring_ascii


def event_sources(event: Event) -> list[Source]:
    """The event's sources as document mappings."""
    return [s.to_json() for s in event.sources]


def dedupe_sources(groups: Iterable[Iterable[Source]]) -> list[Source]:
    """Sources of several events, in order, each one once."""
    seen: dict[tuple[tuple[str, Any], ...], Source] = {}
    for group in groups:
        for source in group:
            seen.setdefault(tuple(sorted(source.items())), source)
    return list(seen.values())


# orjson hands anything but plain JSON values to `_not_json`: a datetime or dataclass it
# would write as text or an object, a subclass of str, int, dict or list.
_PLAIN_JSON = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _not_json(value: Any) -> Any:
    raise TypeError(type(value).__name__)


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars; tuples become lists): what
    `copy.deepcopy` does for it, many times faster.

    Written out and read back by orjson, 4.7 times faster than copying it object by object in
    Python (0.10 against 0.47 ms for the seeded Libya state at its end); data orjson would
    not read back as it was (keys that are not texts, integers beyond 64 bits, texts holding
    a lone surrogate, anything but JSON's types) is copied object by object. A float that is
    not finite, which the vocabulary never lets into an event, would come back as None.
    """
    try:
        return orjson.loads(orjson.dumps(value, default=_not_json, option=_PLAIN_JSON))
    except TypeError:  # orjson.JSONEncodeError among them
        return _copied(value)


def _copied(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_copied(item) for item in value]
    return value


def unique(ids: Iterable[str | None]) -> list[str]:
    """The ids given, without None and without repeats, in order."""
    return list(dict.fromkeys(i for i in ids if i is not None))


# --- the ledger -----------------------------------------------------------------------------


@dataclass(slots=True)
class Entry:
    """What answers need about one cited event."""

    end: int  # end of its valid interval, microseconds since the epoch
    # Interned by the ledger (see `Ledger`): never changed in place.
    sources: list[Source]
    # Denials aimed at the event itself or at a claim asserting it: [denial id, actor or None].
    # Most cited events have no denial and no claim: they share the empty tuple until they do.
    denials: list[list[str | None]] | tuple[()] = ()
    # Claims (ids) whose `asserts` is this event; the claims section shows them while cited.
    claims: list[str] | tuple[()] = ()
    refs: int = 0

    def deny(self, denial_id: str, by: str | None) -> None:
        """Record a denial of the event (once per denial)."""
        if any(d[0] == denial_id for d in self.denials):
            return
        if isinstance(self.denials, tuple):
            self.denials = []
        self.denials.append([denial_id, by])

    def add_claim(self, claim_id: str) -> None:
        """Record a claim asserting the event (once per claim)."""
        if claim_id in self.claims:
            return
        if isinstance(self.claims, tuple):
            self.claims = []
        self.claims.append(claim_id)


Hook = Callable[[str, Entry], None]
SourceKey = tuple[tuple[str, Any], ...]


def source_key(source: Source) -> SourceKey:
    """What makes two sources the same source: all they say, `retrospective` included (one
    outlet's article can be cited as news by one event and as a later account by another;
    keyed by name, URL and date alone, whichever was met first stood for both, and an answer
    depended on the order its facts were made in)."""
    return tuple(sorted(source.items()))


class Ledger:
    """The events current facts cite, reference-counted by the facts citing them.

    Sources are interned: entries citing equal sources hold the very same mappings (and
    entries citing the same sources the same list). Thousands of cited events typically share
    a handful of sources, so a snapshot writes each source once and an answer tells equal
    sources apart by identity, not by comparing their contents.
    """

    def __init__(self) -> None:
        self.entries: dict[str, Entry] = {}
        self._sources: dict[SourceKey, Source] = {}
        self._source_lists: dict[tuple[int, ...], list[Source]] = {}
        # Set by the claims section (`listen`): it attaches claims and denials to new entries
        # and lets go of claims when the entries asserting them go.
        self._on_acquire: weakref.WeakMethod[Hook] | None = None
        self._on_release: weakref.WeakMethod[Hook] | None = None

    def listen(self, on_acquire: Hook, on_release: Hook) -> None:
        """Have the bound methods called when an entry comes and goes. Held weakly: the
        listener holds the ledger, and a cycle between them would keep a whole state alive
        until the cycle collector walked it."""
        self._on_acquire = weakref.WeakMethod(on_acquire)
        self._on_release = weakref.WeakMethod(on_release)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self.entries

    def get(self, event_id: str) -> Entry | None:
        """The entry of a cited event, or None if no current fact cites it."""
        return self.entries.get(event_id)

    def intern(self, sources: Iterable[Source]) -> list[Source]:
        """The shared list of the shared mappings equal to `sources`."""
        shared = [self._sources.setdefault(source_key(s), s) for s in sources]
        return self._source_lists.setdefault(tuple(map(id, shared)), shared)

    def acquire(self, event: Event) -> None:
        """One more fact cites `event`."""
        entry = self.entries.get(event.id)
        if entry is None:
            entry = Entry(to_micros(event.date.end), self.intern(event_sources(event)))
            self.entries[event.id] = entry
            hook = self._on_acquire() if self._on_acquire is not None else None
            if hook is not None:
                hook(event.id, entry)
        entry.refs += 1

    def retain(self, event_id: str) -> None:
        """One more fact cites an event already in the ledger."""
        self.entries[event_id].refs += 1

    def release(self, event_id: str) -> None:
        """One fact fewer cites the event; the entry goes with the last one."""
        entry = self.entries[event_id]
        entry.refs -= 1
        if entry.refs <= 0:
            del self.entries[event_id]
            hook = self._on_release() if self._on_release is not None else None
            if hook is not None:
                hook(event_id, entry)

    def rebase(self, before: Sequence[str], after: Sequence[str], event: Event | None) -> None:
        """A fact that cited `before` now cites `after`; `event` is the one being applied,
        the only id `after` may add that the ledger may not know yet."""
        old = set(before)
        for event_id in dict.fromkeys(after):
            if event_id in old:
                continue
            if event is not None and event_id == event.id:
                self.acquire(event)
            else:
                self.retain(event_id)
        new = set(after)
        for event_id in dict.fromkeys(before):
            if event_id not in new:
                self.release(event_id)

    def to_json(self) -> dict[str, Any]:
        """The ledger as JSON-ready data: each source once, each distinct list of sources
        once, and the entries as columns (ids, ends, source lists, reference counts), with
        the few denials and claims by id. Columns of plain numbers decode into far fewer
        objects than a small list per entry, on the path of every answer.

        Sources no entry cites any more are forgotten here, so the interning tables stay as
        small as the state.
        """
        pool: list[Source] = []
        position: dict[int, int] = {}  # id of a shared mapping -> its index in `pool`
        list_index: dict[int, int] = {}  # id of a shared list -> its index in `lists`
        lists: list[list[int]] = []
        used_lists: dict[tuple[int, ...], list[Source]] = {}
        ids: list[str] = []
        ends: list[int] = []
        which: list[int] = []
        refs: list[int] = []
        denials: dict[str, Any] = {}
        claims: dict[str, Any] = {}
        for event_id, entry in self.entries.items():
            index = list_index.get(id(entry.sources))
            if index is None:
                indices = []
                for source in entry.sources:
                    if id(source) not in position:
                        position[id(source)] = len(pool)
                        pool.append(source)
                    indices.append(position[id(source)])
                index = list_index[id(entry.sources)] = len(lists)
                lists.append(indices)
                used_lists[tuple(map(id, entry.sources))] = entry.sources
            ids.append(event_id)
            ends.append(entry.end)
            which.append(index)
            refs.append(entry.refs)
            if entry.denials:
                denials[event_id] = entry.denials
            if entry.claims:
                claims[event_id] = entry.claims
        self._sources = {source_key(s): s for s in pool}
        self._source_lists = used_lists
        return {
            "sources": pool,
            "lists": lists,
            "ids": ids,
            "ends": ends,
            "which": which,
            "refs": refs,
            "denials": denials,
            "claims": claims,
        }

    def load(self, data: Mapping[str, Any]) -> None:
        """Read what `to_json` wrote (without calling the hooks: the state is restored).
        The data is taken over, not copied."""
        pool: list[Source] = data["sources"]
        self._sources = {source_key(s): s for s in pool}
        self._source_lists = {}
        shared = [self.intern(pool[i] for i in indices) for indices in data["lists"]]
        denials: dict[str, list[list[str | None]]] = data["denials"]
        claims: dict[str, list[str]] = data["claims"]
        entries = {
            event_id: Entry(end, shared[index], (), (), count)
            for event_id, end, index, count in zip(
                data["ids"], data["ends"], data["which"], data["refs"], strict=True
            )
        }
        for event_id, listed in denials.items():
            entries[event_id].denials = listed
        for event_id, listed_claims in claims.items():
            entries[event_id].claims = listed_claims
        self.entries = entries


# --- deadlines ------------------------------------------------------------------------------


class Deadlines:
    """Keys to look at again once the fold has moved past an instant.

    A fact whose removal rests on an event that has not certainly ended stays in the state,
    shown as uncertain, until the last applied start reaches that event's end: from then on
    every instant an answer may be asked at (`at` > last start) sees it removed, so it can go.
    """

    def __init__(self, items: Iterable[Sequence[Any]] = ()) -> None:
        self._heap: list[tuple[int, str]] = [(int(end), str(key)) for end, key in items]
        heapq.heapify(self._heap)
        self._queued = set(self._heap)

    def add(self, end: int, key: str) -> None:
        """Look at `key` again when the fold reaches `end`."""
        item = (end, key)
        if item not in self._queued:
            self._queued.add(item)
            heapq.heappush(self._heap, item)

    def due(self, now: int) -> Iterator[str]:
        """Pop and yield the keys whose instant is at or before `now`."""
        while self._heap and self._heap[0][0] <= now:
            item = heapq.heappop(self._heap)
            self._queued.discard(item)
            yield item[1]

    def __len__(self) -> int:
        return len(self._heap)

    def to_json(self) -> list[list[Any]]:
        """The deadlines as JSON-ready data (sorted, so equal states give equal snapshots)."""
        return [[end, key] for end, key in sorted(self._heap)]


# --- the view answers are rendered through ---------------------------------------------------


class View:
    """What rendering a section needs: the instant, names, and the ledger to cite from."""

    def __init__(self, at: int, registry: Registry, ledger: Ledger) -> None:
        self.at = at
        self.registry = registry
        self.ledger = ledger
        # Claims that asserted events cited by the facts rendered so far: the claims section
        # shows them whatever their age, because a fact in the answer rests on them.
        self.cited_claims: dict[str, None] = {}
        # A briefing names the same few hundred entities thousands of times: each is looked
        # up once per answer, and facts naming the same entity share its (read-only) mapping.
        self._refs: dict[tuple[str, str | None], dict[str, str]] = {}
        self._sort_names: dict[tuple[str, str | None], tuple[str, str]] = {}

    def ref(self, entity_id: str | None, entity_type: str | None = None) -> dict[str, str] | None:
        """`{"id", "name"}` of an entity, None for None."""
        return None if entity_id is None else self._ref(entity_id, entity_type)

    def prefetch(self, entity_ids: Iterable[str]) -> None:
        """Have the registry read these entities now, in one go, rather than one by one as
        the facts about to be rendered name them."""
        self.registry.prefetch(entity_ids)

    def refs(self, entity_ids: Iterable[str]) -> list[dict[str, str]]:
        """`{"id", "name"}` of each entity."""
        return [self._ref(i, None) for i in entity_ids]

    def _ref(self, entity_id: str, entity_type: str | None) -> dict[str, str]:
        key = (entity_id, entity_type)
        found = self._refs.get(key)
        if found is None:
            found = self._refs[key] = self.registry.ref_of(entity_id, entity_type)
        return found

    def sort_name(self, entity_id: str | None, entity_type: str | None = None) -> tuple[str, str]:
        """A sort key for an entity: its name, case-insensitively, then its id."""
        if entity_id is None:
            return ("", "")
        key = (entity_id, entity_type)
        found = self._sort_names.get(key)
        if found is None:
            entity = self.registry.get(entity_id, entity_type)
            found = (fold_name(entity.name if entity else entity_id), entity_id)
            self._sort_names[key] = found
        return found

    def ended(self, event_id: str) -> bool:
        """Whether the cited event's interval is over at the answer's instant."""
        return self.ledger.entries[event_id].end <= self.at

    def certain(self, event_ids: Iterable[str]) -> bool:
        """Whether every event a fact rests on is certainly in effect."""
        return all(self.ended(i) for i in event_ids)

    def cite(self, event_ids: Sequence[str]) -> dict[str, Any]:
        """The keys every fact carries: `certain`, `events`, `sources`, `contested`,
        `denied_by`; and the claims behind those events are noted for the claims section."""
        ledger = self.ledger.entries
        entries = [ledger[i] for i in event_ids]
        deniers: dict[str, None] = {}
        denied = False
        certain = True
        for entry in entries:
            if entry.end > self.at:
                certain = False
            # Most cited events have neither claims nor denials: test before looping.
            if entry.claims:
                self.cited_claims.update(dict.fromkeys(entry.claims))
            if entry.denials:
                denied = True
                deniers.update((by, None) for _, by in entry.denials if by is not None)
        return {
            "certain": certain,
            "events": list(event_ids),
            "sources": _shared_sources(entries),
            "contested": denied,
            "denied_by": self.refs(sorted(deniers)) if deniers else [],
        }


def _shared_sources(entries: Sequence[Entry]) -> list[Source]:
    # The ledger interns sources (see `Ledger`): equal sources are the same mapping, and
    # entries with the same sources share one list, so identity is enough to dedupe.
    if len(entries) == 1:  # most facts rest on one event
        return list(entries[0].sources)
    lists = {id(entry.sources): entry.sources for entry in entries}
    if len(lists) == 1:
        return list(next(iter(lists.values())))
    seen: dict[int, Source] = {}
    for sources in lists.values():
        for source in sources:
            seen.setdefault(id(source), source)
    return list(seen.values())


# --- the shape every section has -------------------------------------------------------------

Handler = Callable[[Event], None]


class Section:
    """One part of the state: handlers per event kind, pruning, and a JSON form.

    Subclasses say in `handlers` which kinds they fold; the projector routes each event to the
    handlers of its kind and calls `advance` whenever the fold moves forward in time.
    """

    name = ""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def handlers(self) -> dict[str, Handler]:
        """The event kinds this section folds, and how (asked once, by the projector).

        Not kept on the section: bound methods held by their own object would make every
        section a reference cycle, and a state of hundreds of thousands of objects would then
        wait for the cycle collector to walk it instead of going when its last user does.
        """
        return {}

    def advance(self, now: int) -> None:
        """The fold has reached `now` (the last applied start): drop what no answer can show."""

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        raise NotImplementedError

    def naming_json(self) -> Any:
        """What `Projector.texts` walks for the entity ids the section's facts name: the
        section's JSON form, unless the section reads the names it shows as it renders them
        (see `Recent`)."""
        return self.to_json()

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        raise NotImplementedError
