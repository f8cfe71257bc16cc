"""Reading what a shopper means out of the search box: known words become filters, the rest stays text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.catalog.query_intent import apply, read, relaxations
from app.catalog.search_service import SearchParams


@pytest.mark.parametrize(
    ("q", "understood", "rest"),
    [
        ("red under 30", {"price_max": "30", "style": "red"}, []),
        ("crisp white wine below €12.50", {"price_max": "12.50", "style": "white", "taste": "high acidity"}, []),
        ("rioja over 40 euros", {"price_min": "40", "region": "Rioja"}, []),
        ("sparkling between 20 and 35", {"price_min": "20", "price_max": "35", "style": "sparkling"}, []),
        ("something to go with a ribeye", {"pairing": "Beef, Barbecue"}, []),
        ("bottle for grilled mackerel", {"pairing": "Rich Fish"}, []),
        ("aussie shiraz", {"country": "Australia", "grape": "Syrah"}, []),
        ("red from the USA", {"country": "United States", "style": "red"}, []),
        ("heavy red from spain", {"country": "Spain", "style": "red", "taste": "full-bodied"}, []),
        (
            "kiwi savvy b 10-15",
            {"country": "New Zealand", "grape": "Sauvignon Blanc", "price_min": "10", "price_max": "15"},
            [],
        ),
        ("wine for rabbit stew", {"pairing": "Game Meat"}, []),
        ("roast turkey", {"pairing": "Poultry, Chicken"}, []),
        ("vegan red", {"dietary": "vegan", "style": "red"}, []),
        ("domaine leflaive", {}, ["domaine", "leflaive"]),
    ],
)
def test_known_words_become_readings_and_the_rest_stays_text(q: str, understood: dict, rest: list) -> None:
    intent = read(q)
    assert intent.understood() == understood
    assert intent.text == rest


@pytest.mark.parametrize(
    ("q", "low", "high"),
    [
        ("under €20", None, "20"),
        ("less than 12", None, "12"),
        ("$15 or less", None, "15"),
        ("10-20", "10", "20"),
        ("around 30", "24", "36"),
        ("20 euros", "16", "24"),
        ("from 25 to 40", "25", "40"),
        ("over 50", "50", None),
    ],
)
def test_price_phrases_in_every_common_form(q: str, low: str | None, high: str | None) -> None:
    intent = read(f"red {q}")
    assert (intent.price_min, intent.price_max) == (
        None if low is None else Decimal(low),
        None if high is None else Decimal(high),
    )


def test_a_year_is_not_read_as_a_price() -> None:
    assert read("margaux 2015").price_max is None


def test_filters_the_shopper_set_win_over_words() -> None:
    params = apply(SearchParams(q="red under 30", style="white", price_max=Decimal(20)), read("red under 30"))
    assert params.style == "white" and params.price_max == Decimal(20)


def test_readings_become_filters_and_relax_in_order() -> None:
    intent = read("full-bodied tuscan red for lamb under 25 estate")
    params = apply(SearchParams(q="x"), intent)
    assert params.q == "estate" and params.style == "red" and params.price_max == Decimal(25)
    assert "Chianti Classico" in params.regions and params.pairings == ["Lamb"]
    assert params.taste == {"body": (0.6, 1.0)}
    assert relaxations(intent) == ["text", "taste", "region", "pairing", "price", "style"]
    relaxed = apply(SearchParams(), intent, frozenset({"text", "taste", "region"}))
    assert relaxed.q == "" and relaxed.taste == {} and relaxed.regions == [] and relaxed.pairings == ["Lamb"]
