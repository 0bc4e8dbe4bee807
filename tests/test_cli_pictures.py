"""`timeline at --format geojson`, `map`, `chart` and `export --format timelinejs` through the
CLI, on the shipped Libya timeline (SQLite: what they read is the answer the other tests check
on both backends)."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from timeline import lookups, picturing
from timeline.pictures import mapping
from timeline.store.sql import SqlStore

Invoke = Callable[..., Result]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def libya_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database holding the shipped Libya timeline, seeded once for this module."""
    from timeline import database
    from timeline.seeds import load_seed

    url = f"sqlite:///{tmp_path_factory.mktemp('pictures') / 'libya.db'}"
    engine = database.open_engine(url)
    load_seed(SqlStore(engine), "libya")
    engine.dispose()
    return url


@pytest.fixture
def invoke(libya_db: str) -> Invoke:
    from timeline.cli import main

    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(main, ["--db", libya_db, *args])

    return run


@pytest.fixture
def store(libya_db: str) -> Iterator[SqlStore]:
    from timeline import database

    engine = database.open_engine(libya_db)
    yield SqlStore(engine)
    engine.dispose()


def test_at_geojson_is_a_feature_collection_gis_tools_load(invoke: Invoke) -> None:
    result = invoke("at", "2020-05-26", "--format", "geojson")
    assert result.exit_code == 0, result.output
    collection = json.loads(result.stdout)
    assert collection["type"] == "FeatureCollection"
    tripoli = next(f for f in collection["features"] if f["properties"].get("id") == "tripoli")
    assert tripoli["geometry"] == {"type": "Point", "coordinates": [13.18, 32.8925]}
    assert {f["properties"]["feature"] for f in collection["features"]} == {
        "place",
        "force",
        "materiel",
    }


def _markers(svg: Path) -> dict[str, str]:
    """The fill colour of each place's marker, by place id, from the SVG's groups."""
    root = ET.parse(svg).getroot()
    found = {}
    for group in root.iter(f"{SVG}g"):
        gid = group.get("id", "")
        if gid.startswith("place-"):
            (path,) = group.iter(f"{SVG}path")
            style = dict(
                part.strip().split(": ", 1)
                for part in path.get("style", "").split(";")
                if part.strip()
            )
            found[gid.removeprefix("place-")] = style["fill"]
    return found


