"""What SOURCE arguments name: files, directories, standard input and http(s) URLs, opened
for reading bytes, with a hash of every byte read for the run's record."""

from __future__ import annotations

import hashlib
import io
import sys
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from timeline.documents import check_url
from timeline.errors import InvalidInput, SourceUnavailable, ValidationError
from timeline.importers.http import clean_url

if TYPE_CHECKING:
    from timeline.importers.http import Http

STDIN = "-"


def is_url(spec: str) -> bool:
    """Whether a SOURCE is an http(s) URL."""
    return spec.startswith(("http://", "https://"))


def is_local(spec: str) -> bool:
    """Whether a SOURCE (as expanded) is a file, which can be read twice: once to detect its
    format before anything is written, once to import it."""
    return spec != STDIN and not is_url(spec)


def expand_sources(specs: Sequence[str], extensions: Sequence[str]) -> list[str]:
    """Files, directories (their files ending with one of `extensions`, in name order), `-`
    and URLs, in order; raises before anything is read when one does not exist."""
    out: list[str] = []
    for spec in specs:
        if spec == STDIN or is_url(spec):
            if spec != STDIN:
                try:
                    check_url(spec, "source")
                except ValidationError:
                    raise InvalidInput(
                        f"{clean_url(spec)!r} is not an http(s) URL with a host", subject="source"
                    ) from None
            out.append(spec)
            continue
        if "://" in spec:
            raise InvalidInput(
                f"{spec!r} is not an http(s) URL, a file or a directory", subject="source"
            )
        path = Path(spec)
        if path.is_dir():
            matching = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in extensions
            )
            if not matching:
                raise InvalidInput(
                    f"{spec!r} holds no {'/'.join(extensions)} files", subject="source"
                )
            out.extend(str(p) for p in matching)
        elif path.is_file():
            out.append(spec)
        else:
            raise InvalidInput(f"{spec!r}: no such file or directory", subject="source")
    return out


class HashingReader(io.RawIOBase):
    """Passes bytes through while hashing them, for the run's record of what it read.

    `head` holds bytes already read from `stream` (to detect its format): they are passed
    on, and hashed, first, so that a source that cannot be read twice (stdin, a URL) is
    peeked at without losing them, and the hash is still that of the whole source.
    """

    def __init__(self, stream: BinaryIO, head: bytes = b"") -> None:
        super().__init__()
        self._stream = stream
        self._head = memoryview(head)
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            data: bytes | memoryview = self._head[: len(view)]
            self._head = self._head[len(data) :]
        else:
            data = self._stream.read(len(view))
        n = len(data)
        view[:n] = data
        self.digest.update(data)
        return n


def open_source(spec: str, *, http: Http | None = None) -> BinaryIO:
    """Open a file, stdin (`-`) or an http(s) URL for reading bytes; a URL is read through
    `http` (its size limit, deadline and retries), streamed."""
    if spec == STDIN:
        return sys.stdin.buffer
    if is_url(spec):
        from timeline.importers.http import Http

        return (http or Http()).open(spec)
    try:
        return open(spec, "rb")
    except OSError as err:
        raise SourceUnavailable(f"{spec}: cannot read: {err.strerror}") from None


def short_name(source: str) -> str:
    """The file name of a path or URL (never a query string, where tokens travel)."""
    path = urllib.parse.urlsplit(source).path if "://" in source else source
    return Path(path).name or source


def public_name(url: str) -> str:
    """A source as messages and the imports ledger show it: credentials travel in query
    strings and user:password parts, so a URL is shown without either."""
    return clean_url(url) if is_url(url) else url


def display_name(spec: str) -> str:
    """How a run names its source: `stdin`, a path as given, or a URL without its query."""
    return "stdin" if spec == STDIN else public_name(spec)


def is_api_url(spec: str) -> bool:
    """Whether a URL designates a paged JSON API (ACLED's or UCDP's) rather than a file."""
    return is_url(spec) and "/api/" in public_name(spec)


def api_format(spec: str) -> str:
    """The dataset whose API a URL names: UCDP's paths are /api/gedevents/..., ACLED's the
    others."""
    return "ucdp" if "/api/gedevents/" in public_name(spec) else "acled"
