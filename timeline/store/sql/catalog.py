"""The timeline catalog in SQL: the `timelines` table, with summaries from the log."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from timeline import schema
from timeline.dates import to_micros
from timeline.errors import InvalidInput, NotFound, TimelineError
from timeline.store.records import TimelineInfo
from timeline.store.sql.part import SqlPart, first_line
from timeline.store.sql.partitions import create_partitions
from timeline.store.timelines import OPEN_START_US, REGISTRY_KINDS, check_new_timeline

_E = schema.events
_T = schema.timelines


class SqlCatalog(SqlPart):
    """The timelines of a SQL database."""

    def create(self, name: str, zone: str, title: str | None = None) -> TimelineInfo:
        """Create a timeline; its time zone decides what its dates mean."""
        check_new_timeline(name, zone, title)
        if not self._bound:
            with self._store.writing() as tx:
                return tx.catalog.create(name, zone, title)
        if self.zone(name) is not None:
            raise InvalidInput(f"timeline {name!r} exists already", subject="timeline")
        self._conn.execute(
            sa.insert(_T).values(
                name=name, zone=zone, title=title, created_at=to_micros(self._store.clock())
            )
        )
        if self._store.backend == "postgresql":
            try:
                create_partitions(self._conn, name)
            except DBAPIError as err:
                # Partitions are the schema owner's to make (`timeline db grant`'s roles
                # cannot); the transaction, timeline and all, is rolled back.
                raise TimelineError(
                    f"could not create timeline {name!r}: {first_line(err)}"
                ) from None
        return TimelineInfo(name, zone, title)

    def get(self, name: str) -> TimelineInfo:
        """One timeline, or NotFound listing the ones there are."""
        with self._reading() as conn:
            row = conn.execute(sa.select(_T).where(_T.c.name == name)).first()
        if row is None:
            known = ", ".join(self.names()) or "none"
            raise NotFound(f"no timeline {name!r} (timelines: {known})", subject="timeline")
        return TimelineInfo(row.name, row.zone, row.title)

    def zone(self, name: str) -> str | None:
        """The zone of a timeline, or None when there is no such timeline."""
        with self._reading() as conn:
            value = conn.execute(sa.select(_T.c.zone).where(_T.c.name == name)).scalar()
        return str(value) if value is not None else None

    def names(self) -> list[str]:
        """The names of every timeline, sorted."""
        with self._reading() as conn:
            return list(conn.execute(sa.select(_T.c.name).order_by(_T.c.name)).scalars())

    def summaries(self) -> list[TimelineInfo]:
        """Every timeline with its event count and the dates of its first and last events."""
        counts = (
            sa.select(
                _E.c.timeline,
                sa.func.count().label("n"),
            )
            .where(_E.c.kind.not_in(REGISTRY_KINDS))
            .group_by(_E.c.timeline)
            .subquery()
        )
        query = (
            sa.select(_T.c.name, _T.c.zone, _T.c.title, counts.c.n)
            .select_from(_T.outerjoin(counts, counts.c.timeline == _T.c.name))
            .order_by(_T.c.name)
        )
        out = []
        with self._reading() as conn:
            for row in conn.execute(query).all():
                first, last = (
                    self._edge_date(conn, row.name, order) for order in ("first", "last")
                )
                out.append(TimelineInfo(row.name, row.zone, row.title, row.n or 0, first, last))
        return out

    def _edge_date(self, conn: sa.Connection, name: str, edge: str) -> str | None:
        # The date as written of the timeline's earliest-starting or latest-ending event (open
        # starts, "../2011", say nothing of when a timeline begins).
        order = _E.c.valid_from.asc() if edge == "first" else _E.c.valid_to.desc()
        return conn.execute(
            sa.select(_E.c.date_text)
            .where(
                _E.c.timeline == name,
                _E.c.kind.not_in(REGISTRY_KINDS),
                _E.c.valid_from > OPEN_START_US,
            )
            .order_by(order)
            .limit(1)
        ).scalar()
