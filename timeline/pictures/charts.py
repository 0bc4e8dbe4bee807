"""The data of the charts: fatalities per month or week (by actor or by dataset), events per
month, and who held which place when.

Pure module. Months are calendar months and weeks ISO weeks (Monday to Sunday) in the
timeline's zone, and an event falls in the period its date starts in (the instant the fold
orders it by). Charts hold plain values (labels,
numbers, instants, colours); `drawing` turns them into pictures.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from timeline import choices
from timeline.dates import parse_fuzzy, to_micros
from timeline.events import Event
from timeline.pictures.colours import PALETTE, assign
from timeline.projections import fatalities as fatality_figures
from timeline.projections.basis import int_field
from timeline.projections.fatalities import dataset_of, participants

KINDS = choices.CHART_KINDS
PERIODS = choices.CHART_PERIODS
BREAKDOWNS = choices.CHART_BREAKDOWNS
# What an event's dataset is called: the prefix of its record key ("acled:LBY1"), or the
# timeline's own events (seeds, documents, `timeline add`) when it was not imported.
DATASET_NAMES = fatality_figures.DATASET_NAMES
# More stacked series than this are hard to tell apart: the smallest are summed as "others".
MAX_SERIES = 8
OTHERS = "others"
OTHERS_COLOUR = "#b0b0b0"
UNATTRIBUTED = "unattributed"


@dataclass(frozen=True)
class Series:
    """One layer of a bar chart: a value per month (NaN: no data). `counted`, when given, is
    the part of each value that counts in the timeline's total (side-by-side charts)."""

    label: str
    colour: str
    values: tuple[float, ...]
    counted: tuple[float, ...] | None = None


@dataclass(frozen=True)
class BarChart:
    """Bars, one per month: the series stacked, or (`side_by_side`) next to each other, as
    datasets that must not be added up are."""

    title: str
    ylabel: str
    months: tuple[str, ...]  # "YYYY-MM"
    series: tuple[Series, ...]
    side_by_side: bool = False

    def totals(self) -> tuple[float, ...]:
        """Each month's total: the height of its stacked bar, or, side by side, what counts
        in the timeline's total (never the datasets added up)."""
        if self.side_by_side:
            return tuple(
                sum(
                    s.counted[i]
                    for s in self.series
                    if s.counted is not None and not math.isnan(s.counted[i])
                )
                for i in range(len(self.months))
            )
        return tuple(sum(s.values[i] for s in self.series) for i in range(len(self.months)))


@dataclass(frozen=True)
class Span:
    """One holding of a place, clipped to the chart's window."""

    start: datetime
    end: datetime
    controller: str
    name: str
    colour: str
    certain: bool  # false: the interval rests on an event with a fuzzy or doubted date
    settled: datetime  # before this the change of hands may not have happened yet
    # Which of its strip's lanes it is drawn in: holdings of a divided place overlap in time,
    # and each needs a lane of its own to be seen.
    lane: int = 0


@dataclass(frozen=True)
class Strip:
    """One place's row in the control chart: its holdings, in `lanes` lanes (more than one
    where sides held parts of it at the same time), and the spans it was fought over."""

    place: str
    name: str
    spans: tuple[Span, ...]
    lanes: int = 1
    contests: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True)
class ControlChart:
    """Who held each place over the window, one strip per place."""

    title: str
    start: datetime
    end: datetime
    strips: tuple[Strip, ...]
    legend: tuple[tuple[str, str], ...]  # (actor name, colour)


