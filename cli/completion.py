"""Shell completion of the names a command line takes: timelines, kinds, actors and places.

Click completes commands, options and choices by itself (`_TIMELINE_COMPLETE=bash_source
timeline`, see the README); these functions add the names held in the database. Completion
must never fail nor change anything: a database that does not exist yet offers nothing
(rather than being created), and any error offers nothing.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click
from click.shell_completion import CompletionItem

from timeline.choices import fold

if TYPE_CHECKING:
    from timeline.store import Store


def _store(ctx: click.Context) -> Store | None:
    """The store the command line would use, if it already exists."""
    from timeline import api, database

    url = ctx.find_root().params.get("db") or os.environ.get(database.ENV_VAR)
    if url is None:
        if not database.default_path().exists():
            return None
        url = database.default_url()
    elif url.startswith("sqlite:///") and not os.path.exists(url[len("sqlite:///") :]):
        return None
    return api.open_store(url)


def _matching(names: list[str], incomplete: str) -> list[CompletionItem]:
    start = fold(incomplete)
    return [CompletionItem(name) for name in dict.fromkeys(names) if fold(name).startswith(start)]


def timelines(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The timelines of the database."""
    try:
        store = _store(ctx)
        return _matching(store.catalog.names(), incomplete) if store else []
    except Exception:
        return []


def kinds(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The kinds of the vocabulary."""
    from timeline.vocabulary import KINDS

    return _matching(sorted(KINDS), incomplete)


def entities(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The ids and names of the actors and places of the timeline named (or the only one)."""
    try:
        store = _store(ctx)
        if store is None:
            return []
        from timeline import api

        info = api.pick_timeline(store, ctx.params.get("timeline"))
        registry = api.load_registry(store, info.name)
        return _matching(
            sorted(name for entity in registry for name in (entity.id, entity.name)), incomplete
        )
    except Exception:
        return []
