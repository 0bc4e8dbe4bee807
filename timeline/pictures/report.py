"""A self-contained HTML report: for each date the map and the briefing, then the charts, with
a slider between the dates.

Pure module. Everything is inline (SVG pictures, CSS, a few lines of script), and the page's
Content-Security-Policy forbids loading anything at all, so that opening the file makes no
network request. Without script every date shows, one under the other.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

POLICY = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.5em; margin: 0 0 .3em; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1em; margin: 1em 0 .3em; }
nav { position: sticky; top: 0; background: #fff; padding: .5em 0; z-index: 1; }
nav input { width: 60%; vertical-align: middle; }
nav output { font-weight: bold; margin-left: 1em; }
table { border-collapse: collapse; font-size: .9em; }
td, th { border-bottom: 1px solid #eee; padding: .15em .6em .15em 0; text-align: left; }
.maybe { color: #8a6d00; }
svg { max-width: 100%; height: auto; }
figure { margin: 1em 0; }
"""

SCRIPT = """
(function () {
  var pages = document.querySelectorAll("section.date");
  var slider = document.getElementById("slider");
  var shown = document.getElementById("shown");
  function show(i) {
    for (var j = 0; j < pages.length; j++) { pages[j].hidden = j !== i; }
    shown.textContent = pages[i].getAttribute("data-label");
  }
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  show(0);
})();
"""


@dataclass(frozen=True)
class Page:
    """One date of the report: its label, its map (SVG text) and its answer."""

    label: str
    map_svg: str
    answer: Mapping[str, Any]


_PROLOGUE = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.S)


def scoped_svg(svg: str, prefix: str) -> str:
    """SVG text ready to inline: without its XML prologue, and with every id (and every
    reference to one) prefixed, so that several pictures in one page do not share ids."""
    body = _PROLOGUE.sub("", svg, count=1)
    body = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', body)
    body = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', body)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", body)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _name(ref: Mapping[str, Any] | None) -> str:
    return _e(ref["name"]) if ref else ""


def _since(item: Mapping[str, Any]) -> str:
    since = _e(item.get("since"))
    return since if item.get("certain", True) else f'<span class="maybe">{since} ?</span>'


def _table(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _holders(item: Mapping[str, Any]) -> str:
    """Every side holding the place, "(part)" after those holding part of it."""
    holders = item.get("holders")
    if holders is None:
        return _name(item.get("controller"))
    return "; ".join(
        _name(h.get("actor")) + (" (part)" if h.get("partial") else "") for h in holders
    )


def briefing_html(answer: Mapping[str, Any]) -> str:
    """The answer (`Answer.to_json()`) as HTML tables, section by section; uncertain dates
    are marked "?" as in the terminal briefing."""

    def contested(item: Mapping[str, Any]) -> str:
        return " (contested)" if item.get("contested") else ""

    tables: list[tuple[str, list[str], list[list[str]]]] = [
        (
            "Control of places",
            ["Place", "Held by", "Taken from", "Contested by", "Since"],
            [
                [
                    _e(c["place"]["name"]) + contested(c),
                    _holders(c),
                    _name(c.get("from")),
                    ", ".join(_name(p) for p in (c.get("contest") or {}).get("parties", ())),
                    _since(c),
                ]
                for c in answer.get("control", ())
            ],
        ),
        (
            "Offensives under way",
            ["Offensive", "By", "Target", "Status", "Since"],
            [
                [
                    _e(o["name"]),
                    _name(o.get("actor")),
                    _name(o.get("target")),
                    _e(o.get("status")),
                    _since(o),
                ]
                for o in answer.get("offensives", ())
            ],
        ),
        (
            "Forces present",
            ["Force", "Where", "For", "Status", "Since"],
            [
                [
                    _name(p.get("actor")),
                    _name(p.get("place")),
                    _name(p.get("on_behalf_of")),
                    _e(p.get("status")) + contested(p),
                    _since(p),
                ]
                for p in answer.get("presence", ())
            ],
        ),
        (
            "Ceasefires",
            ["Ceasefire", "Status", "Parties"],
            [
                [
                    _e(c["name"]),
                    _e(c.get("status")),
                    ", ".join(_name(p) for p in c.get("parties", ())),
                ]
                for c in answer.get("ceasefires", ())
            ],
        ),
    ]
    parts = [
        f"<h3>{heading}</h3>{_table(columns, rows)}" for heading, columns, rows in tables if rows
    ]
    fatalities = answer.get("fatalities")
    if fatalities:
        parts.append(
            f"<h3>Fatalities</h3><p>{_e(fatalities.get('total'))} recorded "
            f"({_e(fatalities.get('uncertain'))} more possibly), "
            f"{_e(fatalities.get('last_30_days'))} in the last 30 days.</p>"
        )
    return "".join(parts)


def render(title: str, pages: Sequence[Page], charts: Sequence[tuple[str, str]]) -> str:
    """The whole page: a slider over the dates, each date's map and briefing, then the
    charts (title, SVG text)."""
    sections = []
    for i, page in enumerate(pages):
        sections.append(
            f'<section class="date" id="date-{i}" data-label="{_e(page.label)}">'
            f"<h2>{_e(page.label)}</h2>"
            f"<figure>{scoped_svg(page.map_svg, f'map{i}')}</figure>"
            f"{briefing_html(page.answer)}</section>"
        )
    figures = "".join(
        f"<figure><figcaption>{_e(caption)}</figcaption>{scoped_svg(svg, f'chart{i}')}</figure>"
        for i, (caption, svg) in enumerate(charts)
    )
    first = _e(pages[0].label) if pages else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{_e(title)}</h1>"
        f'<nav><label for="slider">Date</label> <input type="range" id="slider" min="0" '
        f'max="{max(len(pages) - 1, 0)}" value="0" step="1"><output id="shown">{first}</output>'
        "</nav>"
        f"{''.join(sections)}<h2>Charts</h2>{figures}"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