def month_of(instant: datetime, zone: str) -> str:
    """The calendar month ("YYYY-MM") an instant falls in, in `zone`."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local.year:04d}-{local.month:02d}"


def months_between(start: datetime, end: datetime, zone: str) -> tuple[str, ...]:
    """Every month [start, end) touches, in `zone` (the instant `end` itself is left out)."""
    first, last = month_of(start, zone), month_of(max(start, end - timedelta(microseconds=1)), zone)
    year, month = int(first[:4]), int(first[5:])
    months = []
    while True:
        label = f"{year:04d}-{month:02d}"
        months.append(label)
        if label >= last:
            return tuple(months)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def week_of(instant: datetime, zone: str) -> str:
    """The ISO week ("YYYY-Www") an instant falls in, in `zone`."""
    year, week, _ = instant.astimezone(ZoneInfo(zone)).isocalendar()
    return f"{year:04d}-W{week:02d}"


def weeks_between(start: datetime, end: datetime, zone: str) -> tuple[str, ...]:
    """Every ISO week [start, end) touches, in `zone` (the instant `end` itself is left out)."""
    local = start.astimezone(ZoneInfo(zone)).date()
    monday = local - timedelta(days=local.weekday())
    last = end.astimezone(ZoneInfo(zone)) - timedelta(microseconds=1)
    weeks = []
    while monday <= max(local, last.date()):
        year, week, _ = monday.isocalendar()
        weeks.append(f"{year:04d}-W{week:02d}")
        monday += timedelta(days=7)
    return tuple(weeks)


def _stack(
    title: str,
    ylabel: str,
    months: Sequence[str],
    cells: Mapping[tuple[str, str], float],
    colours: Mapping[str, str],
    names: Mapping[str, str],
) -> BarChart:
    """Stacked series from (month, key) -> value: the largest keys on their own, biggest at
    the bottom, the rest summed as "others"."""
    totals: dict[str, float] = {}
    for (_, key), value in cells.items():
        totals[key] = totals.get(key, 0.0) + value
    ranked = sorted(totals, key=lambda k: (-totals[k], k))
    kept = ranked if len(ranked) <= MAX_SERIES else ranked[: MAX_SERIES - 1]
    rest = [k for k in ranked if k not in kept]
    series = [
        Series(
            names.get(key, key),
            colours.get(key, OTHERS_COLOUR),
            tuple(float(cells.get((m, key), 0)) for m in months),
        )
        for key in kept
    ]
    if rest:
        values = tuple(float(sum(cells.get((m, k), 0) for k in rest)) for m in months)
        series.append(Series(OTHERS, OTHERS_COLOUR, values))
    return BarChart(title, ylabel, tuple(months), tuple(series))


def fatalities(
    events: Iterable[Event],
    zone: str,
    start: datetime,
    end: datetime,
    colours: Mapping[str, str],
    names: Mapping[str, str],
    *,
    per: str = "month",
    by: str = "actor",
) -> BarChart:
    """Fatalities per month or week, stacked by actor or side by side by dataset.

    By actor, an event's `fatalities` are shared equally among the actors it names (`actors`,
    `by`, `actor`), so that a period's bar is the period's total; an event naming none counts
    as "unattributed". By dataset (`by_dataset`), each dataset's own count.
    """
    if per not in PERIODS:
        raise ValueError(f"per must be one of {', '.join(PERIODS)}, not {per!r}")
    if by not in BREAKDOWNS:
        raise ValueError(f"by must be one of {', '.join(BREAKDOWNS)}, not {by!r}")
    if by == "dataset":
        return by_dataset(events, zone, start, end, per=per)
    period_of, periods = (month_of, months_between) if per == "month" else (week_of, weeks_between)
    cells: dict[tuple[str, str], float] = {}
    for event in events:
        n = int_field(event.fields, "fatalities")
        if not n or n <= 0 or not start <= event.date.start < end:
            continue
        period = period_of(event.date.start, zone)
        keys = participants(event) or [UNATTRIBUTED]
        for key in keys:
            cells[(period, key)] = cells.get((period, key), 0.0) + n / len(keys)
    return _stack(
        f"Fatalities per {per}", "fatalities", periods(start, end, zone), cells, colours, names
    )


def by_dataset(
    events: Iterable[Event], zone: str, start: datetime, end: datetime, *, per: str = "month"
) -> BarChart:
    """Fatalities per month or week, a bar for each dataset side by side, never added up:
    each dataset's own count over its coverage (NaN, no data, outside it), and the part of
    it the timeline's fatality policy counts in the total (`Series.counted`)."""
    period_of, periods = (month_of, months_between) if per == "month" else (week_of, weeks_between)
    listed = list(events)
    spans, policies = fatality_figures.coverage_of(listed)
    labels = periods(start, end, zone)
    cells: dict[tuple[str, str], float] = {}
    counted: dict[tuple[str, str], float] = {}
    for event in listed:
        n = int_field(event.fields, "fatalities")
        if event.kind == fatality_figures.POLICY_KIND or not n or n <= 0:
            continue
        if not start <= event.date.start < end:
            continue
        key = (period_of(event.date.start, zone), dataset_of(event))
        cells[key] = cells.get(key, 0.0) + n
        if fatality_figures.in_total(event, spans, policies):
            counted[key] = counted.get(key, 0.0) + n
    order = {d: i for i, d in enumerate(fatality_figures.DEFAULT_PREFERENCE)}
    datasets = sorted({d for _, d in cells}, key=lambda d: (order.get(d, len(order)), d))
    colours = assign(datasets, PALETTE)
    bounds = [_period_bounds(label, zone) for label in labels]
    series = []
    for dataset in datasets:
        span = spans[dataset]
        covered = [span.first < to_micros(hi) and to_micros(lo) < span.last for lo, hi in bounds]
        series.append(
            Series(
                DATASET_NAMES.get(dataset, dataset),
                colours[dataset],
                tuple(
                    cells.get((m, dataset), 0.0) if inside else math.nan
                    for m, inside in zip(labels, covered, strict=True)
                ),
                tuple(
                    counted.get((m, dataset), 0.0) if inside else math.nan
                    for m, inside in zip(labels, covered, strict=True)
                ),
            )
        )
    title = f"Fatalities per {per} by dataset"
    return BarChart(title, "fatalities", tuple(labels), tuple(series), side_by_side=True)


