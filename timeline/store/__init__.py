"""The store: where events, snapshots and import runs are kept.

A store is five small parts behind narrow interfaces (`interfaces.py`): the timeline
catalog, the event log, the origin index, the snapshot store and the import-run ledger.
`sql` implements them on SQLite and PostgreSQL, `memory` in memory with the same chains and
the same semantics (each timeline's events are a hash chain of their own, in the timeline's
own `seq` order, written under the timeline's writer lock: see `sql` and `sql.log`);
`codec` turns events into rows and back, and chains and verifies them, `query` says which
events a read wants, `effective` applies revisions. Nothing here but `sql` speaks SQL.
"""

from __future__ import annotations

from timeline.store.interfaces import (
    DEFAULT_LOCK_TIMEOUT,
    EventLog,
    FeedRegistry,
    ImportLedger,
    OriginIndex,
    SnapshotStore,
    Store,
    TimelineCatalog,
)
from timeline.store.query import EventQuery
from timeline.store.records import (
    AppendResult,
    EncodedSnapshot,
    Feed,
    ImportRun,
    OriginVersion,
    Snapshot,
    TimelineInfo,
    VerifyResult,
)

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "AppendResult",
    "EncodedSnapshot",
    "EventLog",
    "EventQuery",
    "Feed",
    "FeedRegistry",
    "ImportLedger",
    "ImportRun",
    "OriginIndex",
    "OriginVersion",
    "Snapshot",
    "SnapshotStore",
    "Store",
    "TimelineCatalog",
    "TimelineInfo",
    "VerifyResult",
]
