"""Benchmark: listing and exporting a few thousand events, as whole processes.

A SQLite database in a temporary folder holds the shipped Libya timeline plus an ACLED-like
export of 2,900 rows (bench/import.py's generator): about 3,200 events with their source
records and the actors and places they define, the size at which `timeline events` took 3.3 s
and `export --format yaml` 7.3 s. Then, in turns (one of each, then again), N times:

- `timeline events` as a table, to a pipe (the table a user pipes to `less`);
- `timeline export --format yaml` to a pipe;
- the reference, same run and interpreter: `python -c "import sqlalchemy"`, which either
  command must pay before it reads anything.

It prints each command's median wall time and quartiles, its ratio to the reference, and
whether it is under the 1 s target.

The checkout's modules run from bytecode, as an installed copy's do (pip compiles them) and as
the reference's SQLAlchemy does: compiled once into a temporary folder, even where
PYTHONDONTWRITEBYTECODE is set, which would compile them again in every process (a tenth of
a second each here). `--from-source` keeps the environment's setting.

    python bench/listing.py [--runs 9] [--rows 2900] [--from-source]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.0


def _generator() -> object:
    # bench/import.py's generator; its module name is a keyword, so loaded from its path.
    spec = importlib.util.spec_from_file_location("bench_import", ROOT / "bench" / "import.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate


def wall(command: list[str], env: dict[str, str]) -> float:
    """Seconds from starting `command` to its exit, its output to a pipe; fails loudly."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr.decode()[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--rows", type=int, default=2900)
    parser.add_argument("--from-source", action="store_true", help="compile in every process")
    options = parser.parse_args()
    timeline = [sys.executable, "-m", "timeline"]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'listing.db'}"
        env = {**os.environ, "TIMELINE_DB": url, "COLUMNS": "100"}
        env.pop("NO_COLOR", None)
        if not options.from_source:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "bytecode")
        csv_path = Path(folder) / "acled.csv"
        _generator()(csv_path, options.rows)  # type: ignore[operator]
        for setup in (["seed", "--quiet"], ["import", str(csv_path), "--format", "acled", "-q"]):
            subprocess.run([*timeline, *setup], cwd=ROOT, env=env, check=True)
        count = subprocess.run(
            [*timeline, "events", "--format", "jsonl"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            check=True,
        ).stdout.count(b"\n")
        commands = {
            'python -c "import sqlalchemy" (reference)': [
                sys.executable,
                "-c",
                "import sqlalchemy",
            ],
            "timeline events": [*timeline, "events"],
            "timeline export --format yaml": [*timeline, "export", "--format", "yaml"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(options.runs):
            for name, command in commands.items():
                times[name].append(wall(command, env))
    compiled = "compiled in every process" if options.from_source else "from bytecode"
    print(
        f"{count:,} events, {options.runs} runs of each in turns, {compiled}; medians (quartiles):"
    )
    reference = statistics.median(next(iter(times.values())))
    for name, samples in times.items():
        median = statistics.median(samples)
        low, _, high = statistics.quantiles(samples, n=4)
        verdict = (
            ""
            if "reference" in name
            else (f"  target {TARGET:.0f} s: {'met' if median < TARGET else 'missed'}")
        )
        print(
            f"  {name:<45} {median:6.3f} s ({low:.3f}-{high:.3f})  "
            f"{median / reference:4.2f}x the reference{verdict}"
        )


if __name__ == "__main__":
    main()
