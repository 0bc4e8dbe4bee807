"""`timeline feeds` and `timeline import` of UCDP's API, against stand-ins for ACLED's OAuth and
UCDP's token API on 127.0.0.1, on SQLite and PostgreSQL.

Every test that gives credentials greps everything the run left for them (stdout, stderr, the
rejects file, the imports table, the feeds list), raw and in every percent-encoding.
"""

from __future__ import annotations

import json
import traceback
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.services import PASSWORD, STAMP, UCDP_TOKEN, USERNAME, Services, ged_record, serve
from timeline.cli import main
from timeline.importers import http as http_module

SECRETS = (PASSWORD, UCDP_TOKEN)
FIXTURE = Path(__file__).parent / "importers" / "fixtures" / "acled_current.csv"
ENV: dict[str, str | None] = {
    "ACLED_USERNAME": USERNAME,
    "ACLED_PASSWORD": PASSWORD,
    "ACLED_ACCESS_TOKEN": None,
    "ACLED_REFRESH_TOKEN": None,
    "ACLED_EMAIL": None,
    "ACLED_KEY": None,
    "UCDP_TOKEN": UCDP_TOKEN,
}


def spellings(secret: str) -> set[str]:
    """A secret as is and percent-encoded every way a URL or form writes it."""
    quoted = urllib.parse.quote(secret, safe="")
    return {
        secret,
        quoted,
        quoted.lower(),
        urllib.parse.quote_plus(secret),
        urllib.parse.quote(secret),
        json.dumps(secret)[1:-1],
    }


