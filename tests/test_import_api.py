"""`timeline import` from http(s) URLs: ACLED's paged JSON API and CSV exports on a web server.

A real HTTP server on 127.0.0.1 stands in for ACLED; every test runs on SQLite and PostgreSQL.
Credentials come from ACLED_USERNAME / ACLED_PASSWORD (an OAuth password grant) and must reach
the token endpoint and nothing else: not stdout, not stderr, not `timeline imports`.
"""

from __future__ import annotations

import json
import re
import socket
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.conftest import BACKENDS
from tests.services import PASSWORD, STAMP, USERNAME, Services, serve
from timeline.cli import main
from timeline.importers import http as http_module
from timeline.importing import BATCH_SIZE

FIXTURES = Path(__file__).parent / "importers" / "fixtures"
CREDENTIALS: dict[str, str | None] = {
    "ACLED_USERNAME": USERNAME,
    "ACLED_PASSWORD": PASSWORD,
    "ACLED_ACCESS_TOKEN": None,
    "ACLED_REFRESH_TOKEN": None,
    "ACLED_EMAIL": None,
    "ACLED_KEY": None,
    "UCDP_TOKEN": None,
}
NO_CREDENTIALS: dict[str, str | None] = dict.fromkeys(CREDENTIALS)
SUMMARY = re.compile(
    r"imported (?P<new>\d+) new, (?P<corrected>\d+) corrected, (?P<retracted>\d+) retracted, "
    r"(?P<unchanged>\d+) unchanged, (?P<rejected>\d+) rejected from .+ in \d+\.\d s"
)
KEY = "S3cr3t-K3y-0123"
FakeAcled = Services


