"""Fatality figures: by dataset, and one total that never adds two datasets up.

Pure module. Every event in effect with an integer `fatalities` field counts, whatever its
kind (clashes and strikes, but imported ACLED/UCDP rows put the figure on notes and control
changes too), for the dataset it came from: the prefix of its record key (`acled:LBY9289`),
or `timeline` for the timeline's own events (seeds, documents, `timeline add`). An event
certainly over by the answer's instant counts as certain; one the instant falls inside
counts as `uncertain` only; `last_30_days` counts the certain events that started in the 30
days before the instant.

Datasets are never added together. Each dataset's figures are given on their own
(`by_dataset`), over its *coverage*: the span from the start of its first event to the end
of its latest one (any event, with fatalities or not). The fold sees the events starting
before the instant asked; a dataset with events after it (the store says which: `render`'s
`continuing`) covers on up to the instant. A period a dataset does not cover is no data, not
0, and an event's place in the total depends only on its own date and the coverage, so that
a total never falls as the instant asked moves later. The
total follows the timeline's fatality *policy*: a list of datasets, most preferred first; an
event counts in the total when no dataset preferred to its own covers the start of its date,
so that every instant's fatalities come from one dataset. A `fatalities.policy` event
changes the list for the events starting from its date on (an undated one: from the start);
without one, `DEFAULT_PREFERENCE` holds: UCDP GED, vetted and yearly, where it covers; else
ACLED, weekly and so later in time; else the timeline's own events, a curated few.

Per actor, the figures say what they are: `among` counts deaths among an actor's forces where
the data says so (`fatalities_among`: UCDP GED's deaths_a and deaths_b), `in_events_of` the
fatalities of the events an actor took part in (`actors`, `by`, `actor`), whoever died.

The state is settled figures per dataset (events over before the last applied start, hence
over at any instant an answer may be asked at), the figures those settled events add to the
total, the few events still open, a 30-day window, each dataset's coverage and the policies.
A settled event after the end of a preferred dataset's coverage counts in the total until
that dataset's coverage reaches it (a later event of it arrives): such figures are held
apart, `pending`, by what they wait on, so that the state stays as small as the number of
datasets and actors, never the length of the log.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from timeline.dates import format_instant, from_micros, to_micros
from timeline.events import NATIVE_DATASET, Event, dataset_of_key
from timeline.projections.basis import (
    DAY,
    Deadlines,
    Ledger,
    Section,
    View,
    int_field,
    key_of,
    list_field,
)

WINDOW = 30 * DAY

POLICY_KIND = "fatalities.policy"
# The dataset of the events a timeline holds of its own (not imported from a dataset).
NATIVE = NATIVE_DATASET
DEFAULT_PREFERENCE = ("ucdp", "acled", NATIVE)
DATASET_NAMES = {"acled": "ACLED", "ucdp": "UCDP GED", NATIVE: "the timeline's own events"}

# What an event's toll is decided to be, for the total.
COUNTED = "counted"
COVERED = "covered"  # a preferred dataset covers its start: its own figures count instead
EXCLUDED = "excluded"  # its dataset is not in the policy


def dataset_of(event: Event) -> str:
    """The dataset an event came from ("acled", "ucdp"), or "timeline" for its own events."""
    return dataset_of_key(event.origin.key if event.origin is not None else None)


def dataset_name(dataset: str) -> str:
    """A dataset's name for people."""
    return DATASET_NAMES.get(dataset, dataset)


def participants(event: Event) -> list[str]:
    """The actors an event says took part: `actors`, `by` and `actor`."""
    fields = event.fields
    found: dict[str, None] = {}
    for name in ("actors", "by", "actor"):
        if name in fields:  # an event names one or two of these: the rest are not asked for
            for actor in list_field(fields, name):
                found[actor] = None
    return list(found)


def among_of(event: Event) -> dict[str, int]:
    """Deaths among each actor's forces, as the event's `fatalities_among` gives them."""
    value = event.fields.get("fatalities_among")
    if not isinstance(value, Mapping):
        return {}
    return {
        actor: n
        for actor, n in value.items()
        if isinstance(actor, str) and isinstance(n, int) and not isinstance(n, bool) and n >= 0
    }


