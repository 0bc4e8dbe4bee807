"""Text from the database made safe to print: control characters shown, never obeyed.

Names, titles and fields come from imports and documents that anyone may have written. A title
holding ESC [2J clears the reader's screen, an OSC sequence retitles the window or plants a
link (OSC 8), a C1 control does the same in one byte on some terminals, and U+202E turns the
rest of a line around. Every text output (briefings, Markdown, tables, CSV, `show`, `diff`,
`history`) passes what it prints from the data through `visible`, which writes each such
character as the escape Python would (`\\x1b`, `\\u202e`); JSON escapes them its own way
(`json_visible`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# C0 controls and DEL, C1 controls, and the invisible marks that reorder or hide text
# (bidirectional embeddings, overrides and isolates, zero-width joiners and the BOM).
_CONTROLS = [
    *range(0x20),
    0x7F,
    *range(0x80, 0xA0),
    0x061C,
    *range(0x200B, 0x2010),
    *range(0x2028, 0x202F),
    *range(0x2060, 0x2070),
    0xFEFF,
]
_TEXT = {code: (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}") for code in _CONTROLS}
# JSON needs only the C0 controls escaped and does that itself; the rest are escaped too so
# that a terminal showing JSON obeys none of them.
_JSON = {code: f"\\u{code:04x}" for code in _CONTROLS if code >= 0x7F}
# Every character above is one `str.isprintable` calls unprintable (controls, format marks,
# line and paragraph separators), so a printable text holds none and is returned as it is:
# the test costs a twentieth of `translate` on a title (tests/test_cli_escapes.py checks the
# premise for every character).


def visible(text: str) -> str:
    """`text` with every control character written as its escape (`\\x1b`, `\\u202e`)."""
    return text if text.isprintable() else text.translate(_TEXT)


def visible_all(value: Any) -> Any:
    """`value` (strings, lists and mappings of them) with `visible` applied to every string,
    keys included."""
    if isinstance(value, str):
        return value if value.isprintable() else value.translate(_TEXT)
    if isinstance(value, Mapping):
        return {visible_all(k): visible_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [visible_all(v) for v in value]
    return value


def json_visible(text: str) -> str:
    """JSON text with the controls JSON leaves as they are (DEL, C1, bidi marks) escaped."""
    return text if text.isprintable() else text.translate(_JSON)
