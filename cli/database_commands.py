"""Operators' commands for the schema: timeline db upgrade | current | downgrade | grant."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from .app import main

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@main.group()
def db() -> None:
    """Manage the database schema (Alembic migrations).

    Any command creates a new database at the newest schema, and upgrades an older SQLite
    one; an older PostgreSQL one is refused (exit 4) until `timeline db upgrade` has run.
    """


def _engine(ctx: click.Context) -> Engine:
    from timeline import database

    url = ctx.find_root().params.get("db")
    return database.create(url or os.environ.get(database.ENV_VAR) or database.default_url())


@db.command()
@click.argument("revision", default="head")
@click.pass_context
def upgrade(ctx: click.Context, revision: str) -> None:
    """Upgrade the schema to REVISION (default: head); one process at a time migrates."""
    from timeline import database

    engine = _engine(ctx)
    database.upgrade(engine, revision)
    click.echo(f"at revision {database.current_revision(engine) or 'base'}")


@db.command()
@click.pass_context
def current(ctx: click.Context) -> None:
    """Print the schema revision of the database (and whether it is the newest)."""
    from timeline import database

    engine = _engine(ctx)
    revision = database.current_revision(engine)
    head = database.head_revision()
    if revision == head:
        state = "head"
    elif revision is not None and revision not in database.known_revisions():
        state = f"unknown to this version, whose head is {head}: a newer version upgraded it"
    else:
        state = f"head is {head}"
    click.echo(f"{revision or 'base (empty)'} ({state})")
    # Which database, on stderr: the revision line stays what scripts read. No password shows.
    click.echo(f"database: {engine.url.render_as_string(hide_password=True)}", err=True)


@db.command()
@click.argument("revision")
@click.pass_context
def downgrade(ctx: click.Context, revision: str) -> None:
    """Downgrade the schema to REVISION (`base` removes every table, and every event)."""
    from timeline import database

    engine = _engine(ctx)
    database.downgrade(engine, revision)
    click.echo(f"at revision {database.current_revision(engine) or 'base'}")


@db.command()
@click.option("--importer", metavar="ROLE", help="The role cron's imports connect as.")
@click.option("--reader", metavar="ROLE", help="The role that only reads (answers, exports).")
@click.pass_context
def grant(ctx: click.Context, importer: str | None, reader: str | None) -> None:
    """PostgreSQL: create least-privilege roles (when missing) and grant them the schema.

    The reader may only SELECT; the importer may SELECT and append (events, runs, timelines)
    but change nothing stored; only the owner writes snapshots. Run as the owner. Prints
    the statements it ran.
    """
    from timeline import database

    if importer is None and reader is None:
        raise click.UsageError("name a role: --importer ROLE and/or --reader ROLE")
    for statement in database.grant_roles(_engine(ctx), importer=importer, reader=reader):
        click.echo(statement)
