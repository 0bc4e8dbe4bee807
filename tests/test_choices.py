"""How names compare: `choices.fold`, whose ASCII shortcut must agree with the general rule."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from timeline.choices import _fold_unicode, fold, match


@given(st.text())
def test_the_shortcut_folds_as_the_general_rule(text: str) -> None:
    assert fold(text) == _fold_unicode(text)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_names_fold_as_the_general_rule(text: str) -> None:
    assert fold(text) == _fold_unicode(text)


def test_spellings_of_one_name_fold_alike() -> None:
    assert fold("Al Watiya") == fold("al-watiya") == fold("ALWATIYA") == fold("al_Watiya")
    assert fold("Misrāta") == fold("Misrata")
    assert fold("Ṭarābulus") == fold("Tarabulus")
    assert match("Al-Watiya", ("misrata", "al watiya")) == "al watiya"
