"""The library speaks in values: its errors name the value and which argument carried it,
never a command-line flag; the CLI names its own parameter."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests import answering
from timeline import answers, api, lookups
from timeline.dates import parse_fuzzy, parse_instant
from timeline.errors import InvalidInput, NotFound, NoTimeline, TimelineError, UnknownEntity
from timeline.store.sql import SqlStore

LIBRARY = Path(__file__).resolve().parents[1] / "timeline"


def _messages(tree: ast.AST) -> list[tuple[int, str]]:
    """The literal text of every exception raised in a module."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            first = node.exc.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out.append((node.lineno, first.value))
            elif isinstance(first, ast.JoinedStr):
                text = "".join(
                    str(part.value) for part in first.values if isinstance(part, ast.Constant)
                )
                out.append((node.lineno, text))
    return out


@pytest.mark.parametrize(
    "path", sorted(LIBRARY.rglob("*.py")), ids=lambda p: str(p.relative_to(LIBRARY))
)
def test_no_library_error_names_a_command_line_flag(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    flagged = [(line, text) for line, text in _messages(tree) if text.lstrip().startswith("--")]
    assert not flagged, f"{path.name}: {flagged}"


def test_errors_name_the_value_and_the_argument(libya_store: SqlStore) -> None:
    info = libya_store.catalog.get("libya")
    with pytest.raises(NotFound) as missing:
        lookups.pick_timeline(libya_store, "syria")
    assert missing.value.subject == "timeline"
    assert "'syria'" in str(missing.value)
    assert "libya" in str(missing.value)

    with pytest.raises(InvalidInput) as section:
        answering.state_at(libya_store, info, "2020", sections=["weather"])
    assert section.value.subject == "section"
    assert str(section.value).startswith("'weather' is not one of")

    with pytest.raises(UnknownEntity) as entity:
        answering.state_at(libya_store, info, "2020", entities=["Wagnr"])
    assert entity.value.subject == "entity"
    assert "closest: wagner" in str(entity.value)

    with pytest.raises(InvalidInput) as between:
        api.list_events(
            libya_store,
            info,
            between=(parse_fuzzy("2020-06", info.zone), parse_fuzzy("2020-01", info.zone)),
        )
    assert between.value.subject == "between"
    assert str(between.value) == "'2020-01' ends before '2020-06' starts"

    with pytest.raises(InvalidInput) as kind:
        api.list_events(libya_store, info, kinds=["weather.changed"])
    assert kind.value.subject == "kind"

    with pytest.raises(InvalidInput) as order:
        answers.diff_between(
            libya_store,
            info,
            parse_instant("2020-06", info.zone),
            parse_instant("2020-01", info.zone),
        )
    assert order.value.subject == "second"


def test_an_empty_database_has_no_timeline_to_pick(store: SqlStore) -> None:
    with pytest.raises(NoTimeline) as caught:
        lookups.pick_timeline(store, None)
    assert str(caught.value) == "the database has no timeline yet"
    assert isinstance(caught.value, TimelineError)
    assert caught.value.exit_code == 2