# --- one event's toll, and figures that add tolls up ----------------------------------------


@dataclass(slots=True)
class Toll:
    """What one event with fatalities adds to the figures."""

    start: int
    end: int
    n: int
    dataset: str
    actors: list[str]
    among: dict[str, int]
    civilians: int
    unknown: int
    described: bool  # the data says who died: among whom, civilians, unknown

    @classmethod
    def of(cls, event: Event) -> Toll | None:
        """The event's toll, or None when it gives no positive `fatalities`."""
        fields = event.fields
        n = int_field(fields, "fatalities")
        if n is None or n <= 0:
            return None
        described = (
            "fatalities_among" in fields
            or "fatalities_civilians" in fields
            or "fatalities_unknown" in fields
        )
        return cls(
            to_micros(event.date.start),
            to_micros(event.date.end),
            n,
            dataset_of(event),
            participants(event),
            among_of(event),
            max(0, int_field(event.fields, "fatalities_civilians") or 0),
            max(0, int_field(event.fields, "fatalities_unknown") or 0),
            described,
        )

    def to_json(self) -> list[Any]:
        """The toll as JSON-ready data."""
        return [
            self.start,
            self.end,
            self.n,
            self.dataset,
            self.actors,
            self.among,
            self.civilians,
            self.unknown,
            self.described,
        ]

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> Toll:
        """Read what `to_json` wrote."""
        start, end, n, dataset, actors, among, civilians, unknown, described = data
        return cls(
            int(start),
            int(end),
            int(n),
            str(dataset),
            list(actors),
            {str(k): int(v) for k, v in among.items()},
            int(civilians),
            int(unknown),
            bool(described),
        )


