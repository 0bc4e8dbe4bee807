"""The ACLED API client against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from timeline.importers.acled import AcledParser
from timeline.importers.acled_api import (
    api_url_params,
    fetch_acled,
    fetch_acled_deletions,
    parse_api_url,
)
from timeline.importers.sources import Deletion, RawRow, Rejection, SourceError, SourceRecord

EMAIL = "analyst@example.org"
KEY = "S3cr3t-K3y-0123"
TOKEN = "eyJhbGciOi-T0K3N"
CREDENTIALS = {"email": EMAIL, "key": KEY}

Reply = tuple[int, bytes]


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class FakeApi:
    """A stand-in for ACLED's API; each test says how it answers."""

    base: str = ""
    requests: list[Request] = field(default_factory=list)
    answer: Callable[[Request], Reply] = lambda request: (404, b"")

    def pages(self, records: list[Any], *, key: str = "data") -> None:
        """Answer with `records`, paged by the request's limit and page."""

        def answer(request: Request) -> Reply:
            limit, page = int(request.query["limit"]), int(request.query["page"])
            chunk = records[(page - 1) * limit : page * limit]
            return 200, envelope(chunk, key=key)

        self.answer = answer


def envelope(data: list[Any], *, key: str = "data", **extra: Any) -> bytes:
    body = {"status": 200, "success": True, "last_update": 1, "count": len(data), "messages": []}
    body[key] = data
    body.update(extra)
    return json.dumps(body).encode()


@pytest.fixture
def api() -> Iterator[FakeApi]:
    state = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            request = Request(url.path, dict(parse_qsl(url.query)), dict(self.headers))
            state.requests.append(request)
            status, body = state.answer(request)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval keeps shutdown() quick between tests.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def event(n: int, **values: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "event_id_cnty": f"LBY{n}",
        "event_date": "2020-02-29",
        "year": 2020,
        "time_precision": 1,
        "event_type": "Battles",
        "sub_event_type": "Armed clash",
        "actor1": "Military Forces of Libya (2014-) Haftar Faction",
        "actor2": "Military Forces of Libya (2016-) Government of National Accord",
        "location": "Tripoli",
        "latitude": 32.8925,
        "longitude": 13.18,
        "fatalities": n,
        "notes": None,
        "timestamp": 1583000000 + n,
    }
    record.update(values)
    return record


def assert_secret_free(error: BaseException) -> None:
    text = str(error)
    for secret in (EMAIL, KEY, TOKEN, "analyst%40example.org"):
        assert secret not in text
    # urllib's own exceptions carry the full URL; none may ride along as context.
    assert error.__cause__ is None
    assert error.__context__ is None


def fetch(api: FakeApi, **kwargs: Any) -> list[RawRow | Rejection]:
    options: dict[str, Any] = {"params": {}, "credentials": CREDENTIALS, "since": None}
    options.update(kwargs)
    return list(fetch_acled(api.base, **options))


# --- paging --------------------------------------------------------------------------------


def test_pages_are_read_until_an_empty_one(api: FakeApi) -> None:
    api.pages([event(n) for n in range(1, 8)])
    rows = fetch(api, params={"country": "Libya"}, since=1582000000, page_size=3)
    assert [r.key for r in rows if isinstance(r, RawRow)] == [f"acled:LBY{n}" for n in range(1, 8)]
    assert [r.row for r in rows] == list(range(1, 8))  # counted across pages
    assert [q.query["page"] for q in api.requests] == ["1", "2", "3", "4"]
    first = api.requests[0]
    assert first.path == "/api/acled/read"
    assert first.query == {
        "_format": "json",
        "country": "Libya",
        "timestamp": "1582000000",
        "timestamp_where": ">",
        "email": EMAIL,
        "key": KEY,
        "limit": "3",
        "page": "1",
    }
    assert "Authorization" not in first.headers


