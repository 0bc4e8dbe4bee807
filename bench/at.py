"""Benchmark: the cost of `timeline at` grows with the answer, not with the log.

Builds synthetic timelines of 10,000, 100,000 and 1,000,000 events in file SQLite databases
(hundreds of places and actors, every kind, random fuzzy dates over 1990-2020, 5% of them
arriving late with earlier dates, some corrections and retractions), refreshing the
snapshots after the events that come on time and again after the late arrivals, as the
imports bringing them do, and reports for dates early, middle and late in each:

- in-process: median time of `answers.state_at` (the library call behind `timeline at`),
  the repeats taken in turns over all the queries;
- with `--as-known` a knowledge time before the late arrivals: the same call, served by the
  snapshots the late arrivals superseded;
- CLI: median wall time of `timeline at DATE --format json` as a process, and its peak RSS;
- reference, in the same run: a naive fold of every event up to the date.

With `--workload growing`, a war whose state grows with its log, as an imported one's does
(offensives never declared over, forces that stay, every transfer listed; the registry grows
with it), written as a native JSON Lines file and loaded by `timeline import` and
`timeline rebuild` as processes of their own; for each size it prints their wall time and
peak RSS, the database's size against its event rows' (SQLite's dbstat), and the wall time
and peak RSS of `timeline at --format json` at the late date and at the date where the
answer is the smallest war's size, with the naive fold as the same-run reference.

    python bench/at.py [--events 10000,100000,1000000] [--repeat 5] [--workload growing]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timeline import answers, api, database, folding
from timeline.dates import parse_fuzzy, parse_instant
from timeline.events import NewEvent, Source, stable_id
from timeline.store import EventQuery
from timeline.store.sql import SqlStore

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


def synthetic_event(i: int, rng: random.Random, offensives: list[tuple[str, datetime]]) -> NewEvent:
    """One event of a war of 200 actors and 300 places with the structure of a real one:
    armed groups take places and clash anywhere, a few foreign states back them, a few
    forces deploy to a subset of places, materiel goes to a few air bases. So the answer at
    any date stays the size of a real briefing while the log grows."""
    group = f"actor-{rng.randrange(30, ACTORS)}"
    other = f"actor-{rng.randrange(30, ACTORS)}"
    state = f"actor-{rng.randrange(10)}"
    force = f"actor-{rng.randrange(10, 20)}"
    place = f"place-{rng.randrange(PLACES)}"
    station = f"place-{rng.randrange(30)}"
    roll = rng.random()
    fields: dict[str, object]
    date = parse_fuzzy(fuzzy_date(rng))
    if roll < 0.20:
        kind, fields = "control", {"place": place, "by": group, "from": other}
    elif roll < 0.45:
        kind = "clash"
        fields = {"actors": [group, other], "place": place, "fatalities": rng.randint(0, 20)}
    elif roll < 0.60:
        kind = "strike"
        fields = {
            "by": group,
            "actors": [group, other],
            "place": place,
            "fatalities": rng.randint(0, 10),
        }
    elif roll < 0.655:
        kind = "deployment"
        fields = {
            "actor": force,
            "place": station,
            "strength": rng.randint(10, 3000),
            "on_behalf_of": f"actor-{30 + rng.randrange(10)}",
        }
    elif roll < 0.70:
        kind = "withdrawal"
        fields = {"actor": force, "place": station, "complete": rng.random() < 0.7}
    elif roll < 0.75:
        kind = "support.started"
        fields = {
            "backer": state,
            "backed": f"actor-{30 + rng.randrange(10)}",
            "kinds": [rng.choice(["arms", "air", "financial"])],
        }
    elif roll < 0.77:
        kind = "support.ended"
        fields = {"backer": state, "backed": f"actor-{30 + rng.randrange(10)}"}
    elif roll < 0.772:
        # Each of ten bases is held by its own force, each item comes from its own supplier.
        kind = "materiel.transferred"
        item = rng.randrange(5)
        base_number = rng.randrange(10)
        fields = {
            "item": ["MiG-29", "Su-24", "Pantsir", "TB2 drone", "T-72"][item],
            "count": rng.randint(1, 12),
            "place": f"place-{base_number}",
            "holder": f"actor-{10 + base_number}",
            "supplier": f"actor-{item}",
        }
    elif roll < 0.80 and (roll < 0.79 or not offensives):
        kind = "offensive.started"
        fields = {"actor": group, "name": f"Operation {i}", "target": place}
        offensives.append((stable_id(TIMELINE, f"bench:{i}"), date.end))
    elif roll < 0.82 and offensives:
        # Offensives end about as often as they start, as in a real war.
        kind = "offensive.ended"
        ended, started_by = offensives.pop(rng.randrange(len(offensives)))
        fields = {"offensive": ended}
        # ...and after they start: days to a year later.
        end = started_by + timedelta(days=rng.randint(1, 365))
        date = parse_fuzzy(end.strftime("%Y-%m-%d"))
    elif roll < 0.821:
        name = f"Ceasefire {rng.randrange(40)}"
        kind = rng.choice(
            ["ceasefire.proposed", "ceasefire.in_force", "ceasefire.violated", "ceasefire.ended"]
        )
        fields = {"ceasefire": name, "parties": [group, other]}
        if kind == "ceasefire.violated":
            fields = {"ceasefire": name, "by": [group]}
    elif roll < 0.85:
        kind = "claim"
        fields = {"by": group, "text": f"Claim {i} about {place}", "about": [place]}
    elif roll < 0.855:
        kind = "denial"
        fields = {"by": other, "denies": stable_id(TIMELINE, f"bench:{rng.randrange(max(1, i))}")}
    elif roll < 0.95:
        kind = "statement"
        fields = {"by": group, "text": f"Statement {i}"}
    else:
        kind = "note"
        fields = {"text": f"Note {i}", "place": place}
    return NewEvent(
        id=stable_id(TIMELINE, f"bench:{i}"),
        timeline=TIMELINE,
        kind=kind,
        title=f"{kind} {i}",
        date=date,
        fields=fields,
        sources=SOURCE,
    )


def growing_event(i: int, rng: random.Random, actors: int, places: int) -> NewEvent:
    """One event of a war whose state keeps growing, as an imported one's does: the registry
    grows with the log (an import defines the places and armed groups its rows name), most
    rows are clashes and strikes, and of the rest the offensives are never declared over,
    the deployments stay (one in ten is withdrawn), and every transfer of materiel is listed
    as a stock of its own place, holder, supplier and item."""
    group = f"actor-{rng.randrange(actors)}"
    other = f"actor-{rng.randrange(actors)}"
    place = f"place-{rng.randrange(places)}"
    date = parse_fuzzy(fuzzy_date(rng))
    roll = rng.random()
    fields: dict[str, object]
    if roll < 0.30:
        kind = "clash"
        fields = {"actors": [group, other], "place": place, "fatalities": rng.randint(0, 20)}
    elif roll < 0.45:
        kind = "strike"
        fields = {
            "by": group,
            "actors": [group, other],
            "place": place,
            "fatalities": rng.randint(0, 10),
        }
    elif roll < 0.55:
        kind, fields = "control", {"place": place, "by": group, "from": other}
    elif roll < 0.67:
        kind = "offensive.started"
        fields = {"actor": group, "name": f"Operation {i}", "target": place}
    elif roll < 0.79:
        kind = "deployment"
        fields = {
            "actor": group,
            "place": place,
            "strength": rng.randint(10, 3000),
            "on_behalf_of": other,
        }
    elif roll < 0.80:
        kind = "withdrawal"
        fields = {"actor": group, "place": place, "complete": rng.random() < 0.7}
    elif roll < 0.84:
        kind = "materiel.transferred"
        fields = {
            "item": rng.choice(["MiG-29", "Su-24", "Pantsir", "TB2 drone", "T-72"]),
            "count": rng.randint(1, 12),
            "place": place,
            "holder": group,
            "supplier": f"actor-{rng.randrange(10)}",
        }
    elif roll < 0.87:
        kind = "support.started"
        fields = {
            "backer": group,
            "backed": other,
            "kinds": [rng.choice(["arms", "air", "financial"])],
        }
    elif roll < 0.90:
        kind = "claim"
        fields = {"by": group, "text": f"Claim {i} about {place}", "about": [place]}
    elif roll < 0.95:
        kind = "statement"
        fields = {"by": group, "text": f"Statement {i}"}
    else:
        kind = "note"
        fields = {"text": f"Note {i}", "place": place}
    return NewEvent(
        id=stable_id(TIMELINE, f"bench:{i}"),
        timeline=TIMELINE,
        kind=kind,
        title=f"{kind} {i}",
        date=date,
        fields=fields,
        sources=SOURCE,
    )


def growing_registry(size: int) -> tuple[int, int]:
    """How many actors and places a growing war of `size` events names: one place per 20
    events, one actor per 100, and never fewer than the steady war's."""
    return max(ACTORS, size // 100), max(PLACES, size // 20)


def definitions(actors: int = ACTORS, places: int = PLACES) -> list[NewEvent]:
    timeless = parse_fuzzy("../..")
    out = []
    for n in range(actors):
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
    for n in range(places):
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


def build(path: Path, size: int, seed: int = 7) -> tuple[SqlStore, datetime, float, float]:
    """A database of `size` events; returns the store, a knowledge time before the late
    arrivals, and the seconds the two snapshot refreshes took: the one after the events that
    came on time, and the one after the late arrivals and revisions (as the imports that
    brought them would have run)."""
    rng = random.Random(seed)
    store = SqlStore(database.open_engine(f"sqlite:///{path}"))
    store.catalog.create(TIMELINE, "UTC")
    store.log.append(definitions())
    offensives: list[tuple[str, datetime]] = []
    events = [synthetic_event(i, rng, offensives) for i in range(size)]
    late = set(rng.sample(range(size), size // 20))
    on_time = sorted((e for i, e in enumerate(events) if i not in late), key=lambda e: e.date.start)
    for start in range(0, len(on_time), 5000):
        store.log.append(on_time[start : start + 5000])
    started = time.perf_counter()
    folding.refresh_snapshots(store, TIMELINE)
    first_refresh = time.perf_counter() - started
    before_late = datetime.now().astimezone()
    time.sleep(0.01)
    late_events = [events[i] for i in sorted(late)]
    for start in range(0, len(late_events), 5000):
        store.log.append(late_events[start : start + 5000])
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
    store.log.append(revisions)
    started = time.perf_counter()
    folding.refresh_snapshots(store, TIMELINE)
    return store, before_late, first_refresh, time.perf_counter() - started


def write_growing(path: Path, size: int, seed: int = 7) -> None:
    """The growing war of `size` events as a native JSON Lines file, its registry first: what
    `timeline import` reads."""
    from timeline.documents import dump_jsonl, event_document, header_document

    rng = random.Random(seed)
    actors, places = growing_registry(size)
    with path.open("w", encoding="utf-8") as out:
        dump_jsonl([header_document(TIMELINE, "UTC", "A growing war")], out)
        dump_jsonl(map(event_document, definitions(actors, places)), out)
        dump_jsonl(
            (event_document(growing_event(i, rng, actors, places)) for i in range(size)), out
        )


def table_bytes(path: Path) -> dict[str, int]:
    """Bytes of each table of a SQLite file with its indexes (from SQLite's dbstat)."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat AS d "
            "LEFT JOIN sqlite_schema AS m ON m.name = d.name GROUP BY 1"
        ).fetchall()
        events_alone = connection.execute(
            "SELECT sum(pgsize) FROM dbstat WHERE name = 'events'"
        ).fetchone()[0]
    sizes = {str(name): int(total) for name, total in rows}
    sizes["events alone"] = int(events_alone)
    return sizes


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def in_process(store: SqlStore, before_late: datetime, repeat: int) -> dict[tuple[str, str], float]:
    """Median seconds of `answers.state_at` for every date, now and as known before the late
    arrivals. The repeats go round all six queries in turn rather than one query after
    another, so that a few seconds of a noisy machine fall on one sample of several queries
    instead of on every sample of one."""
    info = store.catalog.get(TIMELINE)
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(repeat):
        for date in DATES.values():
            for knowledge, known in (("now", None), ("as-known", before_late)):
                started = time.perf_counter()
                answers.state_at(store, info, parse_instant(date, info.zone), as_known=known)
                samples.setdefault((date, knowledge), []).append(time.perf_counter() - started)
    return {key: statistics.median(times) for key, times in samples.items()}


# Linux keeps a process's peak RSS across fork and exec, so a command forked from this
# (large) process would report this process's peak as its own. A small launcher, started
# before anything big is built, runs the commands instead and reports what each one used.
LAUNCHER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    started = time.perf_counter()
    child = subprocess.Popen(json.loads(line), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    error = child.stderr.read().decode()[-400:]
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps([wall, usage.ru_maxrss, code, error]), flush=True)
"""


class Launcher:
    """Runs commands from a small process of its own; see LAUNCHER."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, command: list[str]) -> tuple[float, int]:
        """Wall seconds and peak RSS (MiB) of one run of `command`."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        wall, rss_kib, code, error = json.loads(self.process.stdout.readline())
        if code != 0:
            raise SystemExit(f"{' '.join(command)} failed: {error}")
        return float(wall), int(rss_kib) // 1024


def cli_run(launcher: Launcher, url: str, date: str, as_known: str | None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one `timeline at` process."""
    known = ["--as-known", as_known] if as_known else []
    return launcher.run(
        [sys.executable, "-m", "timeline", "--db", url, "at", date, *known, "--format", "json"]
    )


def naive(store: SqlStore, date: str, as_known: datetime | None) -> None:
    """The reference: read every event starting before the date (and every revision) that
    was recorded by `as_known`, apply the revisions, and fold the lot from the beginning."""
    instant = parse_instant(date, "UTC")
    events = list(store.log.select(EventQuery(TIMELINE, valid_before=instant, as_known=as_known)))
    events += store.log.select(
        EventQuery(
            TIMELINE, kinds=["correction", "retraction"], valid_from=instant, as_known=as_known
        )
    )
    projector = folding.fold_everything(events, before=instant)
    projector.answer(instant, api.load_registry(store, TIMELINE, as_known), timeline=TIMELINE)


def same_size_date(store: SqlStore, facts: int) -> str:
    """The first day on which the growing war in `store` lists as many facts as `facts` (the
    smallest war's late answer), found by bisection over 1990-2019: the answers there are the
    same size, so the two times compare the cost of the log, not the answer's. (Its events
    being spread evenly over the years, the day by which it has had as many events as the
    smallest war has in all lists more facts: a larger war's first events name more places.)"""
    low, high = datetime(1990, 1, 1), datetime(2020, 1, 1)
    while high - low > timedelta(days=1):
        middle = low + (high - low) / 2
        if facts_in(store, middle.strftime("%Y-%m-%d")) < facts:
            low = middle
        else:
            high = middle
    return high.strftime("%Y-%m-%d")


def facts_in(store: SqlStore, date: str) -> int:
    """How many facts the answer at `date` lists, every section but fatalities."""
    info = store.catalog.get(TIMELINE)
    answer = answers.state_at(store, info, parse_instant(date, info.zone))
    return sum(len(answer.section(name)) for name in answer.sections() if name != "fatalities")


def run_growing(sizes: list[int], launcher: Launcher, tmp: Path) -> None:
    """The growing war at each size: imported through `timeline import` and rebuilt with
    `timeline rebuild` (each a process of its own, its peak RSS measured), the database's
    size against its events', and `timeline at --format json` at the late date and at the
    date where the answer is the smallest war's late one's size."""
    late = DATES["late"]
    smallest = sizes[0]
    smallest_facts = 0
    same_walls: dict[int, float] = {}
    late_walls: dict[int, float] = {}
    for size in sizes:
        source = tmp / f"growing-{size}.jsonl"
        path = tmp / f"growing-{size}.db"
        url = f"sqlite:///{path}"
        started = time.perf_counter()
        write_growing(source, size)
        written = time.perf_counter() - started
        timeline = [sys.executable, "-m", "timeline", "--db", url]
        imported = launcher.run([*timeline, "import", str(source), "--format", "jsonl"])
        rebuilt = launcher.run([*timeline, "rebuild", "--timeline", TIMELINE])
        tables = table_bytes(path)
        file_bytes = path.stat().st_size
        store = SqlStore(database.open_engine(url))
        if size == smallest:
            smallest_facts = facts_in(store, late)
            same = late
        else:
            same = same_size_date(store, smallest_facts)
        print(
            f"\ngrowing war, {size:,} events (JSON Lines written in {written:.0f} s, "
            f"{source.stat().st_size / 2**20:.0f} MiB; {growing_registry(size)[0]:,} actors, "
            f"{growing_registry(size)[1]:,} places)"
        )
        print(
            f"  import: {imported[0]:.1f} s, peak RSS {imported[1]} MiB; "
            f"rebuild: {rebuilt[0]:.1f} s, peak RSS {rebuilt[1]} MiB (target <= 300 MB)"
        )
        events_alone = tables["events alone"]
        events_all = tables.get("events", events_alone)
        print(
            f"  database {file_bytes / 2**20:.1f} MiB: events {events_alone / 2**20:.1f} MiB "
            f"(with their indexes {events_all / 2**20:.1f} MiB), snapshots "
            f"{tables.get('snapshots', 0) / 2**20:.1f} MiB; file / event rows "
            f"{file_bytes / events_alone:.2f}x (target <= 1.5x), / events and indexes "
            f"{file_bytes / events_all:.2f}x"
        )
        for label, date in (("late", late), ("same-size", same)):
            facts = facts_in(store, date)
            runs = [cli_run(launcher, url, date, None) for _ in range(3)]
            wall = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            (late_walls if label == "late" else same_walls)[size] = wall
            line = (
                f"  at {date} ({label}, {facts:,} facts): CLI wall {wall:.2f} s, peak RSS {rss} MiB"
            )
            if label == "late":
                reference = median_seconds(partial(naive, store, date, None), 1)
                line += f"; naive fold {reference:.2f} s"
            print(line)
        store.engine.dispose()
        source.unlink()
    largest = sizes[-1]
    if len(sizes) > 1:
        print(
            f"\nCLI wall, answer of the same size, at {largest:,} / at {smallest:,}: "
            f"{same_walls[largest] / same_walls[smallest]:.2f} (target <= 1.2); "
            f"late date: {late_walls[largest] / late_walls[smallest]:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--events",
        "--sizes",
        dest="sizes",
        default="10000,100000,1000000",
        help="the sizes of the wars built, in events, comma-separated, smallest first",
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--workload",
        choices=("steady", "growing"),
        default="steady",
        help="steady: a war whose answers stay the size of a briefing; growing: one whose "
        "state grows with the log, imported and rebuilt as processes of their own",
    )
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]
    root = Path(__file__).resolve().parents[1]
    os.chdir(root)
    launcher = Launcher()
    if args.workload == "growing":
        with tempfile.TemporaryDirectory() as tmp:
            run_growing(sizes, launcher, Path(tmp))
        return
    cli_walls: dict[tuple[int, str], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"at-{size}.db"
            started = time.perf_counter()
            store, before_late, first_refresh, second_refresh = build(path, size)
            url = f"sqlite:///{path}"
            print(
                f"\n{size:,} events (built in {time.perf_counter() - started:.0f} s; snapshots "
                f"refreshed in {first_refresh:.1f} s after the events on time, "
                f"{second_refresh:.1f} s after the late ones)"
            )
            print(
                f"  {'date':<8}{'knowledge':<11}{'in-process':>11}{'CLI wall':>10}"
                f"{'CLI RSS':>9}{'naive fold':>12}{'speed-up':>10}"
            )
            walls: dict[str, list[float]] = {"now": [], "as-known": []}
            queries = in_process(store, before_late, args.repeat)
            for label, date in DATES.items():
                for knowledge, known in (("now", None), ("as-known", before_late)):
                    known_text = known.isoformat() if known else None
                    query = queries[date, knowledge]
                    runs = [cli_run(launcher, url, date, known_text) for _ in range(3)]
                    wall = statistics.median(r[0] for r in runs)
                    rss = max(r[1] for r in runs)
                    walls[knowledge].append(wall)
                    reference = median_seconds(partial(naive, store, date, known), 1)
                    print(
                        f"  {label:<8}{knowledge:<11}{query * 1000:>9.1f}ms{wall:>9.2f}s"
                        f"{rss:>5} MiB{reference * 1000:>10.0f}ms{reference / query:>9.0f}x"
                    )
            for knowledge, measured in walls.items():
                cli_walls[size, knowledge] = statistics.median(measured)
            store.engine.dispose()
    if len(sizes) > 1:
        smallest, largest = sizes[0], sizes[-1]
        for knowledge in ("now", "as-known"):
            ratio = cli_walls[largest, knowledge] / cli_walls[smallest, knowledge]
            print(
                f"\nCLI wall at {largest:,} / at {smallest:,} ({knowledge}): {ratio:.2f} "
                "(target <= 1.5)"
            )
    print(
        "targets at 1,000,000, now and as known before: in-process <= 50 ms, "
        "peak RSS <= 300 MB, >= 50x the naive fold"
    )


if __name__ == "__main__":
    main()