@dataclass(slots=True)
class Figures:
    """Fatalities added up: the total, and who died and in whose events, as far as known."""

    total: int = 0
    among: dict[str, int] = field(default_factory=dict)
    in_events_of: dict[str, int] = field(default_factory=dict)
    civilians: int = 0
    unknown: int = 0
    described: int = 0  # of `total`, the fatalities whose data says who died

    def add(self, toll: Toll) -> None:
        """Add one event's toll."""
        self.total += toll.n
        if toll.described:
            self.described += toll.n
        for actor in toll.actors:
            self.in_events_of[actor] = self.in_events_of.get(actor, 0) + toll.n
        for actor, n in toll.among.items():
            self.among[actor] = self.among.get(actor, 0) + n
        self.civilians += toll.civilians
        self.unknown += toll.unknown

    def merge(self, other: Figures) -> None:
        """Add other figures to these."""
        self.total += other.total
        for actor, n in other.in_events_of.items():
            self.in_events_of[actor] = self.in_events_of.get(actor, 0) + n
        for actor, n in other.among.items():
            self.among[actor] = self.among.get(actor, 0) + n
        self.civilians += other.civilians
        self.unknown += other.unknown
        self.described += other.described

    def copy(self) -> Figures:
        """An independent copy."""
        return Figures(
            self.total,
            dict(self.among),
            dict(self.in_events_of),
            self.civilians,
            self.unknown,
            self.described,
        )

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON-ready data."""
        return {
            "total": self.total,
            "among": self.among,
            "in_events_of": self.in_events_of,
            "civilians": self.civilians,
            "unknown": self.unknown,
            "described": self.described,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Figures:
        """Read what `to_json` wrote."""
        return cls(
            int(data["total"]),
            {str(k): int(v) for k, v in data["among"].items()},
            {str(k): int(v) for k, v in data["in_events_of"].items()},
            int(data["civilians"]),
            int(data["unknown"]),
            int(data["described"]),
        )


# --- coverage and policy ----------------------------------------------------------------------


@dataclass(slots=True)
class Span:
    """What a dataset covers: from the start of its first event to the end of its latest."""

    first: int
    first_text: str
    last: int
    last_text: str

    def covers(self, instant: int) -> bool:
        """Whether the instant lies in the span (half-open)."""
        return self.first <= instant < self.last

    def to_json(self) -> list[Any]:
        """The span as JSON-ready data."""
        return [self.first, self.first_text, self.last, self.last_text]


@dataclass(frozen=True, slots=True)
class Policy:
    """Datasets in order of preference, for the events starting from `start` on."""

    start: int
    prefer: tuple[str, ...]
    event: str | None = None  # the `fatalities.policy` event that set it (None: the default)
    date: str | None = None  # that event's date text

    def to_json(self) -> list[Any]:
        """The policy as JSON-ready data."""
        return [self.start, list(self.prefer), self.event, self.date]


# In force before any policy event: from before the first instant any date can start at.
DEFAULT_POLICY = Policy(-(1 << 62), DEFAULT_PREFERENCE)


def policy_at(policies: Sequence[Policy], instant: int) -> Policy:
    """The policy in force for events starting at `instant`: the last one (in fold order)
    starting at or before it, or the default."""
    chosen = DEFAULT_POLICY
    for policy in policies:
        if policy.start <= instant:
            chosen = policy
    return chosen


def decide(
    dataset: str, start: int, prefer: Sequence[str], spans: Mapping[str, Span]
) -> str | tuple[str, ...]:
    """Whether a toll of `dataset` starting at `start` counts in the total, by the coverage
    known so far: COUNTED, COVERED, EXCLUDED, or the preferred datasets that began before it
    and ended before it, any later event of which would cover it (it counts until then)."""
    if dataset not in prefer:
        return EXCLUDED
    waiting: list[str] = []
    for other in prefer:
        if other == dataset:
            break
        span = spans.get(other)
        if span is None or span.first > start:
            # Events arrive in order of start: a dataset that had not begun by `start` never
            # will have.
            continue
        if start < span.last:
            return COVERED
        waiting.append(other)
    return tuple(waiting) if waiting else COUNTED


def periods(spans: Mapping[str, Span], policies: Sequence[Policy], at: int) -> list[dict[str, Any]]:
    """Which dataset's figures the total takes, period by period, up to `at`: from the start
    of the first dataset's coverage, a change at every edge of a coverage or policy; a period
    no dataset of the policy covers names none (`dataset` None: no data)."""
    if not spans:
        return []
    begin = min(span.first for span in spans.values())
    if begin >= at:
        return []
    edges = {begin, at}
    for span in spans.values():
        edges.update(e for e in (span.first, span.last) if begin < e < at)
    edges.update(p.start for p in policies if begin < p.start < at)
    ordered = sorted(edges)
    out: list[dict[str, Any]] = []
    for lo, hi in pairwise(ordered):
        prefer = policy_at(policies, lo).prefer
        chosen = next((d for d in prefer if d in spans and spans[d].covers(lo)), None)
        if out and out[-1]["dataset"] == chosen:
            out[-1]["until"] = format_instant(from_micros(hi))
        else:
            out.append(
                {
                    "dataset": chosen,
                    "from": format_instant(from_micros(lo)),
                    "until": format_instant(from_micros(hi)),
                }
            )
    return out


# --- the section ------------------------------------------------------------------------------


class Fatalities(Section):
    """Fatality figures by dataset and under the timeline's policy, settled and open."""

    name = "fatalities"

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(ledger)
        self.spans: dict[str, Span] = {}
        self.policies: list[Policy] = []
        self.settled: dict[str, Figures] = {}  # dataset -> every settled toll of it
        self.counted: dict[str, Figures] = {}  # dataset -> settled tolls counted for good
        # key_of(dataset, *waiting) -> [dataset, waiting, figures]: settled tolls that count
        # until one of the waiting datasets has a later event.
        self.pending: dict[str, list[Any]] = {}
        self.open: dict[str, Toll] = {}  # event id -> toll, not settled yet
        self.deadlines = Deadlines()
        self.window: deque[list[Any]] = deque()  # [start, end, n, dataset], in fold order

    @property
    def total(self) -> int:
        """Every settled fatality, all datasets added (the state's size check, not an answer:
        answers never add datasets up)."""
        return sum(f.total for f in self.settled.values())

    def count(self, event: Event) -> None:
        """Note an event's dataset coverage, or policy, and count its fatalities, if it gives
        any (called for every event)."""
        if event.kind == POLICY_KIND:
            prefer = tuple(list_field(event.fields, "prefer"))
            start = to_micros(event.date.start)
            self.policies.append(Policy(start, prefer, event.id, event.date.text))
            return
        toll = Toll.of(event)
        dataset = toll.dataset if toll is not None else dataset_of(event)
        self._cover(dataset, event)
        if toll is None:
            return
        self.open[event.id] = toll
        self.deadlines.add(toll.end, event.id)
        self.window.append([toll.start, toll.end, toll.n, toll.dataset])

    def _cover(self, dataset: str, event: Event) -> None:
        start, end = to_micros(event.date.start), to_micros(event.date.end)
        end = max(end, start + 1)
        span = self.spans.get(dataset)
        if span is None:
            self.spans[dataset] = Span(start, _first_text(event), end, _last_text(event))
        elif end > span.last:
            span.last, span.last_text = end, _last_text(event)
        if self.pending:
            # This event starts at or after every settled toll: its dataset now covers those
            # that waited on it.
            for key in [k for k, item in self.pending.items() if dataset in item[1]]:
                del self.pending[key]

    def advance(self, now: int) -> None:
        """Settle the tolls over by `now`; drop window entries too old for any answer."""
        for event_id in self.deadlines.due(now):
            toll = self.open.pop(event_id, None)
            if toll is not None:
                self._settle(toll)
        # Any answer is asked at an instant after `now`, so its 30 days start after now - 30.
        while self.window and self.window[0][0] < now - WINDOW:
            self.window.popleft()

    def _settle(self, toll: Toll) -> None:
        self.settled.setdefault(toll.dataset, Figures()).add(toll)
        prefer = policy_at(self.policies, toll.start).prefer
        decision = decide(toll.dataset, toll.start, prefer, self.spans)
        if decision == COUNTED:
            self.counted.setdefault(toll.dataset, Figures()).add(toll)
        elif isinstance(decision, tuple):
            key = key_of(toll.dataset, *decision)
            item = self.pending.setdefault(key, [toll.dataset, list(decision), Figures()])
            item[2].add(toll)

    def restricted(self, events: Iterable[Event]) -> Fatalities:
        """A section holding only these events' tolls, under this one's coverage and
        policies: the figures of some events (an entity's), decided as the whole timeline's
        are. The events must be effective and start before the instant asked."""
        other = Fatalities(Ledger())
        other.spans = self.spans
        other.policies = self.policies
        for event in events:
            if event.kind == POLICY_KIND:
                continue
            toll = Toll.of(event)
            if toll is not None:
                other.open[event.id] = toll
                other.window.append([toll.start, toll.end, toll.n, toll.dataset])
        return other

    def ending_before(self, at: int) -> list[str]:
        """The datasets whose coverage, as far as the fold saw, ends by the instant `at`:
        whether each has data after it (`render`'s `continuing`) decides the figures."""
        return sorted(d for d, span in self.spans.items() if span.last <= at)

    def render(self, view: View, continuing: Collection[str] = ()) -> dict[str, Any]:
        """The figures at the view's instant. `continuing` names the datasets with events
        starting at or after it (the fold sees none of them): their coverage reaches on
        past the instant, not to the end of their latest event before it."""
        at = view.at
        since = at - WINDOW
        spans = {
            d: Span(s.first, s.first_text, at, s.last_text)
            if d in continuing and s.last <= at
            else s
            for d, s in self.spans.items()
        }
        mine = {d: f.copy() for d, f in self.settled.items()}
        counted = {d: f.copy() for d, f in self.counted.items()}
        for dataset, waiting, figures in self.pending.values():
            if not continuing or not set(waiting) & set(continuing):
                counted.setdefault(dataset, Figures()).merge(figures)
        uncertain: dict[str, int] = {}
        uncertain_counted: dict[str, int] = {}
        for toll in self.open.values():
            counts = self._counts(toll.dataset, toll.start, spans)
            if toll.end <= at:
                mine.setdefault(toll.dataset, Figures()).add(toll)
                if counts:
                    counted.setdefault(toll.dataset, Figures()).add(toll)
            else:
                uncertain[toll.dataset] = uncertain.get(toll.dataset, 0) + toll.n
                if counts:
                    uncertain_counted[toll.dataset] = (
                        uncertain_counted.get(toll.dataset, 0) + toll.n
                    )
        recent: dict[str, int] = {}
        recent_counted = 0
        for start, end, n, dataset in self.window:
            if start >= since and end <= at:
                recent[dataset] = recent.get(dataset, 0) + n
                if self._counts(dataset, start, spans):
                    recent_counted += n
        policy = policy_at(self.policies, at - 1)
        total = Figures()
        for figures in counted.values():
            total.merge(figures)
        by_actor = dict(sorted(total.in_events_of.items()))
        named = set(by_actor) | set(total.among)
        by_dataset: dict[str, Any] = {}
        for dataset in sorted(set(spans) | set(policy.prefer), key=_dataset_order(policy)):
            span = spans.get(dataset)
            if span is None or span.first >= at:
                by_dataset[dataset] = _no_data(dataset, dataset in policy.prefer)
                continue
            own = mine.get(dataset, Figures())
            named |= set(own.in_events_of) | set(own.among)
            by_dataset[dataset] = {
                "name": dataset_name(dataset),
                "total": own.total,
                "uncertain": uncertain.get(dataset, 0),
                # No data, rather than 0, when the 30 days fall outside the coverage.
                "last_30_days": (
                    recent.get(dataset, 0) if span.last > since and span.first < at else None
                ),
                "counted": counted[dataset].total if dataset in counted else 0,
                "coverage": {
                    "from": span.first_text,
                    "to": span.last_text,
                    # Whether its data reaches past the instant.
                    "continues": dataset in continuing or span.last > at,
                },
                "in_policy": dataset in policy.prefer,
                "described": own.described,
                "among": dict(sorted(own.among.items())),
                "civilians": own.civilians,
                "unknown": own.unknown,
                "in_events_of": dict(sorted(own.in_events_of.items())),
            }
        return {
            "total": total.total,
            "uncertain": sum(uncertain_counted.values()),
            "last_30_days": recent_counted,
            "by_actor": by_actor,
            # The names of the actors of these figures, so that a reader of the JSON alone can
            # show them.
            "actors": {actor: view.registry.name_of(actor) for actor in sorted(named)},
            "described": total.described,
            "among": dict(sorted(total.among.items())),
            "civilians": total.civilians,
            "unknown": total.unknown,
            "in_events_of": by_actor,
            "by_dataset": by_dataset,
            "policy": {
                "prefer": list(policy.prefer),
                "default": policy.event is None,
                "since": policy.date,
                "events": [policy.event] if policy.event is not None else [],
            },
            "periods": periods(spans, self.policies, at),
        }

    def _counts(self, dataset: str, start: int, spans: Mapping[str, Span]) -> bool:
        """Whether a toll counts in the total, by the coverage at the instant asked."""
        prefer = policy_at(self.policies, start).prefer
        return decide(dataset, start, prefer, spans) not in (COVERED, EXCLUDED)

    def to_json(self) -> Any:
        """The section's state as JSON-ready data."""
        return {
            "spans": {d: s.to_json() for d, s in self.spans.items()},
            "policies": [p.to_json() for p in self.policies],
            "settled": {d: f.to_json() for d, f in self.settled.items()},
            "counted": {d: f.to_json() for d, f in self.counted.items()},
            "pending": {k: [d, w, f.to_json()] for k, (d, w, f) in self.pending.items()},
            "open": {k: t.to_json() for k, t in self.open.items()},
            "deadlines": self.deadlines.to_json(),
            "window": list(self.window),
        }

    def load(self, data: Any) -> None:
        """Restore what `to_json` wrote."""
        self.spans = {
            str(d): Span(int(a), str(at), int(b), str(bt))
            for d, (a, at, b, bt) in data["spans"].items()
        }
        self.policies = [Policy(int(s), tuple(p), e, t) for s, p, e, t in data["policies"]]
        self.settled = {str(d): Figures.from_json(f) for d, f in data["settled"].items()}
        self.counted = {str(d): Figures.from_json(f) for d, f in data["counted"].items()}
        self.pending = {
            str(k): [str(d), list(w), Figures.from_json(f)]
            for k, (d, w, f) in data["pending"].items()
        }
        self.open = {str(k): Toll.from_json(t) for k, t in data["open"].items()}
        self.deadlines = Deadlines(data["deadlines"])
        self.window = deque(list(w) for w in data["window"])


