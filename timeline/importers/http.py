"""Reading http(s) sources as a good client: bounded in time and size, retried with backoff,
patient with rate limits up to a point, and careful with credentials.

urllib3 does the HTTP (a pool that keeps connections alive across the pages of an API,
streamed bodies, per-read timeouts); this module decides what it may do:

- every request has a per-read timeout and the whole run an overall deadline: a server that
  dribbles one byte at a time is read with `read1` between deadline checks, so it cannot keep
  a run alive past it;
- a body larger than `Limits.max_bytes` is refused while it streams (or from its declared
  Content-Length), never read whole first;
- 5xx answers and network errors are retried a bounded number of times with exponential
  backoff; 429 waits for `Retry-After` when it asks for no more than `max_retry_after`
  seconds, a few times at most, and otherwise stops the run (`RateLimited`, exit 3: the next
  run starts where the last completed one did);
- redirects are followed here, not by urllib3, so that credential headers (`Authorization`,
  UCDP's `x-ucdp-access-token`, any the caller names) are dropped when the next hop is
  another origin (scheme, host or port): urllib3 strips only the headers it knows of;
- messages name the URL without its query string or user:password part, masked with
  `Masker` for every credential in every percent-encoding, and never chain urllib3's own
  exceptions (they hold the full URL).

Waits go through an injectable `sleep` and time through an injectable `clock`, so that tests
exercise backoff and deadlines without waiting.
"""

from __future__ import annotations

import base64
import email.utils
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, BinaryIO, cast

from timeline.importers.sources import SourceError

if TYPE_CHECKING:
    import urllib3

__all__ = [
    "AuthRefused",
    "Http",
    "HttpStatusError",
    "Limits",
    "Masker",
    "RateLimited",
    "clean_url",
    "split_userinfo",
]

# Headers that carry credentials: dropped on a redirect to another origin.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class Limits:
    """How long, how large and how often: the bounds of one run's requests."""

    # Seconds to connect, and to wait for each read of an answer.
    timeout: float = 60.0
    # Seconds the whole run may take (every request, every wait); None: no deadline.
    deadline: float | None = None
    # The largest answer read, in bytes (a page of 5,000 ACLED records is about 10 MB).
    max_bytes: int = 256 * 1024 * 1024
    # Retries after a 5xx answer or a network error, waiting `backoff` seconds, doubled each
    # time.
    retries: int = 4
    backoff: float = 2.0
    # A 429 is waited out when Retry-After asks for at most this many seconds, this many
    # times in a run; beyond that the run stops and the next one resumes.
    max_retry_after: float = 120.0
    rate_limit_waits: int = 3
    max_redirects: int = 5


class HttpStatusError(SourceError):
    """The server answered with an error status (after any retries)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class AuthRefused(SourceError):
    """The service refused the credentials, or there were none to give (exit 3)."""


class RateLimited(SourceError):
    """The service asked us to slow down for longer than a run waits, or too often."""


# --- masking -------------------------------------------------------------------------------


class Masker:
    """Replaces credentials in text with `***`, in any spelling a URL, a form or JSON gives
    them: as is, percent-encoded (upper or lower case hex, whole or in part, `+` or `%20` for
    a space) or as JSON `\\uXXXX` escapes, and in any letter case (a service that echoes a
    token or a user name upper-cased still shows it)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Secrets of one or two characters would mask half of every message.
        values = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)
        self.secrets = tuple(values)
        # Case-blind: masking a word that only differs from a secret in case hides nothing
        # anyone needs, and showing the secret re-cased would show it.
        pattern = "|".join(_spellings(s) for s in values)
        self._pattern = re.compile(pattern, re.IGNORECASE) if values else None

    def __call__(self, text: str) -> str:
        """`text` with every credential masked."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub("***", text)

    def found_in(self, text: str) -> bool:
        """Whether `text` holds a credential."""
        return self._pattern is not None and self._pattern.search(text) is not None


def _spellings(secret: str) -> str:
    """A regular expression matching `secret` with each character as is or escaped."""
    parts: list[str] = []
    for char in secret:
        # The escaped spellings first: alternatives are tried in order, and the bare character
        # would match the first half of its own escape (`\` of `\\`, `%` of `%25`), leaving the
        # rest of the secret's spelling in the text.
        # Percent-encoded: the pattern is case-blind, so upper-case hex matches as well.
        forms = ["".join(f"%{b:02x}" for b in char.encode("utf-8", "surrogatepass"))]
        # As JSON writes it: \u00e9, \ud83d\ude00, \", \n, \/ ...
        forms.append(re.escape(json.dumps(char)[1:-1]))
        forms.append(re.escape(char))
        if char == " ":
            forms.append(r"\+")
        if char == "/":
            forms.append(r"\\/")
        parts.append("(?:" + "|".join(forms) + ")")
    return "".join(parts)


# --- URLs ------------------------------------------------------------------------------------


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """`url` without a `user:password@` part, and that part (decoded) when there was one."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    bare = urllib.parse.urlunsplit(parts._replace(netloc=hostport))
    return bare, (urllib.parse.unquote(user), urllib.parse.unquote(password))