def test_map_svg_has_one_marker_per_located_place_coloured_by_its_controller(
    invoke: Invoke, store: SqlStore, tmp_path: Path
) -> None:
    before, after = tmp_path / "before.svg", tmp_path / "after.svg"
    registry = lookups.load_registry(store, "libya")
    located = {e.id for e in registry if e.type == "place" and e.lat is not None}
    for date, path in (("2020-05-10", before), ("2020-05-26", after)):
        result = invoke("map", date, "-o", str(path))
        assert result.exit_code == 0, result.output
        # Every located place of the seeds gets a marker.
        assert result.stdout.startswith(f"{path}: {len(located)} places, ")
    first, second = _markers(before), _markers(after)
    assert set(first) == set(second) == located
    palette = picturing.actor_colours(store, store.catalog.get("libya"), registry)
    assert first["al-watiya"] == palette["lna"]
    assert second["al-watiya"] == palette["gna"]
    assert first["al-watiya"] != second["al-watiya"]
    text = after.read_text(encoding="utf-8")
    assert "Libyan civil war" in text
    assert "libya at 2020-05-26T22:00:00Z, with everything recorded" in text
    assert 'id="target-tripoli"' in text  # the LNA's offensive on Tripoli, still under way


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, chunk = struct.unpack(">I4s", data[8:16])
    assert (length, chunk) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_map_png_is_a_png_of_the_scenes_size(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "map.png"
    result = invoke("map", "2020-05-26", "--as-known", "2030-01-01", "-o", str(path))
    assert result.exit_code == 0, result.output
    width, height = _png_size(path)
    # matplotlib truncates the figure's size in pixels.
    assert width == int((mapping.WIDTH + mapping.LEGEND_WIDTH) / 72 * 100)
    assert 300 < height < 2000


@pytest.mark.parametrize("kind", ["fatalities", "events", "control"])
def test_chart_writes_png_and_svg(invoke: Invoke, tmp_path: Path, kind: str) -> None:
    png, svg = tmp_path / f"{kind}.png", tmp_path / f"{kind}.svg"
    for path in (png, svg):
        result = invoke("chart", kind, "-o", str(path), "--between", "2019", "2020")
        assert result.exit_code == 0, result.output
    width, _ = _png_size(png)
    assert width > 600
    assert ET.parse(svg).getroot().tag == f"{SVG}svg"
    unit = "places" if kind == "control" else "months"
    assert result.stdout.strip().endswith(f"{unit}")


def test_chart_fatalities_per_week_by_dataset(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "weekly.svg"
    args = ("chart", "fatalities", "-o", str(path), "--per", "week", "--by", "dataset")
    result = invoke(*args, "--between", "2011", "2011")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{path}: fatalities, 53 weeks"
    # Over the whole timeline: the seeds' own fatalities, as one dataset.
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    text = path.read_text(encoding="utf-8")
    assert "Fatalities per week by dataset" in text
    assert "the timeline" in text


def test_chart_control_of_named_places(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "control.svg"
    result = invoke("chart", "control", "-o", str(path), "--place", "al-watiya", "--place", "Sirte")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("control, 2 places")
    text = path.read_text(encoding="utf-8")
    assert "Al Watiya Air Base" in text
    assert "Sirte" in text


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("map", "2020-13-45", "-o", "x.png"), 2, "DATE: '2020-13-45' is not a date"),
        (
            ("map", "2020", "-o", "x.gif"),
            2,
            "--output: 'x.gif': the file name must end in .png or .svg",
        ),
        (("map", "2020", "--as-known", "soon", "-o", "x.png"), 2, "--as-known: 'soon'"),
        (("chart", "pie", "-o", "x.png"), 2, "'pie' is not one of"),
        (("chart", "events", "-o", "x.png", "--per", "week"), 2, "--per: per week by actor"),
        (("chart", "control", "-o", "x.png", "--place", "Atlantis"), 2, "unknown place 'Atlantis'"),
        (("chart", "events", "-o", "x.png", "--between", "2020", "2019"), 2, "--between: "),
        (("chart", "events", "-o", "x.pdf"), 2, "'x.pdf': the file name must end in .png or .svg"),
        (
            ("report", "2020", "-o", "r.pdf"),
            2,
            "--output: 'r.pdf': the file name must end in .html",
        ),
        (("report", "yesterday-ish", "-o", "r.html"), 2, "DATE: 'yesterday-ish'"),
        (("report", "-o", "r.html"), 2, "Missing argument 'DATE...'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    invoke: Invoke,
    args: tuple[str, ...],
    code: int,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(*args)
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


def test_drawing_without_matplotlib_says_how_to_install_it(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes `import matplotlib` fail as if it were not installed.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for args in (("map", "2020"), ("chart", "events")):
        result = invoke(*args, "-o", str(tmp_path / "x.png"))
        assert result.exit_code == 4, result.output
        assert result.stderr.strip() == (
            "Error: drawing needs matplotlib, which is not installed: "
            "pip install 'timeline[pictures]'"
        )


def test_export_timelinejs(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "libya.json"
    result = invoke("export", "--format", "timelinejs", "-o", str(path))
    assert result.exit_code == 0, result.output
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["title"]["text"]["headline"] == "Libyan civil war, 2011–2020"
    assert len(document["events"]) > 200
    assert any(s["group"] == "control" for s in document["events"])
    assert document["eras"]


class _Links(HTMLParser):
    """Every URL-bearing attribute and every tag of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.sections: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "srcset", "data", "poster"):
                self.urls.append((tag, name, value or ""))
        found = dict(attrs)
        if tag == "section" and found.get("class") == "date":
            self.sections.append(found.get("data-label") or "")


def test_report_is_one_self_contained_html_file(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    result = invoke("report", "2020-05-26", "2019-04-10", "2020-05-10", "-o", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{path}: 3 dates"
    text = path.read_text(encoding="utf-8")
    parser = _Links()
    parser.feed(text)
    # Only references inside the page: the SVGs' own ids.
    assert parser.urls
    assert all(value.startswith("#") for _, _, value in parser.urls), parser.urls[:5]
    assert "url(http" not in text
    assert "@import" not in text
    assert "default-src 'none'" in text
    # The dates in time order, each with its map and briefing; then the two charts.
    assert parser.sections == [
        "2019-04-10T22:00:00Z",
        "2020-05-10T22:00:00Z",
        "2020-05-26T22:00:00Z",
    ]
    assert parser.tags.count("svg") == 5
    assert 'type="range"' in text
    assert text.count("<h3>Control of places</h3>") == 3
    # Ids are made unique per picture, so the maps do not point into one another.
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--enable-logging=stderr",
    "--v=0",
    "--dump-dom",
)


def test_report_opens_in_headless_chromium_without_a_console_message(
    invoke: Invoke, tmp_path: Path
) -> None:
    browser = shutil.which("chromium")
    if browser is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true: chromium is missing (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    path = tmp_path / "report.html"
    assert invoke("report", "2019-04-10", "2020-05-26", "-o", str(path)).exit_code == 0
    done = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", path.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # A script error, a refused load or any console.log shows as a CONSOLE line.
    assert ":CONSOLE" not in done.stderr, done.stderr[-2000:]
    # The script ran: the slider shows the first date and hides the others.
    sections = re.findall(r'<section class="date"[^>]*>', done.stdout)
    assert len(sections) == 2
    assert "hidden" not in sections[0]
    assert "hidden" in sections[1]
