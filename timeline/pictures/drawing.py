"""Drawing maps and charts as PNG or SVG, with matplotlib.

Why matplotlib: it is well kept, installs from wheels everywhere, and writes PNG and SVG from
one code path (the same figure saved twice gives the same picture). It is imported inside the
functions that draw, on its Agg canvas without pyplot (no GUI backend, no global figure
state), so that importing this module costs nothing and commands that do not draw never load
it. Everything the pictures show (positions, labels, colours, series) is computed before, in
the pure modules; this one only copies it onto a figure.

Each place's marker is an SVG group `place-<id>` (matplotlib's `gid`), so that a program can
find a place in the SVG.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from timeline.errors import InvalidInput, TimelineError
from timeline.pictures.charts import BarChart, ControlChart
from timeline.pictures.colours import NOBODY
from timeline.pictures.mapping import LEGEND_WIDTH, MARKER_RADIUS, TITLE_HEIGHT, Scene

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMATS = ("png", "svg")
DPI = 100
HATCH = "////"
UNCERTAIN_ALPHA = 0.45
# Spans a place was fought over, under its strip in the control chart.
CONTEST_COLOUR = "#222222"
CONTESTED = "#000000"
TARGET = "#b00000"


INSTALL_HINT = "pip install 'timeline[pictures]'"


class PicturesNotInstalled(TimelineError):
    """Drawing needs matplotlib, an optional dependency that is not installed (exit 4)."""

    exit_code = 4


def require_matplotlib() -> None:
    """Fail with one line saying how to install matplotlib when it is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise PicturesNotInstalled(
            f"drawing needs matplotlib, which is not installed: {INSTALL_HINT}"
        ) from None