class Cli:
    def __init__(self, db_url: str, services: Services) -> None:
        self.db_url = db_url
        self.services = services
        self.outputs: list[str] = []

    def __call__(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        result = CliRunner().invoke(main, ["--db", self.db_url, *args], env=env or ENV)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError("".join(traceback.format_exception(result.exception)))
        assert "Traceback" not in result.output
        self.outputs.append(result.output)
        return result

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result.stdout

    def records(self) -> dict[str, dict[str, Any]]:
        events = json.loads(self.ok("events", "--format", "json"))
        return {
            e["origin"]: e
            for e in events
            if e["origin"] and e["kind"] not in ("correction", "retraction")
        }

    def total_fatalities(self) -> int:
        return int(json.loads(self.ok("at", "2030", "--format", "json"))["fatalities"]["total"])

    def assert_no_secrets(self, *files: Path) -> None:
        texts = [
            *self.outputs,
            self.ok("imports", "--format", "json"),
            self.ok("feeds", "list", "--format", "json"),
            *(f.read_text() for f in files),
        ]
        for text in texts:
            for secret in SECRETS:
                for form in spellings(secret):
                    assert form not in text, (form, text)
            assert "acc-" not in text  # tokens the service issued
            assert "ref-" not in text


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(http_module, "_sleep", lambda seconds: None)
    yield from serve(Services())


@pytest.fixture
def cli(db_url: str, services: Services) -> Iterator[Cli]:
    cli = Cli(db_url, services)
    cli.ok("create", "libya", "--zone", "Africa/Tripoli")
    yield cli
    cli.assert_no_secrets()


def acled_record(n: int, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "event_id_cnty": f"LBY{n}",
        "event_date": f"2020-03-{1 + n % 28:02d}",
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "actor1": "Military Forces of Libya (2014-) Haftar Faction",
        "actor2": "Military Forces of Libya (2016-) Government of National Accord",
        "location": "Tripoli",
        "latitude": "32.8925",
        "longitude": "13.18",
        "source": "Libya Observer",
        "fatalities": n % 4,
        "timestamp": STAMP + n,
    }
    row.update(changes)
    return row


def add_feeds(cli: Cli) -> None:
    s = cli.services
    assert cli.ok("feeds", "add", "acled-libya", "--format", "acled", s.url(), "-t", "libya") == (
        "feed acled-libya: acled into libya\n"
    )
    cli.ok("feeds", "add", "ged", "--format", "ucdp", s.ucdp_url("25.1"), "-t", "libya")
    cli.ok("feeds", "add", "candidate", "--format", "ucdp", s.ucdp_url("26.0.1"), "-t", "libya")


# --- named feeds -------------------------------------------------------------------------------


def test_feeds_run_every_feed_with_a_line_each_and_list_their_state(cli: Cli) -> None:
    s = cli.services
    s.records = [acled_record(n) for n in range(1, 5)]
    s.releases = {"25.1": [ged_record(n) for n in range(1, 4)], "26.0.1": []}
    add_feeds(cli)
    listed = json.loads(cli.ok("feeds", "list", "--format", "json"))
    assert [(f["name"], f["status"]) for f in listed] == [
        ("acled-libya", "never run"),
        ("candidate", "never run"),
        ("ged", "never run"),
    ]

    out = cli.ok("feeds", "run").splitlines()
    assert [line.split(":")[0] for line in out] == ["acled-libya", "candidate", "ged"]
    assert "imported 4 new" in out[0]
    assert "imported 0 new" in out[1]  # an empty first page: nothing, and no error
    assert "imported 3 new" in out[2]
    assert sorted(cli.records()) == sorted(
        [*(f"acled:LBY{n}" for n in range(1, 5)), *(f"ucdp:{400000 + n}" for n in range(1, 4))]
    )
    listed = {f["name"]: f for f in json.loads(cli.ok("feeds", "list", "--format", "json"))}
    assert listed["acled-libya"]["status"] == "ok"
    assert listed["acled-libya"]["high_water"] == "2023-11-14T22:13:24Z"  # STAMP + 4
    assert listed["ged"]["high_water"] == "250100"
    # UCDP's token in a header, ACLED's token as a bearer; pages counted from 0 for UCDP.
    ucdp = [r for r in s.requests if r.path.startswith("/api/gedevents/25.1")]
    assert [(r.query["page"], r.query["pagesize"], r.query["Country"]) for r in ucdp] == [
        ("0", "1000", "620")
    ]
    assert ucdp[0].headers["x-ucdp-access-token"] == UCDP_TOKEN

    # Quiet and nothing new: nothing printed; the feed's own mark asks for what is newer.
    s.requests.clear()
    assert cli.ok("feeds", "run", "--quiet") == ""
    assert {r.query["timestamp"] for r in s.reads()} == {str(STAMP + 4)}


def test_a_feed_holds_no_credentials(cli: Cli) -> None:
    s = cli.services
    for url, needle in [
        (s.url(f"country=Libya&access_token={PASSWORD}"), "carries credentials"),
        (s.url("country=Libya&key=k3y&email=a%40b.org"), "ACLED retired email/key"),
        (
            s.url().replace("http://", f"http://u:{urllib.parse.quote(PASSWORD, safe='')}@"),
            "user:password",
        ),
    ]:
        result = cli("feeds", "add", "x", "--format", "acled", url, "-t", "libya")
        assert result.exit_code == 2
        assert needle in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    bad = cli("feeds", "add", "x", "--format", "ucdp", s.ucdp_url("25.1", "token=abc"))
    assert bad.exit_code == 2
    assert cli.ok("feeds", "list", "--format", "json").strip() == "[]"
    assert s.requests == []


def test_the_exit_code_is_the_worst_of_the_feeds(cli: Cli) -> None:
    s = cli.services
    s.records = [acled_record(1)]
    s.releases = {"25.1": [ged_record(1)], "26.0.1": [ged_record(2)]}
    add_feeds(cli)
    env = {**ENV, "UCDP_TOKEN": "not-the-token"}
    result = cli("feeds", "run", "--quiet", env=env)
    assert result.exit_code == 3
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"candidate: failed: {s.base}/api/gedevents/26.0.1: UCDP refused the token (UCDP_TOKEN)",
        f"ged: failed: {s.base}/api/gedevents/25.1: UCDP refused the token (UCDP_TOKEN)",
    ]
    assert result.stdout == ""
    assert list(cli.records()) == ["acled:LBY1"]  # the good feed still ran
    unknown = cli("feeds", "run", "nope")
    assert unknown.exit_code == 2
    assert "no feed 'nope'" in unknown.stderr


def test_a_feed_whose_every_record_is_rejected_exits_5_and_the_others_run(cli: Cli) -> None:
    s = cli.services
    # Every ACLED record echoes the password back: none of them can be stored.
    leaked = urllib.parse.quote(PASSWORD, safe="")
    s.records = [acled_record(n, notes=f"leaked {leaked}") for n in (1, 2)]
    s.releases = {"25.1": [ged_record(1)], "26.0.1": []}
    add_feeds(cli)
    result = cli("feeds", "run", "--quiet")
    assert result.exit_code == 5
    [line] = [x for x in result.stderr.splitlines() if x.startswith("acled-libya: ")]
    assert "2 rejected" in line
    assert sorted(cli.records()) == ["ucdp:400001"]  # the UCDP feeds still ran
    cli.assert_no_secrets()


# --- ACLED over OAuth ---------------------------------------------------------------------------


def test_a_wrong_password_exits_3_in_one_line_writing_nothing(cli: Cli, tmp_path: Path) -> None:
    s = cli.services
    s.records = [acled_record(1)]
    result = cli("import", s.url(), "-t", "libya", env={**ENV, "ACLED_PASSWORD": "wrong-pass"})
    assert result.exit_code == 3
    assert result.stderr == (
        f"Error: {s.base}/oauth/token: ACLED refused the username and password "
        "(ACLED_USERNAME, ACLED_PASSWORD)\n"
    )
    assert json.loads(cli.ok("imports", "--format", "json")) == []
    assert cli.records() == {}
    assert s.reads() == []
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.json"))


def test_a_dry_run_checks_the_credentials_and_imports_nothing(cli: Cli) -> None:
    s = cli.services
    s.records = [acled_record(1), acled_record(2)]
    out = cli.ok("import", s.url(), "-t", "libya", "--dry-run")
    assert out.startswith("would import 2 new")
    assert cli.records() == {}
    bad = cli("import", s.url(), "-t", "libya", "--dry-run", env={**ENV, "ACLED_PASSWORD": "no"})
    assert bad.exit_code == 3


def test_the_retired_email_and_key_are_refused_saying_what_to_set(cli: Cli) -> None:
    env = {**dict.fromkeys(ENV), "ACLED_EMAIL": "a@b.org", "ACLED_KEY": "0ld-k3y"}
    result = cli("import", cli.services.url(), "-t", "libya", env=env)
    assert result.exit_code == 2
    assert "ACLED retired email/key access" in result.stderr
    assert "ACLED_USERNAME and ACLED_PASSWORD" in result.stderr
    assert "0ld-k3y" not in result.output


def test_a_token_expiring_mid_run_and_a_refused_refresh(cli: Cli) -> None:
    s = cli.services
    s.records = [acled_record(n) for n in range(1, 10)]
    s.revoke_after = 2  # the access token stops working after two pages
    cli.ok("import", s.url(), "-t", "libya")
    assert len(cli.records()) == 9
    assert [g.form["grant_type"] for g in s.grants()] == ["password", "refresh_token"]

    # Every token revoked and the refresh token refused: back to the password grant.
    s.access_tokens.clear()
    s.refuse_refresh = True
    cli.ok("import", s.url(), "-t", "libya")
    assert [g.form["grant_type"] for g in s.grants()][-2:] == ["refresh_token", "password"]


def test_429_past_the_limit_exits_3_and_the_next_run_resumes(cli: Cli) -> None:
    s = cli.services
    s.records = [acled_record(n) for n in range(1, 5)]
    cli.ok("feeds", "add", "a", "--format", "acled", s.url(), "-t", "libya")
    cli.ok("feeds", "run")
    s.records.append(acled_record(9))
    s.hiccups = [(200, {})] * 0 + [(429, {"Retry-After": "3600"})]
    result = cli("feeds", "run", "--quiet")
    assert result.exit_code == 3
    assert "429" in result.stderr
    assert "the next run resumes" in result.stderr
    [feed] = json.loads(cli.ok("feeds", "list", "--format", "json"))
    assert feed["status"] == "failed"
    assert feed["high_water"] == "2023-11-14T22:13:24Z"  # a failed run does not move it
    again = cli.ok("feeds", "run")
    assert "imported 1 new" in again
    assert "acled:LBY9" in cli.records()


def test_500_pages_are_retried_then_exit_3(cli: Cli) -> None:
    s = cli.services
    s.records = [acled_record(n) for n in range(1, 5)]
    s.hiccups = [(500, {}), (502, {})]
    assert "imported 4 new" in cli.ok("import", s.url(), "-t", "libya")
    s.failing_pages = {1: 500}
    result = cli("import", s.url(), "-t", "libya", "--since", "0")
    assert result.exit_code == 3
    assert result.stderr.strip() == (
        f"Error: {s.base}/api/acled/read page 1: the server answered 500 Internal Server Error "
        "(5 tries)"
    )


def test_a_redirect_to_another_port_drops_the_token(cli: Cli) -> None:
    s = cli.services
    for other in serve(Services()):
        other.releases = {"25.1": [ged_record(1)]}
        s.redirects["/api/gedevents/25.1"] = f"{other.base}/api/gedevents/25.1?page=0&pagesize=5"
        result = cli("import", s.ucdp_url("25.1"), "-t", "libya")
        assert result.exit_code == 3
        assert "UCDP refused the token" in result.stderr
        [sent] = other.requests
        assert "x-ucdp-access-token" not in {h.lower() for h in sent.headers}
        assert "authorization" not in {h.lower() for h in sent.headers}


