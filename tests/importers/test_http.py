"""The live feeds' HTTP client and ACLED's OAuth session against real servers on 127.0.0.1."""

from __future__ import annotations

import json
import re
import socket
import stat
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.services import PASSWORD, USERNAME, Services, serve
from timeline.errors import InvalidInput
from timeline.importers.acled_api import AcledCredentials, AcledSession, fetch_acled
from timeline.importers.http import (
    AuthRefused,
    Http,
    HttpStatusError,
    Limits,
    Masker,
    RateLimited,
    clean_url,
)
from timeline.importers.sources import RawRow, Rejection, SourceError
from timeline.importing.credentials import TokenFile, credentials_from, token_file


@pytest.fixture
def services() -> Iterator[Services]:
    yield from serve(Services())


class Waits:
    """Records the waits a client asks for instead of sleeping."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


def client(*, secrets: tuple[str, ...] = (), **limits: Any) -> tuple[Http, Waits]:
    waits = Waits()
    return Http(Limits(**limits), secrets=secrets, sleep=waits), waits


def record(n: int) -> dict[str, Any]:
    return {"event_id_cnty": f"LBY{n}", "event_date": "2020-02-29", "timestamp": 1583000000 + n}


# --- retries, rate limits, redirects ---------------------------------------------------------


def test_5xx_and_network_errors_are_retried_with_growing_waits(services: Services) -> None:
    services.files["/x.csv"] = (200, b"ok")
    services.hiccups = [(500, {}), (503, {}), (502, {})]
    http, waits = client(backoff=0.5, retries=4)
    assert http.get(f"{services.base}/x.csv").body == b"ok"
    assert waits.seconds == [0.5, 1.0, 2.0]

    services.hiccups = [(500, {})] * 6
    http, waits = client(backoff=0.5, retries=2)
    with pytest.raises(SourceError) as caught:
        http.get(f"{services.base}/x.csv?token=abc")
    assert str(caught.value) == (
        f"{services.base}/x.csv: the server answered 500 Internal Server Error (3 tries)"
    )
    assert waits.seconds == [0.5, 1.0]


def test_429_waits_as_asked_up_to_a_limit_then_stops(services: Services) -> None:
    services.files["/x.csv"] = (200, b"ok")
    services.hiccups = [(429, {"Retry-After": "7"}), (429, {"Retry-After": "3"})]
    http, waits = client()
    assert http.get(f"{services.base}/x.csv").body == b"ok"
    assert waits.seconds == [7, 3]

    services.hiccups = [(429, {"Retry-After": "86400"})]  # a daily quota spent
    http, waits = client(max_retry_after=120)
    with pytest.raises(RateLimited, match="asks to wait 86400 s; stopped, the next run resumes"):
        http.get(f"{services.base}/x.csv")
    assert waits.seconds == []

    services.hiccups = [(429, {"Retry-After": "1"})] * 5
    http, waits = client(rate_limit_waits=3)
    with pytest.raises(RateLimited):
        http.get(f"{services.base}/x.csv")
    assert waits.seconds == [1, 1, 1]


def test_a_wait_past_the_deadline_is_not_taken(services: Services) -> None:
    services.hiccups = [(429, {"Retry-After": "30"})]
    http, waits = client(deadline=10)
    with pytest.raises(RateLimited):
        http.get(f"{services.base}/x.csv")
    assert waits.seconds == []


def test_credentials_never_follow_a_redirect_to_another_origin(services: Services) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
    # The same host on another port is another origin.
    for other in serve(Services()):
        other.files["/data"] = (200, b"moved")
        services.redirects["/data"] = f"{other.base}/data"
        services.redirects["/same"] = "/data-here"
        services.files["/data-here"] = (200, b"here")
        http, _ = client()
        headers = {"Authorization": "Bearer T0KEN", "x-ucdp-access-token": "UT0KEN"}
        answer = http.get(
            f"{services.base}/data", headers, credential_headers=["x-ucdp-access-token"]
        )
        assert answer.body == b"moved"
        [sent] = other.requests
        assert "Authorization" not in sent.headers
        assert "x-ucdp-access-token" not in {h.lower() for h in sent.headers}
        # Within the origin they go along.
        assert http.get(f"{services.base}/same", headers).body == b"here"
        assert services.requests[-1].headers["Authorization"] == "Bearer T0KEN"


def drain(stream: BinaryIO) -> None:
    while stream.read(1 << 12):
        pass


# --- size and time ---------------------------------------------------------------------------


@pytest.fixture
def dribbling() -> Iterator[str]:
    """A server that sends an endless body, one byte at a time, a little apart."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(10_000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.01)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/slow"
    finally:
        server.shutdown()
        server.server_close()


