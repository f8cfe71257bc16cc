"""Wine-aware analysis: folding, query clauses with grape synonyms, typo allowances, edit distances."""

from __future__ import annotations

import pytest

from search.analysis import (
    as_vintage,
    best_correction,
    fold,
    fuzziness,
    levenshtein,
    min_should_match,
    parse,
    prefix_distance,
    words,
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Château", "chateau"),
        ("CÔTE-RÔTIE", "côte-rôtie".replace("ô", "o")),
        ("Weißburgunder", "weissburgunder"),
        ("Œil de Perdrix", "oeil de perdrix"),
        ("Blaufränkisch", "blaufrankisch"),
        ("plain", "plain"),
    ],
)
def test_fold_lowercases_and_strips_accents(text: str, folded: str):
    assert fold(text) == folded


def test_words_split_on_anything_but_letters_and_digits():
    assert words("Muscat/Moscato, d'Arenberg 2015 — Côte_Rôtie") == [
        "muscat",
        "moscato",
        "d",
        "arenberg",
        "2015",
        "cote",
        "rotie",
    ]


def test_parse_groups_grape_synonyms_longest_first():
    clauses = parse("Pinot Grigio from Alto Adige")

    assert clauses[0].alternatives[:3] == (("pinot", "grigio"), ("pinot", "gris"), ("grauburgunder",))
    assert [c.words for c in clauses[1:]] == [("from",), ("alto",), ("adige",)]


def test_parse_expands_single_word_synonyms_and_drops_stop_words():
    clauses = parse("a Shiraz with the wine")

    assert len(clauses) == 1
    assert set(clauses[0].alternatives) == {("shiraz",), ("syrah",)}


def test_parse_keeps_stop_words_when_nothing_else_is_left():
    assert [c.words for c in parse("the wine")] == [("the",), ("wine",)]


@pytest.mark.parametrize(
    ("word", "allowed"), [("pin", 0), ("2015", 0), ("noir", 1), ("merlott", 1), ("cabernay", 2), ("sauvignon", 2)]
)
def test_fuzziness_grows_with_word_length(word: str, allowed: int):
    assert fuzziness(word) == allowed


@pytest.mark.parametrize(("clauses", "required"), [(1, 1), (2, 2), (3, 3), (4, 3), (8, 6)])
def test_min_should_match_lets_long_queries_miss_a_quarter(clauses: int, required: int):
    assert min_should_match(clauses) == required


@pytest.mark.parametrize(
    ("a", "b", "limit", "expected"),
    [
        ("cabernay", "cabernet", 2, 2),
        ("merlot", "merlot", 1, 0),
        ("syrha", "syrah", 1, 1),
        ("rizling", "riesling", 2, 2),
        ("rizling", "riesling", 1, 2),
        ("abc", "xyz", 1, 2),
        ("", "ab", 2, 2),
    ],
)
def test_levenshtein_counts_transpositions_once_and_caps_at_limit_plus_one(a: str, b: str, limit: int, expected: int):
    assert levenshtein(a, b, limit) == expected


@pytest.mark.parametrize(
    ("prefix", "word", "limit", "expected"),
    [
        ("cab", "cabernet", 1, 0),
        ("cabr", "cabernet", 1, 1),
        ("cabernay", "cabernet", 2, 2),
        ("xab", "cabernet", 1, 1),
        ("zzz", "cabernet", 1, 2),
        ("shri", "shiraz", 1, 1),
        ("cabz", "cab", 1, 1),
    ],
)
def test_prefix_distance_is_the_distance_to_the_closest_beginning(prefix: str, word: str, limit: int, expected: int):
    assert prefix_distance(prefix, word, limit) == expected


def test_only_plausible_years_are_vintages():
    assert as_vintage("2015") == 2015
    assert as_vintage("750") is None and as_vintage("3000") is None and as_vintage("cab") is None


def test_best_correction_prefers_the_closest_then_the_most_frequent_word():
    assert best_correction("rizling", [("riesling", 3), ("rising", 1), ("rizling", 1)]) == "riesling"
    assert best_correction("malbek", [("malbec", 2), ("malbeck", 40)]) == "malbeck"
    assert best_correction("malbek", [("merlot", 99)]) is None
    assert best_correction("pin", [("pinot", 99)]) is None  # too short to correct safely