@pytest.fixture(autouse=True)
def _no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff waits are skipped, not slept: every test here, a refused connection's
    retries included, runs at the speed of its requests."""
    monkeypatch.setattr(http_module, "_sleep", lambda seconds: None)


@pytest.fixture
def acled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    # Tokens are kept under the user's cache folder: this test's own.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    yield from serve(Services())


def record(n: int, **changes: Any) -> dict[str, Any]:
    """An ACLED API record (numbers as the API sends them: some as numbers, some as text)."""
    row: dict[str, Any] = {
        "event_id_cnty": f"LBY{n}",
        "event_date": f"2020-03-{1 + n % 28:02d}",
        "year": 2020,
        "time_precision": "1",
        "disorder_type": "Political violence",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "actor1": "Military Forces of Libya (2014-) Haftar Faction",
        "actor2": "Military Forces of Libya (2016-) Government of National Accord",
        "inter1": "Rebel group",
        "inter2": "State forces",
        "country": "Libya",
        "admin1": "Tripoli",
        "location": ["Tripoli", "Ain Zara", "Sirte"][n % 3],
        "latitude": "32.8925",
        "longitude": "13.18",
        "geo_precision": "1",
        "source": "Libya Observer",
        "notes": f"Clash number {n}.",
        "fatalities": n % 4,
        "timestamp": STAMP + n,
    }
    row.update(changes)
    return row


# -- the CLI ---------------------------------------------------------------------------------------


class Cli:
    """`timeline --db URL ...` through click's CliRunner; never lets a traceback through."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url

    def __call__(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        # Whatever the developer's shell holds, only the credentials a test gives are seen.
        result = CliRunner().invoke(
            main, ["--db", self.db_url, *args], env=env if env is not None else NO_CREDENTIALS
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            shown = "".join(traceback.format_exception(result.exception))
            raise AssertionError(f"`timeline {' '.join(args)}` raised:\n{shown}")
        assert "Traceback" not in result.output
        return result

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result.stdout

    def api(self, url: str, *args: str) -> Result:
        return self("import", "--format", "acled", url, *args, env=CREDENTIALS)

    def records(self) -> dict[str, dict[str, Any]]:
        """The events that carry a source record (not revisions), by origin key."""
        events = json.loads(self.ok("events", "--format", "json"))
        return {
            e["origin"]: e
            for e in events
            if e["origin"] and e["kind"] not in ("correction", "retraction")
        }

    def events(self, *args: str) -> list[dict[str, Any]]:
        found = json.loads(self.ok("events", "--format", "json", *args))
        assert isinstance(found, list)
        return found

    def runs(self) -> list[dict[str, Any]]:
        found = json.loads(self.ok("imports", "--format", "json"))
        assert isinstance(found, list)
        return found

    def total_fatalities(self) -> int:
        return int(json.loads(self.ok("at", "2030", "--format", "json"))["fatalities"]["total"])


def counts(text: str) -> dict[str, int]:
    lines = text.splitlines()
    assert len(lines) == 1, text
    match = SUMMARY.fullmatch(lines[0])
    assert match, lines[0]
    return {k: int(v) for k, v in match.groupdict().items()}


def summary(
    new: int = 0, corrected: int = 0, retracted: int = 0, unchanged: int = 0
) -> dict[str, int]:
    return {
        "new": new,
        "corrected": corrected,
        "retracted": retracted,
        "unchanged": unchanged,
        "rejected": 0,
    }


def no_secrets(*texts: str) -> None:
    for text in texts:
        assert KEY not in text
        assert "S3cr3t" not in text
        assert "acc-" not in text  # the tokens the service issued
        assert "ref-" not in text


def one_line_error(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.fixture(params=["memory"])
def backend(request: pytest.FixtureRequest) -> str:
    """The logic of API imports runs on the in-memory store; the tests marked
    `ON_EVERY_STORE` run on SQLite and PostgreSQL too, end to end."""
    return str(request.param)


ON_EVERY_STORE = pytest.mark.parametrize("backend", ["memory", *BACKENDS])
# What a database transaction keeps of a failed run is a question for the databases alone.
ON_THE_DATABASES = pytest.mark.parametrize("backend", BACKENDS)


@pytest.fixture
def libya(db_url: str) -> Cli:
    cli = Cli(db_url)
    cli.ok("create", "libya", "--zone", "Africa/Tripoli")
    return cli


# -- the ACLED API ---------------------------------------------------------------------------------


@ON_EVERY_STORE
def test_the_api_is_read_page_by_page_with_credentials_that_are_never_shown(
    libya: Cli, acled: FakeAcled
) -> None:
    acled.records = [record(n) for n in range(1, 8)]  # 3 pages of 3, 3 and 1, then empty
    result = libya.api(acled.url())
    assert result.exit_code == 0, result.output
    assert counts(result.stdout) == summary(new=7)
    assert result.stderr == ""

    reads = acled.reads()
    assert [r.query["page"] for r in reads] == ["1", "2", "3", "4"]
    [grant] = acled.grants()
    assert grant.form == {
        "grant_type": "password",
        "client_id": "acled",
        "username": USERNAME,
        "password": PASSWORD,
    }
    for request in [*reads, *acled.deletion_reads()]:
        assert request.headers["Authorization"] == "Bearer acc-1-xyz"
        assert "email" not in request.query
        assert "key" not in request.query
        assert request.query["country"] == "Libya"
        assert "timestamp" not in request.query  # nothing imported yet: everything
        assert int(request.query["limit"]) >= acled.page_cap
    assert len(acled.deletion_reads()) == 1

    found = libya.records()
    assert sorted(found) == sorted(f"acled:LBY{n}" for n in range(1, 8))
    assert found["acled:LBY5"]["fields"]["fatalities"] == 1
    assert found["acled:LBY5"]["date"] == "2020-03-06"
    assert libya.total_fatalities() == sum(n % 4 for n in range(1, 8))

    [run] = libya.runs()
    assert (run["status"], run["new"], run["source"]) == ("ok", 7, f"{acled.base}/api/acled/read")
    no_secrets(
        result.output,
        libya.ok("imports"),
        libya.ok("imports", "--format", "json"),
        libya.ok("export"),
    )


def test_since_defaults_to_the_newest_timestamp_already_imported(
    libya: Cli, acled: FakeAcled
) -> None:
    acled.records = [record(n) for n in range(1, 6)]
    assert counts(libya.api(acled.url()).stdout) == summary(new=5)

    # ACLED revises record 2 and publishes record 6.
    acled.records[1] = record(2, fatalities=9, timestamp=STAMP + 50)
    acled.records.append(record(6, timestamp=STAMP + 100))
    acled.requests.clear()
    result = libya.api(acled.url())
    assert result.exit_code == 0, result.output
    # >= the mark: record 5, stamped at it, is read again (and is unchanged), so that a record
    # ACLED stamped in the same second after the last run is never missed.
    assert counts(result.stdout) == summary(new=1, corrected=1, unchanged=1)
    for request in acled.reads():
        assert (request.query["timestamp"], request.query["timestamp_where"]) == (
            str(STAMP + 5),
            ">=",
        )
    [deletions] = acled.deletion_reads()
    assert deletions.query["deleted_timestamp"] == str(STAMP + 5)
    assert libya.records()["acled:LBY2"]["fields"]["fatalities"] == 2  # the original, kept
    [correction] = libya.events("--kind", "correction")
    assert correction["origin"] == "acled:LBY2"
    assert correction["fields"]["fields"]["fatalities"] == 9

    acled.requests.clear()
    assert counts(libya.api(acled.url()).stdout) == summary(unchanged=1)  # the newest again
    assert {r.query["timestamp"] for r in acled.reads()} == {str(STAMP + 100)}

    # --since asks for more than the default.
    acled.requests.clear()
    assert counts(libya.api(acled.url(), "--since", "0").stdout) == summary(unchanged=6)
    assert {r.query["timestamp"] for r in acled.reads()} == {"0"}


@ON_EVERY_STORE
def test_deleted_records_become_retractions(libya: Cli, acled: FakeAcled) -> None:
    libya.ok("import", "--format", "acled", str(FIXTURES / "acled_current.csv"))
    total = libya.total_fatalities()
    target = libya.records()["acled:LBY10003"]
    assert target["fields"]["fatalities"] == 10

    acled.deleted = [
        {"event_id_cnty": "LBY10003", "deleted_timestamp": str(STAMP + 1000)},
        {"event_id_cnty": "LBY424242", "deleted_timestamp": str(STAMP + 1000)},  # never held
    ]
    result = libya.api(acled.url())
    assert result.exit_code == 0, result.output
    assert counts(result.stdout) == summary(retracted=1)
    [retraction] = libya.events("--kind", "retraction")
    assert retraction["fields"]["target"] == target["id"]
    assert retraction["origin"] == "acled:LBY10003"
    assert "deleted" in retraction["fields"]["reason"]
    assert libya.total_fatalities() == total - 10
    shown = libya.ok("show", target["id"])
    assert f"retraction: {retraction['id']}" in shown

    # Told again (a --since that reaches back): still one retraction.
    log = libya.events()
    assert counts(libya.api(acled.url(), "--since", "0").stdout) == summary()
    assert libya.events() == log
    assert [r["retracted"] for r in libya.runs()] == [0, 1, 0]


def test_a_record_served_unchanged_and_deleted_in_one_run_is_retracted(
    libya: Cli, acled: FakeAcled
) -> None:
    # The read pages still hold the record (unchanged) while the deletions list has it: the
    # deletion is the later word, and being unchanged must not hide it.
    acled.records = [record(n) for n in range(1, 4)]
    assert counts(libya.api(acled.url()).stdout) == summary(new=3)
    acled.deleted = [{"event_id_cnty": "LBY2", "deleted_timestamp": str(STAMP + 10_000)}]
    result = libya.api(acled.url(), "--since", "0")
    assert result.exit_code == 0, result.output
    assert counts(result.stdout) == summary(retracted=1, unchanged=3)
    [retraction] = libya.events("--kind", "retraction")
    assert retraction["origin"] == "acled:LBY2"
    assert libya.total_fatalities() == sum(n % 4 for n in (1, 3))


@ON_THE_DATABASES
def test_a_page_answering_500_fails_the_run_keeping_whole_batches(
    libya: Cli, acled: FakeAcled
) -> None:
    acled.page_cap = 1000
    acled.records = [record(n) for n in range(1, 2501)]
    acled.failing_pages = {3: 500}
    result = libya.api(acled.url())
    line = one_line_error(result, 3)
    assert f"{acled.base}/api/acled/read page 3" in line
    assert "500" in line
    assert "?" not in line  # the address without its query string
    no_secrets(result.output)

    # Atomic per batch: the first full batch is in, the rest of what was read is not.
    assert len(libya.records()) == BATCH_SIZE == 2000
    [run] = libya.runs()
    assert (run["status"], run["new"]) == ("failed", BATCH_SIZE)
    assert "page 3" in run["error"]
    no_secrets(libya.ok("imports"), json.dumps(run))

    # The server recovers; the next run completes the import. No finished run has moved the
    # high-water mark, so it asks for everything again: the stored batch reads as unchanged.
    acled.failing_pages = {}
    again = libya.api(acled.url())
    assert again.exit_code == 0, again.output
    assert counts(again.stdout) == summary(new=500, unchanged=BATCH_SIZE)
    assert len(libya.records()) == 2500
    assert libya.ok("verify").startswith("ok: ")


def test_the_run_after_a_failed_one_completes_the_import(libya: Cli, acled: FakeAcled) -> None:
    # ACLED stamps records by upload: a whole update shares one timestamp.
    acled.page_cap = 1000
    acled.records = [record(n, timestamp=STAMP) for n in range(1, 2501)]
    acled.failing_pages = {3: 500}
    assert libya.api(acled.url()).exit_code == 3
    assert len(libya.records()) == BATCH_SIZE

    acled.failing_pages = {}
    again = libya.api(acled.url())
    assert again.exit_code == 0, again.output
    assert len(libya.records()) == 2500


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b'{"status": 200, "data": [{"event_id_cnty": "LBY1"', "not valid JSON"),
        (b"<html><body>Bad gateway</body></html>", "not valid JSON"),
        (b'{"status": 200, "success": true, "rows": []}', "no data list"),
        (
            json.dumps(
                {"success": False, "status": 403, "error": {"message": f"Bad {PASSWORD}"}}
            ).encode(),
            "refused",
        ),
    ],
)
def test_an_answer_that_is_not_an_acled_envelope_exits_3(
    libya: Cli, acled: FakeAcled, body: bytes, needle: str
) -> None:
    acled.records = [record(n) for n in range(1, 5)]
    acled.bodies = {1: body}
    result = libya.api(acled.url())
    line = one_line_error(result, 3)
    assert f"{acled.base}/api/acled/read page 1" in line
    assert needle in line
    no_secrets(result.output)
    assert libya.records() == {}
    [run] = libya.runs()
    assert run["status"] == "failed"
    no_secrets(libya.ok("imports", "--format", "json"))


