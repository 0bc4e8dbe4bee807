"""The ACLED API: paged JSON reads of events and of deleted events.

`fetch_acled` yields the same `RawRow`s as `AcledParser.rows` (the API's records carry the CSV
export's column names), so `AcledParser().record(raw)` maps them. Credentials come from the
caller, who reads them from the environment; they travel as query parameters (``email`` and
``key``) or as a bearer token (``access_token``), and never appear in a message, a
`RawRow.source` or an exception's context: errors name the endpoint without its query string,
and any credential value an answer echoes back is masked.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from timeline.importers.sources import (
    Deletion,
    RawRow,
    Rejection,
    SourceError,
    content_hash,
)

__all__ = [
    "Opener",
    "api_url_params",
    "fetch_acled",
    "fetch_acled_deletions",
    "parse_api_url",
]

_READ = "/api/acled/read"
_DELETED = "/api/deleted/read"
# Query parameters that are credentials: never taken from a URL a user typed (URLs end up in
# shell history, cron mails and logs) and never shown.
_SECRET_PARAMS = frozenset({"email", "key", "access_token", "password", "token"})
# Parameters the client sets itself for paging and format.
_CLIENT_PARAMS = frozenset({"_format", "limit", "page"})


class Opener(Protocol):
    """What `urllib.request.urlopen` looks like to this module; tests pass their own."""

    def __call__(self, url: urllib.request.Request, /, *, timeout: float) -> Any:
        """Send `url` and return a response with `status` (or `getcode()`) and `read()`."""
        ...


def parse_api_url(url: str) -> str:
    """The base URL (scheme, host, any path prefix) of an ACLED API URL a user gave.

    ``https://api.acleddata.com/api/acled/read?country=Libya`` gives
    ``https://api.acleddata.com``; a bare base URL is returned as it is, without a trailing
    slash, a query string or any user:password part.
    """
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(f"{_clean(url)}: not an http(s) URL of the ACLED API")
    path = parts.path
    cut = path.find("/api/")
    if cut >= 0:
        path = path[:cut]
    netloc = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    if ":" in parts.hostname:  # an IPv6 literal
        netloc = f"[{parts.hostname}]" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, path.rstrip("/"), "", ""))


def api_url_params(url: str) -> dict[str, str]:
    """The filter parameters of an ACLED API URL (country, event_date, ...), for `params`.

    Paging and format parameters are left out (the client sets them). A URL that carries
    credentials is refused: they belong in the environment, where they stay out of logs.
    """
    query = urllib.parse.parse_qsl(urllib.parse.urlsplit(url.strip()).query)
    secrets = sorted({name for name, _ in query if name.lower() in _SECRET_PARAMS})
    if secrets:
        raise SourceError(
            f"{_clean(url)}: the URL carries credentials ({', '.join(secrets)}); "
            "pass them through the environment instead"
        )
    return {name: value for name, value in query if name not in _CLIENT_PARAMS}


def fetch_acled(
    base_url: str,
    *,
    params: Mapping[str, str],
    credentials: Mapping[str, str],
    since: int | None,
    page_size: int = 5000,
    opener: Opener = urllib.request.urlopen,
    timeout: float = 60,
) -> Iterator[RawRow | Rejection]:
    """Read ACLED events page by page (from page 1 until a page comes back empty).

    `params` are ACLED filters (``{"country": "Libya"}``); `since` asks only for records
    stamped after that Unix time (``timestamp=<since>&timestamp_where=>``). Rows are numbered
    across pages from 1 and their `source` is the endpoint URL without its query string. A
    record that is not an object or has no event_id_cnty is a `Rejection`; a failed request
    or an answer that is not an ACLED envelope raises `SourceError` naming the page.
    """
    endpoint = _endpoint(base_url, _READ)
    query = {"_format": "json", **params}
    if since is not None:
        query["timestamp"] = str(since)
        query["timestamp_where"] = ">"
    row = 0
    for data in _pages(endpoint, query, credentials, page_size, opener, timeout):
        for item in data:
            row += 1
            if not isinstance(item, dict):
                yield Rejection(endpoint, row, None, None, "the record is not a JSON object")
                continue
            values = {str(name).strip().lower(): _text(value) for name, value in item.items()}
            key = values.get("event_id_cnty", "").strip()
            if not key:
                yield Rejection(endpoint, row, "event_id_cnty", None, "is missing or empty")
                continue
            yield RawRow.of(
                endpoint, row, f"acled:{key}", content_hash(values), _stamp(values), values
            )


def fetch_acled_deletions(
    base_url: str,
    *,
    credentials: Mapping[str, str],
    since: int | None,
    params: Mapping[str, str] | None = None,
    page_size: int = 5000,
    opener: Opener = urllib.request.urlopen,
    timeout: float = 60,
) -> Iterator[Deletion | Rejection]:
    """Read the events ACLED has deleted (after `since`, a Unix time, when given).

    Each answer row is ``{"event_id_cnty": ..., "deleted_timestamp": ...}`` and becomes a
    `Deletion` keyed ``acled:<event_id_cnty>``; a row without an id is a `Rejection`. Errors
    are those of `fetch_acled`.
    """
    endpoint = _endpoint(base_url, _DELETED)
    query = {"_format": "json", **(params or {})}
    if since is not None:
        query["deleted_timestamp"] = str(since)
        query["deleted_timestamp_where"] = ">"
    row = 0
    for data in _pages(endpoint, query, credentials, page_size, opener, timeout):
        for item in data:
            row += 1
            key = _text(item.get("event_id_cnty")).strip() if isinstance(item, dict) else ""
            if not key:
                yield Rejection(endpoint, row, "event_id_cnty", None, "is missing or empty")
                continue
            stamp = _stamp({"timestamp": _text(item.get("deleted_timestamp"))})
            yield Deletion(f"acled:{key}", stamp, endpoint, row)


def _endpoint(base_url: str, path: str) -> str:
    return parse_api_url(base_url) + path


def _clean(url: str) -> str:
    """`url` without query string, fragment or user:password, for messages."""
    parts = urllib.parse.urlsplit(url.strip())
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", "")) or "(no URL)"


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


class _Masker:
    """Masks credential values (raw and URL-encoded) in text bound for a message."""

    def __init__(self, credentials: Mapping[str, str]) -> None:
        secrets = {str(v) for v in credentials.values() if v and len(str(v)) >= 3}
        forms = secrets | {urllib.parse.quote_plus(s) for s in secrets}
        forms |= {urllib.parse.quote(s, safe="") for s in secrets}
        # Longest first, so that a secret containing another is masked whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, "***")
        return text


def _pages(
    endpoint: str,
    query: dict[str, str],
    credentials: Mapping[str, str],
    page_size: int,
    opener: Opener,
    timeout: float,
) -> Iterator[list[Any]]:
    """The `data` list of each page, from page 1 until one comes back empty."""
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    query = dict(query)
    headers = {"Accept": "application/json", "User-Agent": "timeline-import"}
    token = credentials.get("access_token")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    else:
        for name in ("email", "key"):
            if credentials.get(name):
                query[name] = credentials[name]
    mask = _Masker(credentials)
    previous: Any = None
    page = 1
    while True:
        query["limit"] = str(page_size)
        query["page"] = str(page)
        url = f"{endpoint}?{urllib.parse.urlencode(query)}"
        data = _get_page(urllib.request.Request(url, headers=headers), page, opener, timeout)
        if isinstance(data, str):
            raise SourceError(mask(f"{endpoint} page {page}: {data}"))
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


def _get_page(
    request: urllib.request.Request, page: int, opener: Opener, timeout: float
) -> list[Any] | str:
    """One page's `data`, or the one-line reason it cannot be had.

    Failures are returned rather than raised so that the caller raises its `SourceError`
    outside any `except` block: the exceptions urllib raises hold the full URL, credentials
    included, and would otherwise travel along as the error's `__context__`.
    """
    try:
        with opener(request, timeout=timeout) as response:
            status = getattr(response, "status", None) or response.getcode()
            if status is not None and int(status) >= 400:
                return f"HTTP {status} {getattr(response, 'reason', '')}".rstrip()
            body = response.read()
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code} {exc.reason}".rstrip()
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return f"no answer within {timeout:g} s"
        return f"cannot connect ({exc.reason})"
    except TimeoutError:
        return f"no answer within {timeout:g} s"
    except (http.client.HTTPException, OSError, ValueError) as exc:
        return f"the request failed ({type(exc).__name__}: {exc})"
    try:
        envelope = json.loads(body)
    except UnicodeDecodeError:
        return "the answer is not JSON text"
    except json.JSONDecodeError as exc:
        return f"the answer is not valid JSON ({exc.msg} at character {exc.pos})"
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