def _period_bounds(label: str, zone: str) -> tuple[datetime, datetime]:
    # A month ("2011-03") or an ISO week ("2011-W09") as the interval it covers in `zone`.
    period = parse_fuzzy(label, zone)
    return period.start, period.end


def events_by_month(events: Iterable[Event], zone: str, start: datetime, end: datetime) -> BarChart:
    """Events per month, stacked by kind (each kind's colour fixed by its name)."""
    months = months_between(start, end, zone)
    cells: Counter[tuple[str, str]] = Counter()
    for event in events:
        if start <= event.date.start < end:
            cells[(month_of(event.date.start, zone), event.kind)] += 1
    kinds = sorted({kind for _, kind in cells})
    return _stack(
        "Events per month by kind",
        "events",
        months,
        {k: float(v) for k, v in cells.items()},
        assign(kinds, PALETTE),
        {},
    )


def control_chart(
    histories: Sequence[Mapping[str, Any]],
    zone: str,
    start: datetime,
    end: datetime,
    colours: Mapping[str, str],
) -> ControlChart:
    """A strip per place history (`History.to_json()` documents) with its holdings within
    [start, end): each from the start of the date it was taken on to the start of the date it
    was lost on; until the end of the taking's date the change is uncertain."""
    strips = []
    legend: dict[str, tuple[str, str]] = {}
    for history in histories:
        spans = []
        for interval in history.get("control", ()):
            taken = parse_fuzzy(interval["from"], zone)
            lost = parse_fuzzy(interval["until"], zone).start if interval.get("until") else end
            first, last = max(taken.start, start), min(lost, end)
            if last <= first:
                continue
            controller = interval["controller"]
            colour = colours.get(controller["id"], OTHERS_COLOUR)
            legend.setdefault(controller["id"], (controller["name"], colour))
            spans.append(
                Span(
                    start=first,
                    end=last,
                    controller=controller["id"],
                    name=controller["name"],
                    colour=colour,
                    certain=bool(interval.get("certain", True)),
                    settled=min(max(taken.end, first), last),
                )
            )
        entity = history["entity"]
        laid, lanes = in_lanes(spans)
        contests = []
        for interval in history.get("contests", ()):
            began = parse_fuzzy(interval["from"], zone).start
            ended = parse_fuzzy(interval["until"], zone).start if interval.get("until") else end
            if min(ended, end) > max(began, start):
                contests.append((max(began, start), min(ended, end)))
        # A contest whose parties change is a new interval of the history, but one band.
        contests.sort()
        for n in range(len(contests) - 1, 0, -1):
            if contests[n][0] <= contests[n - 1][1]:
                contests[n - 1 : n + 1] = [
                    (contests[n - 1][0], max(contests[n - 1][1], contests[n][1]))
                ]
        strips.append(
            Strip(entity["id"], entity["name"], laid, lanes=lanes, contests=tuple(contests))
        )
    return ControlChart(
        "Who held which place", start, end, tuple(strips), tuple(sorted(legend.values()))
    )


def in_lanes(spans: Sequence[Span]) -> tuple[tuple[Span, ...], int]:
    """The spans, each in the lowest lane free when it begins (holdings that overlap in
    time get lanes of their own), and how many lanes that takes (at least one)."""
    ends: list[datetime] = []
    laid = []
    for span in sorted(spans, key=lambda s: (s.start, s.end, s.controller)):
        lane = next((n for n, busy in enumerate(ends) if busy <= span.start), len(ends))
        if lane == len(ends):
            ends.append(span.end)
        else:
            ends[lane] = span.end
        laid.append(replace(span, lane=lane))
    return tuple(laid), max(len(ends), 1)


def most_contested(
    histories: Sequence[Mapping[str, Any]], start: datetime, end: datetime, zone: str, n: int = 6
) -> list[str]:
    """The ids of the `n` places that changed hands (or parts of them did, or a contest over
    them began) most often within [start, end) (ties by name), among those that did at all."""
    counts = []
    for history in histories:
        changes = sum(
            1
            for interval in (*history.get("control", ()), *history.get("contests", ()))
            if start <= parse_fuzzy(interval["from"], zone).start < end
        )
        if changes:
            counts.append((-changes, history["entity"]["name"], history["entity"]["id"]))
    return [place for _, _, place in sorted(counts)[:n]]