def test_a_dry_run_reads_the_api_and_writes_nothing(libya: Cli, acled: FakeAcled) -> None:
    acled.records = [record(n) for n in range(1, 8)]
    result = libya.api(acled.url(), "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("would import 7 new, 0 corrected, 0 retracted, 0 unchanged")
    assert len(acled.reads()) == 4
    assert libya.records() == {}
    assert libya.runs() == []


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        (f"country=Libya&access_token={KEY}", "carries credentials (access_token)"),
        (f"country=Libya&key={KEY}", "ACLED retired email/key access"),
        (f"email=a%40b.org&country=Libya&key={KEY}", "set ACLED_USERNAME and ACLED_PASSWORD"),
    ],
)
@ON_EVERY_STORE
def test_credentials_in_the_url_are_refused_and_never_shown(
    libya: Cli, acled: FakeAcled, query: str, needle: str
) -> None:
    acled.records = [record(1)]
    result = libya("import", "--format", "acled", acled.url(query))
    line = one_line_error(result, 2)
    assert needle in line
    no_secrets(result.output, libya.ok("imports"), libya.ok("imports", "--format", "json"))
    assert acled.requests == []  # never sent anywhere
    assert libya.records() == {}


def test_without_credentials_the_run_stops_before_asking(libya: Cli, acled: FakeAcled) -> None:
    acled.records = [record(1)]
    line = one_line_error(libya("import", "--format", "acled", acled.url()), 3)
    assert "ACLED_USERNAME" in line
    assert acled.requests == []
    assert libya.runs() == []


