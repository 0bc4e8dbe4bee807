"""UCDP GED (Uppsala Conflict Data Program, Georeferenced Event Dataset) CSV exports.

Two generations are in circulation: older exports with `best_est`/`high_est`/`low_est` and
dates written `MM/DD/YYYY 00:00:00`, and current GED with `best`/`high`/`low` and ISO dates
(`2019-12-29`, or `2019-12-29 00:00:00.000`). Both read the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, BinaryIO

from timeline.importers.sources import (
    BadField,
    CsvLayout,
    PlaceHint,
    RawRow,
    Rejection,
    SourceRecord,
    parse_code,
    parse_coordinate,
    parse_count,
    parse_day,
    read_csv,
)

__all__ = ["UcdpParser"]

_LAYOUT = CsvLayout(
    dataset="UCDP GED",
    key_column="id",
    key_prefix="ucdp:",
    required=(
        ("id",),
        ("date_start",),
        ("date_end",),
        ("side_a",),
        ("side_b",),
        ("best", "best_est"),
    ),
    # relid (GED's "id in release") and the two sides are GED's own names; ACLED has neither.
    signatures=(frozenset({"relid"}), frozenset({"side_a", "side_b"})),
)
_ONE_DAY = timedelta(days=1)
# UCDP's date_prec codes that let a span be written as the calendar unit it fills.
_MONTH_PRECISION, _YEAR_PRECISION = 4, 5


class UcdpParser:
    """The UCDP GED CSV export, old (`best_est`, US dates) and current (`best`, ISO dates)."""

    format = "ucdp"
    extensions: tuple[str, ...] = (".csv",)
    dataset = True

    def detect(self, head: bytes) -> bool:
        """Whether `head` starts with a UCDP GED CSV header, old or current."""
        return _LAYOUT.detect(head)

    def rows(self, stream: BinaryIO, source: str) -> Iterator[RawRow | Rejection]:
        """Stream a UCDP GED CSV export as raw rows; the header is checked before this returns.

        Required columns: id, date_start, date_end, side_a, side_b, and best (or best_est).
        Keys are ``ucdp:<id>``; GED has no revision stamp, so `stamp` is None.
        """
        return read_csv(stream, source, _LAYOUT)

    def record(self, raw: RawRow) -> SourceRecord | Rejection:
        """Map one GED row onto the vocabulary (a clash or a strike), or reject it."""
        try:
            return _record(raw)
        except BadField as bad:
            return bad.rejection(raw)


def _day(values: dict[str, str], field: str) -> date:
    text = values.get(field, "")
    try:
        return parse_day(text)
    except ValueError as exc:
        raise BadField(field, text, str(exc)) from None


def _date_text(start: date, end: date, precision: int | None) -> str:
    """The fuzzy date text for UCDP's inclusive [date_start, date_end]."""
    if start == end:
        return start.isoformat()
    if (
        precision == _MONTH_PRECISION
        and (start.year, start.month) == (end.year, end.month)
        and start.day == 1
        and (end + _ONE_DAY).day == 1
    ):
        return f"{start.year:04d}-{start.month:02d}"
    if precision == _YEAR_PRECISION and (start, end) == (
        date(start.year, 1, 1),
        date(start.year, 12, 31),
    ):
        return f"{start.year:04d}"
    # Both ends are whole days, so "A/B" covers A through the end of B, as UCDP means it.
    return f"{start.isoformat()}/{end.isoformat()}"


def _first_of(values: dict[str, str], *names: str) -> tuple[str, str] | None:
    """The first of `names` present as a column, with its value."""
    for name in names:
        if name in values:
            return name, values[name]
    return None


def _sources(values: dict[str, str]) -> list[dict[str, str]]:
    """UCDP GED itself, then the publications it cites, with their dates when readable."""
    offices = values.get("source_office", "")
    cited: list[tuple[str, str]] = []
    if offices.strip():
        # Current GED: source_office and source_date are parallel ";"-separated lists.
        names = [name.strip() for name in offices.split(";")]
        dates = [day.strip() for day in values.get("source_date", "").split(";")]
        if len(dates) != len(names):
            dates = [""] * len(names)
        cited = list(zip(names, dates, strict=True))
    else:
        # Older exports only have source_article: 'Agence France Presse, 17 June 2011, "...'.
        for article in values.get("source_article", "").split(";"):
            parts = [part.strip().strip('"').strip() for part in article.split(",")]
            cited.append((parts[0], parts[1] if len(parts) > 1 else ""))
    out = [{"name": "UCDP GED"}]
    for name, published in cited:
        if not name:
            continue
        try:
            when = parse_day(published).isoformat() if published else ""
        except ValueError:
            when = ""  # a headline fragment, not a date: name the source without one
        entry = {"name": name, "published": when} if when else {"name": name}
        if entry not in out:
            out.append(entry)
    return out


