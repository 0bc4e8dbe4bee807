"""Benchmark: `timeline import` of a large ACLED CSV, first run and unchanged re-run.

Generates an ACLED-format CSV (current 31-column schema, notes of 100-600 characters as
ACLED's are), imports it into a fresh database with the `timeline` command, then imports the
unchanged file again, and reports rows/s and peak RSS of each run. In the same run it measures
the ceiling: `csv.reader` plus one `executemany` of the same rows, every column as text, into
a single SQLite table in one transaction. Targets, as ratios to that ceiling: first import
>= 0.33, unchanged re-import >= 0.67; peak RSS <= 300 MB whatever the file size.

    python bench/import.py [--rows 1000000] [--postgresql URL]
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

COLUMNS = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
]
ACTORS = [
    "Military Forces of Libya (2014-) Haftar Faction",
    "Military Forces of Libya (2016-) Government of National Accord",
    "Wagner Group",
    "Military Forces of Turkey (2016-)",
    "Unidentified Armed Group (Libya)",
    "Zintan Communal Militia (Libya)",
    "Misrata Communal Militia (Libya)",
    "Civilians (Libya)",
]
TYPES = [
    ("Political violence", "Battles", "Armed clash"),
    ("Political violence", "Battles", "Government regains territory"),
    ("Political violence", "Explosions/Remote violence", "Air/drone strike"),
    ("Political violence", "Explosions/Remote violence", "Shelling/artillery/missile attack"),
    ("Political violence", "Violence against civilians", "Attack"),
    ("Demonstrations", "Protests", "Peaceful protest"),
    ("Strategic developments", "Strategic developments", "Headquarters or base established"),
]
WORDS = [
    "forces",
    "clashed",
    "near",
    "the",
    "front",
    "line",
    "south",
    "of",
    "the",
    "capital",
    "with",
    "artillery",
    "and",
    "drones",
    "reported",
    "by",
    "local",
    "sources",
    "while",
    "the",
    "other",
    "side",
    "denied",
    "any",
    "losses",
    "in",
    "the",
    "area",
]


def generate(path: Path, rows: int, seed: int = 11) -> None:
    """An ACLED-like export of `rows` records in 200 places."""
    rng = random.Random(seed)
    places = [(f"Place {n}", f"{29 + n % 5}.{n:04d}", f"{12 + n % 9}.{n:04d}") for n in range(200)]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for i in range(rows):
            disorder, event_type, sub = rng.choice(TYPES)
            place, lat, lon = rng.choice(places)
            actor1, actor2 = rng.sample(ACTORS, 2)
            notes = " ".join(rng.choice(WORDS) for _ in range(rng.randint(14, 85)))[:600]
            day = f"20{10 + i % 11:02d}-{1 + i % 12:02d}-{1 + i % 28:02d}"
            writer.writerow(
                [
                    f"LBY{i}",
                    day,
                    day[:4],
                    rng.choice("1112"),
                    disorder,
                    event_type,
                    sub,
                    actor1,
                    "",
                    "1",
                    actor2,
                    "",
                    "3",
                    "13",
                    "",
                    "434",
                    "Northern Africa",
                    "Libya",
                    "Tripoli",
                    "Tripoli",
                    "",
                    place,
                    lat,
                    lon,
                    "1",
                    "Libya Observer; Reuters",
                    "National",
                    f"On {day}, {notes}.",
                    str(rng.randint(0, 9)),
                    "",
                    str(1600000000 + i),
                ]
            )


def ceiling(path: Path, folder: Path) -> float:
    """Seconds for csv.reader + one executemany of every row as text into one table."""
    db = sqlite3.connect(folder / "ceiling.db", isolation_level=None)
    db.execute(f"CREATE TABLE acled ({', '.join(f'{c} TEXT' for c in COLUMNS)})")
    started = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as source:
        reader = csv.reader(source)
        next(reader)
        db.execute("BEGIN")
        db.executemany(f"INSERT INTO acled VALUES ({', '.join('?' * len(COLUMNS))})", reader)
        db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed


def storage_floor(database: Path, folder: Path) -> tuple[int, float]:
    """Rows and seconds for SQLite itself to copy a database's event rows, as the first
    import stored them, into an empty copy of its schema (same indexes and triggers, same
    pragmas, foreign keys checked), in one `INSERT ... SELECT`: what writing those rows
    costs with no Python at all, the least a first import can take."""
    copy = folder / "floor.db"
    db = sqlite3.connect(copy, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("ATTACH ? AS stored", (str(database),))
    schema = db.execute(
        "SELECT type, name, sql FROM stored.sqlite_master WHERE sql IS NOT NULL "
        "AND name NOT LIKE 'sqlite_%' ORDER BY type = 'table' DESC"
    ).fetchall()
    for _type, _name, sql in schema:
        db.execute(sql)
    for table in ("timelines", "imports"):
        db.execute(f"INSERT INTO main.{table} SELECT * FROM stored.{table}")
    (rows,) = db.execute("SELECT count(*) FROM stored.events").fetchone()
    started = time.perf_counter()
    db.execute("BEGIN")
    db.execute("INSERT INTO main.events SELECT * FROM stored.events ORDER BY seq")
    db.execute("COMMIT")
    elapsed = time.perf_counter() - started
    db.close()
    # As large as the database copied: gone before the next run needs the disk.
    for leftover in (copy, copy.with_name(f"{copy.name}-wal"), copy.with_name(f"{copy.name}-shm")):
        leftover.unlink(missing_ok=True)
    return rows, elapsed


def run(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (MiB) and stderr+stdout of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output}")
    return elapsed, usage.ru_maxrss // 1024, output.strip()


def timeline(url: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "timeline", "--db", url, *args]


def bench_backend(
    name: str, url: str, csv_path: Path, rows: int, reference: float, floor: Path | None = None
) -> None:
    """Import the file into a new timeline, then again unchanged; with `floor` (a folder),
    after the first import also measure the storage floor of the rows it stored."""
    run(timeline(url, "create", "libya", "--zone", "Africa/Tripoli"))
    for label in ("first import", "unchanged re-import"):
        seconds, rss, output = run(timeline(url, "import", str(csv_path), "--format", "acled"))
        rate = rows / seconds
        print(
            f"  {name:<10} {label:<20} {rate:>10,.0f} rows/s  {rss:>5} MiB  "
            f"{rate / (rows / reference):.2f} of the ceiling"
        )
        print(f"             {output.splitlines()[-1]}")
        if floor is not None and label == "first import":
            stored, seconds = storage_floor(Path(url.removeprefix("sqlite:///")), floor)
            rate = stored / seconds
            print(
                f"  {name:<10} {'storage floor':<20} {rate:>10,.0f} rows/s         "
                f"{rate / (rows / reference):.2f} of the ceiling  [SQLite copying the "
                f"{stored:,} event rows stored, no Python]"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        help="also measure on PostgreSQL (a scratch database is created there)",
    )
    args = parser.parse_args()
    os.chdir(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        csv_path = folder / "acled.csv"
        started = time.perf_counter()
        generate(csv_path, args.rows)
        size = csv_path.stat().st_size / 2**20
        print(
            f"{args.rows:,} ACLED rows, {size:,.0f} MiB (generated in "
            f"{time.perf_counter() - started:.0f} s)"
        )
        reference = ceiling(csv_path, folder)
        print(
            f"  ceiling    csv.reader + executemany {args.rows / reference:>10,.0f} rows/s "
            "[reference, same run]"
        )
        bench_backend(
            "SQLite",
            f"sqlite:///{folder / 'timeline.db'}",
            csv_path,
            args.rows,
            reference,
            floor=folder,
        )
        if args.postgresql:
            import sqlalchemy as sa

            sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
            from timeline.database import normalise_url

            admin = sa.create_engine(normalise_url(args.postgresql), isolation_level="AUTOCOMMIT")
            scratch = f"timeline_bench_{uuid.uuid4().hex[:8]}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{scratch}"')
            try:
                url = sa.make_url(normalise_url(args.postgresql)).set(database=scratch)
                bench_backend(
                    "PostgreSQL",
                    url.render_as_string(hide_password=False),
                    csv_path,
                    args.rows,
                    reference,
                )
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


if __name__ == "__main__":
    main()