def test_records_echoing_a_secret_are_rejected_and_masked_everywhere(
    cli: Cli, tmp_path: Path
) -> None:
    s = cli.services
    s.records = [
        acled_record(1),
        acled_record(2, notes=f"leaked {urllib.parse.quote(PASSWORD, safe='')}"),
    ]
    rejects = tmp_path / "rejects.csv"
    result = cli("import", s.url(), "-t", "libya", "--rejects", str(rejects))
    assert result.exit_code == 1
    assert "holds a credential" in result.stderr
    assert list(cli.records()) == ["acled:LBY1"]
    cli.assert_no_secrets(rejects)


def test_a_csv_behind_basic_auth_echoing_the_password_is_masked(cli: Cli, tmp_path: Path) -> None:
    s = cli.services
    header, first = FIXTURE.read_text().splitlines()[:2]
    echoed = first.replace("2019-12-30", f"{urllib.parse.quote_plus(PASSWORD)}", 1)
    s.files["/exports/x.csv"] = (200, f"{header}\n{echoed}\n".encode())
    quoted = urllib.parse.quote(PASSWORD, safe="")
    url = f"http://analyst:{quoted}@127.0.0.1:{s.port}/exports/x.csv"
    rejects = tmp_path / "rejects.csv"
    result = cli("import", "--format", "acled", url, "-t", "libya", "--rejects", str(rejects))
    assert result.exit_code == 5  # its one record rejected: nothing of the source went in
    assert "event_date '***' is not a date" in result.stderr
    assert "***" in rejects.read_text()
    [run] = json.loads(cli.ok("imports", "--format", "json"))
    assert run["source"] == f"{s.base}/exports/x.csv"
    assert s.requests[0].headers["Authorization"].startswith("Basic ")
    cli.assert_no_secrets(rejects)


# --- UCDP ---------------------------------------------------------------------------------------


def test_ucdp_pages_through_total_pages_mapped_as_ged_csv_rows(cli: Cli) -> None:
    s = cli.services
    s.releases = {"25.1": [ged_record(n) for n in range(1, 2502)]}
    out = cli.ok("import", s.ucdp_url("25.1"), "-t", "libya")
    assert "imported 2501 new" in out
    pages = [r.query["page"] for r in s.requests if r.path.startswith("/api/gedevents/")]
    assert pages == ["0", "1", "2"]
    event = cli.records()["ucdp:400007"]
    assert event["kind"] == "clash"
    assert event["date"] == "2020-03-08"
    assert event["fields"]["fatalities"] == 2
    assert "imported 0 new" in cli.ok("import", s.ucdp_url("25.1"), "-t", "libya")


def test_a_ged_record_for_a_candidate_event_is_a_correction_not_a_second_event(
    cli: Cli,
) -> None:
    s = cli.services
    s.releases = {
        "26.0.1": [ged_record(1, best=4), ged_record(2, best=1)],
        "26.1": [ged_record(1, best=6)],  # vetted: event 1 kept, with another count
    }
    assert "imported 2 new" in cli.ok("import", s.ucdp_url("26.0.1"), "-t", "libya")
    assert cli.total_fatalities() == 5
    out = cli.ok("import", s.ucdp_url("26.1"), "-t", "libya")
    assert "0 new, 1 corrected" in out
    assert cli.total_fatalities() == 7  # 6 (GED) + 1 (Candidate, not yet vetted)
    # Reading the Candidate release again never turns the vetted record back.
    cli.ok("import", s.ucdp_url("26.0.1"), "-t", "libya")
    assert cli.total_fatalities() == 7


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b'{"TotalPages": 1, "Result": [', "not valid JSON"),
        (b'{"TotalCount": 3}', "not UCDP's envelope"),
        (b'{"Result": []}', "no TotalPages"),
    ],
)
def test_a_malformed_ucdp_answer_exits_3(cli: Cli, body: bytes, needle: str) -> None:
    s = cli.services
    s.releases = {"25.1": [ged_record(1)]}
    s.bodies = {0: body}
    result = cli("import", s.ucdp_url("25.1"), "-t", "libya")
    assert result.exit_code == 3
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert cli.records() == {}
