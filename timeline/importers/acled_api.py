"""ACLED's API: an OAuth 2 password grant, then paged JSON reads of events and deletions.

Since September 2025 ACLED takes no `email`/`key`: `POST {base}/oauth/token` with
`grant_type=password`, `client_id=acled`, `username`, `password` answers an access token
(about 24 hours) and a refresh token (about 14 days); `grant_type=refresh_token` renews them.
Data is read with `Authorization: Bearer <token>` from `{base}/api/acled/read?_format=json`
(and deletions from `{base}/api/deleted/read`), paged with `limit` and `page` until a page
comes back empty.

`AcledSession` keeps the tokens: from a `TokenStore` (a file only the user can read, see
`timeline.importing.credentials`) while the access token is valid, renewed with the refresh
token when it has expired or a page answers 401 (once, then that page again), and from the
password grant when the refresh token is refused. The rows it yields are the same `RawRow`s
as `AcledParser.rows` (the API's records carry the CSV export's column names).
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from timeline.errors import InvalidInput
from timeline.importers.http import AuthRefused, Http, HttpStatusError, clean_url
from timeline.importers.sources import (
    Deletion,
    RawRow,
    Rejection,
    SourceError,
    content_hash,
)

__all__ = [
    "AcledCredentials",
    "AcledSession",
    "AuthRefused",
    "TokenStore",
    "Tokens",
    "api_url_params",
    "fetch_acled",
    "fetch_acled_deletions",
    "parse_api_url",
]

_READ = "/api/acled/read"
_DELETED = "/api/deleted/read"
_TOKEN = "/oauth/token"
CLIENT_ID = "acled"
# Query parameters that are credentials: never taken from a URL a user typed (URLs end up in
# shell history, cron mails and logs) and never shown.
_SECRET_PARAMS = frozenset({"access_token", "password", "token", "refresh_token"})
_RETIRED_PARAMS = frozenset({"email", "key"})
# Parameters the client sets itself for paging and format.
_CLIENT_PARAMS = frozenset({"_format", "limit", "page"})
# An access token this close to its expiry is renewed before use rather than after a 401.
_EXPIRY_MARGIN = 60.0
RETIRED = (
    "ACLED retired email/key access to its API in September 2025; set ACLED_USERNAME and "
    "ACLED_PASSWORD (or ACLED_ACCESS_TOKEN and ACLED_REFRESH_TOKEN) instead"
)


@dataclass(frozen=True, slots=True)
class AcledCredentials:
    """What ACLED's OAuth takes: a username and password, or ready tokens, or both."""

    username: str | None = None
    password: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None

    def secrets(self) -> list[str]:
        """The values no output may show."""
        return [s for s in (self.password, self.access_token, self.refresh_token) if s]


@dataclass(frozen=True, slots=True)
class Tokens:
    """An access token, when it expires (Unix time), and the refresh token that renews it."""

    access_token: str
    expires_at: float
    refresh_token: str | None = None


class TokenStore(Protocol):
    """Where tokens are kept between runs."""

    def load(self) -> Tokens | None:
        """The tokens kept, if any."""
        ...

    def save(self, tokens: Tokens) -> None:
        """Keep these tokens (readable by the user only)."""
        ...


class _NoStore:
    def load(self) -> Tokens | None:
        return None

    def save(self, tokens: Tokens) -> None:
        pass


