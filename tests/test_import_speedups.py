"""The shortcuts of the import path hold to the plain computations they replace."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from timeline.choices import fold
from timeline.entities import _fold
from timeline.errors import ValidationError
from timeline.events import ID_NAMESPACE, stable_id
from timeline.limits import INT64_MAX, _check_values, check_int64


@pytest.mark.parametrize(
    ("timeline", "key"),
    [
        ("libya", "acled:LBY1"),
        ("t", ""),
        ("libya", "acled:LBY9289#2"),
        ("Ünïcode", "clé:été\u2028\x1f"),
        ("x" * 64, "k" * 300),
        ("bench", "slug:misrata-front"),
    ],
)
def test_stable_id_is_uuid5(timeline: str, key: str) -> None:
    assert stable_id(timeline, key) == str(uuid.uuid5(ID_NAMESPACE, f"{timeline}\x1f{key}"))


def test_stable_id_is_uuid5_for_random_keys() -> None:
    rng = random.Random(5)
    for _ in range(2000):
        key = "".join(
            chr(rng.choice([rng.randrange(32, 127), rng.randrange(160, 0x2FFF)]))
            for _ in range(rng.randrange(0, 40))
        )
        assert stable_id("t", key) == str(uuid.uuid5(ID_NAMESPACE, f"t\x1f{key}"))


def test_stable_id_refuses_a_lone_surrogate_as_uuid5_does() -> None:
    with pytest.raises(UnicodeEncodeError):
        uuid.uuid5(ID_NAMESPACE, "t\x1f\ud800")
    with pytest.raises(UnicodeEncodeError):
        stable_id("t", "\ud800")


def _reference(name: str, value: Any) -> None:
    # The walk before its exact-type shortcuts.
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        check_int64(name, value)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _reference(f"{name}.{key}" if name != "fields" else str(key), item)
    elif isinstance(value, list | tuple):
        for item in value:
            _reference(name, item)


class _Int(int):
    pass


class _Frozen(Mapping[str, Any]):
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Any:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@pytest.mark.parametrize(
    "fields",
    [
        {"actors": ["a", "b"], "place": "p", "fatalities": 3},
        {"n": INT64_MAX + 1},
        {"n": -(2**63) - 1},
        {"nested": {"deep": [1, 2, {"x": 2**70}]}},
        {"list": ["a", 2**64]},
        {"tuple": ("a", (1, 2**65))},
        {"flag": True, "f": 1.5, "none": None},
        {"sub": _Int(2**63)},
        {"mapping": _Frozen({"k": 2**64})},
        {"mapping": _Frozen({"k": [_Frozen({"j": 2**64})]})},
        {"big": [{"a": "b", "c": [1, 2, 3]}] * 5 + [{"z": {"y": 2**66}}]},
        {"record": {"event_id_cnty": "LBY1", "fatalities": "3"}},
    ],
)
def test_check_values_agrees_with_the_plain_walk(fields: dict[str, Any]) -> None:
    def outcome(check: Any) -> str | None:
        try:
            check("fields", fields)
        except ValidationError as err:
            return f"{err} [{err.field}]"
        return None

    assert outcome(_check_values) == outcome(_reference)


def test_cached_fold_is_fold() -> None:
    for name in ("Al Watiya", "al-watiya", "ALWATIYA", "Misrāta", "Ǆemal", "ﬁeld", ""):
        assert _fold(name) == fold(name)
        assert _fold(name) == fold(name)  # and again, from the cache
