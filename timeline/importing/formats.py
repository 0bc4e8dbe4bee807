"""The registry of the formats `timeline import` reads, keyed by each format's name, and the
detection that tells a source's format from its first bytes.

A new format is one module declaring it (a `Parser` for a dataset, like
`timeline.importers.acled`, or a native document format) and one line in `REGISTRY`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeGuard

from timeline.errors import InvalidInput
from timeline.importers.acled import AcledParser
from timeline.importers.sources import Format, Parser, read_head
from timeline.importers.ucdp import UcdpParser
from timeline.importing.native import JsonLines, YamlDocuments
from timeline.importing.sources import (
    api_format,
    display_name,
    expand_sources,
    is_api_url,
    is_local,
    open_source,
)

REGISTRY: dict[str, Format] = {
    f.format: f for f in (AcledParser(), UcdpParser(), JsonLines(), YamlDocuments())
}
FORMATS = tuple(REGISTRY)
# The datasets with a paged JSON API: an http(s) URL whose path has /api/ is read through
# it (UCDP's /api/gedevents/..., ACLED's any other).
API_FORMATS = ("acled", "ucdp")


def is_dataset(fmt: Format) -> TypeGuard[Parser]:
    """Whether a format holds a dataset's rows, which its `Parser` maps to events."""
    return fmt.dataset


def format_named(name: str) -> Format:
    """The registered format of this name."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise InvalidInput(f"{name!r} is not one of {', '.join(FORMATS)}", subject="fmt") from None


def detected(head: bytes) -> list[Format]:
    """The formats that recognise a source from its first bytes (usually one, or none)."""
    return [fmt for fmt in REGISTRY.values() if fmt.detect(head)]


def resolve(source: str, head: bytes, given: Format | None) -> Format:
    """The format of the source `source` whose first bytes are `head`.

    A format given is checked: a source another format recognises is refused, before any
    record is read. A source no format recognises is left to the format given, whose parser
    says what is wrong with it (empty, binary, a column missing); without one, it is refused.
    """
    found = detected(head)
    names = " or ".join(fmt.format for fmt in found)
    if given is not None:
        if found and given not in found:
            raise InvalidInput(f"{source} looks like {names}, not {given.format}", subject="fmt")
        if not found and not is_dataset(given) and not given.detect(head):
            # A native document whose shape is not the format's at all (a CSV given as
            # jsonl): refused as a whole, rather than every line rejected one by one.
            shape = looks_like(head)
            if shape is not None:
                what, hint = shape
                raise InvalidInput(
                    f"{source} looks like {what}, not {given.format}{hint}", subject="fmt"
                )
        return given
    if len(found) == 1:
        return found[0]
    if found:
        reason = f"it could be {names}"
    elif not head.strip(b" \t\r\n\xef\xbb\xbf"):
        reason = "it is empty"
    else:
        reason = "no format recognises its first bytes"
    raise InvalidInput(
        f"{source}: cannot tell its format ({reason}); it must be one of {', '.join(FORMATS)}",
        subject="fmt",
    )


def looks_like(head: bytes) -> tuple[str, str] | None:
    """What a source no format recognises seems to hold, from its first line ("CSV", "a
    JSON array", "HTML or XML", "plain text"), with a hint of what to do; None
    when it could be a damaged native document (its first line opens a JSON object or a
    YAML list or mapping), whose documents are then checked one by one."""
    if b"\x00" in head:
        return None  # the format's reader says what is wrong with it (binary, not UTF-8)
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    first = lines[0]
    if first.startswith(("{", "-", "#", "%")) or re.match(r"[\w\"' .-]+:", first):
        return None
    if first.startswith("["):
        return "a JSON array", "; JSON Lines holds one JSON object per line"
    if first.startswith("<"):
        return "HTML or XML", ""
    if max(first.count(","), first.count(";"), first.count("\t")) >= 2:
        return "CSV", "; a dataset's CSV is --format acled or ucdp (or leave --format out)"
    return "plain text", ""


@dataclass(frozen=True, slots=True)
class PlannedSource:
    """A source to import, and its format when known before it is opened.

    Files are detected when planned, so that a wrong one among many is refused before
    anything is written; stdin and URLs can be read once only, and are detected when opened
    (`format` is then the one given, or None). `api`: read through the dataset's API.
    """

    spec: str
    format: Format | None
    api: bool = False


def plan_sources(specs: Sequence[str], fmt: str | None) -> list[PlannedSource]:
    """Expand SOURCE arguments and settle the format of each file, reading its first bytes;
    raises before anything is written when a source is missing or of another format."""
    given = format_named(fmt) if fmt is not None else None
    if given is not None:
        extensions: Sequence[str] = given.extensions
    else:
        extensions = list(dict.fromkeys(e for f in REGISTRY.values() for e in f.extensions))
    planned: list[PlannedSource] = []
    for spec in expand_sources(specs, extensions):
        if is_api_url(spec) and (given is None or given.format in API_FORMATS):
            name = given.format if given is not None else api_format(spec)
            planned.append(PlannedSource(spec, REGISTRY[name], api=True))
        elif is_local(spec):
            with open_source(spec) as stream:
                head = read_head(stream, spec)
            planned.append(PlannedSource(spec, resolve(display_name(spec), head, given)))
        else:
            planned.append(PlannedSource(spec, given))
    return planned