class AcledSession:
    """Bearer tokens for ACLED's API at `base`, obtained, kept and renewed as needed."""

    def __init__(
        self,
        http: Http,
        base: str,
        credentials: AcledCredentials,
        store: TokenStore | None = None,
        *,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
        self.base = parse_api_url(base)
        self.credentials = credentials
        self.store = store or _NoStore()
        self._now = now
        self._tokens: Tokens | None = None
        http.add_secrets(credentials.secrets())

    def token(self) -> str:
        """A valid access token: the one given, a kept one, a renewed one or a new one."""
        if self._tokens is not None and self._valid(self._tokens):
            return self._tokens.access_token
        if self.credentials.access_token and self._tokens is None:
            # A ready token from the environment: its expiry is unknown, a 401 will tell.
            self._tokens = Tokens(
                self.credentials.access_token, float("inf"), self.credentials.refresh_token
            )
            return self._tokens.access_token
        kept = self.store.load()
        if kept is not None:
            self.http.add_secrets([kept.access_token, kept.refresh_token or ""])
            if self._valid(kept):
                self._tokens = kept
                return kept.access_token
        return self._renew(kept)

    def renew(self) -> str:
        """A new access token, after the service refused the current one (a 401)."""
        return self._renew(self._tokens or self.store.load())

    def _renew(self, kept: Tokens | None) -> str:
        refresh = (kept.refresh_token if kept else None) or self.credentials.refresh_token
        if refresh:
            tokens = self._grant({"grant_type": "refresh_token", "refresh_token": refresh})
            if tokens is not None:
                return self._keep(tokens)
        if self.credentials.username and self.credentials.password:
            fields = {
                "grant_type": "password",
                "username": self.credentials.username,
                "password": self.credentials.password,
            }
            tokens = self._grant(fields)
            if tokens is not None:
                return self._keep(tokens)
            raise AuthRefused(
                f"{clean_url(self.base + _TOKEN)}: ACLED refused the username and password "
                "(ACLED_USERNAME, ACLED_PASSWORD)"
            )
        if refresh or self.credentials.access_token:
            raise AuthRefused(
                f"{clean_url(self.base + _TOKEN)}: ACLED refused the token and no "
                "ACLED_USERNAME and ACLED_PASSWORD are set to get a new one"
            )
        raise AuthRefused(
            f"{clean_url(self.base)}: no ACLED credentials; set ACLED_USERNAME and "
            "ACLED_PASSWORD (or ACLED_ACCESS_TOKEN)"
        )

    def _grant(self, fields: dict[str, str]) -> Tokens | None:
        """Tokens from the token endpoint, or None when it refuses the grant (400/401)."""
        url = self.base + _TOKEN
        answer = self.http.post_form(url, {**fields, "client_id": CLIENT_ID}, ok=(400, 401, 403))
        if answer.status in (400, 401, 403):
            return None
        try:
            body = json.loads(answer.body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise SourceError(f"{clean_url(url)}: the token answer is not an OAuth token (JSON)")
        access = body["access_token"]
        refresh = body.get("refresh_token")
        refresh = refresh if isinstance(refresh, str) and refresh else None
        self.http.add_secrets([access, refresh or ""])
        lifetime = body.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
        return Tokens(access, self._now() + seconds, refresh or fields.get("refresh_token"))

    def _keep(self, tokens: Tokens) -> str:
        self._tokens = tokens
        self.store.save(tokens)
        return tokens.access_token

    def _valid(self, tokens: Tokens) -> bool:
        return tokens.expires_at - _EXPIRY_MARGIN > self._now()

    def get_page(self, url: str) -> Any:
        """A page's JSON envelope, renewing the token once when the page answers 401."""
        for attempt in (1, 2):
            headers = {"Accept": "application/json", "Authorization": f"Bearer {self.token()}"}
            answer = self.http.get(url, headers, ok=(401,))
            if answer.status != 401:
                return _json(answer.body)
            if attempt == 1:
                self._tokens = Tokens("", 0.0, self._tokens.refresh_token if self._tokens else None)
                self.renew()
        raise AuthRefused(f"{clean_url(url)}: ACLED refused a freshly issued token (401)")


def parse_api_url(url: str) -> str:
    """The base URL (scheme, host, any path prefix) of an ACLED API URL a user gave.

    ``https://acleddata.com/api/acled/read?country=Libya`` gives ``https://acleddata.com``;
    a bare base URL is returned as it is, without a trailing slash, a query string or any
    user:password part.
    """
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"{clean_url(url)}: not an http(s) URL of the ACLED API")
    path = parts.path
    cut = path.find("/api/")
    if cut >= 0:
        path = path[:cut]
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, netloc, path.rstrip("/"), "", ""))


def api_url_params(url: str) -> dict[str, str]:
    """The filter parameters of an ACLED API URL (country, event_date, ...).

    Paging and format parameters are left out (the client sets them). A URL that carries
    credentials is refused: they belong in the environment, where they stay out of logs;
    one with ACLED's retired `email`/`key` says what to set instead.
    """
    query = urllib.parse.parse_qsl(urllib.parse.urlsplit(url.strip()).query)
    names = {name.lower() for name, _ in query}
    if names & _RETIRED_PARAMS:
        raise InvalidInput(f"{clean_url(url)}: {RETIRED}", subject="source")
    secrets = sorted(names & _SECRET_PARAMS)
    if secrets:
        raise InvalidInput(
            f"{clean_url(url)}: the URL carries credentials ({', '.join(secrets)}); "
            "pass them through the environment instead",
            subject="source",
        )
    if "@" in urllib.parse.urlsplit(url.strip()).netloc:
        raise InvalidInput(
            f"{clean_url(url)}: the URL carries a user:password; set ACLED_USERNAME and "
            "ACLED_PASSWORD instead",
            subject="source",
        )
    return {name: value for name, value in query if name not in _CLIENT_PARAMS}


def fetch_acled(
    session: AcledSession,
    *,
    params: Mapping[str, str],
    since: int | None,
    page_size: int = 5000,
) -> Iterator[RawRow | Rejection]:
    """Read ACLED events page by page (from page 1 until a page comes back empty).

    `params` are ACLED filters (``{"country": "Libya"}``); `since` asks only for records
    stamped at or after that Unix time (``timestamp=<since>&timestamp_where=>=``). Rows are
    numbered across pages from 1 and their `source` is the endpoint URL without its query. A
    record that is not an object, has no event_id_cnty or holds a credential is a
    `Rejection`; a failed request or an answer that is not an ACLED envelope raises.
    """
    endpoint = session.base + _READ
    query = {"_format": "json", **params}
    if since is not None:
        query["timestamp"] = str(since)
        query["timestamp_where"] = ">="
    row = 0
    mask = session.http.mask
    for data in _pages(session, endpoint, query, page_size):
        for item in data:
            row += 1
            if not isinstance(item, dict):
                yield Rejection(endpoint, row, None, None, "the record is not a JSON object")
                continue
            values = {str(name).strip().lower(): _text(value) for name, value in item.items()}
            if mask.found_in("\x1f".join(values.values())):
                yield Rejection(endpoint, row, None, None, _HOLDS_CREDENTIAL)
                continue
            key = values.get("event_id_cnty", "").strip()
            if not key:
                yield Rejection(endpoint, row, "event_id_cnty", None, "is missing or empty")
                continue
            yield RawRow.of(
                endpoint, row, f"acled:{key}", content_hash(values), _stamp(values), values
            )


