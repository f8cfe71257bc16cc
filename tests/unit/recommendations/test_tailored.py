"""Tailored notes in words: comparisons of taste structures and foods matched to a wine's pairings."""

from __future__ import annotations

from app.recommendations.surfaces.tailored import briefly, compare, food_matches

WINE = {"sweetness": 0.05, "acidity": 0.6, "tannin": 0.3, "body": 0.4, "fizz": 0.0}


def test_the_largest_gaps_are_named_first_and_close_axes_after() -> None:
    usual = {"sweetness": 0.05, "acidity": 0.5, "tannin": 0.85, "body": 0.6, "fizz": 0.0}
    assert compare(WINE, usual, "what you usually buy") == (
        "Much less tannic and lighter than what you usually buy; close on acidity, sweetness and bubbles."
    )


def test_opposite_references_read_as_opposite_words() -> None:
    light = {"body": 0.1, "tannin": 0.05}
    heavy = {"body": 0.9, "tannin": 0.9}
    assert compare(WINE, light, "your taste profile") == "Fuller-bodied and more tannic than your taste profile."
    assert compare(WINE, heavy, "your taste profile") == "Much less tannic and much lighter than your taste profile."


def test_only_the_axes_the_reference_has_are_compared() -> None:
    assert compare(WINE, {"acidity": 0.62}, "your taste profile") == "Close to your taste profile on acidity."
    assert compare(WINE, {}, "your taste profile") is None


def test_a_food_counts_only_when_the_wine_lists_a_pairing_it_calls_for() -> None:
    pairings = ["Beef", "Lamb", "Maturated Cheese"]
    found = food_matches(["ribeye", "sushi", "aged cheddar", "moussaka"], pairings)
    assert [(f.food, f.pairings) for f in found] == [
        ("ribeye", ["Beef"]),
        ("aged cheddar", ["Maturated Cheese"]),
        ("moussaka", ["Lamb"]),
    ]


def test_a_card_names_at_most_the_two_largest_gaps_and_no_close_axes() -> None:
    usual = {"sweetness": 0.5, "acidity": 0.5, "tannin": 0.85, "body": 0.6, "fizz": 0.0}
    assert (
        briefly(WINE, usual, "what you usually buy") == "much less tannic and much drier than what you usually buy"
    )  # not "lighter"
    assert briefly(WINE, {"acidity": 0.62}, "your taste profile") == "close to your taste profile"
    assert briefly(WINE, {}, "your taste profile") is None
