"""The web application: the questions of `timeline.serving.questions` over HTTP, the OpenAPI
document, and the page at `/`.

Why Starlette (and uvicorn to run it): a small, well-kept ASGI toolkit with a test client,
static files, compression and nothing else; the answers' JSON already exists in the library
and is described by hand in `openapi.py`, so FastAPI's model layer (pydantic) would add a
second description of the same documents and a dependency, for nothing the server needs.

Read-only by construction: every route answers GET (and HEAD) alone. Each question runs in a
worker thread inside one read-only view of the store (`Store.reading`), so that an answer
sees one state of the log while imports commit. Responses carry a weak ETag made of the log's
head (the seq of the last event recorded) and the question; a request whose `If-None-Match`
names it gets 304 without an answer being computed, and the answers of the last questions are
kept in memory until the log moves on. Answers at an instant not asked before are folded from states
of the log the server keeps between them (`timeline.folding.FoldCache`), dropped when the log
moves on too.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio
import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from timeline import __version__
from timeline.errors import LockTimeout, SchemaMismatch, TimelineError
from timeline.folding import FoldCache
from timeline.pictures.drawing import PicturesNotInstalled
from timeline.serving.openapi import document as openapi_document
from timeline.serving.parameters import BadParameter, Query
from timeline.serving.questions import QUESTIONS, Folds, Question
from timeline.store import Store

STATIC = Path(__file__).resolve().parent / "static"
# Answers kept in memory: the last questions asked, up to this many and this many bytes.
CACHE_ENTRIES = 4096
CACHE_BYTES = 64 * 1024 * 1024
# Questions computed at once. Answers are Python work under one interpreter lock: more
# threads than cores only make each answer wait longer (bench/serve.py measured it).
THREADS = 4
# Smaller bodies are sent as they are: compressing them costs more than it saves.
GZIP_MINIMUM = 1024
# The page loads nothing from anywhere but this server (scripts, styles, data).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True, slots=True)
class Answered:
    """A response ready to send: status, body and headers (cached as it is)."""

    status: int
    body: bytes
    headers: dict[str, str]


class AnswerCache:
    """The bodies of the latest answers by ETag, least recently used dropped first. An ETag
    names the log's head, so an entry of an older head is never asked for again and ages out."""

    def __init__(self, entries: int = CACHE_ENTRIES, size: int = CACHE_BYTES) -> None:
        self._entries: OrderedDict[str, Answered] = OrderedDict()
        self._limit, self._size_limit, self._size = entries, size, 0
        self._lock = threading.Lock()

    def get(self, tag: str) -> Answered | None:
        """The answer stored under `tag`, if it is still there."""
        with self._lock:
            found = self._entries.get(tag)
            if found is not None:
                self._entries.move_to_end(tag)
            return found

    def put(self, tag: str, answered: Answered) -> None:
        """Keep an answer, dropping the oldest ones past the limits."""
        if len(answered.body) > self._size_limit // 8:
            return
        with self._lock:
            if tag in self._entries:
                return
            self._entries[tag] = answered
            self._size += len(answered.body)
            while len(self._entries) > self._limit or self._size > self._size_limit:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped.body)


def _error(status: int, message: str, parameter: str | None = None, value: Any = None) -> Answered:
    body = {"error": message, "parameter": parameter, "value": value}
    return Answered(status, orjson.dumps(body), {"content-type": "application/json"})