_HOLDS_CREDENTIAL = "the record holds a credential this run sent; not imported"


def fetch_acled_deletions(
    session: AcledSession,
    *,
    since: int | None,
    params: Mapping[str, str] | None = None,
    page_size: int = 5000,
) -> Iterator[Deletion | Rejection]:
    """Read the events ACLED has deleted (at or after `since`, a Unix time, when given).

    Each answer row is ``{"event_id_cnty": ..., "deleted_timestamp": ...}`` and becomes a
    `Deletion` keyed ``acled:<event_id_cnty>``; a row without an id is a `Rejection`.
    """
    endpoint = session.base + _DELETED
    query = {"_format": "json", **(params or {})}
    if since is not None:
        query["deleted_timestamp"] = str(since)
        query["deleted_timestamp_where"] = ">="
    row = 0
    for data in _pages(session, endpoint, query, page_size):
        for item in data:
            row += 1
            key = _text(item.get("event_id_cnty")).strip() if isinstance(item, dict) else ""
            if not key or session.http.mask.found_in(key):
                yield Rejection(endpoint, row, "event_id_cnty", None, "is missing or empty")
                continue
            stamp = _stamp({"timestamp": _text(item.get("deleted_timestamp"))})
            yield Deletion(f"acled:{key}", stamp, endpoint, row)


def _pages(
    session: AcledSession, endpoint: str, query: dict[str, str], page_size: int
) -> Iterator[list[Any]]:
    """The `data` list of each page, from page 1 until one comes back empty."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    query = dict(query)
    previous: Any = None
    page = 1
    while True:
        query["limit"] = str(page_size)
        query["page"] = str(page)
        url = f"{endpoint}?{urllib.parse.urlencode(query)}"
        try:
            envelope = session.get_page(url)
        except HttpStatusError as err:
            message = f"{endpoint} page {page}: {_after_colon(str(err))}"
            raise HttpStatusError(message, err.status) from None
        except SourceError as err:
            # The same error, naming the page (AuthRefused and RateLimited stay what they are).
            raise type(err)(f"{endpoint} page {page}: {_after_colon(str(err))}") from None
        data = _data(envelope)
        if isinstance(data, str):
            raise SourceError(session.http.mask(f"{endpoint} page {page}: {data}"))
        if not data:
            return
        # A server that ignores `page` would otherwise be read forever.
        if page > 1 and data[0] == previous:
            raise SourceError(
                f"{endpoint} page {page}: the API answered with the records of page {page - 1} "
                "again (it does not seem to page)"
            )
        previous = data[0]
        yield data
        page += 1


def _after_colon(message: str) -> str:
    return message.split(": ", 1)[1] if ": " in message else message


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        return "the answer is not JSON text"
    except json.JSONDecodeError as exc:
        return f"the answer is not valid JSON ({exc.msg} at character {exc.pos})"


def _data(envelope: Any) -> list[Any] | str:
    """A page's `data`, or the one-line reason it has none."""
    if isinstance(envelope, str):
        return envelope
    if not isinstance(envelope, dict):
        return "the answer is not an ACLED API envelope (a JSON object with data)"
    status = envelope.get("status")
    if envelope.get("success") is False or (
        isinstance(status, int | str) and str(status).isdigit() and int(status) >= 400
    ):
        return f"the ACLED API refused the request: {_api_error(envelope)}"
    data = envelope.get("data")
    if not isinstance(data, list):
        return "the answer has no data list"
    return data


def _text(value: Any) -> str:
    """An API value as the CSV export would hold it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _stamp(values: Mapping[str, str]) -> int | None:
    text = values.get("timestamp", "").strip()
    try:
        return int(text)
    except ValueError:
        try:  # some answers give the stamp as a float ("1582934400.0")
            return int(float(text))
        except (ValueError, OverflowError):
            return None


def _api_error(envelope: dict[str, Any]) -> str:
    error = envelope.get("error")
    parts: list[str] = []
    if isinstance(error, dict):
        parts.append(_text(error.get("message") or error))
    elif error:
        parts.append(_text(error))
    messages = envelope.get("messages")
    if isinstance(messages, list):
        parts.extend(_text(m) for m in messages if m)
    status = envelope.get("status")
    text = "; ".join(p for p in parts if p) or f"status {_text(status) or 'unknown'}"
    return text if len(text) <= 200 else text[:197] + "..."