def coverage_of(events: Iterable[Event]) -> tuple[dict[str, Span], list[Policy]]:
    """Each dataset's coverage over these events, and the policies among them (in fold
    order): what `in_total` decides by, for a reader that holds every event at once."""
    spans: dict[str, Span] = {}
    policies: list[Policy] = []
    for event in sorted(events, key=lambda e: (e.date.start, e.date.end, e.seq)):
        start, end = to_micros(event.date.start), to_micros(event.date.end)
        if event.kind == POLICY_KIND:
            prefer = tuple(list_field(event.fields, "prefer"))
            policies.append(Policy(start, prefer, event.id, event.date.text))
            continue
        dataset = dataset_of(event)
        span = spans.get(dataset)
        end = max(end, start + 1)
        if span is None:
            spans[dataset] = Span(start, _first_text(event), end, _last_text(event))
        elif end > span.last:
            span.last, span.last_text = end, _last_text(event)
    return spans, policies


def in_total(event: Event, spans: Mapping[str, Span], policies: Sequence[Policy]) -> bool:
    """Whether the event's fatalities count in the total, by the coverage and policies of
    `coverage_of` (over every event: a dataset's coverage is then known whole)."""
    start = to_micros(event.date.start)
    prefer = policy_at(policies, start).prefer
    return decide(dataset_of(event), start, prefer, spans) not in (COVERED, EXCLUDED)


