"""The closed lists of words the command line offers as choices, in a module that imports nothing.

Click reads an option's choices when the command is declared, so whatever module they come
from is imported by every `timeline` command, `--help` and `--version` included: the lists
live here rather than in the modules that act on them (which import SQLAlchemy, YAML or the
projections). Those modules keep their own names for the same lists; tests/test_startup.py
checks that the two agree.
"""

from __future__ import annotations

# What `timeline import --format` reads (timeline.importing.FORMATS).
IMPORT_FORMATS = ("acled", "ucdp", "jsonl", "yaml")

# What `timeline export --format` writes (timeline.exporting.FORMATS).
EXPORT_FORMATS = ("jsonl", "yaml", "csv", "geojson", "timelinejs")

# How sure an event's sources are (timeline.events.CONFIDENCE_LEVELS).
CONFIDENCE_LEVELS = ("confirmed", "reported", "claimed", "disputed", "denied")

# The sections of an answer, in the order it lists them (timeline.projections.SECTIONS).
SECTIONS = (
    "control",
    "offensives",
    "support",
    "presence",
    "materiel",
    "ceasefires",
    "fatalities",
    "claims",
    "recent",
)

# The charts `timeline chart` draws, and how the fatalities chart is cut and stacked
# (timeline.pictures.charts acts on these).
CHART_KINDS = ("fatalities", "events", "control")
CHART_PERIODS = ("month", "week")
CHART_BREAKDOWNS = ("actor", "dataset")
