"""`timeline serve`: the answers over HTTP and a web page, read-only.

Starlette, uvicorn and the library are imported inside the command (the `serve` extra; exit 4
with the line to install it when missing), so that `timeline --help` pays for none of them.
"""

from __future__ import annotations

import os

import click

from .app import AppContext, main, pass_app


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    metavar="ADDRESS",
    help="The address to listen on; 0.0.0.0 opens it to the network (put a proxy in front).",
)
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The TCP port."
)
@click.option(
    "--db",
    "db_url",
    metavar="URL",
    help="Database URL (the same as `timeline --db URL serve`).",
)
@click.option(
    "--root-path",
    default="",
    metavar="PATH",
    help="The path prefix a reverse proxy serves it under, e.g. /timeline.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=1,
    show_default=True,
    help="Processes answering at once (one per core; each keeps its own caches).",
)
@pass_app
def serve(
    app: AppContext, host: str, port: int, db_url: str | None, root_path: str, workers: int
) -> None:
    """Serve the database read-only over HTTP: a web page at / with the map, a date slider
    and a knowledge slider, and the JSON of `at`, `diff`, `history`, `events` and more under
    /api/ (described at /openapi.json). Needs pip install 'timeline[serve]' (exit 4 without).
    """
    from timeline.serving import require_server

    require_server()
    if db_url is not None:
        app.db = db_url
    store = app.store
    import uvicorn

    from timeline.serving.app import WORKER_DATABASE, create_app
    from timeline.store.sql import SqlStore

    if workers > 1 and not isinstance(store, SqlStore):
        raise click.UsageError("--workers: more than one needs a database, not memory")
    shown = f"http://{'[' + host + ']' if ':' in host else host}:{port}{root_path}/"
    click.echo(f"serving on {shown} (Ctrl-C stops)", err=True)
    if workers > 1:
        # Each worker process opens the database itself, from the URL the command resolved
        # (passed in its environment, never shown).
        assert isinstance(store, SqlStore)
        os.environ[WORKER_DATABASE] = store.engine.url.render_as_string(hide_password=False)
        store.engine.dispose()
    uvicorn.run(
        "timeline.serving.app:worker_app" if workers > 1 else create_app(store),
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        root_path=root_path.rstrip("/"),
        log_level="warning",
        # Behind a reverse proxy on this machine, its X-Forwarded-* headers are trusted.
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )
