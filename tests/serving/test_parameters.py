"""Reading query parameters (pure): cursors that round-trip, tokens that are refused cleanly,
and questions that are the same whatever the order of their parameters."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from timeline.dates import OPEN_END, UTC, from_micros, to_micros
from timeline.serving.parameters import BadParameter, Cursor, Query

MICROS = st.integers(
    min_value=to_micros(datetime(1, 1, 2, tzinfo=UTC)), max_value=to_micros(OPEN_END)
)


@given(
    known=st.none() | MICROS.map(from_micros),
    valid_from=MICROS,
    valid_to=MICROS,
    seq=st.integers(min_value=0, max_value=2**53),
)
def test_a_cursor_reads_back_as_it_was_written(
    known: datetime | None, valid_from: int, valid_to: int, seq: int
) -> None:
    cursor = Cursor(known, valid_from, valid_to, seq)
    token = cursor.encode()
    assert token.isascii()
    assert "=" not in token
    assert Cursor.decode(token) == cursor


@given(token=st.text(max_size=60))
def test_any_other_token_is_a_bad_cursor(token: str) -> None:
    with pytest.raises(BadParameter) as refused:
        Cursor.decode(token)
    assert (refused.value.parameter, refused.value.value) == ("cursor", token)


@pytest.mark.parametrize(
    "token",
    ["WzEsMiwzXQ", "WyJ4IiwxLDIsM10", "W251bGwsMSwyLDMuNV0", "W251bGwsMSwyLHRydWVd"],
    ids=["three numbers", "a string", "a float", "a boolean"],
)
def test_well_formed_json_that_is_not_a_cursor_is_refused(token: str) -> None:
    with pytest.raises(BadParameter, match="is not a cursor"):
        Cursor.decode(token)


@given(
    items=st.lists(
        st.tuples(st.sampled_from(["date", "entity", "section"]), st.text(max_size=5)),
        max_size=6,
    ),
    data=st.data(),
)
def test_the_same_parameters_in_another_order_are_the_same_question(
    items: list[tuple[str, str]], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(items))
    allowed = ("date", "entity", "section")
    first, second = Query(items, allowed), Query(shuffled, allowed)
    # Repeated values keep their order within a parameter, so compare the sorted key's names.
    assert [name for name, _ in first.canonical()] == [name for name, _ in second.canonical()]
    for name in allowed:
        assert sorted(first.values(name)) == sorted(second.values(name))


def test_which_value_an_error_is_about() -> None:
    query = Query([("entity", "lna"), ("entity", "Atlantis")], ("entity",))
    assert query.value_in("entity", "unknown actor or place 'Atlantis'") == "Atlantis"
    assert query.value_in("entity", "something else") == "lna"
    assert query.value_in("missing", "anything") is None
