"""The projector that folds events into the state of a conflict, and the answer it gives.

Pure module. The projector is fed effective events (corrections applied, retractions and
revision events left out) in fold order, and asked for the answer at an instant `at` after
being fed exactly the events that start before `at`. Its state holds the current facts and a
few fixed time windows, never the log: a snapshot of it, taken every few thousand events,
lets the store fold only the events after the nearest snapshot, so an answer costs what the
answer is, not what the log is.

Certainty is never baked into the state: each fact keeps (through the ledger) the ends of the
events it rests on, and the answer compares them with `at`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from typing import Any

import orjson

from timeline import choices
from timeline.dates import format_instant, from_micros, to_micros
from timeline.entities import Registry
from timeline.events import Event
from timeline.projections.basis import Ledger, Section, View, json_copy
from timeline.projections.ceasefires import Ceasefires
from timeline.projections.claims import Claims
from timeline.projections.control import Control
from timeline.projections.fatalities import Fatalities, only_actors
from timeline.projections.materiel import Materiel
from timeline.projections.offensives import Offensives
from timeline.projections.presence import Forces
from timeline.projections.recent import CAPACITY, Recent
from timeline.projections.support import Support

# 5: sources interned by all they say (basis.source_key), `retrospective` included.
SNAPSHOT_VERSION = 5


def encode_state(state: Any) -> bytes:
    """A snapshot's state, or a part of it, as UTF-8 JSON. orjson rather than the json
    module: a refresh writes a snapshot every few hundred events and an answer reads one, and
    it does both several times faster; the text is the same JSON either way."""
    return orjson.dumps(state, option=orjson.OPT_NON_STR_KEYS)


# Items of a list or mapping `encode_state_parts` writes out at a time: a few hundred KB of
# JSON. A mapping of at most `SPLIT_KEYS` keys (a section's fields, the ledger's columns) is
# written key by key instead, so that a long list in it is split too.
PART_ITEMS = 4096
SPLIT_KEYS = 16


def encode_state_parts(
    state: Any, items: int = PART_ITEMS, split_keys: int = SPLIT_KEYS
) -> Iterator[bytes]:
    """`encode_state(state)` in consecutive parts: long lists and large mappings a few
    thousand items at a time, the few keys of a small mapping one by one. A section of a
    large state (the ledger's column of 370,000 event ids at a million events) is never
    written out whole, nor copied to be joined to its neighbours; each part is let go once
    the writer has taken it. (Written key by key, the 13,751 places of a control section
    took five times as long as at once.)"""
    option = orjson.OPT_NON_STR_KEYS
    if type(state) is dict and len(state) <= split_keys:
        separator = b"{"
        for key, value in state.items():
            # The key as orjson writes it in a mapping (a number as text, too).
            yield separator + orjson.dumps({key: 0}, option=option)[1:-3] + b":"
            yield from encode_state_parts(value, items, split_keys)
            separator = b","
        yield b"{}" if separator == b"{" else b"}"
    elif type(state) is dict and len(state) > items:
        separator = b"{"
        entries = iter(state.items())
        while run := dict(islice(entries, items)):
            yield separator
            # Inside its braces: the entries of this run, with commas between them.
            yield orjson.dumps(run, option=option)[1:-1]
            separator = b","
        yield b"}"
    elif type(state) is list and len(state) > items:
        separator = b"["
        for start in range(0, len(state), items):
            yield separator
            # Inside its brackets: the items of this run, with commas between them.
            yield orjson.dumps(state[start : start + items], option=option)[1:-1]
            separator = b","
        yield b"]"
    else:
        yield orjson.dumps(state, option=option)


# The sections of an answer in the order it lists them: declared with the other choices the
# command line offers, which must not import the projections to show its help.
SECTIONS = choices.SECTIONS

Item = dict[str, Any]


def _empty_fatalities() -> dict[str, Any]:
    return {
        "total": 0,
        "uncertain": 0,
        "last_30_days": 0,
        "by_actor": {},
        "among": {},
        "in_events_of": {},
        "by_dataset": {},
    }


@dataclass(frozen=True)
class Answer:
    """The state of one timeline at one instant, section by section.

    Items are JSON-ready mappings (see `to_json` for the schema). `included` names the
    sections this answer carries: all of them, unless `filter` left some out.
    """

    timeline: str
    at: datetime
    as_known: datetime | None = None
    control: tuple[Item, ...] = ()
    offensives: tuple[Item, ...] = ()
    support: tuple[Item, ...] = ()
    presence: tuple[Item, ...] = ()
    materiel: tuple[Item, ...] = ()
    ceasefires: tuple[Item, ...] = ()
    fatalities: dict[str, Any] = field(default_factory=_empty_fatalities)
    claims: tuple[Item, ...] = ()
    recent: tuple[Item, ...] = ()
    included: tuple[str, ...] = SECTIONS
    # The publication bound (None: none), and how many events it left out for having no
    # publication date at all (None when there was no bound).
    as_published: datetime | None = None
    unpublished: int | None = None
    # How many facts `limit` left out of each list section it cut short.
    left_out: Mapping[str, int] = field(default_factory=dict)

    @staticmethod
    def order() -> tuple[str, ...]:
        """Every section name, in the order answers show them."""
        return SECTIONS

    def sections(self) -> tuple[str, ...]:
        """The names of the sections this answer carries, in display order."""
        return tuple(s for s in SECTIONS if s in self.included)

    def section(self, name: str) -> Any:
        """One section's content: a tuple of items, or the fatalities mapping."""
        if name not in SECTIONS:
            raise KeyError(name)
        return getattr(self, name)

    def to_json(self, *, shared: bool = False) -> dict[str, Any]:
        """The answer as a JSON document (a deep copy: changing it leaves the answer as is).

        With `shared=True` the document shares its facts with the answer instead: for a
        caller that serialises it at once and never changes it (the server, where the copy
        was a third of an answer's time with a warm fold cache).

        ::

            {"timeline", "at", "as_known", "as_published", "unpublished",
             "left_out": {section: count} (only when `limit` cut a section short),
             "control": [{"place", "controller", "from", "since", "certain", "events",
                          "sources", ...}],
             "offensives": [{"actor", "target", "name", "since", "certain", "events", ...}],
             "support": [{"backer", "backed", "kinds", "since", "certain", "events", ...}],
             "presence": [{"actor", "place", "strength", "on_behalf_of", "status",
                           "contested", "since", "certain", "events", ...}],
             "materiel": [{"place", "holder", "supplier", "item", "count", "since",
                           "certain", "events", ...}],
             "ceasefires": [{"name", "status", "parties", "violations", "since", "events",
                             ...}],
             "fatalities": {"total", "uncertain", "last_30_days", "by_actor", "actors",
                            "described", "among", "civilians", "unknown", "in_events_of",
                            "by_dataset": {"<dataset>": {"name", "total", "uncertain",
                                           "last_30_days", "counted", "coverage",
                                           "in_policy", "described", "among", "civilians",
                                           "unknown", "in_events_of"}},
                            "policy": {"prefer", "default", "since", "events"},
                            "periods": [{"dataset", "from", "until"}]},
             "claims": [{"text", "by", "denied_by", "status", "events", ...}],
             "recent": [{"id", "date", "kind", "title", ...}]}

        Only the sections in `included` appear.
        """
        out = _header(self)
        for name in self.sections():
            value = getattr(self, name)
            document = value if isinstance(value, dict) else list(value)
            out[name] = document if shared else json_copy(document)
        return out

    def limit(self, count: int) -> Answer:
        """This answer with at most `count` facts in each list section (the first, in the
        section's order), and `left_out` saying how many each section lost. Fatalities are
        totals, not a list, and `recent` has a limit of its own: both are left whole."""
        if count < 0:
            raise ValueError(f"a limit of {count} facts")
        changes: dict[str, Any] = {}
        left_out = dict(self.left_out)
        for name in SECTIONS:
            if name in ("fatalities", "recent"):
                continue
            items = getattr(self, name)
            if len(items) > count:
                changes[name] = items[:count]
                left_out[name] = left_out.get(name, 0) + len(items) - count
        return replace(self, **changes, left_out=left_out)

    def filter(self, sections: Iterable[str] | None, entities: Iterable[str] | None) -> Answer:
        """This answer with only the given sections (None: all) and, within them, only the
        facts that mention one of the given entity ids (None: every fact).

        Fatality figures stay those they were, their per-actor figures kept to the given
        actors, unless they are already the figures of the entities' events (`entities`, as
        `timeline.answers.state_at` gives them).
        """
        keep = set(SECTIONS if sections is None else sections)
        unknown = keep - set(SECTIONS)
        if unknown:
            raise ValueError(f"unknown sections: {', '.join(sorted(unknown))}")
        included = tuple(s for s in self.included if s in keep)
        changes: dict[str, Any] = {"included": included}
        if entities is not None:
            wanted = set(entities)
            for name in SECTIONS:
                if name == "fatalities":
                    # Figures already of the entities' events (`entities`) are left whole.
                    if "entities" not in self.fatalities:
                        changes[name] = only_actors(self.fatalities, wanted)
                else:
                    items = getattr(self, name)
                    changes[name] = tuple(i for i in items if mentions(i) & wanted)
        return replace(self, **changes)


def _header(answer: Answer | AnswerStream) -> dict[str, Any]:
    """The keys of an answer's JSON document before its sections."""
    out: dict[str, Any] = {
        "timeline": answer.timeline,
        "at": format_instant(answer.at),
        "as_known": format_instant(answer.as_known) if answer.as_known else None,
        "as_published": format_instant(answer.as_published) if answer.as_published else None,
        "unpublished": answer.unpublished,
    }
    if answer.left_out:
        out["left_out"] = dict(answer.left_out)
    return out


# A section as a stream gives it: a list section's facts, made as they are read, or the
# fatality figures.
Content = Iterator[Item] | dict[str, Any]


@dataclass
class AnswerStream:
    """An answer whose facts are made as they are read, for a reader that writes each out
    before the next is made: the folded state is in memory, the answer never is whole.

    `contents` gives every section in display order, those left out of `included` too
    (whoever reads it must take them in order: the claims section shows the claims that the
    facts of the sections before it cite, and each section is read to its end before the
    next is made). Read it once, through `sections`.
    """

    timeline: str
    at: datetime
    contents: Iterator[tuple[str, Content]]
    as_known: datetime | None = None
    as_published: datetime | None = None
    unpublished: int | None = None
    included: tuple[str, ...] = SECTIONS
    left_out: Mapping[str, int] = field(default_factory=dict)

    def header(self) -> dict[str, Any]:
        """The keys of the answer's JSON document before its sections (see `Answer.to_json`)."""
        return _header(self)

    def sections(self) -> Iterator[tuple[str, Content]]:
        """The sections this answer carries, in display order: (name, facts or figures)."""
        for name, content in self.contents:
            if name in self.included:
                yield name, content

    def close(self) -> None:
        """Let go of what is left unread (and of the state it was made from)."""
        close = getattr(self.contents, "close", None)
        if close is not None:
            close()

    def filter(
        self, sections: Iterable[str] | None, entities: Iterable[str] | None
    ) -> AnswerStream:
        """This answer with only the given sections and facts: as `Answer.filter`, each fact
        kept or not as it is made."""
        keep = set(SECTIONS if sections is None else sections)
        unknown = keep - set(SECTIONS)
        if unknown:
            raise ValueError(f"unknown sections: {', '.join(sorted(unknown))}")
        included = tuple(s for s in self.included if s in keep)
        if entities is None:
            return replace(self, included=included)
        wanted = set(entities)

        def filtered() -> Iterator[tuple[str, Content]]:
            for name, content in self.contents:
                if isinstance(content, dict):
                    # Figures already of the entities' events (`entities`) are left whole.
                    yield name, content if "entities" in content else only_actors(content, wanted)
                else:
                    yield name, (item for item in content if mentions(item) & wanted)

        return replace(self, included=included, contents=filtered())

    def limit(self, count: int) -> AnswerStream:
        """This answer with at most `count` facts in each list section, as `Answer.limit`.
        What it left out is counted before the first fact is read (the header says it), so
        this reads the whole answer now and keeps at most `count` facts of each section."""
        if count < 0:
            raise ValueError(f"a limit of {count} facts")
        left_out = dict(self.left_out)
        kept: list[tuple[str, dict[str, Any] | list[Item]]] = []
        for name, content in self.contents:
            if isinstance(content, dict) or name == "recent":
                kept.append((name, content if isinstance(content, dict) else list(content)))
                continue
            first = list(islice(content, count))
            # Counted in every list section, as `Answer.limit` counts them.
            more = sum(1 for _ in content)
            if more:
                left_out[name] = left_out.get(name, 0) + more
            kept.append((name, first))
        return replace(
            self,
            left_out=left_out,
            contents=((n, c if isinstance(c, dict) else iter(c)) for n, c in kept),
        )

    def collect(self) -> Answer:
        """The whole answer, read now."""
        changes: dict[str, Any] = {}
        for name, content in self.sections():
            changes[name] = content if isinstance(content, dict) else tuple(content)
        return Answer(
            timeline=self.timeline,
            at=self.at,
            as_known=self.as_known,
            as_published=self.as_published,
            unpublished=self.unpublished,
            included=self.included,
            left_out=self.left_out,
            **changes,
        )


def mentions(item: Mapping[str, Any]) -> set[str]:
    """The ids of the entities an answer item names: every nested `{"id", "name"}` mapping
    (the item's own `id`, an event id, is not an entity), and `by_actor`/`violations` keys."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            if set(value) == {"id", "name"} and isinstance(value.get("id"), str):
                found.add(value["id"])
                return
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list | tuple):
            for inner in value:
                walk(inner)

    for key, value in item.items():
        if key in ("sources", "events", "id"):
            continue
        if key in ("violations", "violations_uncertain") and isinstance(value, Mapping):
            found.update(str(k) for k in value)
        walk(value)
    return found


class Projector:
    """Folds effective events, in fold order, into the state answers are read from."""

    def __init__(self) -> None:
        self._last: int | None = None
        self.ledger = Ledger()
        # Claims first: it owns the ledger's hooks and must see the fold move forward before
        # the other sections let go of facts (see Claims.advance).
        self.claims = Claims(self.ledger)
        self.control = Control(self.ledger)
        self.offensives = Offensives(self.ledger)
        self.support = Support(self.ledger)
        self.presence = Forces(self.ledger)
        self.materiel = Materiel(self.ledger)
        self.ceasefires = Ceasefires(self.ledger)
        self.fatalities = Fatalities(self.ledger)
        self.recent = Recent(self.ledger)
        self._sections: tuple[Section, ...] = (
            self.claims,
            self.control,
            self.offensives,
            self.support,
            self.presence,
            self.materiel,
            self.ceasefires,
            self.fatalities,
            self.recent,
        )
        self._handlers: dict[str, list[Callable[[Event], None]]] = {}
        for section in self._sections:
            for kind, handler in section.handlers().items():
                self._handlers.setdefault(kind, []).append(handler)

    @property
    def last_start(self) -> datetime | None:
        """The start of the last event applied (None before the first)."""
        return None if self._last is None else from_micros(self._last)

    def apply(self, event: Event) -> None:
        """Fold one event in; events must come in fold order (start, end, seq)."""
        start = to_micros(event.date.start)
        if self._last is None or start > self._last:
            self._last = start
            # Pruning happens only here, before the event is handled, so the state after any
            # event is the same whether the fold ran straight or resumed from a snapshot.
            for section in self._sections:
                section.advance(start)
        for handler in self._handlers.get(event.kind, ()):
            handler(event)
        self.fatalities.count(event)
        self.recent.note(event)

    def apply_all(self, events: Iterable[Event]) -> None:
        """Fold several events in (already in fold order)."""
        for event in events:
            self.apply(event)

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-ready data (only dicts, lists, str, int, bool, None)."""
        copied: dict[str, Any] = json_copy(self._state_view())
        return copied

    def snapshot_json(self) -> bytes:
        """The whole state as UTF-8 JSON: what `snapshot` returns, written out at once, so
        that nothing has to be copied from the live state first."""
        return encode_state(self._state_view())

    def snapshot_parts(self) -> Iterator[bytes]:
        """`snapshot_json` in consecutive parts, a section at a time, for a writer that
        compresses as it goes: the whole text of a large state is never held at once."""
        separator = b"{"
        # A section's JSON-ready view made only as its turn comes.
        for key, view in self._state_items():
            yield separator + orjson.dumps(key) + b":"
            yield from encode_state_parts(view())
            separator = b","
        yield b"}"

    def _state_view(self) -> dict[str, Any]:
        # Shares lists and dicts with the live state: copy or serialise it before folding on.
        return {key: view() for key, view in self._state_items()}

    def _state_items(self) -> Iterator[tuple[str, Callable[[], Any]]]:
        last = self._last
        yield "version", lambda: SNAPSHOT_VERSION
        yield "last_start", lambda: last
        yield "ledger", self.ledger.to_json
        for section in self._sections:
            yield section.name, section.to_json

    def texts(self) -> set[str]:
        """Every text the state holds outside its ledger, keys of mappings included: among
        them, every entity id an answer from it names but those of its recent events (which
        the answer reads as it shows them, see `Recent.naming_json`). A registry read on
        demand reads their definitions in one go (see `RegistryOnDemand.prefetch`) instead of
        one by one."""
        found: set[str] = set()
        pending: list[Any] = [section.naming_json() for section in self._sections]
        while pending:
            value = pending.pop()
            if isinstance(value, str):
                found.add(value)
            elif isinstance(value, dict):
                found.update(k for k in value if isinstance(k, str))
                pending.extend(value.values())
            elif isinstance(value, list | tuple):
                pending.extend(value)
        return found

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any], *, copy: bool = True) -> Projector:
        """A projector in the state `snapshot` described, ready to fold the events after it.

        With `copy=False` the projector takes `data` over (the caller must not use it again):
        the store hands over a freshly decoded snapshot, and copying it would cost an answer
        more than folding does.
        """
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(
                f"snapshot version {data.get('version')!r} is not {SNAPSHOT_VERSION}; "
                "rebuild the projections from the log"
            )
        projector = cls()
        data = json_copy(data) if copy else data
        last = data["last_start"]
        projector._last = None if last is None else int(last)
        projector.ledger.load(data["ledger"])
        for section in projector._sections:
            section.load(data[section.name])
        return projector

    def fatalities_of(
        self,
        events: Iterable[Event],
        at: datetime,
        registry: Registry,
        *,
        continuing: Collection[str] = (),
    ) -> dict[str, Any]:
        """The fatality figures of some of the events this projector folded (an entity's:
        effective, starting before `at`), each toll decided by the whole timeline's coverage
        and policy, as the answer at `at` decides it (`continuing` as for `answer`)."""
        view = View(to_micros(at), registry, Ledger())
        return self.fatalities.restricted(events).render(view, continuing)

    def datasets_to_follow(self, at: datetime) -> list[str]:
        """The datasets whose data after `at`, if any, the fatality figures at `at` depend on
        (pass those that have some as `answer`'s `continuing`)."""
        return self.fatalities.ending_before(to_micros(at))

    def answer(
        self,
        at: datetime,
        registry: Registry,
        *,
        timeline: str,
        as_known: datetime | None = None,
        recent_limit: int = 50,
        continuing: Collection[str] = (),
    ) -> Answer:
        """The state at instant `at`; the projector must have been fed exactly the effective
        events that start before `at`. `as_known` is only reported: the store has already
        left out what was recorded after it. At most `recent.CAPACITY` recent events.
        `continuing` names the datasets (of `datasets_to_follow`) that have events starting
        at or after `at`: their fatality coverage reaches past it."""
        return self.stream(
            at,
            registry,
            timeline=timeline,
            as_known=as_known,
            recent_limit=recent_limit,
            continuing=continuing,
        ).collect()

    def stream(
        self,
        at: datetime,
        registry: Registry,
        *,
        timeline: str,
        as_known: datetime | None = None,
        recent_limit: int = 50,
        continuing: Collection[str] = (),
    ) -> AnswerStream:
        """`answer`, its facts made as they are read (see `AnswerStream`). Fold nothing more
        into this projector until the stream is read or closed."""
        instant = to_micros(at)
        if self._last is not None and instant <= self._last:
            raise ValueError(
                f"an answer at {format_instant(at)} cannot include events starting at "
                f"{format_instant(from_micros(self._last))}: feed only events that start "
                "before the instant"
            )
        view = View(instant, registry, self.ledger)
        return AnswerStream(
            timeline=timeline,
            at=from_micros(instant),
            as_known=from_micros(to_micros(as_known)) if as_known is not None else None,
            contents=self._contents(view, max(0, min(recent_limit, CAPACITY)), continuing),
        )

    def _contents(
        self, view: View, recent_limit: int, continuing: Collection[str]
    ) -> Iterator[tuple[str, Content]]:
        renders: tuple[tuple[str, Callable[[], Content]], ...] = (
            ("control", lambda: self.control.render(view)),
            ("offensives", lambda: self.offensives.render(view)),
            ("support", lambda: self.support.render(view)),
            ("presence", lambda: self.presence.render(view)),
            ("materiel", lambda: self.materiel.render(view)),
            ("ceasefires", lambda: self.ceasefires.render(view)),
            ("fatalities", lambda: self.fatalities.render(view, continuing)),
            # Claims after the others: their facts note in the view the claims they rest on.
            ("claims", lambda: self.claims.render(view)),
            ("recent", lambda: iter(self.recent.render(view, recent_limit))),
        )
        for name, render in renders:
            content = render()
            yield name, content
            if not isinstance(content, dict):
                # What the reader left unread is made now, for the claims it notes.
                for _ in content:
                    pass
