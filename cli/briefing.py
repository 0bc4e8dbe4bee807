"""How answers read: a terminal briefing (rich tables) and Markdown, from the JSON answer."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from . import plain
from .tables import plain_table, plain_table_lines, rich_table
from .visible import visible_all

if TYPE_CHECKING:
    from rich.console import Console

Item = Mapping[str, Any]
UNCERTAIN = "?"
SINGLE_SOURCE = "*"
SINGLE_SOURCE_LEGEND = (
    f"{SINGLE_SOURCE} = the holding rests on a single source (one outlet, or none)"
)

# For each list section: its heading, and its columns as (heading, cell function).
Column = tuple[str, Callable[[Item], str]]


def _name(ref: Any) -> str:
    if not ref:
        return ""
    return str(ref.get("name") or ref.get("id"))


def _names(refs: Sequence[Any]) -> str:
    return ", ".join(_name(r) for r in refs or ())


def _since(item: Item) -> str:
    since = str(item.get("since") or "")
    return f"{since} {UNCERTAIN}" if item.get("certain") is False else since


def _sources(item: Item) -> str:
    names = []
    for source in item.get("sources") or ():
        label = source.get("name", "")
        if source.get("published"):
            label += f" {source['published']}"
        names.append(label)
    return "; ".join(dict.fromkeys(names))


def _count(value: Any) -> str:
    return "" if value is None else f"{value:,}"


def _presence_status(item: Item) -> str:
    status = str(item.get("status", ""))
    return status + (" (contested)" if item.get("contested") else "")


def single_source(holding: Item) -> bool:
    """Whether a holding (a control fact, or one of its `holders`) rests on one outlet or
    none."""
    support = holding.get("corroboration")
    return bool(support and support.get("single_source"))


def _held_by(item: Item) -> str:
    """Every side holding the place, "(part)" after those holding part of it, and the
    single-source mark after each holding that rests on one outlet."""
    holders = item.get("holders")
    if holders is None:  # an answer from before places could be divided
        return _name(item.get("controller"))
    return "; ".join(
        _name(h.get("actor"))
        + (" (part)" if h.get("partial") else "")
        + (f" {SINGLE_SOURCE}" if single_source(h) else "")
        for h in holders
    )


def _contested_by(item: Item) -> str:
    contest = item.get("contest")
    if not contest:
        return ""
    since = str(contest.get("since") or "")
    mark = f" {UNCERTAIN}" if contest.get("certain") is False else ""
    return f"{_names(contest.get('parties') or ())} (since {since}{mark})"


def _losses(item: Item) -> str:
    """What a stock lost and gained by capture, with the dates, and how far a loss went
    beyond the holding on record."""
    parts = []
    for loss in item.get("losses") or ():
        number = "" if loss.get("count") is None else f"{loss['count']:,} "
        captor = f" by {_name(loss['captured_by'])}" if loss.get("captured_by") else ""
        parts.append(f"{number}{loss.get('how')}{captor} {loss.get('date')}")
    for gain in item.get("captured") or ():
        number = "" if gain.get("count") is None else f"{gain['count']:,} "
        taken = f" from {_name(gain['from'])}" if gain.get("from") else ""
        parts.append(f"{number}captured{taken} {gain.get('date')}")
    beyond = item.get("lost_beyond_holding") or 0
    if beyond:
        parts.append(f"{beyond:,} beyond the known holding")
    return "; ".join(parts)


def _violations(item: Item) -> str:
    names = {ref["id"]: ref["name"] for ref in item.get("violators") or ()}
    counts = sorted((item.get("violations") or {}).items())
    return ", ".join(f"{names.get(k, k)} {v}" for k, v in counts)


SECTIONS: dict[str, tuple[str, list[Column]]] = {
    "control": (
        "Control of places",
        [
            ("Place", lambda i: _name(i["place"])),
            ("Held by", _held_by),
            ("Taken from", lambda i: _name(i.get("from"))),
            ("Contested by", _contested_by),
            ("Since", _since),
            ("Sources", _sources),
        ],
    ),
    "offensives": (
        "Offensives under way",
        [
            ("Offensive", lambda i: str(i.get("name", ""))),
            ("By", lambda i: _name(i["actor"])),
            ("Target", lambda i: _name(i.get("target"))),
            ("Since", _since),
            ("Sources", _sources),
        ],
    ),
    "support": (
        "Who backs whom",
        [
            ("Backer", lambda i: _name(i["backer"])),
            ("Backs", lambda i: _name(i["backed"])),
            ("Support", lambda i: ", ".join(i.get("kinds") or ())),
            ("Since", _since),
            ("Sources", _sources),
        ],
    ),
    "presence": (
        "Forces present",
        [
            ("Force", lambda i: _name(i["actor"])),
            ("Where", lambda i: _name(i.get("place"))),
            ("Strength", lambda i: _count(i.get("strength"))),
            ("For", lambda i: _name(i.get("on_behalf_of"))),
            ("Status", _presence_status),
            ("Since", _since),
            ("Sources", _sources),
        ],
    ),
    "materiel": (
        "Materiel",
        [
            ("Where", lambda i: _name(i.get("place"))),
            ("Item", lambda i: str(i.get("item", ""))),
            ("Count", lambda i: _count(i.get("count"))),
            ("Held by", lambda i: _name(i.get("holder"))),
            ("From", lambda i: _name(i.get("supplier"))),
            ("Lost or captured", _losses),
            ("Since", _since),
            ("Sources", _sources),
        ],
    ),
    "ceasefires": (
        "Ceasefires",
        [
            ("Ceasefire", lambda i: str(i.get("name", ""))),
            ("Status", lambda i: str(i.get("status", ""))),
            ("Parties", lambda i: _names(i.get("parties") or ())),
            ("Violations", _violations),
            ("Since", _since),
        ],
    ),
    "claims": (
        # The claims section holds those of the last 90 days and the older ones a fact shown
        # rests on (a contested presence, say): the heading and the Since column say so.
        "Claims (last 90 days, and older ones facts above rest on)",
        [
            ("By", lambda i: _name(i.get("by"))),
            ("Since", _since),
            ("Claim", lambda i: str(i.get("text", ""))),
            ("Status", lambda i: str(i.get("status", ""))),
            ("Denied by", lambda i: _names(i.get("denied_by") or ())),
        ],
    ),
    "recent": (
        "Recent events (14 days)",
        [
            ("Date", lambda i: str(i.get("date", ""))),
            ("Kind", lambda i: str(i.get("kind", ""))),
            ("Event", lambda i: str(i.get("title", ""))),
        ],
    ),
}


# The columns a narrow terminal does without, least useful first, when the others cannot fit
# their longest words (cli/plain.py's fit): the JSON and Markdown keep them all.
DROPPABLE = (
    "Sources",
    "Taken from",
    "Denied by",
    "From",
    "For",
    "Parties",
    "Contested by",
    "Lost or captured",
    "Held by",
    "Item",
)


# Columns that only places fought over fill: left out of a Markdown table where none is.
OPTIONAL = frozenset({"Contested by"})


def header_line(answer: Mapping[str, Any]) -> str:
    """The line saying which instant, and which knowledge, an answer shows."""
    return f"{answer['timeline']} at {answer['at']}, {knowledge(answer)}"


def knowledge(result: Mapping[str, Any]) -> str:
    """Which knowledge bounds an answer (or diff, or history) used, in words."""
    known, published = result.get("as_known"), result.get("as_published")
    if published is None:
        return f"as known at {known}" if known else "with everything recorded"
    recorded = f"as known at {known} and " if known else "as "
    left_out = result.get("unpublished") or 0
    events = f"{left_out:,} event{'' if left_out == 1 else 's'}"
    note = f" ({events} with no publication date left out)" if left_out else ""
    return f"{recorded}published by {published}{note}"


Table = tuple[str, list[str], list[list[str]]]
# Actors listed in the fatalities' table of actors, the most fatalities first.
FATALITY_ACTORS = 10


def fatality_lines(fatalities: Mapping[str, Any]) -> list[str]:
    """The fatalities section as lines of text (without its tables: `fatality_tables`)."""
    datasets: Mapping[str, Any] = fatalities.get("by_dataset") or {}
    with_data = [v for v in datasets.values() if v.get("total") is not None]
    lines = []
    entities = fatalities.get("entities")
    if entities:
        lines.append("in the events of " + ", ".join(_name(e) for e in entities) + " only")
    sources = [
        f"{v['name']} {v['counted']:,}" if len(with_data) > 1 else str(v["name"])
        for v in with_data
        if v.get("counted")
    ]
    lines.append(
        f"total {fatalities['total']:,} (certain), {fatalities['uncertain']:,} possibly in effect, "
        f"{fatalities['last_30_days']:,} in the last 30 days"
        + (f", from {', '.join(sources)}" if sources else "")
    )
    policy = fatalities.get("policy")
    if policy and (len(with_data) > 1 or not policy.get("default")):
        lines.append("policy " + _policy_text(policy, datasets))
    described = fatalities.get("described") or 0
    if described:
        among = sum(fatalities.get("among", {}).values())
        parts = [
            f"{n:,} {label}"
            for n, label in (
                (among, "among the sides"),
                (fatalities.get("civilians") or 0, "civilians"),
                (fatalities.get("unknown") or 0, "unknown"),
            )
            if n
        ]
        lines.append(f"who died (the data says for {described:,}): {', '.join(parts)}")
    return lines


def fatality_tables(fatalities: Mapping[str, Any]) -> list[Table]:
    """The fatalities' tables: each dataset's own figures, when there are several, and the
    actors, the deaths among their forces apart from the deaths in their events (named as
    the figures name them, in `actors`)."""
    names: Mapping[str, str] = fatalities.get("actors") or {}
    datasets: Mapping[str, Any] = fatalities.get("by_dataset") or {}
    tables: list[Table] = []
    if sum(1 for v in datasets.values() if v.get("total") is not None) > 1:
        tables.append(
            (
                "Fatalities by dataset, each on its own (never added together)",
                ["Dataset", "Certain", "Possibly", "Last 30 days", "In the total", "Data"],
                [_dataset_row(v) for v in datasets.values()],
            )
        )
    among: Mapping[str, int] = fatalities.get("among") or {}
    in_events: Mapping[str, int] = fatalities.get("by_actor") or {}
    actors = sorted(
        set(among) | set(in_events), key=lambda a: (-in_events.get(a, 0), -among.get(a, 0), a)
    )
    rows = [
        [names.get(a, a), f"{among[a]:,}" if a in among else "", f"{in_events.get(a, 0):,}"]
        for a in actors
        if among.get(a) or in_events.get(a)
    ][:FATALITY_ACTORS]
    if rows:
        tables.append(
            (
                "Fatalities by actor, in the total",
                ["Actor", "Among its own", "In its events"],
                rows,
            )
        )
    # The actors asked about (`--entity`), in each dataset's own figures, counted or not:
    # where several datasets hold data, the total may take another's.
    several = sum(1 for v in datasets.values() if v.get("total") is not None) > 1
    asked = [e for e in fatalities.get("entities") or () if isinstance(e, Mapping) and several]
    own_rows = []
    for entity in asked:
        for value in datasets.values():
            theirs = (value.get("among") or {}).get(entity.get("id"))
            n = (value.get("in_events_of") or {}).get(entity.get("id"), 0)
            if theirs or n:
                shown = f"{theirs:,}" if theirs is not None else ""
                own_rows.append([_name(entity), str(value["name"]), shown, f"{n:,}"])
    if own_rows:
        tables.append(
            (
                "Fatalities of the actors asked about, by dataset",
                ["Actor", "Dataset", "Among its own", "In its events"],
                own_rows,
            )
        )
    return tables


def _policy_text(policy: Mapping[str, Any], datasets: Mapping[str, Any]) -> str:
    prefer = [datasets.get(d, {}).get("name", d) for d in policy.get("prefer", ())]
    said = ", else ".join([f"{prefer[0]} where its data reaches", *prefer[1:]]) if prefer else ""
    since = policy.get("since")
    if policy.get("default"):
        which = "the default"
    elif since and since != "../..":
        which = f"from {since}"
    else:
        which = "the timeline's"
    return f"({which}) {said or 'no dataset counts'}"


def _dataset_row(value: Mapping[str, Any]) -> list[str]:
    if value.get("total") is None:
        return [str(value["name"]), "no data", "", "", "", ""]
    recent = value.get("last_30_days")
    coverage = value.get("coverage") or {}
    if coverage.get("continues"):
        data = f"since {coverage.get('from')}"
    else:
        data = f"{coverage.get('from')} .. {coverage.get('to')}"
    counted = f"{value.get('counted', 0):,}" if value.get("in_policy") else "not in the policy"
    return [
        str(value["name"]),
        f"{value['total']:,}",
        f"{value['uncertain']:,}",
        "no data" if recent is None else f"{recent:,}",
        counted,
        data,
    ]


class Out(Protocol):
    """Where a briefing goes: rich on a terminal, plain text (cli/plain.py) elsewhere."""

    def markup(self, text: str) -> None:
        """A line of rich markup ([bold], [dim])."""

    def text(self, text: str) -> None:
        """A line of text as it is."""

    def table(self, title: str, headings: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A blank line, then a table of text cells, fitted to the width (plain.fit)."""


