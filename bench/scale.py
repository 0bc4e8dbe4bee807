"""Benchmark: concurrent imports into distinct timelines on PostgreSQL, and `at` under them.

Each timeline has its own log and writer lock, so imports into different timelines need not
wait for one another. This measures what that buys on the machine at hand: the throughput of
1, 2 and 4 `timeline import` processes started together, each bringing the same generated
ACLED file into a timeline of its own on one PostgreSQL database, and the latency of
`answers.state_at` on the seeded Libya timeline of the same database, asked in a loop by a
reader process while the writers run. References, in the same run: one writer alone (the
ratios are to it), and the reader's latency with no writer running.

Target: 2 writers >= 1.6x the throughput of one on a 2-core machine.

    python bench/scale.py [--postgresql URL] [--rows 20000] [--writers 1,2,4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
PROBE_DATE = "2020-05-26"

# The reader: opens the store once, then answers `at` on the seeded timeline until its
# standard input closes, and prints the latency of every answer (seconds) as one JSON list.
# It pauses between answers, as a page's readers do: a reader asking back to back would
# take a whole core of the two and measure the contention for the processor instead.
PROBE = """
import json, sys, threading, time
from timeline import answers, api
from timeline.dates import parse_instant
store = api.open_store(sys.argv[1])
info = store.catalog.get("libya")
at = parse_instant(sys.argv[2], info.zone)
answers.state_at(store, info, at)  # warm: imports, caches, connection
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
print("ready", flush=True)
latencies = []
while not stop.is_set():
    started = time.perf_counter()
    answers.state_at(store, info, at)
    latencies.append(time.perf_counter() - started)
    stop.wait(float(sys.argv[3]))
print(json.dumps(latencies), flush=True)
"""


def bench_module(name: str) -> ModuleType:
    """Another benchmark of this folder, for its generator (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timeline(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "timeline", "--db", url, *args]


def check(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[3:])} failed: {done.stderr.strip()[-400:]}")


def writers(url: str, csv_path: Path, names: list[str]) -> float:
    """Wall seconds for imports into each timeline of `names`, all started at once."""
    for name in names:
        check(timeline(url, "create", name, "--zone", "Africa/Tripoli"))
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            timeline(url, "import", str(csv_path), "--format", "acled", "--timeline", name),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for name in names
    ]
    failures = []
    for process in processes:
        _, error = process.communicate()
        if process.returncode != 0:
            failures.append(error.strip()[-400:])
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit("an import failed:\n" + "\n".join(failures))
    return elapsed


class Probe:
    """A reader process asking `at` in a loop; `stop()` returns its latencies."""

    def __init__(self, url: str, pause: float = 0.2) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", PROBE, url, PROBE_DATE, str(pause)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise SystemExit("the reader did not start")

    def stop(self) -> list[float]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        latencies: list[float] = json.loads(self.process.stdout.readline())
        self.process.wait()
        return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latency(values: list[float]) -> str:
    p50 = statistics.median(values) * 1000
    p95 = percentile(values, 0.95) * 1000
    return f"p50 {p50:5.0f} ms  p95 {p95:5.0f} ms  ({len(values)} answers)"


def measure(url: str, csv_path: Path, rows: int, counts: list[int], repeat: int) -> None:
    idle_probe = Probe(url)
    time.sleep(3)
    idle = idle_probe.stop()
    print(f"  reader alone        {'':>22}  {latency(idle)}  [reference, same run]")
    rates: dict[int, float] = {}
    for count in counts:
        walls = []
        under: list[float] = []
        for attempt in range(repeat):
            names = [f"w{count}_{attempt}_{i}" for i in range(count)]
            probe = Probe(url)
            walls.append(writers(url, csv_path, names))
            under.extend(probe.stop())
        wall = statistics.median(walls)
        rates[count] = count * rows / wall
        ratio = rates[count] / rates[counts[0]]
        label = "[reference, same run]" if count == counts[0] else f"{ratio:.2f}x of {counts[0]}"
        print(
            f"  {count} writer{'s' if count > 1 else ' '}  {rates[count]:>10,.0f} rows/s  "
            f"{label:<22}  reader: {latency(under)}"
        )
    if 1 in rates and 2 in rates:
        verdict = "met" if rates[2] / rates[1] >= 1.6 else "missed"
        print(f"  2 writers / 1: {rates[2] / rates[1]:.2f} (target >= 1.6: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgresql", metavar="URL", default=DEFAULT_SERVER)
    parser.add_argument("--rows", type=int, default=20_000, help="ACLED rows per writer")
    parser.add_argument("--writers", default="1,2,4", help="writer counts to measure")
    parser.add_argument("--repeat", type=int, default=3, help="runs per writer count")
    args = parser.parse_args()
    counts = [int(count) for count in args.writers.split(",")]

    import sqlalchemy as sa

    sys.path.insert(0, str(ROOT))
    from timeline.database import normalise_url

    print(f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "acled.csv"
        bench_module("import").generate(csv_path, args.rows)
        admin = sa.create_engine(normalise_url(args.postgresql), isolation_level="AUTOCOMMIT")
        scratch = f"timeline_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{scratch}"')
        try:
            url = sa.make_url(normalise_url(args.postgresql)).set(database=scratch)
            rendered = url.render_as_string(hide_password=False)
            check(timeline(rendered, "seed", "--timeline", "libya", "--quiet"))
            print(f"{args.rows:,} ACLED rows per writer, {args.repeat} runs each (medians)")
            measure(rendered, csv_path, args.rows, counts, args.repeat)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
