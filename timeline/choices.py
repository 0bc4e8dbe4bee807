"""The closed lists of words the command line offers as choices, in a module that imports nothing.

Click reads an option's choices when the command is declared, so whatever module they come
from is imported by every `timeline` command, `--help` and `--version` included: the lists
live here rather than in the modules that act on them (which import SQLAlchemy, YAML or the
projections). Those modules keep their own names for the same lists; tests/test_startup.py
checks that the two agree.
"""

from __future__ import annotations

# Spaces, hyphens and underscores: how people join the words of a name differently.
_JOINERS = str.maketrans("", "", " -_\t\u2010\u2011\u2012\u2013\u2014")


def fold(text: str) -> str:
    """The form in which two spellings of one name compare equal: any case, any accents, and
    words joined by spaces, hyphens, underscores or nothing ("Al Watiya" = "al-watiya" =
    "ALWATIYA", "Misrata" = "Misrāta"). Every name the command line takes, whether a
    timeline, a kind, a format or an actor or place, matches by this one rule."""
    if text.isascii():
        # Nothing to decompose and no accent to drop: the common case, ten times faster
        # (loading the seeds folds some 55,000 names; the general path cost 2 of its 14 s
        # under the profiler).
        return text.lower().translate(_JOINERS)
    return _fold_unicode(text)


def _fold_unicode(text: str) -> str:
    """`fold` for any text: decomposed, accents dropped."""
    import unicodedata  # here: --help and --version never fold a name

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.translate(_JOINERS)


def match(text: str, choices: tuple[str, ...] | list[str]) -> str | None:
    """The one of `choices` that `text` names by `fold`, or None."""
    if text in choices:
        return text
    folded = fold(text)
    found = [choice for choice in choices if fold(choice) == folded]
    return found[0] if len(found) == 1 else None


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