def test_api_rows_are_text_valued_and_map_like_csv_rows(api: FakeApi) -> None:
    api.pages([event(5)])
    (raw,) = fetch(api)
    assert isinstance(raw, RawRow)
    assert raw.source == f"{api.base}/api/acled/read"  # no query string, no credentials
    assert raw.stamp == 1583000005
    assert raw.values["fatalities"] == "5"
    assert raw.values["latitude"] == "32.8925"
    assert raw.values["notes"] == ""
    record = AcledParser().record(raw)
    assert isinstance(record, SourceRecord)
    assert (record.kind, record.date, record.title) == (
        "clash",
        "2020-02-29",
        "Armed clash in Tripoli",
    )
    assert record.fields["fatalities"] == 5


def test_without_since_no_timestamp_filter_is_sent(api: FakeApi) -> None:
    api.pages([])
    assert fetch(api) == []
    assert "timestamp" not in api.requests[0].query
    assert "timestamp_where" not in api.requests[0].query


def test_an_access_token_is_sent_as_a_bearer_header(api: FakeApi) -> None:
    api.pages([event(1)])
    fetch(api, credentials={"access_token": TOKEN})
    request = api.requests[0]
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "email" not in request.query
    assert "key" not in request.query


def test_records_without_an_id_are_rejected_and_the_rest_read(api: FakeApi) -> None:
    api.pages([event(1), {"event_date": "2020-01-01"}, ["not", "an", "object"], event(4)])
    rows = fetch(api)
    assert [type(r).__name__ for r in rows] == ["RawRow", "Rejection", "Rejection", "RawRow"]
    assert [r.message() for r in rows if isinstance(r, Rejection)] == [
        f"{api.base}/api/acled/read:2: event_id_cnty is missing or empty",
        f"{api.base}/api/acled/read:3: the record is not a JSON object",
    ]


# --- failures ------------------------------------------------------------------------------


def fails(api: FakeApi, page: int, answer: Reply, **kwargs: Any) -> SourceError:
    def reply(request: Request) -> Reply:
        number = int(request.query["page"])
        return answer if number == page else (200, envelope([event(number)]))

    api.answer = reply
    with pytest.raises(SourceError) as caught:
        fetch(api, page_size=1, **kwargs)
    assert_secret_free(caught.value)
    return caught.value


def test_an_http_error_names_the_url_and_page(api: FakeApi) -> None:
    error = fails(api, 2, (500, b"oops"))
    assert str(error) == f"{api.base}/api/acled/read page 2: HTTP 500 Internal Server Error"


def test_rows_before_a_failing_page_are_streamed_first(api: FakeApi) -> None:
    api.answer = lambda r: (200, envelope([event(1)])) if r.query["page"] == "1" else (503, b"")
    stream = fetch_acled(api.base, params={}, credentials=CREDENTIALS, since=None, page_size=1)
    assert isinstance(next(stream), RawRow)
    with pytest.raises(SourceError, match="page 2: HTTP 503"):
        next(stream)


def test_malformed_json_is_a_source_error(api: FakeApi) -> None:
    error = fails(api, 1, (200, b'{"status": 200, "data": [{"event_id_cnty": "LB'))
    assert str(error).startswith(f"{api.base}/api/acled/read page 1: the answer is not valid JSON")


def test_success_false_is_a_source_error_without_echoed_secrets(api: FakeApi) -> None:
    refusal = json.dumps(
        {"status": 403, "success": False, "error": {"message": f"Invalid key {KEY} for {EMAIL}"}}
    ).encode()
    error = fails(api, 1, (200, refusal))
    assert str(error) == (
        f"{api.base}/api/acled/read page 1: the ACLED API refused the request: "
        "Invalid key *** for ***"
    )


def test_an_answer_without_data_is_a_source_error(api: FakeApi) -> None:
    error = fails(api, 3, (200, envelope([event(1)], key="rows")))
    assert str(error) == f"{api.base}/api/acled/read page 3: the answer has no data list"


