"""Snapshots someone changed in the database: answers refuse one whose content no longer matches
its digest (and fold from the log, still right), and `timeline verify --deep` folds the log
again and names every snapshot that does not hold what the log does. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import orjson
import sqlalchemy as sa
from click.testing import CliRunner, Result

from tests.test_import_concurrency import write_acled
from timeline import database
from timeline.cli import main
from timeline.store.codec import compress_parts, decompress_state, snapshot_digest


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--db", db_url, *args])


def forge(db_url: str, *, digest_too: bool) -> None:
    """Raise the fatality total of the last current snapshot, as a role allowed to write
    snapshots could; with `digest_too`, compute its digest again as well."""
    engine = database.create(db_url)
    with engine.begin() as conn:
        row = conn.execute(
            sa.text(
                "SELECT timeline, boundary, known_through, event_count, state FROM snapshots "
                "WHERE superseded_at IS NULL ORDER BY boundary DESC LIMIT 1"
            )
        ).one()
        state = orjson.loads(decompress_state(row.state))
        state["fatalities"]["settled"]["acled"]["total"] += 1000
        blob, _ = compress_parts([orjson.dumps(state)])
        values = {"state": blob, "t": row.timeline, "b": row.boundary, "k": row.known_through}
        statement = "UPDATE snapshots SET state = :state"
        if digest_too:
            statement += ", digest = :digest"
            values["digest"] = snapshot_digest(
                row.timeline, row.boundary, row.known_through, row.event_count, blob
            )
        conn.execute(
            sa.text(statement + " WHERE timeline = :t AND boundary = :b AND known_through = :k"),
            values,
        )
    engine.dispose()


def test_a_changed_snapshot_is_refused_and_named(db_url: str, tmp_path: Path) -> None:
    assert run(db_url, "create", "libya", "--zone", "Africa/Tripoli").exit_code == 0
    source = write_acled(tmp_path / "acled.csv", range(1200))
    assert run(db_url, "import", "--format", "acled", str(source)).exit_code == 0
    deep = run(db_url, "verify", "--deep")
    assert deep.exit_code == 0, deep.output
    assert deep.stdout.endswith("hash chain intact, every snapshot as the log folds\n")
    answer = run(db_url, "at", "2030-01-01", "--format", "json").stdout

    forge(db_url, digest_too=False)
    # The answer does not use the changed snapshot: it is the same as before.
    assert run(db_url, "at", "2030-01-01", "--format", "json").stdout == answer
    refused = run(db_url, "verify", "--deep")
    assert refused.exit_code == 1
    [line] = refused.stderr.splitlines()
    assert line.startswith("Error: libya: the snapshot at 20")
    assert line.endswith("does not match its digest: it was changed")
    assert run(db_url, "verify").exit_code == 0  # the log itself is intact

    # A forger who also computes the digest again is found by folding the log again.
    forge(db_url, digest_too=True)
    found = run(db_url, "verify", "--deep")
    assert found.exit_code == 1
    [line] = found.stderr.splitlines()
    assert line.endswith("does not hold what the log folds to there")

    # `timeline rebuild` writes them all again from the log.
    assert run(db_url, "rebuild").exit_code == 0
    assert run(db_url, "verify", "--deep").exit_code == 0
    assert run(db_url, "at", "2030-01-01", "--format", "json").stdout == answer


def test_a_snapshot_in_the_layout_before_materiel_losses_still_holds_what_the_log_does(
    db_url: str,
) -> None:
    # Snapshots written before materiel could be lost keep seven columns per stock; answers
    # read them as they are, and `verify --deep` does not take them for changed ones.
    assert run(db_url, "seed").exit_code == 0
    answer = run(db_url, "at", "2020-07-10", "--format", "json").stdout
    engine = database.create(db_url)
    with engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT timeline, boundary, known_through, event_count, state FROM snapshots "
                "WHERE superseded_at IS NULL"
            )
        ).all()
        stocks = 0
        for row in rows:
            state = orjson.loads(decompress_state(row.state))
            # Each stock that lost nothing and captured nothing, as it was written before.
            state["materiel"] = [s if s[7] or s[9] else s[:7] for s in state["materiel"]]
            stocks += sum(len(s) == 7 for s in state["materiel"])
            blob, _ = compress_parts([orjson.dumps(state)])
            conn.execute(
                sa.text(
                    "UPDATE snapshots SET state = :state, digest = :digest "
                    "WHERE timeline = :t AND boundary = :b AND known_through = :k"
                ),
                {
                    "state": blob,
                    "digest": snapshot_digest(
                        row.timeline, row.boundary, row.known_through, row.event_count, blob
                    ),
                    "t": row.timeline,
                    "b": row.boundary,
                    "k": row.known_through,
                },
            )
    engine.dispose()
    assert stocks  # the shipped timeline's snapshots hold stocks without losses
    deep = run(db_url, "verify", "--deep")
    assert deep.exit_code == 0, deep.output
    assert run(db_url, "at", "2020-07-10", "--format", "json").stdout == answer
