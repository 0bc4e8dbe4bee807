"""The pure parts of the pictures: colours, projection, label placement, GeoJSON, chart series,
TimelineJS, on made-up values and on the shipped Libya timeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.projections.helpers import make
from timeline import lookups, picturing
from timeline.dates import parse_fuzzy, parse_instant
from timeline.entities import Entity
from timeline.errors import InvalidInput
from timeline.events import Event, Origin
from timeline.pictures import charts, colours, geojson, mapping, timelinejs
from timeline.projections.fatalities import POLICY_KIND
from timeline.store import Store

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-0123456789", min_size=1, max_size=12)


# -- colours -------------------------------------------------------------------------------------


@given(st.lists(ids, unique=True, max_size=len(colours.PALETTE)))
def test_colours_are_distinct_while_the_palette_lasts(actors: list[str]) -> None:
    assigned = colours.assign(actors)
    assert list(assigned) == actors
    assert len(set(assigned.values())) == len(actors)
    assert set(assigned.values()) <= set(colours.PALETTE)


@given(st.lists(ids, unique=True, max_size=40), st.lists(ids, max_size=10))
def test_an_actor_defined_later_never_changes_an_earlier_actors_colour(
    actors: list[str], later: list[str]
) -> None:
    before = colours.assign(actors)
    after = colours.assign([*actors, *later])
    assert {a: after[a] for a in actors} == before
    # And the same call gives the same colours, in another process too (sha256, not hash()).
    assert colours.assign(actors) == before


def test_an_actor_gets_its_hashed_colour_when_it_is_free() -> None:
    assert colours.assign(["lna"])["lna"] == colours.PALETTE[colours.preferred("lna")]


# -- projection and labels ----------------------------------------------------------------------

lons = st.floats(-179, 179, allow_nan=False)
lats = st.floats(-85, 85, allow_nan=False)


@given(st.lists(st.tuples(lons, lats), min_size=1, max_size=30))
def test_the_projection_puts_every_point_inside_the_canvas(
    points: list[tuple[float, float]],
) -> None:
    projection, height = mapping.fit(mapping.bounds_of(points))
    for lon, lat in points:
        x, y = projection(lon, lat)
        assert 0 <= x <= mapping.WIDTH
        assert 0 <= y <= height


def test_the_projection_keeps_east_right_and_north_up() -> None:
    projection, _ = mapping.fit((9.0, 19.0, 26.0, 34.0))
    tripoli, benghazi, sebha = (
        projection(13.18, 32.89),
        projection(20.07, 32.12),
        projection(14.43, 27.04),
    )
    assert tripoli[0] < benghazi[0]
    assert sebha[1] < tripoli[1]


def test_bounds_of_nothing_is_an_error() -> None:
    with pytest.raises(InvalidInput, match="nothing with coordinates"):
        mapping.bounds_of([])


def test_fit_refuses_bounds_that_are_not_degrees() -> None:
    with pytest.raises(InvalidInput, match="not west, south, east, north"):
        mapping.fit((10.0, 0.0, 5.0, 1.0))


anchors = st.lists(
    st.tuples(st.text(min_size=1, max_size=20), st.floats(0, 400), st.floats(0, 300)),
    max_size=40,
)


@given(anchors)
def test_placed_labels_never_overlap_each_other_nor_a_marker_and_stay_in_the_frame(
    points: list[tuple[str, float, float]],
) -> None:
    frame = (0.0, 0.0, 400.0, 300.0)
    markers = [(x - 4.5, y - 4.5, x + 4.5, y + 4.5) for _, x, y in points]
    boxes = mapping.place_labels(points, frame, avoid=markers)
    assert len(boxes) == len(points)
    placed = [b for b in boxes if b is not None]
    for i, box in enumerate(placed):
        assert mapping.inside(box, frame)
        assert not any(mapping.overlaps(box, m) for m in markers)
        assert not any(mapping.overlaps(box, other) for other in placed[i + 1 :])


def test_a_lone_label_goes_to_the_right_of_its_point() -> None:
    (box,) = mapping.place_labels([("Sirte", 100.0, 100.0)], (0.0, 0.0, 400.0, 300.0))
    assert box is not None
    assert box[0] > 100.0
    assert box[1] < 100.0 < box[3]


def test_outline_rings_read_polygons_and_multipolygons() -> None:
    ring = [[0, 0], [1, 0], [1, 1], [0, 0]]
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]}},
            {
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": [[ring], [ring]]},
            },
            {"type": "Feature", "geometry": None},
        ],
    }
    assert len(mapping.outline_rings(collection)) == 3
    assert mapping.outline_rings(collection)[0][1] == (1.0, 0.0)


def _place(place_id: str, lon: float | None, lat: float | None) -> Entity:
    return Entity(id=place_id, type="place", name=place_id.title(), lon=lon, lat=lat)


def test_a_scene_without_outline_spans_the_places_and_marks_what_the_answer_says() -> None:
    answer = {
        "timeline": "t",
        "at": "2020-01-01T00:00:00Z",
        "as_known": None,
        "control": [
            {
                "place": {"id": "a", "name": "A"},
                "controller": {"id": "x", "name": "X"},
                "certain": False,
                "contested": True,
            }
        ],
        "offensives": [{"name": "Push", "target": {"id": "b", "name": "B"}}],
    }
    places = [_place("a", 10.0, 30.0), _place("b", 12.0, 31.0), _place("c", None, None)]
    scene = mapping.scene(answer, places, {"x": "#123456"})
    assert [m.place for m in scene.markers] == ["a", "b"]
    a, b = scene.markers
    assert (a.colour, a.certain, a.contested) == ("#123456", False, True)
    assert (b.colour, b.controller, b.targeted_by) == (colours.NOBODY, None, ("Push",))
    assert scene.legend == (("X", "#123456"),)
    assert scene.outline == ()
    assert scene.subtitle == "t at 2020-01-01T00:00:00Z, with everything recorded"
    assert a.x < b.x
    assert a.y < b.y


def test_a_place_contested_or_divided_is_ringed_as_one_whose_holding_is_denied() -> None:
    def held(place: str, **keys: object) -> dict[str, object]:
        return {
            "place": {"id": place, "name": place},
            "controller": {"id": "x", "name": "X"},
            "certain": True,
            "contested": False,
            **keys,
        }

    answer = {
        "timeline": "t",
        "at": "2020-01-01T00:00:00Z",
        "control": [
            held("a", status="contested"),
            held("b", status="divided"),
            held("c", status="partial"),
            held("d", status="held"),
            held("e", status="held", contested=True),
        ],
    }
    places = [_place(p, 10.0 + n, 30.0) for n, p in enumerate("abcde")]
    rings = {m.place: m.contested for m in mapping.scene(answer, places, {}).markers}
    assert rings == {"a": True, "b": True, "c": False, "d": False, "e": True}


# -- on the Libya timeline ------------------------------------------------------------------------


@pytest.fixture
def libya(libya_store: Store) -> Any:
    return libya_store.catalog.get("libya")


def test_state_geojson_is_rfc_7946(
    libya_store: Store, libya: Any, libya_at: Callable[..., Any]
) -> None:
    collection = picturing.state_geojson(libya_store, libya, libya_at("2020-05-26"))
    assert collection["type"] == "FeatureCollection"
    json.dumps(collection, allow_nan=False)
    kinds: dict[str, int] = {}
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert -180 <= lon <= 180
        assert -90 <= lat <= 90
        kinds[feature["properties"]["feature"]] = kinds.get(feature["properties"]["feature"], 0) + 1
    places = {
        f["properties"]["id"]: f
        for f in collection["features"]
        if f["properties"]["feature"] == "place"
    }
    # [lon, lat]: Tripoli is at about 13.19 E, 32.89 N.
    lon, lat = places["tripoli"]["geometry"]["coordinates"]
    assert lon == pytest.approx(13.19, abs=0.05)
    assert lat == pytest.approx(32.89, abs=0.05)
    watiya = places["al-watiya"]["properties"]
    assert watiya["controller"] == {"id": "gna", "name": "Government of National Accord"}
    assert watiya["from"]["id"] == "lna"
    assert watiya["since"] == "2020-05-18"
    assert watiya["certain"] is True
    assert watiya["contested"] is False
    assert watiya["events"]
    assert watiya["sources"]
    assert "Operation Flood of Dignity" in " ".join(places["tripoli"]["properties"]["offensives"])
    assert kinds["force"] >= 3
    assert kinds["materiel"] >= 1
    located = [
        e
        for e in lookups.load_registry(libya_store, "libya")
        if e.type == "place" and e.lat is not None
    ]
    assert kinds["place"] == len(located)
    forces = [
        f["properties"] for f in collection["features"] if f["properties"]["feature"] == "force"
    ]
    russia = next(f for f in forces if f["actor"]["id"] == "russia")
    assert russia["place"]["id"] == "al-jufra"
    assert russia["on_behalf_of"]["id"] == "lna"


def test_geojson_leaves_out_facts_at_places_without_coordinates() -> None:
    answer = {
        "presence": [{"actor": {"id": "x", "name": "X"}, "place": {"id": "nowhere", "name": "N"}}],
        "materiel": [{"item": "tank", "place": None}],
    }
    collection = geojson.state_collection(answer, [_place("nowhere", None, None)])
    assert collection["features"] == []


def test_the_map_of_libya_colours_al_watiya_by_who_held_it(libya_store: Store, libya: Any) -> None:
    def watiya(date: str) -> mapping.Marker:
        scene = picturing.map_scene(libya_store, libya, parse_instant(date, libya.zone))
        return next(m for m in scene.markers if m.place == "al-watiya")

    registry = lookups.load_registry(libya_store, "libya")
    palette = picturing.actor_colours(libya_store, libya, registry)
    before, after = watiya("2020-05-10"), watiya("2020-05-26")
    assert (before.controller, before.colour) == ("lna", palette["lna"])
    assert (after.controller, after.colour) == ("gna", palette["gna"])
    assert palette["lna"] != palette["gna"]


def test_the_libya_map_has_its_outline_and_no_overlapping_labels(
    libya_store: Store, libya: Any
) -> None:
    scene = picturing.map_scene(libya_store, libya, parse_instant("2019-04-10", libya.zone))
    assert len(scene.outline) == 1
    assert len(scene.outline[0]) > 50
    assert scene.labels
    boxes = [label.box for label in scene.labels]
    for i, box in enumerate(boxes):
        assert not any(mapping.overlaps(box, other) for other in boxes[i + 1 :])
    tripoli = next(m for m in scene.markers if m.place == "tripoli")
    assert tripoli.targeted_by  # the LNA's offensive on Tripoli began on 4 April 2019
    assert "as known" not in scene.subtitle


def test_a_map_as_known_earlier_says_so(libya_store: Store, libya: Any) -> None:
    known = parse_instant("2030-01-01", libya.zone)
    scene = picturing.map_scene(
        libya_store, libya, parse_instant("2020-05-26", libya.zone), as_known=known
    )
    assert "as known at 2030-01-01T22:00:00Z" in scene.subtitle


# -- charts ---------------------------------------------------------------------------------------


def _utc(text: str) -> datetime:
    return parse_fuzzy(text, "UTC").start


def test_months_between_spans_year_ends() -> None:
    assert charts.months_between(_utc("2019-11-20"), _utc("2020-02-02"), "UTC") == (
        "2019-11",
        "2019-12",
        "2020-01",
        "2020-02",
    )
    # The end is not in the window: a window ending at midnight on 1 March ends in February.
    assert charts.months_between(_utc("2020-02-10"), _utc("2020-03-01"), "UTC") == ("2020-02",)


def test_a_month_is_the_timeline_zones() -> None:
    # 23:30 UTC on 31 January is already February in Tripoli (UTC+2).
    instant = datetime(2020, 1, 31, 23, 30, tzinfo=UTC)
    assert charts.month_of(instant, "UTC") == "2020-01"
    assert charts.month_of(instant, "Africa/Tripoli") == "2020-02"


def test_the_fatalities_chart_of_libya_adds_up_to_the_answers_total(
    libya_store: Store, libya: Any, libya_at: Callable[..., Any]
) -> None:
    data = picturing.chart(libya_store, libya, "fatalities")
    assert isinstance(data, charts.BarChart)
    total = libya_at("2020-12-31")["fatalities"]["total"]
    assert sum(data.totals()) == pytest.approx(total)
    labels = [s.label for s in data.series]
    assert "Libyan National Army" in labels
    assert all(len(s.values) == len(data.months) for s in data.series)


def test_the_events_chart_counts_each_event_once_in_its_month(
    libya_store: Store, libya: Any
) -> None:
    window = (parse_fuzzy("2020-05", libya.zone).start, parse_fuzzy("2020-05", libya.zone).end)
    data = picturing.chart(libya_store, libya, "events", between=window)
    assert isinstance(data, charts.BarChart)
    assert data.months == ("2020-05",)
    events = picturing._events(libya_store, libya)
    in_may = [e for e in events if window[0] <= e.date.start < window[1]]
    assert data.totals() == (len(in_may),)


def test_stacks_keep_the_largest_series_and_sum_the_rest() -> None:
    cells = {("2020-01", f"k{i}"): float(i + 1) for i in range(12)}
    chart = charts._stack("t", "y", ["2020-01"], cells, {}, {})
    assert len(chart.series) == charts.MAX_SERIES
    assert chart.series[0].label == "k11"
    assert chart.series[-1].label == charts.OTHERS
    assert chart.totals() == (sum(cells.values()),)


def test_the_control_chart_follows_al_watiya(libya_store: Store, libya: Any) -> None:
    window = (parse_fuzzy("2020", libya.zone).start, parse_fuzzy("2020", libya.zone).end)
    data = picturing.chart(
        libya_store, libya, "control", between=window, places=["Al Watiya Air Base"]
    )
    assert isinstance(data, charts.ControlChart)
    (strip,) = data.strips
    assert [s.controller for s in strip.spans] == ["lna", "gna"]
    lna, gna = strip.spans
    assert lna.start == window[0]
    assert lna.end == gna.start == parse_fuzzy("2020-05-18", libya.zone).start
    assert gna.end == window[1]


def test_the_control_chart_picks_the_most_contested_places_by_default(
    libya_store: Store, libya: Any
) -> None:
    data = picturing.chart(libya_store, libya, "control")
    assert isinstance(data, charts.ControlChart)
    assert len(data.strips) == picturing.CONTESTED_PLACES
    changes = [len(s.spans) for s in data.strips]
    assert changes[0] >= 3


def test_the_control_chart_marks_an_uncertain_change_of_hands() -> None:
    history = {
        "entity": {"id": "p", "name": "P"},
        "control": [
            {
                "controller": {"id": "x", "name": "X"},
                "from": "2020-03",
                "until": None,
                "certain": False,
            }
        ],
    }
    chart = charts.control_chart([history], "UTC", _utc("2020-01-01"), _utc("2021-01-01"), {})
    (span,) = chart.strips[0].spans
    assert span.start == _utc("2020-03-01")
    assert span.settled == _utc("2020-04-01")
    assert span.certain is False


def test_the_control_chart_gives_each_side_of_a_divided_place_a_lane_and_marks_the_contest(
    libya_store: Store, libya: Any
) -> None:
    window = (parse_fuzzy("2014", libya.zone).start, parse_fuzzy("2018", libya.zone).end)
    data = picturing.chart(libya_store, libya, "control", between=window, places=["Benghazi"])
    assert isinstance(data, charts.ControlChart)
    (strip,) = data.strips
    assert strip.lanes == 2
    in_lane = {lane: [s for s in strip.spans if s.lane == lane] for lane in (0, 1)}
    assert {s.controller for s in in_lane[1]} == {"lna"}  # its part, beside the Council's
    assert "bensc" in {s.controller for s in in_lane[0]}
    ((began, ended),) = strip.contests
    assert began == parse_fuzzy("2014-05-16", libya.zone).start
    assert ended == parse_fuzzy("2017-12-28", libya.zone).start


_day = st.integers(0, 3000).map(lambda n: datetime(2010, 1, 1, tzinfo=UTC) + timedelta(days=n))


@given(st.lists(st.tuples(_day, st.integers(1, 900)), max_size=12))
def test_lanes_never_overlap_and_are_as_few_as_the_most_holdings_at_once(
    spans: list[tuple[datetime, int]],
) -> None:
    made = [
        charts.Span(b, b + timedelta(days=d), f"a{n}", "A", "#000", True, b)
        for n, (b, d) in enumerate(spans)
    ]
    laid, lanes = charts.in_lanes(made)
    assert sorted(s.controller for s in laid) == sorted(s.controller for s in made)
    for one in laid:
        for other in laid:
            if one is not other and one.lane == other.lane:
                assert one.end <= other.start or other.end <= one.start
    most = max((sum(1 for s in made if s.start <= t.start < s.end) for t in made), default=0)
    assert lanes == max(most, 1)


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("pie", {}, "'pie' is not one of"),
        ("events", {"places": ["tripoli"]}, "only charted by the control chart"),
        ("control", {"places": ["Atlantis"]}, "unknown place 'Atlantis'"),
    ],
)
def test_chart_errors_name_the_value(
    libya_store: Store, libya: Any, kind: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        picturing.chart(libya_store, libya, kind, **options)


def test_a_chart_window_must_move_forward(libya_store: Store, libya: Any) -> None:
    instant = _utc("2020-01-01")
    with pytest.raises(InvalidInput, match="is not after") as err:
        picturing.chart(libya_store, libya, "events", between=(instant, instant))
    assert err.value.subject == "between"


# -- TimelineJS ------------------------------------------------------------------------------------


def test_timelinejs_dates_keep_only_the_known_parts(libya_store: Store, libya: Any) -> None:
    registry = lookups.load_registry(libya_store, "libya")
    events = picturing._events(libya_store, libya)
    document = timelinejs.timeline_js(events, registry, zone=libya.zone, title="T", name="libya")
    assert set(document) == {"title", "events", "eras"}
    assert document["title"]["text"]["headline"] == "T"
    by_id = {slide["unique_id"]: slide for slide in document["events"]}
    assert len(by_id) == len(events)
    for slide in document["events"]:
        assert set(slide) <= {
            "start_date",
            "end_date",
            "display_date",
            "text",
            "group",
            "unique_id",
        }
        assert set(slide["text"]) == {"headline", "text"}
        assert isinstance(slide["start_date"]["year"], int)
        assert set(slide["start_date"]) in (
            {"year"},
            {"year", "month"},
            {"year", "month", "day"},
            {"year", "month", "day", "hour", "minute"},
        )
    for event in events:
        slide = by_id[event.id]
        assert slide["display_date"] == event.date.text
        assert slide["group"] == event.kind
    ranged = next(e for e in events if e.date.text == "2019-01-16/2019-02-04")
    assert by_id[ranged.id]["start_date"] == {"year": 2019, "month": 1, "day": 16}
    assert by_id[ranged.id]["end_date"] == {"year": 2019, "month": 2, "day": 4}
    a_year = next(e for e in events if e.date.text == "2014")
    assert by_id[a_year.id]["start_date"] == {"year": 2014}
    assert "end_date" not in by_id[a_year.id]
    linked = next(s for s in document["events"] if "<a href=" in s["text"]["text"])
    assert 'href="https://' in linked["text"]["text"]
    eras = {era["text"]["headline"]: era for era in document["eras"]}
    assert eras["Operation Flood of Dignity"]["start_date"] == {"year": 2019, "month": 4, "day": 4}
    assert "January 2020 ceasefire" in eras
    for era in document["eras"]:
        assert tuple(era["start_date"].values()) <= tuple(era["end_date"].values())


def test_timelinejs_of_nothing_is_an_empty_timeline() -> None:
    from timeline.entities import Registry

    document = timelinejs.timeline_js([], Registry(), zone="UTC", title="<T>", name="t")
    assert document == {
        "title": {"text": {"headline": "&lt;T&gt;", "text": "t"}},
        "events": [],
        "eras": [],
    }


def test_weeks_are_iso_weeks_in_the_timeline_zone() -> None:
    # Sunday 2020-05-31 23:30 UTC is already Monday 1 June in Tripoli: week 23, not 22.
    instant = datetime(2020, 5, 31, 23, 30, tzinfo=UTC)
    assert charts.week_of(instant, "UTC") == "2020-W22"
    assert charts.week_of(instant, "Africa/Tripoli") == "2020-W23"
    start = datetime(2019, 12, 28, tzinfo=UTC)
    assert charts.weeks_between(start, datetime(2020, 1, 13, tzinfo=UTC), "UTC") == (
        "2019-W52",
        "2020-W01",
        "2020-W02",
    )


def test_the_weekly_fatalities_of_libya_add_up_to_the_monthly_ones(
    libya_store: Store, libya: Any
) -> None:
    monthly = picturing.chart(libya_store, libya, "fatalities")
    weekly = picturing.chart(libya_store, libya, "fatalities", per="week")
    assert isinstance(monthly, charts.BarChart)
    assert isinstance(weekly, charts.BarChart)
    assert weekly.title == "Fatalities per week"
    assert all(len(label) == 8 and label[4:6] == "-W" for label in weekly.months)
    assert sum(weekly.totals()) == pytest.approx(sum(monthly.totals()))
    assert sum(weekly.totals()) > 0


def test_fatalities_by_dataset_keep_each_dataset_apart() -> None:
    def clash(seq: int, key: str | None, fatalities: int) -> Event:
        made = make(seq, "clash", "2020-05-10", actors=["lna", "gna"], fatalities=fatalities)
        return replace(made, origin=Origin(key) if key else None)

    events = [
        clash(1, "acled:LBY1", 10),
        clash(2, "ucdp:7", 4),
        clash(3, None, 1),
        clash(4, "acled:LBY2", 5),
    ]
    start, end = parse_fuzzy("2020-05").start, parse_fuzzy("2020-05").end
    data = charts.fatalities(events, "UTC", start, end, {}, {}, by="dataset")
    assert data.title == "Fatalities per month by dataset"
    assert {s.label: s.values for s in data.series} == {
        "ACLED": (15.0,),
        "UCDP GED": (4.0,),
        "the timeline's own events": (1.0,),
    }
    assert len({s.colour for s in data.series}) == 3


def test_fatalities_by_dataset_say_no_data_and_what_the_total_takes(tmp_path: Path) -> None:
    def clash(seq: int, date: str, dataset: str | None, n: int) -> Event:
        made = make(seq, "clash", date, actors=["lna"], fatalities=n)
        return replace(made, origin=Origin(f"{dataset}:{seq}") if dataset else None)

    events = [
        clash(1, "2011-02-17", "acled", 50),  # before UCDP's first event: in the total
        clash(2, "2011-03-19", "ucdp", 40),
        clash(3, "2011-05-10", "acled", 70),  # UCDP covers May: not in the total
        clash(4, "2011-06-01", "ucdp", 45),
        make(5, POLICY_KIND, "../..", prefer=["ucdp", "acled", "timeline"]),
    ]
    start, end = parse_fuzzy("2011-01").start, parse_fuzzy("2011-07").end
    data = charts.fatalities(events, "UTC", start, end, {}, {}, by="dataset")
    assert data.side_by_side
    assert data.months == tuple(f"2011-{m:02d}" for m in range(1, 8))
    series = {s.label: s for s in data.series}
    ucdp, acled = series["UCDP GED"], series["ACLED"]
    nan = float("nan")
    same = np.testing.assert_array_equal
    same(ucdp.values, (nan, nan, 40.0, 0.0, 0.0, 45.0, nan))  # no data outside its coverage
    same(acled.values, (nan, 50.0, 0.0, 0.0, 70.0, nan, nan))
    same(acled.counted, (nan, 50.0, 0.0, 0.0, 0.0, nan, nan))
    # Each month's total takes one dataset: never 40 + 70, never ACLED's May.
    assert data.totals() == (0.0, 50.0, 40.0, 0.0, 0.0, 45.0, 0.0)
    pytest.importorskip("matplotlib")
    from timeline.pictures import drawing

    drawing.draw(data, tmp_path / "datasets.svg")
    assert "<svg" in (tmp_path / "datasets.svg").read_text(encoding="utf-8")


def test_only_the_fatalities_chart_is_cut_by_week_or_dataset(
    libya_store: Store, libya: Any
) -> None:
    with pytest.raises(InvalidInput, match="only the fatalities chart") as caught:
        picturing.chart(libya_store, libya, "events", per="week")
    assert caught.value.subject == "per"
    with pytest.raises(InvalidInput, match="'fortnight' is not one of month, week"):
        picturing.chart(libya_store, libya, "fatalities", per="fortnight")


def _pixels(path: Path) -> tuple[str, tuple[int, int], Any, Any]:
    from PIL import Image

    with Image.open(path) as image:
        return image.mode, image.size, image.info.get("dpi"), np.asarray(image.convert("RGBA"))


def test_a_png_holds_the_pixels_matplotlib_writes_in_rgb_when_they_are_opaque(
    libya_store: Store, libya: Any, tmp_path: Path
) -> None:
    from timeline.pictures import drawing

    scene = picturing.map_scene(libya_store, libya, parse_instant("2020-05-26", libya.zone))
    ours, theirs = tmp_path / "ours.png", tmp_path / "theirs.png"
    drawing.draw(scene, ours)
    drawing._figure(scene).savefig(theirs, format="png")
    mode, size, dpi, pixels = _pixels(ours)
    their_mode, their_size, their_dpi, their_pixels = _pixels(theirs)
    assert (mode, their_mode) == ("RGB", "RGBA")
    assert (size, dpi) == (their_size, their_dpi)
    assert np.array_equal(pixels, their_pixels)


def test_a_png_with_see_through_pixels_keeps_its_alpha(tmp_path: Path) -> None:
    from timeline.pictures import drawing

    figure = drawing._new_figure(60, 30)
    figure.patch.set_alpha(0.5)
    figure.text(0.1, 0.5, "half")
    ours, theirs = tmp_path / "ours.png", tmp_path / "theirs.png"
    drawing.save(figure, ours, "png")
    figure.savefig(theirs, format="png")
    mode, size, _, pixels = _pixels(ours)
    assert mode == "RGBA"
    assert size == _pixels(theirs)[1]
    assert np.array_equal(pixels, _pixels(theirs)[3])
