"""`json_copy`: a deep copy of JSON-shaped data, whatever path it takes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.projections.basis import _copied, json_copy

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)
# What orjson would not read back as it was: the copy is made object by object instead.
ODD = (
    st.integers(min_value=2**64)
    | st.just("\ud800 lone surrogate")
    | st.just(datetime(2020, 5, 18, tzinfo=UTC))
    | st.builds(lambda n: {n: "an integer key"}, st.integers())
)


def containers(value: Any) -> list[int]:
    """The ids of every dict and list in `value`."""
    if isinstance(value, dict):
        return [id(value), *(i for v in value.values() for i in containers(v))]
    if isinstance(value, list):
        return [id(value), *(i for v in value for i in containers(v))]
    return []


@given(JSON)
def test_a_copy_equals_the_original_and_shares_none_of_its_containers(value: Any) -> None:
    copied = json_copy(value)
    assert copied == _copied(value)
    assert type(copied) is type(_copied(value))
    assert not set(containers(copied)) & set(containers(value))


@given(st.lists(JSON | ODD, min_size=1, max_size=4))
def test_data_orjson_would_change_is_copied_object_by_object(values: list[Any]) -> None:
    copied = json_copy({"values": values})
    assert copied == {"values": _copied(values)}


def test_a_float_keeps_its_exact_value_and_a_bool_stays_a_bool() -> None:
    value = {"a": [1e-05, -0.0, 0.1 + 0.2, True, 1, 2**63]}
    copied = json_copy(value)
    assert copied == value
    assert [type(v) for v in copied["a"]] == [float, float, float, bool, int, int]
    assert str(copied["a"][1]) == "-0.0"


def test_plain_json_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(value: Any) -> Any:
        raise AssertionError(f"copied object by object: {value!r}")

    monkeypatch.setattr("timeline.projections.basis._copied", refuse)
    value = {"control": {"tripoli": {"by": "gna", "since": [2019, "04"], "n": 1.5}}, "x": None}
    assert json_copy(value) == value
