"""Alembic environment: runs on the connection the application passes, or opens the database
named by `-x db=URL`, TIMELINE_DB or sqlalchemy.url when run as `alembic` from a checkout."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, create_engine

from alembic import context
from timeline.schema import metadata

config = context.config
PARTITION = re.compile(r"(events|heads|snapshots)_[0-9a-f]{16}")


def _include_name(name: str | None, type_: str, _parents: Mapping[Any, str | None]) -> bool:
    # A timeline's partitions on PostgreSQL (events_<hash>, ...) are made with the timeline,
    # not by a migration: comparing the models with a database leaves them out.
    return not (type_ == "table" and name is not None and PARTITION.fullmatch(name))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=_include_name,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from timeline.database import normalise_url

    url = context.get_x_argument(as_dictionary=True).get("db") or os.environ.get("TIMELINE_DB")
    url = url or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("alembic: name the database with -x db=URL or TIMELINE_DB")
    engine = create_engine(normalise_url(url))
    with engine.begin() as conn:
        _run(conn)