# -- CSV exports at a URL --------------------------------------------------------------------------


def test_a_csv_at_an_http_url(libya: Cli, acled: FakeAcled) -> None:
    acled.files["/exports/acled_current.csv"] = (
        200,
        (FIXTURES / "acled_current.csv").read_bytes(),
    )
    url = f"{acled.base}/exports/acled_current.csv"
    out = libya.ok("import", "--format", "acled", url)
    assert counts(out) == summary(new=4)
    assert " from acled_current.csv in " in out
    assert sorted(libya.records()) == [f"acled:LBY1000{n}" for n in range(1, 5)]
    [run] = libya.runs()
    assert (run["source"], run["status"]) == (url, "ok")
    assert run["content_hash"]
    assert counts(libya.ok("import", "--format", "acled", url)) == summary(unchanged=4)


def test_the_summary_does_not_show_a_urls_query_string(libya: Cli, acled: FakeAcled) -> None:
    # Signed download links carry their token in the query string; cron mails the summary.
    acled.files["/exports/today.csv"] = (200, (FIXTURES / "acled_current.csv").read_bytes())
    url = f"{acled.base}/exports/today.csv?key={KEY}"
    result = libya("import", "--format", "acled", url)
    assert result.exit_code == 0, result.output
    assert counts(result.stdout) == summary(new=4)
    no_secrets(result.output, libya.ok("imports", "--format", "json"))


def test_a_url_answering_500_exits_3_naming_it(libya: Cli, acled: FakeAcled) -> None:
    acled.files["/exports/today.csv"] = (500, b"oops")
    url = f"{acled.base}/exports/today.csv"
    result = libya("import", "--format", "acled", f"{url}?token=abc123")
    line = one_line_error(result, 3)
    assert url in line
    assert "500" in line
    assert "abc123" not in result.output
    assert libya.records() == {}


def test_a_url_nobody_answers_exits_3(libya: Cli) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/exports/today.csv"
    line = one_line_error(libya("import", "--format", "acled", url), 3)
    assert url in line
    assert libya.records() == {}