def test_a_server_that_dribbles_cannot_outlast_the_deadline(dribbling: str) -> None:
    http, _ = client(deadline=0.5, timeout=5)
    started = time.monotonic()
    stream = http.open(dribbling)
    with pytest.raises(SourceError, match="deadline passed"):
        drain(stream)
    assert time.monotonic() - started < 3


def test_a_body_larger_than_the_limit_is_refused_while_it_streams(
    dribbling: str, services: Services
) -> None:
    http, _ = client(max_bytes=20)
    stream = http.open(dribbling)  # no Content-Length: counted as it comes
    with pytest.raises(SourceError, match="larger than 20 bytes"):
        drain(stream)
    services.files["/big"] = (200, b"y" * 100)  # declared: refused before reading
    with pytest.raises(SourceError, match="larger than 20 bytes"):
        http.get(f"{services.base}/big")


def test_a_user_password_in_a_url_is_basic_auth_and_never_shown(services: Services) -> None:
    services.files["/x.csv"] = (403, b"no")
    http, _ = client()
    url = f"http://bob:{urllib.parse.quote(PASSWORD, safe='')}@127.0.0.1:{services.port}/x.csv"
    with pytest.raises(HttpStatusError) as caught:
        http.open(url)
    assert str(caught.value) == f"{services.base}/x.csv: the server answered 403 Forbidden"
    assert services.requests[0].headers["Authorization"].startswith("Basic ")
    assert clean_url(url) == f"{services.base}/x.csv"


# --- masking ---------------------------------------------------------------------------------


@given(
    st.text(st.characters(exclude_categories=["Cs"]), min_size=3, max_size=12),
    st.lists(st.booleans(), min_size=12, max_size=12),
)
# Characters whose escape begins with themselves: `\` in JSON, `%` percent-encoded.
@example("pa\\", [False] * 12)
@example("10%off", [True] * 12)
def test_a_secret_is_masked_in_any_percent_encoding(secret: str, encode: list[bool]) -> None:
    # Each character as is or percent-encoded, in upper or lower case hex.
    spelled = "".join(
        "".join(f"%{b:02X}" if i % 2 else f"%{b:02x}" for b in c.encode()) if e else c
        for i, (c, e) in enumerate(zip(secret, encode, strict=False))
    )
    mask = Masker([secret])
    assert mask(f"before {spelled} after") == "before *** after"
    assert mask(f"x{urllib.parse.quote_plus(secret)}y") == "x***y"
    assert mask(json.dumps({"v": secret})) == '{"v": "***"}'


@given(st.text(st.characters(categories=["Lu", "Ll", "Nd"]), min_size=3, max_size=12))
@example("s3cretPass")
def test_a_secret_is_masked_in_any_letter_case(secret: str) -> None:
    mask = Masker([secret])
    for spelled in (secret.upper(), secret.lower(), secret.swapcase()):
        # Only where the change of case is one character for one, as regular expressions
        # compare them (German sharp s upper-cases to two).
        if len(spelled) == len(secret):
            assert mask(f"[{spelled}]") == "[***]"
    # JSON may write the hex digits of its escapes in upper case too.
    escaped = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m[1].upper(), json.dumps(secret))
    assert mask(escaped) == '"***"'


