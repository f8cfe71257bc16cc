"""Merging preference patches and bounding the free-form `extra` map."""

from __future__ import annotations

import pytest

from app.accounts.preferences import MAX_EXTRA_BYTES, PreferenceError, apply_patch, check_extra
from documents import Preferences, PriceRange, Style


def test_only_the_fields_in_the_patch_change() -> None:
    start = Preferences(styles=[Style.red], regions=["Bordeaux"], price_range=PriceRange(min_cents=1000))
    new = apply_patch(start, {"regions": ["Rioja"], "price_range": {"max_cents": 5000}})
    assert new.styles == [Style.red]
    assert new.regions == ["Rioja"]
    assert (new.price_range.min_cents, new.price_range.max_cents) == (1000, 5000)
    assert start.regions == ["Bordeaux"]


def test_a_bound_that_would_cross_the_stored_one_is_refused() -> None:
    start = Preferences(price_range=PriceRange(max_cents=5000))
    with pytest.raises(PreferenceError) as exc:
        apply_patch(start, {"price_range": {"min_cents": 9000}})
    assert exc.value.field == "price_range"


def test_extra_merges_by_key_and_null_removes_a_key() -> None:
    start = Preferences(extra={"food": "cheese", "glass": "tulip"})
    new = apply_patch(start, {"extra": {"glass": None, "decanting": True}})
    assert new.extra == {"food": "cheese", "decanting": True}


def test_dislikes_merge_field_by_field() -> None:
    start = apply_patch(Preferences(), {"dislikes": {"grapes": ["Merlot"]}})
    new = apply_patch(start, {"dislikes": {"wine_ids": ["w1"]}})
    assert new.dislikes.grapes == ["Merlot"] and new.dislikes.wine_ids == ["w1"]


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({f"k{i}": i for i in range(21)}, "extra"),
        ({"a": {"b": {"c": {"d": 1}}}}, "extra.a.b.c.d"),
        ({"x" * 41: 1}, "extra"),
        ({"$where": 1}, "extra"),
        ({"a.b": 1}, "extra"),
        ({"list": list(range(51))}, "extra.list"),
        ({"big": "x" * MAX_EXTRA_BYTES}, "extra"),
        ({"n": float("inf")}, "extra.n"),
    ],
)
def test_extra_past_any_bound_is_refused_naming_where(extra: dict[str, object], where: str) -> None:
    with pytest.raises(PreferenceError) as exc:
        check_extra(extra)
    assert exc.value.field == where


def test_extra_within_the_bounds_is_accepted() -> None:
    check_extra(
        {
            "food": {"likes": ["cheese", "oysters"], "avoid": None},
            "budget-note": "gifts",
            "n": 1.5,
            "deep": {"b": {"c": 1}},
        }
    )


def test_a_merge_that_grows_extra_past_its_bounds_is_refused() -> None:
    start = Preferences(extra={f"k{i}": i for i in range(20)})
    with pytest.raises(PreferenceError):
        apply_patch(start, {"extra": {"one_more": 1}})
