"""Benchmark: how long `timeline` takes to start, as whole processes.

Runs each of these N times, in turns (one of each, then again), so that a busy spell of the
machine falls on one sample of every command rather than on every sample of one:

- `timeline --version` and `timeline at --help`: nothing but the command line;
- `timeline at 2020-05-26` on a SQLite database seeded with the shipped timelines (made in a
  temporary folder with `timeline seed` first), through the default text briefing;
- the references, in the same run and with the same interpreter: `python -c "import click"`
  and `python -c "import sqlalchemy"`.

It prints each command's median wall time (and the quartiles, to show the noise) and the
ratios against the targets: `--version` and `--help` <= 2x the bare click import; `at` on a
seeded database <= 1.5x the bare SQLAlchemy import.

Uses the `timeline` console script on PATH when there is one (and the interpreter its first
line names for the references), else `python -m timeline` from this checkout.

    python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATE = "2020-05-26"
TARGETS = {"--version": 2.0, "--help": 2.0, "at": 1.5}


def timeline_command() -> tuple[list[str], str]:
    """How to run `timeline`, and the Python interpreter that runs it: the console script on
    PATH if it works (one left behind by an uninstall does not), else `python -m timeline`."""
    script = shutil.which("timeline")
    if script is not None:
        first = Path(script).read_bytes().split(b"\n", 1)[0].decode(errors="replace")
        works = subprocess.run([script, "--version"], capture_output=True, check=False)
        if first.startswith("#!") and Path(first[2:].strip()).is_file() and not works.returncode:
            return [script], first[2:].strip()
    return [sys.executable, "-m", "timeline"], sys.executable


def wall(command: list[str], env: dict[str, str]) -> float:
    """Seconds from starting `command` to its exit; fails loudly if it fails."""
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr.decode()[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = parser.parse_args()
    timeline, python = timeline_command()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env["TIMELINE_DB"] = f"sqlite:///{Path(tmp) / 'seeded.db'}"
        # No command here may touch the user's own default database.
        env["XDG_DATA_HOME"] = str(Path(tmp) / "data")
        started = time.perf_counter()
        wall([*timeline, "seed", "--quiet"], env)
        print(f"seeded {env['TIMELINE_DB']} in {time.perf_counter() - started:.1f} s")
        commands = {
            "import click": [python, "-c", "import click"],
            "import sqlalchemy": [python, "-c", "import sqlalchemy"],
            "--version": [*timeline, "--version"],
            "--help": [*timeline, "at", "--help"],
            "at": [*timeline, "at", DATE],
        }
        shown = {
            "import click": f'{Path(python).name} -c "import click"',
            "import sqlalchemy": f'{Path(python).name} -c "import sqlalchemy"',
            "--version": "timeline --version",
            "--help": "timeline at --help",
            "at": f"timeline at {DATE}",
        }
        # One unmeasured run of each: the first reads the files from disk, the rest do not.
        for command in commands.values():
            wall(command, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                samples[name].append(wall(command, env))
    medians = {name: statistics.median(times) for name, times in samples.items()}
    print(f"timeline: {' '.join(timeline)}")
    print(f"median wall time of {args.runs} runs each, taken in turns [quartiles]")
    for name, times in samples.items():
        q1, _, q3 = statistics.quantiles(times, n=4) if len(times) > 1 else (times[0],) * 3
        spread = f"[{q1 * 1000:.0f}-{q3 * 1000:.0f}]"
        line = f"  {shown[name]:<32}{medians[name] * 1000:>6.0f} ms {spread:<12}"
        if name in TARGETS:
            reference = "import sqlalchemy" if name == "at" else "import click"
            ratio = medians[name] / medians[reference]
            verdict = "ok" if ratio <= TARGETS[name] else "MISSED"
            line += f"  {ratio:.2f}x {reference} (target <= {TARGETS[name]:g}: {verdict})"
        else:
            line += "  [reference, same run]"
        print(line)


if __name__ == "__main__":
    main()
