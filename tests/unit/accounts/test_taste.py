"""Which source may set a taste axis."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.accounts.taste import apply_axes
from documents import TasteAxis, TasteProfile

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def profile(**axes: tuple[float, str]) -> TasteProfile:
    return TasteProfile(**{k: TasteAxis(value=v, source=s, updated_at=NOW) for k, (v, s) in axes.items()})


def test_the_quiz_fills_empty_axes_and_keeps_stated_ones() -> None:
    change = apply_axes(profile(sweetness=(0.2, "stated")), {"sweetness": 0.9, "body": 0.6}, "quiz", NOW)
    assert change.applied == ["body"] and change.kept_stated == ["sweetness"]
    assert change.profile.sweetness.value == 0.2 and change.profile.sweetness.source == "stated"
    assert change.profile.body.value == 0.6 and change.profile.body.source == "quiz"


def test_retaking_the_quiz_with_override_replaces_stated_axes() -> None:
    change = apply_axes(profile(sweetness=(0.2, "stated")), {"sweetness": 0.9}, "quiz", NOW, override_stated=True)
    assert change.profile.sweetness.value == 0.9 and change.profile.sweetness.source == "quiz"


def test_learning_replaces_quiz_and_learned_axes_but_never_stated_ones() -> None:
    start = profile(sweetness=(0.2, "stated"), body=(0.5, "quiz"), tannin=(0.3, "learned"))
    change = apply_axes(start, {"sweetness": 0.8, "body": 0.7, "tannin": 0.4}, "learned", NOW)
    assert change.kept_stated == ["sweetness"]
    assert (change.profile.body.value, change.profile.body.source) == (0.7, "learned")
    assert change.profile.tannin.value == 0.4
    assert start.body.value == 0.5  # the input is not changed


def test_stating_replaces_any_source_and_none_clears_an_axis() -> None:
    change = apply_axes(profile(body=(0.5, "learned"), fizz=(0.9, "quiz")), {"body": 0.1, "fizz": None}, "stated", NOW)
    assert (change.profile.body.value, change.profile.body.source) == (0.1, "stated")
    assert change.profile.fizz is None


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        ({"umami": 0.5}, "unknown taste axis"),
        ({"body": 1.5}, "between 0 and 1"),
        ({"body": -0.1}, "between 0 and 1"),
        ({"body": float("nan")}, "between 0 and 1"),
    ],
)
def test_unknown_axes_and_values_outside_zero_to_one_are_refused(axes: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        apply_axes(TasteProfile(), axes, "learned", NOW)
