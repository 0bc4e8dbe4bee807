"""Benchmark: drawing a map and a chart of the shipped Libya timeline, as whole processes.

Seeds the Libya timeline into a file SQLite database, then times as processes, the repeats
taken in turns over all the commands so that a slow moment of the machine moves one sample
of each rather than every sample of one:

- `timeline map 2020-05-26 -o FILE.png` and `.svg` (target: 1.5 s);
- `timeline chart control -o FILE.png` and `chart fatalities` (target: 2 s);
- references, in the same run: `timeline at 2020-05-26 --format json` (the same answer
  without drawing) and `python -c "from matplotlib.figure import Figure"` (the floor that
  importing the drawing library sets).

Prints the median wall time of each, and its ratio to `timeline at`.

The checkout's modules run from bytecode, as an installed copy's do (pip compiles them) and as
matplotlib's and SQLAlchemy's do: compiled once into a temporary folder, even where
PYTHONDONTWRITEBYTECODE is set, which would compile them again in every process.
`--from-source` keeps the environment's setting.

    python bench/pictures.py [--repeat 7] [--from-source]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from timeline import database  # noqa: E402
from timeline.seeds import load_seed  # noqa: E402
from timeline.store.sql import SqlStore  # noqa: E402

DATE = "2020-05-26"


def commands(url: str, folder: Path) -> dict[str, tuple[list[str], float | None]]:
    """Each command timed, by label, with its target in seconds (None: a reference)."""
    cli = [sys.executable, "-m", "timeline", "--db", url]
    return {
        "at --format json (reference)": ([*cli, "at", DATE, "--format", "json"], None),
        "import matplotlib (reference)": (
            [sys.executable, "-c", "from matplotlib.figure import Figure"],
            None,
        ),
        "map -o .png": ([*cli, "map", DATE, "-o", str(folder / "map.png")], 1.5),
        "map -o .svg": ([*cli, "map", DATE, "-o", str(folder / "map.svg")], 1.5),
        "chart control -o .png": ([*cli, "chart", "control", "-o", str(folder / "c.png")], 2.0),
        "chart fatalities -o .png": (
            [*cli, "chart", "fatalities", "-o", str(folder / "f.png")],
            2.0,
        ),
    }


def run_once(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """The wall time and the CPU time (user + system) of one process, which must succeed.
    On a shared machine the CPU time moves less: a busy neighbour stretches the wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="samples of each command")
    parser.add_argument("--from-source", action="store_true", help="compile in every process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'libya.db'}"
        engine = database.open_engine(url)
        load_seed(SqlStore(engine), "libya")
        engine.dispose()
        todo = commands(url, folder)
        env = dict(os.environ)
        if not args.from_source:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(folder / "bytecode")
        for argv, _ in todo.values():
            run_once(argv, env)  # warm the page cache, matplotlib's font cache, the bytecode
        samples: dict[str, list[tuple[float, float]]] = {label: [] for label in todo}
        for _ in range(args.repeat):
            for label, (argv, _) in todo.items():
                samples[label].append(run_once(argv, env))
    reference = statistics.median(w for w, _ in samples["at --format json (reference)"])
    compiled = "compiled in every process" if args.from_source else "from bytecode"
    print(f"Libya timeline, {args.repeat} samples each, {compiled}, medians of the whole process:")
    print(f"{'command':<32}{'wall':>8}{'min-max':>14}{'CPU':>8}{'x at':>7}  target (wall)")
    for label, (_, target) in todo.items():
        walls = [w for w, _ in samples[label]]
        wall = statistics.median(walls)
        cpu = statistics.median(c for _, c in samples[label])
        met = "met" if wall <= (target or 0) else "MISSED"
        verdict = "" if target is None else f"{target:.1f} s {met}"
        print(
            f"{label:<32}{wall:>7.2f}s{min(walls):>7.2f}-{max(walls):<5.2f}s{cpu:>7.2f}s"
            f"{wall / reference:>6.1f}  {verdict}"
        )


if __name__ == "__main__":
    main()
