"""UCDP's API: GED events page by page, with the token UCDP has required since February 2026.

``GET {base}/api/gedevents/{version}?pagesize=N&page=P`` with the header
``x-ucdp-access-token`` answers ``{"TotalCount", "TotalPages", "PreviousPageUrl",
"NextPageUrl", "Result": [...]}``; pages count from 0 and hold at most 1,000 records, whose
fields are GED's columns. Each record becomes the `RawRow` a GED CSV row with those columns
would be, keyed ``ucdp:<id>``, so `UcdpParser.record` maps both the same way.

Candidate and final releases. The yearly GED (``25.1``) vets the events the monthly
Candidate releases (``26.0.1``, ``26.0.2``, ...) brought out first. UCDP's codebooks describe
Candidate as GED's variables on a monthly cycle, its `id` as the unique numeric id of an
event, and an event kept by the vetting as carried into GED under that id; so the same
`id` is the same event across releases, and a GED record for an event a Candidate release
brought is a revision of it (a correction), not a second event. Each row's `stamp` is its
release's rank (`release_rank`), so that a later release always wins and re-reading an older
one (a Candidate after the GED that vetted it) never turns the vetted record back. What this
cannot tell: an event the vetting drops, or merges or splits into events with new ids, stays
as the Candidate release had it, beside the GED events; such events must be retracted by
hand (`timeline retract`), since neither release names the other's id.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

from timeline.errors import InvalidInput
from timeline.importers.http import AuthRefused, Http, HttpStatusError, clean_url
from timeline.importers.sources import RawRow, Rejection, SourceError, content_hash

__all__ = ["TOKEN_HEADER", "fetch_ucdp", "parse_ucdp_url", "release_rank"]

TOKEN_HEADER = "x-ucdp-access-token"
MAX_PAGE_SIZE = 1000
_PATH = re.compile(r"^(?P<prefix>.*)/api/gedevents/(?P<version>[^/]+)/?$")
_CLIENT_PARAMS = frozenset({"pagesize", "page"})
_SECRET_PARAMS = frozenset({"token", "access_token", "x-ucdp-access-token", "key"})


def parse_ucdp_url(url: str) -> tuple[str, str, dict[str, str]]:
    """The endpoint (no query), the release version and the filters of a UCDP API URL:
    ``https://ucdpapi.pcr.uu.se/api/gedevents/25.1?Country=620``."""
    parts = urllib.parse.urlsplit(url.strip())
    match = _PATH.match(parts.path)
    if parts.scheme not in ("http", "https") or not parts.hostname or match is None:
        raise InvalidInput(
            f"{clean_url(url)}: not a URL of UCDP's API (…/api/gedevents/VERSION)",
            subject="source",
        )
    if "@" in parts.netloc:
        raise InvalidInput(
            f"{clean_url(url)}: the URL carries a user:password; UCDP takes a token (UCDP_TOKEN)",
            subject="source",
        )
    query = urllib.parse.parse_qsl(parts.query)
    secrets = sorted({n.lower() for n, _ in query} & _SECRET_PARAMS)
    if secrets:
        raise InvalidInput(
            f"{clean_url(url)}: the URL carries credentials ({', '.join(secrets)}); "
            "set UCDP_TOKEN instead",
            subject="source",
        )
    endpoint = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    params = {n: v for n, v in query if n.lower() not in _CLIENT_PARAMS}
    return endpoint.rstrip("/"), match["version"], params


def release_rank(version: str) -> int | None:
    """An order of UCDP releases in which the release that vets an event comes after every
    Candidate release that brought it: ``25.0.7`` (Candidate, July 2025) < ``26.1`` (GED of
    1989-2025). Candidate ranks by the year and month it covers (``25.0.7``, and the
    quarterly ``24.01.24.09``), GED above every month of its first number. None for a form
    UCDP does not use."""
    numbers = version.split(".")
    if not all(n.isdigit() for n in numbers):
        return None
    values = [int(n) for n in numbers]
    if len(values) == 2:  # GED yearly: 25.1
        return values[0] * 10000 + values[1] * 100
    if len(values) == 3 and values[1] == 0:  # Candidate monthly: 26.0.1
        return values[0] * 10000 + values[2]
    if len(values) == 4:  # Candidate quarterly: 24.01.24.09 (covering up to 2024-09)
        return values[2] * 10000 + values[3]
    return None


def fetch_ucdp(
    http: Http, url: str, token: str | None, *, page_size: int = MAX_PAGE_SIZE
) -> Iterator[RawRow | Rejection]:
    """Read every page of a UCDP API URL (through `TotalPages`) as raw GED rows.

    Raises `SourceError` when a page cannot be had or is not UCDP's envelope (a 401 or 403
    says the token was refused); a record that is not an object, has no id or holds the token
    is a `Rejection`.
    """
    endpoint, version, params = parse_ucdp_url(url)
    if not token:
        raise _refused(endpoint, "no UCDP token; set UCDP_TOKEN")
    http.add_secrets([token])
    stamp = release_rank(version)
    size = max(1, min(page_size, MAX_PAGE_SIZE))
    headers = {"Accept": "application/json", TOKEN_HEADER: token}
    page = 0
    pages = 1
    row = 0
    while page < pages:
        query = {**params, "pagesize": str(size), "page": str(page)}
        page_url = f"{endpoint}?{urllib.parse.urlencode(query)}"
        try:
            answer = http.get(page_url, headers, credential_headers=[TOKEN_HEADER])
        except HttpStatusError as err:
            if err.status in (401, 403):
                raise _refused(endpoint, "UCDP refused the token (UCDP_TOKEN)") from None
            raise
        envelope = _envelope(answer.body)
        if isinstance(envelope, str):
            raise SourceError(http.mask(f"{endpoint} page {page}: {envelope}"))
        total, result = envelope
        pages = total
        for item in result:
            row += 1
            if not isinstance(item, dict):
                yield Rejection(endpoint, row, None, None, "the record is not a JSON object")
                continue
            values = {str(name).strip().lower(): _text(value) for name, value in item.items()}
            if http.mask.found_in("\x1f".join(values.values())):
                yield Rejection(
                    endpoint, row, None, None, "the record holds the token; not imported"
                )
                continue
            key = values.get("id", "").strip()
            if not key:
                yield Rejection(endpoint, row, "id", None, "is missing or empty")
                continue
            yield RawRow.of(endpoint, row, f"ucdp:{key}", content_hash(values), stamp, values)
        if not result:
            break  # an empty page: nothing after it either
        page += 1


def _refused(endpoint: str, reason: str) -> SourceError:
    return AuthRefused(f"{endpoint}: {reason}")


def _envelope(body: bytes) -> tuple[int, list[Any]] | str:
    try:
        data = json.loads(body)
    except UnicodeDecodeError:
        return "the answer is not JSON text"
    except json.JSONDecodeError as exc:
        return f"the answer is not valid JSON ({exc.msg} at character {exc.pos})"
    if not isinstance(data, dict) or not isinstance(data.get("Result"), list):
        return "the answer is not UCDP's envelope (a JSON object with Result)"
    pages = data.get("TotalPages")
    if not isinstance(pages, int) or isinstance(pages, bool) or pages < 0:
        return "the answer has no TotalPages count"
    return pages, data["Result"]


def _text(value: Any) -> str:
    """An API value as GED's CSV export writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