class RichOut:
    """A briefing printed by rich on a console."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def markup(self, text: str) -> None:
        """A line of rich markup."""
        self.console.print(text)

    def text(self, text: str) -> None:
        """A line of text as it is."""
        self.console.print(text, markup=False)

    def table(self, title: str, headings: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A blank line, then a rich table."""
        self.console.print()
        self.console.print(rich_table(title, headings, rows, self.console.width, DROPPABLE))


class PlainOut:
    """A briefing laid out as plain text, the characters rich prints on a pipe or in a file
    (see cli/plain.py); raises plain.NotPlain on text it does not lay out as rich would."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[str] = []

    def markup(self, text: str) -> None:
        """A line of markup, its tags dropped."""
        self.lines += plain.wrap(plain.parsed(_checked_lines(text)), self.width, pad=False)

    def text(self, text: str) -> None:
        """A line of text as it is."""
        self.lines += plain.wrap(
            plain.without_emoji_codes(_checked_lines(text)), self.width, pad=False
        )

    def table(self, title: str, headings: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A blank line, then a table."""
        self.lines.append("")
        self.lines += plain_table(title, headings, rows, self.width, DROPPABLE)


class PipeOut:
    """A briefing written out piece by piece as it is made, each piece as rich would print it
    on a pipe: laid out by cli/plain.py, or by rich for a piece plain.py does not lay out (on
    a pipe rich prints no styles, so a piece's text does not depend on the pieces around it).
    """

    def __init__(self, width: int, write: Callable[[str], object]) -> None:
        self.width = width
        self.write = write
        self._rich: RichOut | None = None

    def _lines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(f"{line}\n")

    def rich(self) -> RichOut:
        """The rich console for the pieces plain.py does not lay out."""
        if self._rich is None:
            from .output import console

            self._rich = RichOut(console())
        return self._rich

    def markup(self, text: str) -> None:
        """A line of markup, its tags dropped."""
        try:
            lines = plain.wrap(plain.parsed(_checked_lines(text)), self.width, pad=False)
        except plain.NotPlain:
            self.rich().markup(text)
        else:
            self._lines(lines)

    def text(self, text: str) -> None:
        """A line of text as it is."""
        try:
            lines = plain.wrap(
                plain.without_emoji_codes(_checked_lines(text)), self.width, pad=False
            )
        except plain.NotPlain:
            self.rich().text(text)
        else:
            self._lines(lines)

    def table(self, title: str, headings: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A blank line, then a table, each line written as it is laid out."""
        try:
            lines = plain_table_lines(title, headings, rows, self.width, DROPPABLE)
        except plain.NotPlain:
            self.rich().table(title, headings, rows)
        else:
            self.write("\n")
            self._lines(lines)


def _checked_lines(text: str) -> str:
    return "\n".join(plain.checked(line) for line in text.split("\n"))


Sections = Iterable[tuple[str, Any]]


def _sections_of(answer: Mapping[str, Any]) -> Sections:
    """The sections of an answer's JSON document, in its order."""
    return ((name, answer[name]) for name in answer if name in SECTIONS or name == "fatalities")


def print_briefing(answer: Mapping[str, Any]) -> None:
    """Print the answer (its JSON document) as a briefing on stdout."""
    print_briefing_stream(answer, _sections_of(answer))


def print_briefing_stream(header: Mapping[str, Any], sections: Sections) -> None:
    """Print an answer as a briefing on stdout, each section as soon as its facts are read:
    plain text on a pipe or in a file (what rich would print there, at a fraction of the
    cost), rich tables on a terminal. `header` holds the keys of the answer's JSON document
    before its sections, `sections` gives (name, facts or figures) in display order."""
    width = plain.pipe_width()
    out: Out
    if width is not None:
        out = PipeOut(width, sys.stdout.write)
    else:
        from .output import console

        out = RichOut(console())
    write_briefing_stream(header, sections, out)


def write_briefing(answer: Mapping[str, Any], out: Out) -> None:
    """The answer (its JSON document) as a briefing: a header, then one table per section."""
    write_briefing_stream(answer, _sections_of(answer), out)


def write_briefing_stream(header: Mapping[str, Any], sections: Sections, out: Out) -> None:
    """An answer as a briefing: a header, then one table per section, each written once its
    facts are read (the layout of a table depends on all of its cells)."""
    header = visible_all(header)
    tables = _tables(header, sections)
    first = next(tables, None)
    out.markup(f"[bold]{header_line(header)}[/bold]")
    out.markup(
        f"[dim]{UNCERTAIN} = the event's date straddles this instant: possibly, not "
        "certainly, in effect[/dim]"
    )
    # The control section, when there is one, comes first: its rows are made by now.
    if first is not None and first.single_source:
        out.markup(f"[dim]{SINGLE_SOURCE_LEGEND}[/dim]")
    for table in itertools.chain([first] if first is not None else [], tables):
        if table.fatalities is not None:
            out.markup("\n[bold]Fatalities[/bold]")
            for line in fatality_lines(table.fatalities):
                out.text("  " + line)
            for title, headings, rows in fatality_tables(table.fatalities):
                out.table(title, headings, rows)
            continue
        if not table.rows:
            out.markup(f"\n[bold]{table.title}[/bold]: none")
            continue
        shown = len(table.rows)
        out.table(
            f"{table.title} ({shown + table.more})",
            [heading for heading, _ in table.columns],
            table.rows,
        )
        if table.more:
            out.markup(f"[dim]{_more_line(table.more, shown)}[/dim]")


@dataclass
class _Table:
    """One section as a briefing shows it: its rows of text (not its facts), or the
    fatality figures."""

    title: str = ""
    columns: list[Column] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    more: int = 0
    single_source: bool = False
    fatalities: Mapping[str, Any] | None = None


def _tables(header: Mapping[str, Any], sections: Sections) -> Iterator[_Table]:
    """Each section of an answer as a table, its facts read one by one into cells."""
    for name, content in sections:
        if name == "fatalities":
            yield _Table(fatalities=visible_all(content))
            continue
        if name not in SECTIONS:
            continue
        title, columns = SECTIONS[name]
        table = _Table(title, columns, more=_left_out(header, name))
        for item in content:
            item = visible_all(item)
            if name == "control" and not table.single_source:
                table.single_source = any(single_source(h) for h in item.get("holders") or ())
            table.rows.append([cell(item) for _, cell in columns])
        yield table


def markdown(answer: Mapping[str, Any]) -> str:
    """The answer (its JSON document) as Markdown, for reports and notes."""
    return "\n".join(markdown_lines(answer, _sections_of(answer)))


def markdown_lines(header: Mapping[str, Any], sections: Sections) -> Iterator[str]:
    """An answer as Markdown, line by line, each section's once its facts are read."""
    header = visible_all(header)
    tables = _tables(header, sections)
    first = next(tables, None)
    yield from (
        f"# {header_line(header)}",
        "",
        f"_{UNCERTAIN} marks facts whose event date straddles this instant._",
        "",
    )
    if first is not None and first.single_source:
        # Escaped: a bare asterisk next to the underscores would read as emphasis.
        legend = SINGLE_SOURCE_LEGEND.replace(SINGLE_SOURCE, "\\" + SINGLE_SOURCE)
        yield from (f"_{legend}._", "")
    for table in itertools.chain([first] if first is not None else [], tables):
        if table.fatalities is not None:
            yield from ("## Fatalities", "")
            yield from (f"- {line}" for line in fatality_lines(table.fatalities))
            yield ""
            for title, headings, rows in fatality_tables(table.fatalities):
                yield from (f"### {title}", "", *_markdown_table(headings, rows), "")
            continue
        yield from (f"## {table.title}", "")
        if not table.rows:
            yield from ("None.", "")
            continue
        # A Markdown table keeps every column, but for those that only some answers fill.
        kept = [
            n
            for n, (heading, _) in enumerate(table.columns)
            if heading not in OPTIONAL or any(row[n] for row in table.rows)
        ]
        yield from _markdown_table(
            [table.columns[n][0] for n in kept], ([row[n] for n in kept] for row in table.rows)
        )
        if table.more:
            yield from ("", f"_{_more_line(table.more, len(table.rows))}_")
        yield ""


def _left_out(answer: Mapping[str, Any], section: str) -> int:
    return int((answer.get("left_out") or {}).get(section, 0))


def _more_line(more: int, shown: int) -> str:
    return f"... and {more:,} more after the first {shown:,} (--limit N or --limit all)"


def _markdown_table(headings: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[str]:
    yield "| " + " | ".join(headings) + " |"
    yield "|" + "---|" * len(headings)
    for row in rows:
        yield "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
