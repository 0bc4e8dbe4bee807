"""The import-run ledger in SQL: the `imports` table."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

import sqlalchemy as sa

from timeline import schema
from timeline.dates import to_micros
from timeline.store.records import ImportRun
from timeline.store.sql.part import SqlPart
from timeline.store.timelines import count_columns, finished_columns, import_run

_I = schema.imports


class SqlImports(SqlPart):
    """The import runs of a SQL database."""

    def start(
        self,
        timeline: str,
        source: str,
        fmt: str,
        content_hash: str | None,
        *,
        feed: str | None = None,
    ) -> int:
        """Record that an import run started; returns its id. Written under the timeline's
        writer lock, so that a run waiting for another gives up after its own lock timeout."""
        if not self._bound:
            with self._store.writing(timeline) as tx:
                return tx.imports.start(timeline, source, fmt, content_hash, feed=feed)
        result = self._conn.execute(
            sa.insert(_I).values(
                timeline=timeline,
                source=source,
                format=fmt,
                content_hash=content_hash,
                started_at=to_micros(self._store.clock()),
                status="running",
                host=socket.gethostname()[:255],
                pid=os.getpid(),
                feed=feed,
            )
        )
        run_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        assert run_id is not None
        return int(run_id)

    def finish(
        self,
        run_id: int,
        *,
        status: str,
        counts: Mapping[str, int],
        error: str | None = None,
        content_hash: str | None = None,
        high_water: int | None = None,
    ) -> None:
        """Record how an import run ended (and the hash of what it read)."""
        if not self._bound:
            with self._store.writing() as tx:
                tx.imports.finish(
                    run_id,
                    status=status,
                    counts=counts,
                    error=error,
                    content_hash=content_hash,
                    high_water=high_water,
                )
            return
        columns = finished_columns(
            self._store.clock(), status, counts, error, content_hash, high_water
        )
        self._conn.execute(sa.update(_I).where(_I.c.id == run_id).values(**columns))

    def progress(self, run_id: int, counts: Mapping[str, int]) -> None:
        """Record the counts of a run still under way (see `ImportLedger.progress`)."""
        if not self._bound:
            with self._store.writing() as tx:
                tx.imports.progress(run_id, counts)
            return
        self._conn.execute(
            sa.update(_I)
            .where(_I.c.id == run_id, _I.c.status == "running")
            .values(**count_columns(counts))
        )

    def runs(self, timeline: str | None = None, limit: int = 50) -> list[ImportRun]:
        """The most recent import runs, newest first."""
        query = sa.select(_I).order_by(_I.c.id.desc()).limit(limit)
        if timeline is not None:
            query = query.where(_I.c.timeline == timeline)
        with self._reading() as conn:
            rows = conn.execute(query).all()
        return [import_run(row) for row in rows]

    def high_water(self, timeline: str, fmt: str, *, feed: str | None = None) -> int | None:
        """The newest source stamp seen by a finished import of `fmt` into `timeline` (by
        `feed`'s runs, when named): where an incremental run picks up (a failed run never
        moves it)."""
        query = sa.select(sa.func.max(_I.c.high_water)).where(
            _I.c.timeline == timeline,
            _I.c.format == fmt,
            _I.c.status.in_(("ok", "rejected")),
        )
        if feed is not None:
            query = query.where(_I.c.feed == feed)
        with self._reading() as conn:
            value = conn.execute(query).scalar()
        return int(value) if value is not None else None