def _count(values: dict[str, str], column: str) -> int | None:
    text = values.get(column, "")
    return parse_count(column, text) if text.strip() else None


def _deaths(values: dict[str, str], side_a: str, side_b: str) -> dict[str, Any]:
    """Who the dead were, as GED splits its best estimate: among side A's and side B's forces
    (`deaths_a`, `deaths_b`), civilians, and of unknown status."""
    out: dict[str, Any] = {}
    among: dict[str, int] = {}
    for side, column in ((side_a, "deaths_a"), (side_b, "deaths_b")):
        count = _count(values, column)
        if side and count is not None:
            among[side] = among.get(side, 0) + count
    if among:
        out["fatalities_among"] = among
    for field, column in (
        ("fatalities_civilians", "deaths_civilians"),
        ("fatalities_unknown", "deaths_unknown"),
    ):
        count = _count(values, column)
        if count is not None:
            out[field] = count
    return out


def _bounds(values: dict[str, str], best: int) -> dict[str, int]:
    """GED's low and high estimates, where they bracket its best one.

    About one row in a hundred of a real Libya export publishes a low estimate above the best
    or a high one below it (best 336, high 325, low 336; best 67, high 20, low 0). The best
    estimate is the figure GED stands behind, and the deaths by side and status add up to it,
    so the row keeps it and leaves out only the bound that contradicts it: refusing the row
    would lose its dead from every total. The published figures stay in the event's `record`.
    """
    out: dict[str, int] = {}
    low = _estimate(values, "low", "low_est")
    if low is not None and low <= best:
        out["fatalities_low"] = low
    high = _estimate(values, "high", "high_est")
    if high is not None and high >= best:
        out["fatalities_high"] = high
    return out


def _estimate(values: dict[str, str], *names: str) -> int | None:
    """The count in the first of these columns the export has, None when it is empty."""
    found = _first_of(values, *names)
    return parse_count(*found) if found and found[1].strip() else None


def _record(raw: RawRow) -> SourceRecord:
    values = raw.values
    get = values.get

    start = _day(values, "date_start")
    end = _day(values, "date_end")
    if end < start:
        raise BadField("date_end", get("date_end", ""), "is before date_start")
    precision = parse_code("date_prec", get("date_prec", ""))
    when = _date_text(start, end, precision)

    violence = get("type_of_violence", "").strip()
    if violence not in ("", "1", "2", "3"):
        raise BadField("type_of_violence", get("type_of_violence", ""), "is not 1, 2 or 3")

    best_column, best_text = _first_of(values, "best", "best_est") or ("best", "")
    fields: dict[str, Any] = {}
    side_a = " ".join(get("side_a", "").split())
    side_b = " ".join(get("side_b", "").split())
    actors = [side for side in (side_a, side_b) if side]
    if side_b == side_a:
        actors = actors[:1]
    # 1 state-based and 2 non-state conflict are fighting between sides; 3 is one-sided
    # violence, side_a against civilians (side_b).
    kind = "strike" if violence == "3" else "clash"
    if kind == "strike" and side_a:
        fields["by"] = side_a
    fields["actors"] = actors

    place_name = " ".join(get("where_coordinates", "").split())
    description = " ".join(get("where_description", "").split())
    if place_name:
        fields["place"] = place_name
    fields["location"] = description or place_name
    fields["fatalities"] = best = parse_count(best_column, best_text)
    fields.update(_bounds(values, best))
    fields.update(_deaths(values, side_a, side_b))
    where_prec = parse_code("where_prec", get("where_prec", ""))
    if where_prec is not None:
        fields["where_prec"] = where_prec
    fields["record"] = dict(values)

    lat = parse_coordinate("latitude", get("latitude", ""), 90)
    lon = parse_coordinate("longitude", get("longitude", ""), 180)
    admin1 = " ".join(get("adm_1", "").split()) or None
    place = PlaceHint(place_name, lat, lon, admin1, where_prec) if place_name else None

    where = f" in {place_name}" if place_name else ""
    if kind == "strike":
        title = f"{side_a or 'Unknown'} attack on {side_b or 'unknown'}{where}"
    else:
        title = f"{' – '.join(actors) or 'Unknown sides'} clash{where}"
    return SourceRecord(
        key=raw.key,
        source=raw.source,
        row=raw.row,
        content_hash=raw.content_hash,
        # None from a CSV export; the rank of the release from the API (see ucdp_api).
        stamp=raw.stamp,
        kind=kind,
        date=when,
        title=title,
        fields=fields,
        sources=_sources(values),
        place=place,
        actors=actors,
    )
