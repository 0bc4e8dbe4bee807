"""Benchmark: the cost of `timeline at` grows with the answer, not with the log.

Builds synthetic timelines of 10,000, 100,000 and 1,000,000 events in file SQLite databases
(hundreds of places and actors, every kind, random fuzzy dates over 1990-2020, 5% of them
arriving late with earlier dates, some corrections and retractions), rebuilds their
snapshots, and reports for dates early, middle and late in each:

- in-process: median time of `answers.state_at` (the library call behind `timeline at`);
- with `--as-known` (a knowledge time before the late arrivals);
- CLI: median wall time of `timeline at DATE --format json` as a process, and its peak RSS;
- reference, in the same run: a naive fold of every event up to the date.

    python bench/at.py [--sizes 10000,100000,1000000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timeline import answers, api, database
from timeline.dates import parse_fuzzy
from timeline.events import NewEvent, Source, stable_id
from timeline.store import Store

ACTORS = 200
PLACES = 300
TIMELINE = "bench"
DATES = {"early": "1995-06-30", "middle": "2005-06-30", "late": "2019-12-31"}
SOURCE = (Source("Synthetic Wire", None, "2020-01-01"),)


def fuzzy_date(rng: random.Random) -> str:
    year = rng.randint(1990, 2019)
    month = rng.randint(1, 12)
    roll = rng.random()
    if roll < 0.70:
        return f"{year}-{month:02d}-{rng.randint(1, 28):02d}"
    if roll < 0.85:
        return f"{year}-{month:02d}"
    if roll < 0.90:
        return f"{year}-{month:02d}~"
    if roll < 0.95:
        return f"{year}-W{rng.randint(1, 52):02d}"
    if roll < 0.98:
        return str(year)
    end = min(year + 1, 2019)
    return f"{year}-{month:02d}/{end}-{month:02d}"


def synthetic_event(i: int, rng: random.Random) -> NewEvent:
    actor = f"actor-{rng.randrange(ACTORS)}"
    other = f"actor-{rng.randrange(ACTORS)}"
    place = f"place-{rng.randrange(PLACES)}"
    roll = rng.random()
    fields: dict[str, object]
    if roll < 0.20:
        kind, fields = "control", {"place": place, "by": actor, "from": other}
    elif roll < 0.45:
        kind, fields = (
            "clash",
            {"actors": [actor, other], "place": place, "fatalities": rng.randint(0, 20)},
        )
    elif roll < 0.60:
        kind, fields = (
            "strike",
            {
                "by": actor,
                "actors": [actor, other],
                "place": place,
                "fatalities": rng.randint(0, 10),
            },
        )
    elif roll < 0.67:
        kind, fields = (
            "deployment",
            {
                "actor": actor,
                "place": place,
                "strength": rng.randint(10, 3000),
                "on_behalf_of": other,
            },
        )
    elif roll < 0.71:
        kind, fields = (
            "withdrawal",
            {"actor": actor, "place": place, "complete": rng.random() < 0.7},
        )
    elif roll < 0.75:
        kind, fields = (
            "support.started",
            {"backer": actor, "backed": other, "kinds": [rng.choice(["arms", "air", "financial"])]},
        )
    elif roll < 0.77:
        kind, fields = "support.ended", {"backer": actor, "backed": other}
    elif roll < 0.81:
        kind, fields = (
            "materiel.transferred",
            {
                "item": rng.choice(["MiG-29", "Su-24", "Pantsir", "TB2 drone", "T-72"]),
                "count": rng.randint(1, 12),
                "place": place,
                "holder": actor,
                "supplier": other,
            },
        )
    elif roll < 0.84:
        kind, fields = (
            "offensive.started",
            {"actor": actor, "name": f"Operation {i}", "target": place},
        )
    elif roll < 0.87:
        name = f"Ceasefire {rng.randrange(40)}"
        kind = rng.choice(
            [
                "ceasefire.proposed",
                "ceasefire.in_force",
                "ceasefire.violated",
                "ceasefire.collapsed",
            ]
        )
        fields = {"ceasefire": name, "parties": [actor, other]}
        if kind == "ceasefire.violated":
            fields = {"ceasefire": name, "by": [actor]}
    elif roll < 0.92:
        kind, fields = "claim", {"by": actor, "text": f"Claim {i} about {place}", "about": [place]}
    elif roll < 0.96:
        kind, fields = "statement", {"by": actor, "text": f"Statement {i}"}
    else:
        kind, fields = "note", {"text": f"Note {i}", "place": place}
    return NewEvent(
        id=stable_id(TIMELINE, f"bench:{i}"),
        timeline=TIMELINE,
        kind=kind,
        title=f"{kind} {i}",
        date=parse_fuzzy(fuzzy_date(rng)),
        fields=fields,
        sources=SOURCE,
    )


def definitions() -> list[NewEvent]:
    timeless = parse_fuzzy("../..")
    out = []
    for n in range(ACTORS):
        out.append(
            NewEvent(
                id=stable_id(TIMELINE, f"actor:{n}"),
                timeline=TIMELINE,
                kind="actor.defined",
                title=f"Actor {n}",
                date=timeless,
                fields={"actor": f"actor-{n}", "name": f"Actor {n}"},
            )
        )
    for n in range(PLACES):
        out.append(
            NewEvent(
                id=stable_id(TIMELINE, f"place:{n}"),
                timeline=TIMELINE,
                kind="place.defined",
                title=f"Place {n}",
                date=timeless,
                fields={
                    "place": f"place-{n}",
                    "name": f"Place {n}",
                    "lat": 20 + n % 10,
                    "lon": 10 + n % 15,
                },
            )
        )
    return out


def build(path: Path, size: int, seed: int = 7) -> tuple[Store, datetime, float]:
    """A database of `size` events; returns the store, a knowledge time before the late
    arrivals, and the seconds the snapshots took to build."""
    rng = random.Random(seed)
    store = Store(database.open_engine(f"sqlite:///{path}"))
    store.create_timeline(TIMELINE, "UTC")
    store.append(definitions())
    events = [synthetic_event(i, rng) for i in range(size)]
    late = set(rng.sample(range(size), size // 20))
    on_time = sorted((e for i, e in enumerate(events) if i not in late), key=lambda e: e.date.start)
    for start in range(0, len(on_time), 5000):
        store.append(on_time[start : start + 5000])
    before_late = datetime.now().astimezone()
    time.sleep(0.01)
    late_events = [events[i] for i in sorted(late)]
    for start in range(0, len(late_events), 5000):
        store.append(late_events[start : start + 5000])
    revisions = []
    for n, i in enumerate(rng.sample(range(size), max(1, size // 100))):
        target = events[i]
        if n % 3 == 0:
            revisions.append(
                NewEvent(
                    id=stable_id(TIMELINE, f"retract:{i}"),
                    timeline=TIMELINE,
                    kind="retraction",
                    title=f"Retracted: {target.title}",
                    date=target.date,
                    fields={"target": target.id, "reason": "synthetic"},
                )
            )
        else:
            revisions.append(
                NewEvent(
                    id=stable_id(TIMELINE, f"correct:{i}"),
                    timeline=TIMELINE,
                    kind="correction",
                    title=target.title,
                    date=parse_fuzzy(fuzzy_date(rng)),
                    fields={"target": target.id},
                )
            )
    store.append(revisions)
    started = time.perf_counter()
    answers.rebuild(store, store.timeline(TIMELINE))
    return store, before_late, time.perf_counter() - started


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def cli_run(url: str, date: str) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one `timeline at` process."""
    command = [sys.executable, "-m", "timeline", "--db", url, "at", date, "--format", "json"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(
            f"timeline at failed: {process.stderr.read().decode() if process.stderr else ''}"
        )
    return wall, usage.ru_maxrss // 1024


def naive(store: Store, date: str) -> None:
    """The reference: read every event starting before the date (and every revision), apply
    the revisions, and fold the lot from the beginning."""
    instant = api.parse_moment(date, "UTC", "DATE")
    assert instant is not None
    events = list(store.select(TIMELINE, valid_before=instant))
    events += store.select(TIMELINE, kinds=["correction", "retraction"], valid_from=instant)
    projector = answers.fold_everything(events, before=instant)
    projector.answer(instant, api.load_registry(store, TIMELINE), timeline=TIMELINE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    root = Path(__file__).resolve().parents[1]
    os.chdir(root)
    cli_walls: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"at-{size}.db"
            started = time.perf_counter()
            store, before_late, rebuild_s = build(path, size)
            url = f"sqlite:///{path}"
            info = store.timeline(TIMELINE)
            print(
                f"\n{size:,} events (built in {time.perf_counter() - started:.0f} s, "
                f"snapshots rebuilt in {rebuild_s:.1f} s)"
            )
            print(
                f"  {'date':<8}{'in-process':>12}{'as-known':>12}{'CLI wall':>10}"
                f"{'CLI RSS':>9}{'naive fold':>12}{'speed-up':>10}"
            )
            walls = []
            for label, date in DATES.items():
                known = before_late.isoformat()
                query = median_seconds(partial(answers.state_at, store, info, date), args.repeat)
                as_known = median_seconds(
                    partial(answers.state_at, store, info, date, as_known=known), 1
                )
                runs = [cli_run(url, date) for _ in range(3)]
                wall = statistics.median(r[0] for r in runs)
                rss = max(r[1] for r in runs)
                walls.append(wall)
                reference = median_seconds(partial(naive, store, date), 1)
                print(
                    f"  {label:<8}{query * 1000:>10.1f}ms{as_known * 1000:>10.0f}ms"
                    f"{wall:>9.2f}s{rss:>6} MiB{reference * 1000:>10.0f}ms"
                    f"{reference / query:>9.0f}x"
                )
            cli_walls[size] = statistics.median(walls)
            store.engine.dispose()
    if len(sizes) > 1:
        smallest, largest = sizes[0], sizes[-1]
        ratio = cli_walls[largest] / cli_walls[smallest]
        print(f"\nCLI wall at {largest:,} / at {smallest:,}: {ratio:.2f} (target <= 1.5)")
    print("targets at 1,000,000: in-process <= 50 ms, peak RSS <= 300 MB, >= 50x the naive fold")


if __name__ == "__main__":
    main()
