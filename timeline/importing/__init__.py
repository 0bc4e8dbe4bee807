"""`timeline import`: bringing dataset exports and native documents into a timeline.

Safe to run from cron: every record's event id derives from (dataset, record key), so the
same file twice adds nothing; a record whose content changed becomes one correction, and one
the dataset deleted one retraction. Each batch is one transaction under the database's single
writer lock, and the lookup of what is already stored happens inside that lock, so runs that
overlap neither duplicate nor lose a record, and a run killed at any point leaves whole
batches behind that the next run completes.

The parts: `sources` (what SOURCE arguments name, opened and hashed), `formats` (the registry
of formats and their detection), `run` (the run and its record in the imports ledger),
`datasets` and `native` (reading records and documents), `reconcile` (what is new, corrected,
retracted or unchanged), `entities` (naming and defining actors and places).
"""

from __future__ import annotations

from timeline.importing.entities import slugify
from timeline.importing.formats import FORMATS, REGISTRY, detected, format_named
from timeline.importing.run import (
    BATCH_SIZE,
    STATISTICS_AFTER,
    Counts,
    ImportOptions,
    ImportReport,
    ProgressHandler,
    RejectHandler,
    run_import,
    write_rejects,
)
from timeline.importing.sources import expand_sources, is_api_url, open_source

__all__ = [
    "BATCH_SIZE",
    "FORMATS",
    "REGISTRY",
    "STATISTICS_AFTER",
    "Counts",
    "ImportOptions",
    "ImportReport",
    "ProgressHandler",
    "RejectHandler",
    "detected",
    "expand_sources",
    "format_named",
    "is_api_url",
    "open_source",
    "run_import",
    "slugify",
    "write_rejects",
]
