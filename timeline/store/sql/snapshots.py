"""The snapshot store in SQL: fold states by timeline, boundary and knowledge time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import sqlalchemy as sa

from timeline import schema
from timeline.dates import from_micros, to_micros
from timeline.store.codec import compress_state, load_state, snapshot_digest
from timeline.store.records import EncodedSnapshot, Snapshot
from timeline.store.sql.part import SqlPart

_S = schema.snapshots


class SqlSnapshots(SqlPart):
    """The snapshots of a SQL database (derived, disposable)."""

    def before(
        self, timeline: str, instant: datetime, *, as_known: datetime | None = None
    ) -> Snapshot | None:
        """The latest snapshot whose boundary is at or before `instant` and that holds the fold
        of what was known at `as_known` (now when None): one written from a log no later than
        that, and not made stale by anything recorded by then."""
        s = _S
        query = (
            sa.select(s)
            .where(s.c.timeline == timeline, s.c.boundary <= to_micros(instant))
            .order_by(s.c.boundary.desc(), s.c.known_through.desc())
            .limit(1)
        )
        if as_known is None:
            query = query.where(s.c.superseded_at.is_(None))
        else:
            known = to_micros(as_known)
            query = query.where(
                s.c.known_through <= known,
                sa.or_(s.c.superseded_at.is_(None), s.c.superseded_at > known),
            )
        with self._reading() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        digest = snapshot_digest(
            timeline, row.boundary, row.known_through, row.event_count, row.state
        )
        if row.digest != digest:
            # Changed in the database since it was written (or written by hand): refused.
            # The answer folds from the log instead, which is slower and still right;
            # `timeline verify --deep` names it.
            return None
        try:
            state = load_state(row.state)
        except ValueError:
            # Derived data: a snapshot that cannot be read (a damaged row) is as good as none.
            # The answer folds from further back, and the next refresh writes it again.
            return None
        return Snapshot(
            boundary=from_micros(row.boundary),
            event_count=row.event_count,
            known_through=from_micros(row.known_through),
            state=state,
        )

    def boundaries(self, timeline: str) -> list[datetime]:
        """The boundaries of a timeline's current snapshots, in order."""
        with self._reading() as conn:
            values = conn.execute(
                sa.select(_S.c.boundary)
                .where(_S.c.timeline == timeline, _S.c.superseded_at.is_(None))
                .order_by(_S.c.boundary)
            ).scalars()
            return [from_micros(value) for value in values]

    def latest_boundary(self, timeline: str) -> datetime | None:
        """The boundary of the last current snapshot of a timeline."""
        with self._reading() as conn:
            value = conn.execute(
                sa.select(sa.func.max(_S.c.boundary)).where(
                    _S.c.timeline == timeline, _S.c.superseded_at.is_(None)
                )
            ).scalar()
        return from_micros(value) if value is not None else None

    def add(
        self,
        timeline: str,
        snapshots: Sequence[Snapshot | EncodedSnapshot],
        *,
        built_through_seq: int | None = None,
    ) -> int:
        """Store snapshots computed from the log up to `built_through_seq`, leaving out those
        that events appended since reach back before; returns how many were kept.

        Snapshots are computed outside the writer lock; whatever was appended meanwhile is
        checked here, under it, so that no snapshot is stored stale.
        """
        if not snapshots:
            return 0
        if not self._bound:
            with self._store.writing(timeline) as tx:
                return tx.snapshots.add(timeline, snapshots, built_through_seq=built_through_seq)
        self._store.lock_timeline(timeline)
        if built_through_seq is not None:
            earliest = self._store.log.earliest_start_since(timeline, built_through_seq)
            if earliest is not None:
                snapshots = [snap for snap in snapshots if snap.boundary <= earliest]
        rows = []
        for snap in snapshots:
            boundary, known = to_micros(snap.boundary), to_micros(snap.known_through)
            state = compress_state(snap)
            rows.append(
                {
                    "timeline": timeline,
                    "boundary": boundary,
                    "event_count": snap.event_count,
                    "known_through": known,
                    "state": state,
                    "digest": snapshot_digest(timeline, boundary, known, snap.event_count, state),
                }
            )
        if rows:
            # An overlapping refresh may have stored the same boundaries a moment ago; and a
            # superseded snapshot of the same knowledge time serves no knowledge time at all
            # (it was superseded the instant it was made).
            self._conn.execute(
                sa.delete(_S).where(
                    _S.c.timeline == timeline,
                    _S.c.boundary == sa.bindparam("old_boundary"),
                    sa.or_(
                        _S.c.superseded_at.is_(None),
                        _S.c.known_through == sa.bindparam("old_known_through"),
                    ),
                ),
                [
                    {"old_boundary": row["boundary"], "old_known_through": row["known_through"]}
                    for row in rows
                ],
            )
            self._conn.execute(sa.insert(_S), rows)
        return len(rows)

    def drop(self, timeline: str, start: datetime | None, *, superseded: bool = False) -> None:
        """Drop current snapshots from `start` on (all when None); with `superseded`, every
        superseded one too."""
        if not self._bound:
            with self._store.writing(timeline) as tx:
                tx.snapshots.drop(timeline, start, superseded=superseded)
            return
        self._store.lock_timeline(timeline)
        current: sa.ColumnElement[bool] = _S.c.superseded_at.is_(None)
        if start is not None:
            current = sa.and_(current, _S.c.boundary >= to_micros(start))
        doomed = sa.or_(current, _S.c.superseded_at.is_not(None)) if superseded else current
        self._conn.execute(sa.delete(_S).where(_S.c.timeline == timeline, doomed))

    def supersede(self, earliest: Mapping[str, datetime], recorded_at: datetime) -> None:
        """Mark stale, as of `recorded_at`, each timeline's current snapshots whose boundary
        lies after the earliest valid start an append reached back to: they no longer serve
        answers about what is known from then on, but still serve `--as-known` answers about
        what was known before."""
        if not self._bound:
            with self._store.writing() as tx:
                tx.snapshots.supersede(earliest, recorded_at)
            return
        for timeline, start in sorted(earliest.items()):
            self._store.lock_timeline(timeline)
            self._conn.execute(
                sa.update(_S)
                .where(
                    _S.c.timeline == timeline,
                    _S.c.boundary > to_micros(start),
                    _S.c.superseded_at.is_(None),
                )
                .values(superseded_at=to_micros(recorded_at))
            )

    def prune_superseded(self, timeline: str) -> int:
        """Keep at most as many superseded snapshots of a timeline as it has current ones, the
        most recently superseded; returns how many were dropped.

        They only speed up `--as-known` answers about earlier states of knowledge, the recent
        ones most asked about; the bound keeps the table under twice the size the current
        snapshots need, however many late arrivals the timeline has had.
        """
        if not self._bound:
            with self._store.writing(timeline) as tx:
                return tx.snapshots.prune_superseded(timeline)
        self._store.lock_timeline(timeline)
        conn = self._conn
        current = conn.execute(
            sa.select(sa.func.count()).where(
                _S.c.timeline == timeline, _S.c.superseded_at.is_(None)
            )
        ).scalar_one()
        superseded = conn.execute(
            sa.select(_S.c.boundary, _S.c.known_through)
            .where(_S.c.timeline == timeline, _S.c.superseded_at.is_not(None))
            .order_by(_S.c.superseded_at.desc(), _S.c.boundary.desc())
            .offset(current)
        ).all()
        if superseded:
            conn.execute(
                sa.delete(_S).where(
                    _S.c.timeline == timeline,
                    _S.c.boundary == sa.bindparam("old_boundary"),
                    _S.c.known_through == sa.bindparam("old_known_through"),
                ),
                [{"old_boundary": b, "old_known_through": k} for b, k in superseded],
            )
        return len(superseded)
