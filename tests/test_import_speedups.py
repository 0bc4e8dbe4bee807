"""The shortcuts of the import path hold to the plain computations they replace."""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pendulum
import pytest

from timeline.choices import fold
from timeline.dates import OPEN_END, OPEN_START, to_micros
from timeline.entities import _fold
from timeline.errors import ValidationError
from timeline.events import ID_NAMESPACE, dumps_canonical, stable_id
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


def _json_module(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 3 and roll < 0.2:
        return {_random_text(rng): _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}
    if depth < 3 and roll < 0.35:
        items = [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
        return tuple(items) if rng.random() < 0.3 else items
    if roll < 0.6:
        return _random_text(rng)
    if roll < 0.75:
        return rng.choice([0, -1, 7, 2**63 - 1, -(2**63), 2**63, 2**64, -(2**70), 10**30])
    if roll < 0.85:
        return rng.choice([0.5, 1e16, 1e-5, 12.0001, -0.0, 1e300, 32.8872, float("inf")])
    return rng.choice([True, False, None])


def _random_text(rng: random.Random) -> str:
    alphabet = [
        lambda: chr(rng.randrange(0, 0x20)),
        lambda: chr(rng.randrange(0x20, 0x7F)),
        lambda: chr(rng.randrange(0x7F, 0x800)),
        lambda: chr(rng.choice([0x2028, 0x2029, 0xFEFF, 0xFFFF, 0xD800, 0xDFFF])),
        lambda: chr(rng.randrange(0x10000, 0x110000)),
        lambda: rng.choice(['"', "\\", "/", "\n", "\t"]),
    ]
    return "".join(rng.choice(alphabet)() for _ in range(rng.randrange(0, 8)))


def test_canonical_json_is_the_json_modules() -> None:
    rng = random.Random(3)
    for _ in range(5000):
        value = _random_value(rng)
        assert dumps_canonical(value) == _json_module(value)


@pytest.mark.parametrize(
    "value",
    [
        {"actors": ["a", "b"], "place": "tripoli", "fatalities": 3, "location": "Tripoli"},
        {"z": 1, "a": 2, "é": 3, "\uffff": 4, "\U0001f600": 5, "": 6, "A": 7},
        [{"name": "Reuters", "published": "2020-01-01"}],
        {"lat": 32.8872, "lon": 1e16},
        {1: "an integer key", 2: None},
        {1: "keys json cannot sort", "a": None},
        {"huge": 2**64, "text": "caf\u00e9\x00\x1f\u2028"},
        {"surrogate": "\ud800"},
        {"sub": _Int(5)},
        {"s": type("S", (str,), {})("a subclass")},
        [],
        {},
        "",
    ],
)
def test_canonical_json_of_edge_values(value: Any) -> None:
    def outcome(dumps: Any) -> str:
        try:
            return str(dumps(value))
        except TypeError as err:
            return f"TypeError: {err}"

    assert outcome(dumps_canonical) == outcome(_json_module)


def _micros_by_fields(instant: datetime) -> int:
    # to_micros as integer arithmetic on the fields, without the datetime subtraction.
    offset = instant.utcoffset()
    assert offset is not None
    days = instant.toordinal() - datetime(1970, 1, 1).toordinal()
    seconds = ((days * 24 + instant.hour) * 60 + instant.minute) * 60 + instant.second
    shift = (offset.days * 86_400 + offset.seconds) * 1_000_000 + offset.microseconds
    return seconds * 1_000_000 + instant.microsecond - shift


class _NoOffset(tzinfo):
    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_to_micros_agrees_with_the_field_arithmetic() -> None:
    rng = random.Random(9)
    zones = [
        UTC,
        ZoneInfo("Africa/Tripoli"),
        ZoneInfo("America/St_Johns"),
        ZoneInfo("Asia/Kathmandu"),
    ]
    zones += [timezone(timedelta(hours=14)), timezone(-timedelta(hours=12, minutes=30))]
    instants = [OPEN_START, OPEN_END, datetime(1, 1, 1, 12, tzinfo=timezone(timedelta(hours=5)))]
    for _ in range(3000):
        naive = datetime(1, 1, 1) + timedelta(
            microseconds=rng.randrange(0, 315_537_897_599_999_999)
        )
        instants.append(naive.replace(tzinfo=rng.choice(zones), fold=rng.randrange(2)))
    instants.append(pendulum.datetime(2020, 5, 27, tz="Africa/Tripoli"))
    for instant in instants:
        assert to_micros(instant) == _micros_by_fields(instant), instant


def test_to_micros_refuses_a_datetime_without_offset() -> None:
    for instant in (datetime(2020, 1, 1), datetime(2020, 1, 1, tzinfo=_NoOffset())):
        with pytest.raises(ValueError, match="naive"):
            to_micros(instant)
