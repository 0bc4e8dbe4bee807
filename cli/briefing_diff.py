"""How `diff` and `history` read in a terminal."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.text import Text

from .briefing import UNCERTAIN, _name, _names, knowledge
from .tables import short_id
from .visible import visible_all

# The sections of a history, in the order they print.
HISTORY_SECTIONS = ("control", "contests", "presence", "support")


def _words(words: Any) -> str:
    return ", ".join(words or ()) or "-"


def _mark(item: Mapping[str, Any]) -> str:
    return f" {UNCERTAIN}" if item.get("certain") is False else ""


def _control_shape(change: Mapping[str, Any]) -> str:
    """How a place's control changed besides its controller: its status, who holds parts of
    it, who contests it (nothing for a place held whole before and after)."""
    before, after = change.get("from_status"), change.get("to_status")
    words = []
    if before != after and (before or after) and {before, after} != {"held", None}:
        words.append(f"{before or 'none'} -> {after or 'none'}")
    holders = change.get("holders") or ()
    if len(holders) > 1:
        words.append("divided between " + ", ".join(_name(h) for h in holders))
    if change.get("contested_by"):
        words.append("contested by " + ", ".join(_name(p) for p in change["contested_by"]))
    return f" [{'; '.join(words)}]" if words else ""


def print_diff(result: Mapping[str, Any], console: Console) -> None:
    """What changed between two instants, one line per change."""
    result = visible_all(result)
    bounds = (
        f", {knowledge(result)}" if result.get("as_known") or result.get("as_published") else ""
    )
    console.print(
        Text(f"{result['timeline']}: what changed from {result['from']} to {result['to']}{bounds}"),
        style="bold",
    )
    lines: list[str] = []
    for c in result["control"]:
        lines.append(
            f"control   {_name(c['place'])}: {_name(c.get('from')) or 'nobody'} -> "
            f"{_name(c.get('to')) or 'nobody'} ({c.get('since') or ''}{_mark(c)})"
            f"{_control_shape(c)}"
        )
    for o in result["offensives"]["begun"]:
        lines.append(
            f"offensive begun: {o['name']} by {_name(o['actor'])} ({o['since']}{_mark(o)})"
        )
    for o in result["offensives"]["ended"]:
        lines.append(f"offensive ended: {o['name']} by {_name(o['actor'])}")
    for s in result["support"]["begun"]:
        lines.append(
            f"support begun: {_name(s['backer'])} -> {_name(s['backed'])} "
            f"({', '.join(s.get('kinds') or ())})"
        )
    for s in result["support"]["ended"]:
        lines.append(f"support ended: {_name(s['backer'])} -> {_name(s['backed'])}")
    for s in result["support"]["changed"]:
        lines.append(
            f"support changed: {_name(s['backer'])} -> {_name(s['backed'])}: "
            f"+{_words(s.get('added'))} / -{_words(s.get('removed'))}"
        )
    for p in result["presence"]["arrived"]:
        lines.append(
            f"arrived: {_name(p['actor'])} at {_name(p.get('place')) or 'an unnamed place'}"
            f"{' (contested)' if p.get('contested') else ''}"
        )
    for p in result["presence"]["left"]:
        lines.append(
            f"left: {_name(p['actor'])} from {_name(p.get('place')) or 'an unnamed place'}"
        )
    for p in result["presence"]["changed"]:
        status = p.get("status") or {}
        change = f"{status.get('from')} -> {status.get('to')}" if status else "strength changed"
        lines.append(f"forces: {_name(p['actor'])} at {_name(p.get('place'))}: {change}")
    for m in result["materiel"]["added"]:
        lines.append(
            f"materiel added: {_count(m.get('count'), '')} {m['item']} at {_name(m.get('place'))}"
        )
    for m in result["materiel"]["removed"]:
        lines.append(f"materiel gone: {m['item']} at {_name(m.get('place'))}")
    for m in result["materiel"]["changed"]:
        lines.append(
            f"materiel: {m['item']} at {_name(m.get('place'))}: "
            f"{m.get('from_count')} -> {m.get('to_count')}"
        )
    for c in result["ceasefires"]:
        lines.append(
            f"ceasefire {c['name']}: {c.get('from_status') or 'none'} -> {c.get('to_status')}"
        )
    for line in lines or ["nothing changed"]:
        console.print("  " + line, highlight=False, soft_wrap=True, markup=False)
    f = result["fatalities"]
    console.print(
        f"  fatalities in between: {f.get('total', 0):,} (and {f.get('uncertain', 0):,} possibly)",
        highlight=False,
    )


def print_transitions(result: Mapping[str, Any], console: Console) -> None:
    """Every transition between two instants, one line each in date order: the date ('?' when
    the event's date straddles either instant), what changed, and the event's short id."""
    result = visible_all(result)
    bounds = (
        f", {knowledge(result)}" if result.get("as_known") or result.get("as_published") else ""
    )
    console.print(
        Text(f"{result['timeline']}: every change from {result['from']} to {result['to']}{bounds}"),
        style="bold",
    )
    moves = result.get("transitions") or []
    if any(t.get("possibly_in_range") for t in moves):
        console.print(
            f"{UNCERTAIN} = the event's date straddles {result['from']} or {result['to']}: "
            "possibly, not certainly, in between",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
    dates = [f"{t['date']}{f' {UNCERTAIN}' if t.get('possibly_in_range') else ''}" for t in moves]
    width = max((len(d) for d in dates), default=0)
    lines = [
        f"{date:<{width}}  {transition_text(t)} ({short_id(str(t['event']))})"
        for date, t in zip(dates, moves, strict=True)
    ]
    for line in lines or ["nothing changed"]:
        console.print("  " + line, highlight=False, soft_wrap=True, markup=False)
    f = result["fatalities"]
    console.print(
        f"  fatalities in between: {f.get('total', 0):,} (and {f.get('uncertain', 0):,} possibly)",
        highlight=False,
    )


def _count(value: Any, absent: str) -> str:
    return absent if value is None else f"{value:,}"


def transition_text(t: Mapping[str, Any]) -> str:
    """One transition (of a diff, or of a history's materiel) in words."""
    kind = str(t.get("kind"))
    place = _name(t.get("place")) or "an unnamed place"
    actor = _name(t.get("actor"))
    if kind == "control":
        change = f"{_name(t.get('from')) or 'nobody'} -> {_name(t.get('to'))}"
        return f"control: {place}: {change}{_control_shape(t)}"
    if kind == "control.confirmed":
        return f"control: {place}: still {_name(t.get('to'))}"
    if kind.startswith("offensive."):
        verb = "begun" if kind == "offensive.begun" else "ended"
        target = f" on {place}" if t.get("place") and verb == "begun" else ""
        return f"offensive {verb}: {t.get('name')} by {actor}{target}"
    if kind.startswith("support."):
        pair = f"{actor} -> {_name(t.get('backed'))}"
        if kind == "support.begun":
            return f"support begun: {pair} ({_words(t.get('to'))})"
        if kind == "support.ended":
            return f"support ended: {pair}"
        changed = [f"+{', '.join(t['added'])}"] if t.get("added") else []
        changed += [f"-{', '.join(t['removed'])}"] if t.get("removed") else []
        return f"support changed: {pair}: {' / '.join(changed)}"
    if kind == "presence.arrived":
        strength = (t.get("strength") or {}).get("to")
        return f"arrived: {actor} at {place}" + (f" ({strength:,})" if strength else "")
    if kind == "presence.left":
        return f"left: {actor} from {place}"
    if kind == "presence.changed":
        changes = []
        if t.get("from") != t.get("to"):
            changes.append(f"{t.get('from')} -> {t.get('to')}")
        strength = t.get("strength") or {}
        if strength.get("from") != strength.get("to"):
            changes.append(
                f"strength {_count(strength.get('from'), 'unknown')} -> "
                f"{_count(strength.get('to'), 'unknown')}"
            )
        behalf = t.get("on_behalf_of") or {}
        if _name(behalf.get("from")) != _name(behalf.get("to")):
            changes.append(f"for {_name(behalf.get('to')) or 'nobody named'}")
        return f"forces: {actor} at {place}: {', '.join(changes)}"
    if kind.startswith("materiel."):
        holder = actor or "an unnamed holder"
        before = _count(t.get("from"), "none" if kind == "materiel.added" else "unknown")
        after = _count(t.get("to"), "none" if kind == "materiel.removed" else "unknown")
        beyond = t.get("beyond_holding") or 0
        flag = f", {beyond:,} beyond the known holding" if beyond else ""
        stock = f"{t.get('item')} of {holder} at {place}"
        return f"materiel: {stock}: {before} -> {after} ({t.get('how')}{flag})"
    if kind.startswith("ceasefire"):
        by = ", ".join(_name(a) for a in t.get("by") or ())
        violated = f"violated by {by}" if by else "violated"
        if kind == "ceasefire.violated":
            return f"ceasefire {t.get('name')}: {violated}"
        return f"ceasefire {t.get('name')}: {t.get('from') or 'none'} -> {t.get('to')}" + (
            f", {violated}" if by else ""
        )
    return kind


def print_history(
    result: Mapping[str, Any],
    console: Console,
    *,
    latest: str | None = None,
    asked: str | None = None,
) -> None:
    """An entity's intervals, section by section; an interval still open at the end of the
    data reads "since DATE (latest data `latest`)", not "now", which the data cannot vouch
    for. With nothing to show, says so and where to look (`asked` is the name typed)."""
    result = visible_all(result)
    name = _name(result["entity"])
    bounds = (
        f", {knowledge(result)}" if result.get("as_known") or result.get("as_published") else ""
    )
    console.print(Text(f"History of {name} ({result['type']}){bounds}", style="bold"))
    if not any(result.get(section) for section in (*HISTORY_SECTIONS, "materiel")):
        entity = shlex.quote(str(asked or result["entity"]["id"]))
        console.print(
            f"nothing to show: no control, presence, support or materiel of {name} is "
            "recorded; "
            f"its events: timeline events --entity {entity}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
        return
    for section in HISTORY_SECTIONS:
        items = result.get(section) or []
        if not items:
            continue
        console.print(f"\n[bold]{section}[/bold]")
        lines = [_history_line(section, i, latest) for i in items]
        width = max(len(span) for span, _ in lines)
        for span, rest in lines:
            console.print(
                f"  {span:<{width}}  {rest}", highlight=False, soft_wrap=True, markup=False
            )
    changes = result.get("materiel") or []
    if changes:
        console.print("\n[bold]materiel[/bold]")
        width = max(len(str(t["date"])) for t in changes)
        for t in changes:
            console.print(
                f"  {t['date']:<{width}}  {transition_text(t).removeprefix('materiel: ')} "
                f"({short_id(str(t['event']))})",
                highlight=False,
                soft_wrap=True,
                markup=False,
            )


def _history_line(section: str, i: Mapping[str, Any], latest: str | None) -> tuple[str, str]:
    """An interval of a history: when, and what held then."""
    if i.get("until"):
        span = f"{i.get('from')} .. {i['until']}{_mark(i)}"
    else:
        span = f"since {i.get('from')}{_mark(i)}" + (f" (latest data {latest})" if latest else "")
    if section == "control":
        what = f"{_name(i.get('place'))} held by {_name(i.get('controller'))}"
        if i.get("partial"):
            what += f" (part of it from {i.get('partial_since')})"
    elif section == "contests":
        what = f"{_name(i.get('place'))} contested by {_names(i.get('parties') or ())}"
    elif section == "presence":
        what = f"{_name(i.get('actor'))} at {_name(i.get('place')) or 'an unnamed place'}"
    else:
        what = (
            f"{_name(i.get('backer'))} backs {_name(i.get('backed'))}"
            f" ({', '.join(i.get('kinds') or ())})"
        )
    closed = f", closed by {short_id(i['closed_by'])}" if i.get("closed_by") else ""
    return span, f"{what} (opened by {short_id(str(i.get('opened_by')))}{closed})"