def only_actors(figures: Mapping[str, Any], wanted: Collection[str]) -> dict[str, Any]:
    """Rendered fatality figures with their per-actor figures (overall and by dataset) kept
    to the `wanted` actors."""

    def keep(value: Any) -> Any:
        return {k: v for k, v in value.items() if k in wanted} if isinstance(value, dict) else value

    out = {**figures}
    for name in ("by_actor", "among", "in_events_of"):
        if name in out:
            out[name] = keep(out[name])
    if isinstance(out.get("by_dataset"), dict):
        out["by_dataset"] = {
            dataset: {
                **own,
                **{name: keep(own[name]) for name in ("among", "in_events_of") if name in own},
            }
            for dataset, own in out["by_dataset"].items()
        }
    return out


def _first_text(event: Event) -> str:
    # Of an interval ("2011-09-15/2011-10-20"), the date it starts on; of others, the text.
    head, slash, _ = event.date.text.partition("/")
    return head if slash and head and head != ".." else event.date.text


def _last_text(event: Event) -> str:
    # Of an interval, the date it ends on; of others, the text.
    _, slash, tail = event.date.text.rpartition("/")
    return tail if slash and tail and tail != ".." else event.date.text


def _dataset_order(policy: Policy) -> Any:
    # The policy's datasets in its order, then the others by name.
    rank = {d: i for i, d in enumerate(policy.prefer)}
    return lambda d: (rank.get(d, len(rank)), d)


def _no_data(dataset: str, in_policy: bool) -> dict[str, Any]:
    """A dataset with no event before the instant: its figures are unknown, not 0."""
    return {
        "name": dataset_name(dataset),
        "total": None,
        "uncertain": None,
        "last_30_days": None,
        "counted": 0,
        "coverage": None,
        "in_policy": in_policy,
        "described": None,
        "among": {},
        "civilians": None,
        "unknown": None,
        "in_events_of": {},
    }