def test_an_answer_that_is_not_an_object_is_a_source_error(api: FakeApi) -> None:
    error = fails(api, 1, (200, b"[1, 2]"))
    assert "not an ACLED API envelope" in str(error)


def test_a_server_that_ignores_the_page_is_not_read_forever(api: FakeApi) -> None:
    api.answer = lambda request: (200, envelope([event(1)]))
    with pytest.raises(SourceError, match="page 2: the API answered with the records of page 1"):
        fetch(api, page_size=1)


def test_connection_refused_is_a_source_error() -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SourceError) as caught:
        list(fetch_acled(f"http://127.0.0.1:{port}", params={}, credentials=CREDENTIALS, since=1))
    assert str(caught.value).startswith(f"http://127.0.0.1:{port}/api/acled/read page 1: cannot")
    assert_secret_free(caught.value)


def test_a_slow_server_times_out(api: FakeApi) -> None:
    def slow(request: Request) -> Reply:
        time.sleep(1.0)
        return 200, envelope([])

    api.answer = slow
    with pytest.raises(SourceError) as caught:
        fetch(api, timeout=0.2)
    assert str(caught.value) == f"{api.base}/api/acled/read page 1: no answer within 0.2 s"
    assert_secret_free(caught.value)


# --- deletions -----------------------------------------------------------------------------


def test_deletions_are_paged_and_filtered_by_since(api: FakeApi) -> None:
    deleted = [
        {"event_id_cnty": f"LBY{n}", "deleted_timestamp": str(1600000000 + n)} for n in (1, 2, 3)
    ]
    api.pages([*deleted, {"deleted_timestamp": 1}])
    found = list(
        fetch_acled_deletions(api.base, credentials=CREDENTIALS, since=1599999999, page_size=2)
    )
    assert found[:3] == [
        Deletion(f"acled:LBY{n}", 1600000000 + n, f"{api.base}/api/deleted/read", n)
        for n in (1, 2, 3)
    ]
    assert isinstance(found[3], Rejection)
    assert [r.path for r in api.requests] == ["/api/deleted/read"] * 3
    assert api.requests[0].query == {
        "_format": "json",
        "deleted_timestamp": "1599999999",
        "deleted_timestamp_where": ">",
        "email": EMAIL,
        "key": KEY,
        "limit": "2",
        "page": "1",
    }


def test_deletion_errors_are_source_errors_without_secrets(api: FakeApi) -> None:
    api.answer = lambda request: (401, b"")
    with pytest.raises(SourceError) as caught:
        list(fetch_acled_deletions(api.base, credentials={"access_token": TOKEN}, since=None))
    assert str(caught.value) == f"{api.base}/api/deleted/read page 1: HTTP 401 Unauthorized"
    assert_secret_free(caught.value)


# --- URLs ----------------------------------------------------------------------------------


def test_parse_api_url_gives_the_base() -> None:
    assert parse_api_url("https://api.acleddata.com/api/acled/read?country=Libya") == (
        "https://api.acleddata.com"
    )
    assert parse_api_url("https://user:pw@acleddata.com/") == "https://acleddata.com"
    assert parse_api_url("http://127.0.0.1:8080/mirror/api/acled/read") == (
        "http://127.0.0.1:8080/mirror"
    )
    with pytest.raises(SourceError, match="not an http"):
        parse_api_url("ftp://acleddata.com/?key=abc")


def test_api_url_params_keeps_filters_and_refuses_credentials() -> None:
    assert api_url_params(
        "https://api.acleddata.com/api/acled/read?_format=json&country=Libya&limit=10&page=2"
    ) == {"country": "Libya"}
    with pytest.raises(SourceError) as caught:
        api_url_params(f"https://api.acleddata.com/api/acled/read?key={KEY}&email={EMAIL}")
    assert str(caught.value) == (
        "https://api.acleddata.com/api/acled/read: the URL carries credentials (email, key); "
        "pass them through the environment instead"
    )