def clean_url(url: str) -> str:
    """A URL as messages and the imports ledger show it: no user:password, query or
    fragment (credentials travel in query strings)."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return "(a URL that cannot be read)"
    netloc = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", "")) or "(no URL)"


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


# --- the client ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole (bounded) answer."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Http:
    """Requests under one run's `Limits`, with credentials masked in every message."""

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        secrets: Iterable[str] = (),
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        user_agent: str = "timeline-import",
    ) -> None:
        import urllib3

        self.limits = limits or Limits()
        self.mask = Masker(secrets)
        self._sleep = sleep if sleep is not None else _sleep
        self._clock = clock
        self._ends = None if self.limits.deadline is None else clock() + self.limits.deadline
        self._user_agent = user_agent
        self._pool = urllib3.PoolManager(retries=False)

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Mask these too from now on (a token obtained during the run)."""
        self.mask = Masker([*self.mask.secrets, *secrets])

    # -- whole answers ----------------------------------------------------------------------

    def get(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        *,
        credential_headers: Iterable[str] = (),
        ok: Iterable[int] = (),
    ) -> Answer:
        """GET `url`, following redirects; raises `HttpStatusError` for an error status not
        in `ok`, `RateLimited`, or `SourceError` for anything else that went wrong."""
        response, final = self._request("GET", url, dict(headers or {}), None, credential_headers)
        return self._whole(response, final, set(ok))

    def post_form(self, url: str, fields: Mapping[str, str], *, ok: Iterable[int] = ()) -> Answer:
        """POST a form (not followed through redirects: a form of credentials goes to the
        address given or nowhere)."""
        body = urllib.parse.urlencode(fields).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        response, final = self._request("POST", url, headers, body, ())
        return self._whole(response, final, set(ok))

    def open(self, url: str) -> BinaryIO:
        """A stream of `url`'s body, bounded by the limits as it is read (for CSV exports).

        A `user:password@` in the URL is sent as basic authorization (and dropped on a
        redirect to another origin), never as part of a URL shown."""
        bare, userinfo = split_userinfo(url)
        headers: dict[str, str] = {}
        if userinfo is not None:
            self.add_secrets(userinfo)
            token = base64.b64encode(f"{userinfo[0]}:{userinfo[1]}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
            self.add_secrets([token])
        response, final = self._request("GET", bare, headers, None, ())
        if response.status >= 400:
            self._close(response)
            raise self._status_error(response, final)
        return cast(BinaryIO, _BoundedStream(self, response, final))

    # -- the request loop -------------------------------------------------------------------

    def _request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
        credential_headers: Iterable[str],
    ) -> tuple[urllib3.BaseHTTPResponse, str]:
        secret_headers = CREDENTIAL_HEADERS | {h.lower() for h in credential_headers}
        for _ in range(self.limits.max_redirects + 1):
            response = self._send(method, url, headers, body)
            location = response.headers.get("Location")
            if response.status not in _REDIRECTS or not location:
                return response, url
            self._close(response)
            if method != "GET":
                raise SourceError(
                    self._say(f"{clean_url(url)}: the server redirects the request elsewhere")
                )
            target = urllib.parse.urljoin(url, location)
            if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
                raise SourceError(self._say(f"{clean_url(url)}: redirected to a non-http URL"))
            if _origin(target) != _origin(url):
                # Credentials are for the origin they were given for, never the next hop.
                headers = {k: v for k, v in headers.items() if k.lower() not in secret_headers}
            url = target
        raise SourceError(self._say(f"{clean_url(url)}: too many redirects"))

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> urllib3.BaseHTTPResponse:
        """One answer that is neither a 5xx nor a 429, retrying those and network errors."""
        import urllib3

        limits = self.limits
        failures = 0
        rate_waits = 0
        name = clean_url(url)
        while True:
            timeout = self._remaining(name)
            reason: str
            try:
                response = self._pool.request(
                    method,
                    url,
                    body=body,
                    headers={"User-Agent": self._user_agent, **headers},
                    redirect=False,
                    preload_content=False,
                    timeout=urllib3.Timeout(connect=timeout, read=timeout),
                )
            except urllib3.exceptions.TimeoutError:
                reason = f"no answer within {timeout:g} s"
            except urllib3.exceptions.HTTPError as exc:
                reason = _network_reason(exc)
            else:
                if response.status == 429:
                    wait = _retry_after(response.headers.get("Retry-After"), limits.backoff)
                    self._close(response)
                    rate_waits += 1
                    if (
                        wait > limits.max_retry_after
                        or rate_waits > limits.rate_limit_waits
                        or not self._can_wait(wait)
                    ):
                        raise RateLimited(
                            self._say(
                                f"{name}: the service limits requests (429) and asks to wait "
                                f"{wait:g} s; stopped, the next run resumes"
                            )
                        )
                    self._sleep(wait)
                    continue
                if response.status < 500:
                    return response
                reason = f"the server answered {response.status} {response.reason or ''}".strip()
                self._close(response)
            failures += 1
            wait = limits.backoff * 2 ** (failures - 1)
            if failures > limits.retries or not self._can_wait(wait):
                tries = f" ({failures} tries)" if failures > 1 else ""
                raise SourceError(self._say(f"{name}: {reason}{tries}"))
            self._sleep(wait)

    def _remaining(self, name: str) -> float:
        if self._ends is None:
            return self.limits.timeout
        left = self._ends - self._clock()
        if left <= 0:
            raise SourceError(self._say(f"{name}: the run's deadline passed"))
        return min(self.limits.timeout, left)

    def _can_wait(self, seconds: float) -> bool:
        return self._ends is None or self._clock() + seconds < self._ends

    def _whole(self, response: urllib3.BaseHTTPResponse, url: str, ok: set[int]) -> Answer:
        if response.status >= 400 and response.status not in ok:
            self._close(response)
            raise self._status_error(response, url)
        stream = _BoundedStream(self, response, url)
        try:
            body = stream.read()
        finally:
            stream.close()
        return Answer(response.status, dict(response.headers), body)

    def _status_error(self, response: urllib3.BaseHTTPResponse, url: str) -> HttpStatusError:
        text = f"{clean_url(url)}: the server answered {response.status} {response.reason or ''}"
        return HttpStatusError(self._say(text.strip()), response.status)

    def _say(self, text: str) -> str:
        return self.mask(text)

    @staticmethod
    def _close(response: urllib3.BaseHTTPResponse) -> None:
        # An answer not read to its end leaves its connection unusable: close it.
        response.close()
        response.release_conn()

    def _deadline_passed(self) -> bool:
        return self._ends is not None and self._clock() >= self._ends


class _BoundedStream:
    """A response body read in pieces as they arrive, refused past the size limit or the
    deadline (a read waits at most the per-read timeout)."""

    def __init__(self, http: Http, response: urllib3.BaseHTTPResponse, url: str) -> None:
        self._http = http
        self._response = response
        self._name = clean_url(url)
        self._read = 0
        self._buffer = b""
        self.closed = False
        limit = http.limits.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.strip().isdigit() and int(declared) > limit:
            self.close()
            raise SourceError(http.mask(f"{self._name}: {_too_large(limit)}"))

    def _piece(self) -> bytes:
        import urllib3

        http = self._http
        if http._deadline_passed():
            raise SourceError(http.mask(f"{self._name}: the run's deadline passed while reading"))
        try:
            data = self._response.read1(_CHUNK)
        except urllib3.exceptions.TimeoutError:
            reason = f"the answer stopped arriving for {http.limits.timeout:g} s"
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            reason = f"reading the answer failed ({_network_reason(exc)})"
        else:
            self._read += len(data)
            if self._read > http.limits.max_bytes:
                self.close()
                raise SourceError(http.mask(f"{self._name}: {_too_large(http.limits.max_bytes)}"))
            return data
        self.close()
        raise SourceError(http.mask(f"{self._name}: {reason}"))

    def read(self, size: int = -1) -> bytes:
        if self.closed:
            return b""
        if size is None or size < 0:
            pieces = [self._buffer]
            self._buffer = b""
            while data := self._piece():
                pieces.append(data)
            return b"".join(pieces)
        while len(self._buffer) < size:
            data = self._piece()
            if not data:
                break
            self._buffer += data
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._response.close()
            self._response.release_conn()

    def __enter__(self) -> _BoundedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _sleep(seconds: float) -> None:
    """How a run waits, unless told otherwise (tests put a recorder here)."""
    time.sleep(seconds)


def _too_large(limit: int) -> str:
    return f"the answer is larger than {limit:,} bytes; refused"


def _network_reason(exc: BaseException) -> str:
    """Why a request failed, in words that hold no URL."""
    text = type(exc).__name__
    reason = getattr(exc, "reason", None)
    if reason is not None:
        exc = reason
        text = type(reason).__name__
    lowered = str(exc).lower()
    if "refused" in lowered:
        return "cannot connect (connection refused)"
    if "name or service" in lowered or "nodename" in lowered or "resolution" in lowered:
        return "cannot connect (unknown host)"
    if "certificate" in lowered or "ssl" in text.lower():
        return "cannot connect (TLS failed)"
    if "reset" in lowered or "aborted" in lowered or "closed" in lowered:
        return "the connection was closed"
    return f"cannot connect ({text})"


def _retry_after(value: str | None, default: float) -> float:
    """Seconds a Retry-After header asks for (a number or an HTTP date)."""
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
