"""What a stored value may be: the lengths of the columns, the range of the integers, the
characters a text may hold; and how long a message quoting a value may grow.

Every event is checked against these before it reaches a database, so that one bad value
rejects its own record, named, rather than failing the batch it came in (a key longer than
PostgreSQL's column, a NUL byte PostgreSQL's text refuses, a stamp beyond 64 bits) or being
stored and then misread (a count too large for the snapshots' JSON). Pure: `timeline.schema`
declares the same lengths, and a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from timeline.errors import ValidationError

if TYPE_CHECKING:
    from timeline.events import NewEvent

# The lengths of the events table's bounded text columns (timeline.schema).
ID_LENGTH = 36
TIMELINE_LENGTH = 64
KIND_LENGTH = 64
DATE_TEXT_LENGTH = 100
CONFIDENCE_LENGTH = 16
ORIGIN_LENGTH = 200
HASH_LENGTH = 64

# Integers are stored as 64-bit (stamps, instants) and read back by orjson, which refuses
# anything wider.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
INT32_MAX = 2**31 - 1
# A count of people or things in one event (fatalities, strength, materiel). No event
# counts a billion, and a billion events of a billion each still sum within 64 bits, so
# that every total an answer adds up is one the snapshots can store.
MAX_COUNT = 10**9

# How much of a value a message quotes, and how long one message line may grow: a garbage
# cell can be a megabyte, and it must not become a megabyte of error (or of rejects file).
VALUE_SHOWN = 80
MESSAGE_LENGTH = 400


def clip(text: str, limit: int = VALUE_SHOWN) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: Any) -> str:
    """A value as a message quotes it: its repr, shortened."""
    if isinstance(value, str):
        return repr(clip(value))
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        # repr() of an int of thousands of digits raises ValueError (the int-string limit).
        return f"<an integer of {value.bit_length()} bits>"
    return clip(repr_safe(value))


def repr_safe(value: Any) -> str:
    """repr() that never raises on the integers inside a value (Python's int-string limit)."""
    try:
        return repr(value)
    except ValueError:
        return f"<{type(value).__name__} holding a huge integer>"


def one_line(text: str, limit: int = MESSAGE_LENGTH) -> str:
    """A message as one line of at most `limit` characters, with no NUL byte."""
    if "\n" in text or "\r" in text:
        text = " ".join(text.split())
    return clip(text.replace("\x00", "\\x00"), limit)


def check_count(name: str, value: int) -> int:
    """A count of people or things: 0 to MAX_COUNT."""
    if not 0 <= value <= MAX_COUNT:
        raise ValidationError(
            f"{name}: {shown(value)} is out of range (0 to {MAX_COUNT:,})", field=name
        )
    return value


def check_int64(name: str, value: int | None) -> None:
    """An integer column's value (a source stamp): within 64 bits."""
    if value is not None and not INT64_MIN <= value <= INT64_MAX:
        raise ValidationError(f"{name}: {shown(value)} is out of range (64 bits)", field=name)


def check_text(name: str, value: str | None, length: int | None = None) -> None:
    """A text column's value: no NUL byte (PostgreSQL's text cannot hold one), and no longer
    than its column."""
    if value is None:
        return
    if "\x00" in value:
        raise ValidationError(f"{name}: {shown(value)} holds a NUL byte", field=name)
    if length is not None and len(value) > length:
        raise ValidationError(
            f"{name}: {shown(value)} is longer than {length} characters", field=name
        )


def check_event(event: NewEvent) -> None:
    """Raise ValidationError naming the first field of `event` a database would refuse or
    misread: a text too long for its column or holding a NUL byte, an integer beyond 64
    bits anywhere in its fields."""
    check_text("id", event.id, ID_LENGTH)
    check_text("timeline", event.timeline, TIMELINE_LENGTH)
    check_text("kind", event.kind, KIND_LENGTH)
    check_text("title", event.title)
    check_text("date", event.date.text, DATE_TEXT_LENGTH)
    check_text("confidence", event.confidence, CONFIDENCE_LENGTH)
    if event.origin is not None:
        check_text("origin", event.origin.key, ORIGIN_LENGTH)
        check_text("origin hash", event.origin.content_hash, HASH_LENGTH)
        check_int64("origin stamp", event.origin.stamp)
        if not 1 <= event.origin.version <= INT32_MAX:
            raise ValidationError(
                f"origin version: {shown(event.origin.version)} is out of range", field="origin"
            )
    _check_values("fields", event.fields)


def _check_values(name: str, value: Any) -> None:
    # JSON escapes control characters, so the fields' texts are stored whole; their integers
    # must fit the 64 bits the snapshots' JSON (orjson) reads and writes.
    # Exact types first: every event is checked when drafted and again when appended, and
    # an imported event's fields are mostly texts, lists of texts and small dicts, for which
    # isinstance(value, Mapping) (an ABC check) cost more than the rest of the walk.
    kind = type(value)
    if kind is str or kind is bool or kind is float or value is None:
        return
    if kind is int:
        if not INT64_MIN <= value <= INT64_MAX:
            check_int64(name, value)
        return
    if kind is list or kind is tuple:
        for item in value:
            if type(item) is not str:
                _check_values(name, item)
        return
    if kind is dict:
        for key, item in value.items():
            if type(item) is not str:
                _check_values(f"{name}.{key}" if name != "fields" else str(key), item)
        return
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        check_int64(name, value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_values(f"{name}.{key}" if name != "fields" else str(key), item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_values(name, item)
