"""The named live feeds in SQL: the `feeds` table, and each feed's latest run from `imports`."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from timeline import schema
from timeline.dates import from_micros, to_micros
from timeline.errors import InvalidInput, NotFound
from timeline.store.records import Feed
from timeline.store.sql.part import SqlPart
from timeline.store.timelines import import_run

_F = schema.feeds
_I = schema.imports


class SqlFeeds(SqlPart):
    """The named feeds of a SQL database."""

    def add(self, name: str, timeline: str, fmt: str, url: str) -> Feed:
        """Record a new feed; InvalidInput when the name is taken."""
        if not self._bound:
            with self._store.writing() as tx:
                return tx.feeds.add(name, timeline, fmt, url)
        exists = self._conn.execute(sa.select(_F.c.name).where(_F.c.name == name)).first()
        if exists is not None:
            raise InvalidInput(f"feed {name!r} exists already", subject="name")
        try:
            with self._conn.begin_nested():
                self._conn.execute(
                    sa.insert(_F).values(
                        name=name,
                        timeline=timeline,
                        format=fmt,
                        url=url,
                        created_at=to_micros(self._store.clock()),
                    )
                )
        except IntegrityError:
            raise NotFound(f"no timeline {timeline!r}", subject="timeline") from None
        return self.get(name)

    def get(self, name: str) -> Feed:
        """One feed with its latest run; NotFound listing the feeds there are."""
        feeds = self._feeds(name)
        if not feeds:
            known = ", ".join(f.name for f in self._feeds(None)) or "none"
            raise NotFound(f"no feed {name!r} (feeds: {known})", subject="name")
        return feeds[0]

    def all(self) -> list[Feed]:
        """Every feed with its latest run, by name."""
        return self._feeds(None)

    def remove(self, name: str) -> None:
        """Forget a feed (its runs stay in the import ledger)."""
        if not self._bound:
            with self._store.writing() as tx:
                tx.feeds.remove(name)
            return
        self.get(name)
        self._conn.execute(sa.delete(_F).where(_F.c.name == name))

    def _feeds(self, name: str | None) -> list[Feed]:
        query = sa.select(_F).order_by(_F.c.name)
        if name is not None:
            query = query.where(_F.c.name == name)
        with self._reading() as conn:
            rows = conn.execute(query).all()
            out: list[Feed] = []
            for row in rows:
                last = conn.execute(
                    sa.select(_I).where(_I.c.feed == row.name).order_by(_I.c.id.desc()).limit(1)
                ).first()
                mark = conn.execute(
                    sa.select(sa.func.max(_I.c.high_water)).where(
                        _I.c.feed == row.name,
                        _I.c.timeline == row.timeline,
                        _I.c.format == row.format,
                        _I.c.status.in_(("ok", "rejected")),
                    )
                ).scalar()
                out.append(
                    Feed(
                        row.name,
                        row.timeline,
                        row.format,
                        row.url,
                        from_micros(row.created_at),
                        import_run(last) if last is not None else None,
                        int(mark) if mark is not None else None,
                    )
                )
        return out
