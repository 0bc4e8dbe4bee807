"""Stand-ins for ACLED's and UCDP's APIs on 127.0.0.1, as they answer today.

ACLED: `POST /oauth/token` (password and refresh-token grants, client_id acled) answering
access and refresh tokens; `/api/acled/read` and `/api/deleted/read` behind
`Authorization: Bearer`, paged by `limit` and `page`, filtered by `timestamp` and
`deleted_timestamp` (`>=`). UCDP: `/api/gedevents/{version}` behind `x-ucdp-access-token`,
paged from 0 by `pagesize` and `page`. Each test says how they misbehave.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

USERNAME = "analyst@example.org"
PASSWORD = "S3cr3t p@ss/w+rd"
UCDP_TOKEN = "uCdP-t0k3n+/="
STAMP = 1_700_000_000


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)


@dataclass
class Services:
    """What the fake services hold and how they answer; `requests` is what they were sent."""

    base: str = ""
    port: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[dict[str, Any]] = field(default_factory=list)
    releases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    page_cap: int = 3
    failing_pages: dict[int, int] = field(default_factory=dict)  # page -> HTTP status
    bodies: dict[int, bytes] = field(default_factory=dict)  # page -> raw answer
    files: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)  # path -> Location
    # Answers before the real one: status and headers (429 with Retry-After, 500, ...).
    hiccups: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    expires_in: int = 86400
    refuse_refresh: bool = False
    # After this many data reads, every access token issued so far stops working.
    revoke_after: int | None = None
    issued: int = 0
    access_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, query: str = "country=Libya") -> str:
        return f"{self.base}/api/acled/read?{query}"

    def ucdp_url(self, version: str = "25.1", query: str = "Country=620") -> str:
        return f"{self.base}/api/gedevents/{version}?{query}"

    def reads(self) -> list[Request]:
        return [r for r in self.requests if r.path == "/api/acled/read"]

    def deletion_reads(self) -> list[Request]:
        return [r for r in self.requests if r.path == "/api/deleted/read"]

    def grants(self) -> list[Request]:
        return [r for r in self.requests if r.path == "/oauth/token"]

    def answer(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            self.requests.append(request)
            if self.hiccups:
                status, headers = self.hiccups.pop(0)
                return status, headers, b'{"error": "busy"}'
        path = request.path
        if path in self.redirects:
            return 302, {"Location": self.redirects[path]}, b""
        if path in self.files:
            status, body = self.files[path]
            return status, {}, body
        if path == "/oauth/token":
            return self._token(request.form)
        if path.startswith("/api/gedevents/"):
            return self._ucdp(path.rsplit("/", 1)[1], request)
        if path not in ("/api/acled/read", "/api/deleted/read"):
            return 404, {}, b"not found"
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        with self.lock:
            reads = len(self.reads()) + len(self.deletion_reads())
            if self.revoke_after is not None and reads > self.revoke_after:
                self.access_tokens.clear()
                self.revoke_after = None
            if bearer not in self.access_tokens:
                return 401, {}, b'{"message": "Unauthorized"}'
        query = request.query
        page, limit = int(query["page"]), int(query["limit"])
        if path == "/api/acled/read":
            if page in self.failing_pages:
                return self.failing_pages[page], {}, b"<html>Internal Server Error</html>"
            if page in self.bodies:
                return 200, {}, self.bodies[page]
            rows = _since(self.records, "timestamp", query)
        else:
            rows = _since(self.deleted, "deleted_timestamp", query)
        size = min(limit, self.page_cap)
        chunk = rows[(page - 1) * size : page * size]
        envelope = {"status": 200, "success": True, "count": len(chunk), "data": chunk}
        return 200, {}, json.dumps(envelope).encode()

    def _token(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        refused: tuple[int, dict[str, str], bytes]
        refused = 400, {}, b'{"error": "invalid_grant", "error_description": "refused"}'
        if form.get("client_id") != "acled":
            return refused
        with self.lock:
            if form.get("grant_type") == "password":
                if (form.get("username"), form.get("password")) != (USERNAME, PASSWORD):
                    return refused
            elif form.get("grant_type") == "refresh_token":
                if self.refuse_refresh or form.get("refresh_token") not in self.refresh_tokens:
                    return refused
                self.refresh_tokens.discard(form["refresh_token"])
            else:
                return refused
            self.issued += 1
            access, refresh = f"acc-{self.issued}-xyz", f"ref-{self.issued}-xyz"
            self.access_tokens.add(access)
            self.refresh_tokens.add(refresh)
        body = {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "access_token": access,
            "refresh_token": refresh,
        }
        return 200, {}, json.dumps(body).encode()

    def _ucdp(self, version: str, request: Request) -> tuple[int, dict[str, str], bytes]:
        if request.headers.get("x-ucdp-access-token") != UCDP_TOKEN:
            return 401, {}, b"Unauthorized"
        if version not in self.releases:
            return 404, {}, b"no such version"
        page, size = int(request.query["page"]), int(request.query["pagesize"])
        if page in self.failing_pages:
            return self.failing_pages[page], {}, b"oops"
        if page in self.bodies:
            return 200, {}, self.bodies[page]
        rows = self.releases[version]
        pages = math.ceil(len(rows) / size)
        body = {
            "TotalCount": len(rows),
            "TotalPages": pages,
            "PreviousPageUrl": "",
            "NextPageUrl": "",
            "Result": rows[page * size : (page + 1) * size],
        }
        return 200, {}, json.dumps(body).encode()


def _since(rows: list[dict[str, Any]], column: str, query: dict[str, str]) -> list[dict[str, Any]]:
    if column not in query:
        return rows
    assert query.get(f"{column}_where") == ">=", query
    return [r for r in rows if int(r[column]) >= int(query[column])]


def serve(services: Services) -> Iterator[Services]:
    """Run `services` on 127.0.0.1 for the length of a test."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            request = Request(
                method,
                parts.path,
                dict(parse_qsl(parts.query)),
                dict(self.headers),
                dict(parse_qsl(raw)) if method == "POST" else {},
            )
            status, headers, body = services.answer(request)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    services.port = server.server_address[1]
    services.base = f"http://127.0.0.1:{services.port}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield services
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def ged_record(n: int, **changes: Any) -> dict[str, Any]:
    """A UCDP API record, as the API sends GED's columns."""
    row: dict[str, Any] = {
        "id": 400000 + n,
        "relid": f"LBY-2020-1-{n}",
        "year": 2020,
        "active_year": True,
        "code_status": "Clear",
        "type_of_violence": 1,
        "conflict_name": "Libya: Government",
        "dyad_name": "Government of Libya - Forces of Khalifa al-Haftar",
        "side_a": "Government of Libya",
        "side_b": "Forces of Khalifa al-Haftar",
        "number_of_sources": 1,
        "source_article": "Agence France Presse",
        "source_office": "AFP",
        "source_date": "2020-03-02",
        "where_prec": 1,
        "where_coordinates": "Tripoli town",
        "where_description": "Tripoli",
        "adm_1": "Tripoli",
        "latitude": 32.8925,
        "longitude": 13.18,
        "country": "Libya",
        "country_id": 620,
        "date_prec": 1,
        "date_start": f"2020-03-{1 + n % 28:02d}T00:00:00",
        "date_end": f"2020-03-{1 + n % 28:02d}T00:00:00",
        "deaths_a": 0,
        "deaths_b": n % 5,
        "deaths_civilians": 0,
        "deaths_unknown": 0,
        "best": n % 5,
        "high": n % 5 + 2,
        "low": n % 5,
    }
    if "best" in changes:
        # As GED's own rows do: the best estimate is the deaths added up, and the low and
        # high estimates bracket it.
        best = changes["best"]
        row.update(deaths_a=0, deaths_b=best, deaths_civilians=0, deaths_unknown=0)
        row.update(low=best, high=best + 2)
    row.update(changes)
    return row
