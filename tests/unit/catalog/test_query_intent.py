"""Reading price and style phrases out of the search box."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.catalog.query_intent import interpret
from app.catalog.search_service import SearchParams


@pytest.mark.parametrize(("q", "rest", "understood"), [
    ("red under 30", "", {"price_max": "30", "style": "red"}),
    ("crisp white wine below €12.50", "crisp", {"price_max": "12.50", "style": "white"}),
    ("rioja over 40 euros", "rioja", {"price_min": "40"}),
    ("sparkling between 20 and 35", "", {"price_min": "20", "price_max": "35", "style": "sparkling"}),
    ("red or white under 15", "red or white", {"price_max": "15"}),
])
def test_price_phrases_become_filters_and_bring_style_words_with_them(q: str, rest: str, understood: dict) -> None:
    params, read = interpret(SearchParams(q=q))
    assert read == understood
    assert params.q == rest
    assert params.price_max == (Decimal(understood["price_max"]) if "price_max" in understood else None)
    assert params.style == understood.get("style")


@pytest.mark.parametrize("q", ["red mountain cabernet", "white hall", "chateau margaux 2015", "under the volcano"])
def test_queries_without_a_price_phrase_are_searched_as_typed(q: str) -> None:
    params, read = interpret(SearchParams(q=q))
    assert read == {}
    assert params.q == q and params.style is None and params.price_max is None


def test_filters_the_shopper_set_win_over_words() -> None:
    params, read = interpret(SearchParams(q="red under 30", style="white", price_max=Decimal(20)))
    assert read == {}
    assert params.style == "white" and params.price_max == Decimal(20)