def picture_format(path: Path) -> str:
    """The format a file name asks for (its suffix), or an error naming the file."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InvalidInput(
            f"{str(path)!r}: the file name must end in .png or .svg", subject="output"
        )
    return fmt


def _new_figure(width_pt: float, height_pt: float) -> Figure:
    require_matplotlib()
    import matplotlib
    from matplotlib.figure import Figure

    # SVG ids made deterministic: the same picture gives the same file.
    matplotlib.rcParams["svg.hashsalt"] = "timeline"
    # Text as text, not glyph outlines: a tenth of the size, and searchable.
    matplotlib.rcParams["svg.fonttype"] = "none"
    matplotlib.rcParams["font.size"] = 8
    return Figure(figsize=(width_pt / 72, height_pt / 72), dpi=DPI)


def save(figure: Figure, target: Path | IO[bytes], fmt: str) -> None:
    """Write the figure to a file or a binary stream as PNG or SVG."""
    if fmt == "svg":
        figure.savefig(target, format=fmt, metadata={"Date": None})
        return
    from PIL import Image

    # Drawn by savefig as raw RGBA (with its colours and size, as for PNG), then written
    # by Pillow as matplotlib's PNG writer would (no text chunk, the figure's resolution),
    # but in RGB when every pixel is opaque, as a map's or a chart's white page is: the same
    # picture, a tenth smaller and a quarter quicker to compress than RGBA.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="rgba")
    size = figure.canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", size, buffer.getvalue(), "raw", "RGBA", 0, 1)
    if image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")
    # zlib level 3 rather than 6: a fifth of the time, and files a tenth larger.
    image.save(target, format="png", compress_level=3, dpi=(figure.dpi, figure.dpi))


Picture = Scene | BarChart | ControlChart


def _figure(picture: Picture) -> Figure:
    if isinstance(picture, Scene):
        return _map_figure(picture)
    if isinstance(picture, ControlChart):
        return _control_figure(picture)
    return _bars_figure(picture)


def draw(picture: Picture, path: Path) -> None:
    """Write a map or a chart to `path`, as PNG or SVG by its suffix."""
    fmt = picture_format(path)
    save(_figure(picture), path, fmt)


def svg_of(picture: Picture) -> str:
    """A map or a chart as SVG text (for pages that inline it)."""
    buffer = io.BytesIO()
    save(_figure(picture), buffer, "svg")
    return buffer.getvalue().decode("utf-8")


def _map_figure(scene: Scene) -> Figure:
    require_matplotlib()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Patch, Polygon

    total_w, total_h = scene.width + LEGEND_WIDTH, scene.height + TITLE_HEIGHT
    figure = _new_figure(total_w, total_h)
    ax = figure.add_axes((0, 0, scene.width / total_w, scene.height / total_h))
    ax.set_xlim(0, scene.width)
    ax.set_ylim(0, scene.height)
    ax.set_aspect("equal")
    ax.set_axis_off()
    # add_artist, not add_patch: the limits are set above, and add_patch works out each
    # patch's data limits from its curves for autoscaling, half the time of building a map.
    add = ax.add_artist
    for ring in scene.outline:
        add(Polygon(ring, closed=True, facecolor="#f4f1e8", edgecolor="#6b6b6b", linewidth=0.8))
    r = MARKER_RADIUS
    for marker in scene.markers:
        dot = Circle(
            (marker.x, marker.y),
            r,
            facecolor=marker.colour,
            edgecolor="#222222",
            linewidth=0.6,
            alpha=1.0 if marker.certain else UNCERTAIN_ALPHA,
            hatch=None if marker.certain else HATCH,
            linestyle="-" if marker.certain else "--",
            zorder=3,
        )
        dot.set_gid(f"place-{marker.place}")
        add(dot)
        if marker.contested:
            add(
                Circle(
                    (marker.x, marker.y),
                    r * 1.9,
                    fill=False,
                    edgecolor=CONTESTED,
                    linestyle=":",
                    linewidth=1.0,
                    zorder=4,
                    gid=f"contested-{marker.place}",
                )
            )
        if marker.targeted_by:
            (cross,) = ax.plot(
                [marker.x], [marker.y], marker="x", markersize=r * 3.2, color=TARGET, zorder=5
            )
            cross.set_gid(f"target-{marker.place}")
    # A light box rather than a stroke around the glyphs: path effects would turn every
    # label into outlines in the SVG, ten times the size and no longer text.
    halo = {"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.6}
    for label in scene.labels:
        x0, y0, _, _ = label.box
        ax.text(
            x0,
            y0,
            label.text,
            fontsize=scene.font_size,
            ha="left",
            va="bottom",
            zorder=6,
            bbox=halo,
        )
    figure.text(0.01, 1 - 16 / total_h, scene.title, fontsize=12, weight="bold", va="baseline")
    figure.text(0.01, 1 - 32 / total_h, scene.subtitle, fontsize=8, va="baseline")
    handles: list[Any] = [
        Patch(facecolor=colour, edgecolor="#222222", label=name) for name, colour in scene.legend
    ]
    handles += [
        Patch(facecolor=NOBODY, edgecolor="#222222", label="no controller known"),
        Patch(
            facecolor="#999999",
            edgecolor="#222222",
            alpha=UNCERTAIN_ALPHA,
            hatch=HATCH,
            label="possibly in effect",
        ),
        Line2D(
            [],
            [],
            marker="o",
            markersize=9,
            fillstyle="none",
            linestyle="none",
            color=CONTESTED,
            label="contested or divided",
        ),
        Line2D(
            [],
            [],
            marker="x",
            markersize=8,
            linestyle="none",
            color=TARGET,
            label="offensive target",
        ),
    ]
    figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(scene.width / total_w, 1 - TITLE_HEIGHT / total_h),
        frameon=False,
        fontsize=7,
        title="Held by",
        title_fontsize=8,
        alignment="left",
    )
    return figure


def _bars_figure(chart: BarChart) -> Figure:
    figure = _new_figure(760, 400)
    ax = figure.add_axes((0.07, 0.14, 0.68, 0.76))
    positions = list(range(len(chart.months)))
    # Month i spans [i - 0.5, i + 0.5]. Each layer is one filled step outline (`stairs`) on top
    # of the layers below it, not a rectangle per month: ten years of months would be a
    # thousand artists, and three times as slow to draw.
    if chart.side_by_side:
        _side_by_side(ax, chart)
    else:
        edges = [i - 0.5 for i in range(len(chart.months) + 1)]
        bottom = [0.0] * len(chart.months)
        for series in chart.series:
            top = [b + v for b, v in zip(bottom, series.values, strict=True)]
            ax.stairs(
                top, edges, baseline=bottom, fill=True, color=series.colour, label=series.label
            )
            bottom = top
    step = max(1, len(positions) // 12)
    ax.set_xticks(positions[::step], chart.months[::step], rotation=45, ha="right", fontsize=7)
    ax.set_ylabel(chart.ylabel)
    ax.set_xlim(-0.6, len(positions) - 0.4)
    ax.set_ylim(bottom=0)
    ax.set_title(chart.title, loc="left", fontsize=11, weight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    if chart.series:
        figure.legend(loc="upper left", bbox_to_anchor=(0.77, 0.9), frameon=False, fontsize=7)
    return figure


# The part of a dataset's bar that the timeline's total does not take (another dataset
# counts that period): drawn faded behind the part it does take.
NOT_COUNTED_ALPHA = 0.3


def _side_by_side(ax: Any, chart: BarChart) -> None:
    """Each series' bar next to the others' in every month (no data: no bar), the part the
    total takes solid, the rest faded."""
    from matplotlib.patches import Patch

    count = max(1, len(chart.series))
    width = 0.8 / count
    for index, series in enumerate(chart.series):
        offset = -0.4 + width * (index + 0.5)
        x = [i + offset for i in range(len(chart.months))]
        ax.bar(x, series.values, width, color=series.colour, alpha=NOT_COUNTED_ALPHA, linewidth=0)
        solid = series.counted if series.counted is not None else series.values
        ax.bar(x, solid, width, color=series.colour, label=series.label, linewidth=0)
    ax.add_artist(
        ax.legend(
            handles=[Patch(facecolor="none", edgecolor="#555555", label="faded: not in the total")],
            loc="upper right",
            frameon=False,
            fontsize=7,
        )
    )


def _control_figure(chart: ControlChart) -> Figure:
    require_matplotlib()
    import matplotlib.dates as mdates
    from matplotlib.patches import Patch

    # matplotlib's dates module is untyped; its converter is what the axis expects.
    date2num: Callable[[datetime], float] = mdates.date2num

    rows = max(len(chart.strips), 1)
    height = 80 + 24 * rows
    figure = _new_figure(860, height)
    ax = figure.add_axes((0.17, 30 / height, 0.52, 1 - 70 / height))
    for row, strip in enumerate(reversed(chart.strips)):
        # A divided place's holdings overlap in time: the strip is split into lanes.
        lane_height = 0.76 / strip.lanes
        for began, ended in strip.contests:
            # Fought over: a dark band under the strip.
            ax.broken_barh(
                [(date2num(began), date2num(ended) - date2num(began))],
                (row - 0.46, 0.07),
                facecolors=CONTEST_COLOUR,
                linewidth=0,
            )
        for span in strip.spans:
            start, settled, end = (date2num(d) for d in (span.start, span.settled, span.end))
            alpha = 1.0 if span.certain else UNCERTAIN_ALPHA
            lane = (row - 0.38 + span.lane * lane_height, lane_height)
            ax.broken_barh(
                [(settled, end - settled)],
                lane,
                facecolors=span.colour,
                alpha=alpha,
                hatch=None if span.certain else HATCH,
                edgecolor="white",
                linewidth=0.3,
            )
            if settled > start:
                # The change of hands falls somewhere in here: hatched, faded.
                ax.broken_barh(
                    [(start, settled - start)],
                    lane,
                    facecolors=span.colour,
                    alpha=UNCERTAIN_ALPHA,
                    hatch=HATCH,
                    edgecolor="white",
                    linewidth=0.3,
                )
    ax.set_yticks(range(len(chart.strips)), [s.name for s in reversed(chart.strips)], fontsize=7)
    ax.set_ylim(-0.6, rows - 0.4)
    ax.set_xlim(date2num(chart.start), date2num(chart.end))
    ax.xaxis_date()
    ax.tick_params(axis="x", labelsize=7)
    ax.set_title(chart.title, loc="left", fontsize=11, weight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    handles: list[Any] = [Patch(facecolor=c, label=n) for n, c in chart.legend]
    handles.append(
        Patch(facecolor="#999999", alpha=UNCERTAIN_ALPHA, hatch=HATCH, label="uncertain")
    )
    if any(strip.contests for strip in chart.strips):
        handles.append(Patch(facecolor=CONTEST_COLOUR, label="fought over (band below)"))
    if any(strip.lanes > 1 for strip in chart.strips):
        handles.append(
            Patch(facecolor="white", edgecolor="#999999", label="divided: a lane a side")
        )
    figure.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.71, 1 - 30 / height),
        frameon=False,
        fontsize=7,
    )
    return figure