def _etag_matches(header: str | None, tag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    # Weak comparison (RFC 9110 8.8.3.2): W/ prefixes do not count.
    return tag.removeprefix("W/") in {t.strip().removeprefix("W/") for t in header.split(",")}


class Server:
    """The questions of one store over HTTP."""

    def __init__(
        self, store: Store, *, cache: AnswerCache | None = None, folds: FoldCache | None = None
    ) -> None:
        self.store = store
        self.cache = cache if cache is not None else AnswerCache()
        self.folds = folds if folds is not None else FoldCache()
        self._limiter: anyio.CapacityLimiter | None = None

    def ask(
        self, question: Question, items: Sequence[tuple[str, str]], if_none_match: str | None
    ) -> Answered:
        """Answer one question (in a worker thread): 200, 304, or a 4xx/5xx naming why."""
        try:
            query = Query(items, question.parameters)
            with self.store.reading() as view:
                head = view.log.last_seq()
                tag = None
                if not query.mentions_now():
                    key = repr((__version__, head, question.path, query.canonical()))
                    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
                    tag = f'W/"{head}-{digest}"'
                    if _etag_matches(if_none_match, tag):
                        return Answered(304, b"", _cache_headers(tag))
                    hit = self.cache.get(tag)
                    if hit is not None:
                        return hit
                reply = question.answer(view, query, Folds(self.folds, head))
        except BadParameter as err:
            return _error(400, str(err), err.parameter, err.value)
        except (LockTimeout, SchemaMismatch) as err:
            return _error(503, str(err))
        except TimelineError as err:
            if isinstance(err, PicturesNotInstalled):
                return _error(501, str(err))
            parameter = question.subjects.get(err.subject or "")
            value = query.value_in(parameter, str(err)) if parameter else None
            return _error(400, str(err), parameter, value)
        if isinstance(reply.body, str):
            body = reply.body.encode("utf-8")
        else:
            body = orjson.dumps(reply.body, option=orjson.OPT_NON_STR_KEYS)
        headers = {"content-type": question.media_type, **_cache_headers(tag)}
        if reply.next_cursor is not None:
            rest = [(k, v) for k, v in items if k != "cursor"]
            link = urlencode([*rest, ("cursor", reply.next_cursor)])
            headers["link"] = f'<?{link}>; rel="next"'
        answered = Answered(200, body, headers)
        if tag is not None:
            self.cache.put(tag, answered)
        return answered

    async def api(self, request: Request) -> Response:
        """GET /api/{name}."""
        question = QUESTIONS.get(request.path_params["name"])
        if question is None:
            raise HTTPException(404)
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(THREADS)
        answered = await anyio.to_thread.run_sync(
            partial(
                self.ask,
                question,
                request.query_params.multi_items(),
                request.headers.get("if-none-match"),
            ),
            limiter=self._limiter,
        )
        return Response(answered.body, answered.status, headers=answered.headers)


def _cache_headers(tag: str | None) -> dict[str, str]:
    if tag is None:
        return {"cache-control": "no-store"}
    # Any cache may keep an answer, but must ask again (cheaply, with the ETag) before use:
    # an import may have changed it.
    return {"etag": tag, "cache-control": "no-cache"}


async def _page(request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")


async def _openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {404: f"no such path: {request.url.path}", 405: "read-only: only GET and HEAD"}
    message = messages.get(exc.status_code, str(exc.detail))
    return JSONResponse({"error": message}, exc.status_code, headers=exc.headers)


class SecurityHeaders:
    """Adds the page's content security policy and `nosniff` to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)


def routes(server: Server) -> Iterator[Route | Mount]:
    """The routes: the page, its files, the OpenAPI document and the questions."""
    yield Route("/", _page, methods=["GET", "HEAD"])
    yield Route("/openapi.json", _openapi, methods=["GET", "HEAD"])
    yield Route("/api/{name:str}", server.api, methods=["GET", "HEAD"])
    yield Mount("/static", StaticFiles(directory=STATIC), name="static")


# Where `timeline serve --workers N` tells its worker processes which database to serve.
WORKER_DATABASE = "TIMELINE_SERVE_DATABASE"


def worker_app() -> Starlette:
    """The application of one of the worker processes of `timeline serve --workers N`: the
    database named in the environment (`WORKER_DATABASE`), which the command has already
    opened, migrated and checked. Each process keeps its own caches."""
    from timeline import api

    return create_app(api.open_store(os.environ[WORKER_DATABASE], must_exist=True))


def create_app(
    store: Store, *, cache: AnswerCache | None = None, folds: FoldCache | None = None
) -> Starlette:
    """The ASGI application serving `store`, read-only (keeping its answers in `cache` and
    fold states in `folds`, or in its own)."""
    server = Server(store, cache=cache, folds=folds)
    return Starlette(
        routes=list(routes(server)),
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM),
        ],
        exception_handlers={HTTPException: _http_error},
    )