# --- ACLED's OAuth -------------------------------------------------------------------------------


def session(
    services: Services, tmp_path: Path, now: float = 0.0, **credentials: str
) -> AcledSession:
    creds = AcledCredentials(**credentials) if credentials else AcledCredentials(USERNAME, PASSWORD)
    http, _ = client(secrets=tuple(creds.secrets()))
    store = token_file(tmp_path, services.base, creds.username)
    return AcledSession(http, services.base, creds, store, now=lambda: now)


def test_tokens_are_kept_in_a_file_only_the_user_can_read(
    services: Services, tmp_path: Path
) -> None:
    services.records = [record(n) for n in range(1, 5)]
    rows = list(fetch_acled(session(services, tmp_path), params={}, since=None))
    assert [r.key for r in rows if isinstance(r, RawRow)] == [f"acled:LBY{n}" for n in range(1, 5)]
    [kept] = list(tmp_path.iterdir())
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert USERNAME not in kept.name

    # The next run uses the kept token: no new grant.
    list(fetch_acled(session(services, tmp_path), params={}, since=None))
    assert len(services.grants()) == 1

    # A tokens file others can read is not trusted.
    kept.chmod(0o644)
    assert TokenFile(kept).load() is None


def test_an_expired_token_is_refreshed_and_a_refused_refresh_falls_back_to_the_password(
    services: Services, tmp_path: Path
) -> None:
    services.records = [record(1)]
    list(fetch_acled(session(services, tmp_path, now=0), params={}, since=None))
    # A day later the access token has expired; the refresh token renews it.
    list(fetch_acled(session(services, tmp_path, now=86400), params={}, since=None))
    assert [g.form["grant_type"] for g in services.grants()] == ["password", "refresh_token"]

    services.refuse_refresh = True
    list(fetch_acled(session(services, tmp_path, now=2 * 86400), params={}, since=None))
    assert [g.form["grant_type"] for g in services.grants()][-2:] == ["refresh_token", "password"]


def test_a_401_mid_run_renews_the_token_once_and_reads_that_page_again(
    services: Services, tmp_path: Path
) -> None:
    services.records = [record(n) for n in range(1, 10)]
    services.revoke_after = 2
    rows = list(fetch_acled(session(services, tmp_path), params={}, since=None))
    assert len([r for r in rows if isinstance(r, RawRow)]) == 9
    assert [r.query["page"] for r in services.reads()] == ["1", "2", "3", "3", "4"]
    assert [g.form["grant_type"] for g in services.grants()] == ["password", "refresh_token"]


def test_a_wrong_password_is_refused_in_one_line(services: Services, tmp_path: Path) -> None:
    with pytest.raises(AuthRefused) as caught:
        session(services, tmp_path, username=USERNAME, password="wrong-pass").token()
    assert str(caught.value) == (
        f"{services.base}/oauth/token: ACLED refused the username and password "
        "(ACLED_USERNAME, ACLED_PASSWORD)"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_record_echoing_a_credential_is_rejected(services: Services, tmp_path: Path) -> None:
    services.records = [record(1), {**record(2), "notes": f"pw {urllib.parse.quote(PASSWORD)}"}]
    rows = list(fetch_acled(session(services, tmp_path), params={}, since=None))
    assert isinstance(rows[1], Rejection)
    assert "credential" in rows[1].reason


def test_the_retired_email_and_key_are_refused_with_what_to_set() -> None:
    with pytest.raises(InvalidInput, match=r"ACLED retired email/key access.*ACLED_USERNAME"):
        credentials_from({"ACLED_EMAIL": "a@b.org", "ACLED_KEY": "k"})
    found = credentials_from({"ACLED_USERNAME": "u", "ACLED_PASSWORD": "p", "UCDP_TOKEN": "t"})
    assert (found.acled.username, found.acled.password, found.ucdp_token) == ("u", "p", "t")
