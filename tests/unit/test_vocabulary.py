"""The one wine vocabulary: folding, grapes and their slash spellings, places, food, prices."""

from __future__ import annotations

import vocabulary as v


def test_folding_is_one_rule_everywhere() -> None:
    assert v.fold("Château") == "chateau"
    assert v.fold_key("Saint-Émilion") == "saint emilion"
    assert v.words("Syrah/Shiraz") == ["syrah", "shiraz"]


def test_grapes_know_synonyms_shorthand_and_xwines_slash_spellings() -> None:
    assert v.find_grape("Syrah/Shiraz") == v.find_grape("shiraz") == "Syrah"
    assert v.find_grape("côt") == "Malbec"
    assert v.find_grape("cab sauv") == "Cabernet Sauvignon"
    assert v.find_grape("Bobal") is None
    assert v.grape_group("Syrah/Shiraz") == v.grape_group("shiraz") == v.grape_group("Syrah") == "Syrah"
    assert v.grape_group("Tinta Roriz") == "Tempranillo"
    assert v.grape_group(" Bobal ") == "Bobal"  # unknown vines stand for themselves
    assert not any("cab" in group for group in v.synonym_groups())  # shorthand is never a two-way synonym


def test_countries_answer_to_adjectives_demonyms_and_short_names() -> None:
    for word, country in [
        ("USA", "United States"),
        ("aussie", "Australia"),
        ("spanish", "Spain"),
        ("argentinian", "Argentina"),
        ("kiwi", "New Zealand"),
        ("Deutschland", "Germany"),
    ]:
        assert v.find_country(word) == country
    assert {"USA", "United States", "usa"} <= set(v.country_spellings("USA"))


def test_regions_cover_their_sub_regions() -> None:
    name, covers = v.find_region("tuscan")
    assert name == "Toscana" and "Brunello di Montalcino" in covers
    assert v.find_region("burgundy")[0] == "Bourgogne"


def test_food_words_map_to_xwines_pairing_categories() -> None:
    assert "Beef" in v.find_food("brisket")
    assert v.find_food("oysters") == ("Shellfish", "Seafood")
    assert "Game Meat" in v.find_food("wild boar") and "Poultry" in v.find_food("duck")
    assert "Spicy Food" in v.find_food("thai") and "Pasta" in v.find_food("lasagne")
    assert "Hard Cheese" in v.find_food("manchego") and "Fruit Dessert" in v.find_food("apple tart")
    assert set(v.PAIRING_CATEGORIES) <= {
        "Beef",
        "Lamb",
        "Poultry",
        "Game Meat",
        "Pork",
        "Shellfish",
        "Veal",
        "Vegetarian",
        "Rich Fish",
        "Pasta",
        "Spicy Food",
        "Maturated Cheese",
        "Hard Cheese",
        "Cured Meat",
        "Appetizer",
        "Snack",
        "Soft Cheese",
        "Lean Fish",
        "Sweet Dessert",
        "Goat Cheese",
        "Blue Cheese",
        "Fruit Dessert",
        "Mushrooms",
        "Salad",
        "Fruit",
        "Seafood",
        "Chicken",
        "Cake",
        "Fish",
        "Aperitif",
        "Pizza",
        "Cheese",
        "Ham",
        "Chocolate",
        "Tomato Dishes",
        "Barbecue",
        "Risotto",
        "Light Stews",
        "Cold Cuts",
        "Codfish",
        "Dessert",
        "French Fries",
        "Duck",
    }


def test_taste_words_read_as_ranges() -> None:
    assert (v.TASTES["big"].axis, v.TASTES["big"].low) == ("body", 0.6)
    assert v.TASTES["off dry"].axis == "sweetness" and v.TASTES["zesty"].axis == "acidity"
