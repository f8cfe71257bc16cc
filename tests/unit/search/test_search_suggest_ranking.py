"""Ranking of as-you-type suggestions, shared by both engines."""

from __future__ import annotations

from search.suggest import Candidate, distance, engine_words, rank


def test_distance_requires_whole_words_and_a_prefix_for_the_last():
    assert distance(["napa", "val"], "Napa Valley") == 0
    assert distance(["vall"], "Napa Valley") == 0
    assert distance(["napa"], "Sonoma Valley") is None
    assert distance(["cabernay"], "Cabernet Sauvignon") == 2
    assert distance(["cabernet", "x"], "Cabernet Sauvignon") is None


def test_exact_prefixes_come_before_typos_and_kinds_take_turns():
    ranked = rank(
        "cabern",
        [
            Candidate("Cabernet Sauvignon", "grape", 900),
            Candidate("Cabernet Franc", "grape", 300),
            Candidate("Cabernet Reserve", "wine", 12, "w1"),
            Candidate("Cabrenet Estate", "winery", 5),  # one edit away: after every exact match
        ],
    )

    assert [(s.text, s.kind) for s in ranked] == [
        ("Cabernet Sauvignon", "grape"),
        ("Cabernet Reserve", "wine"),
        ("Cabernet Franc", "grape"),
        ("Cabrenet Estate", "winery"),
    ]
    assert ranked[1].wine_id == "w1"


def test_duplicates_keep_the_more_popular_and_non_matches_are_dropped():
    ranked = rank(
        "mer",
        [Candidate("Merlot", "grape", 3), Candidate("merlot", "grape", 10), Candidate("Chardonnay", "grape", 99)],
        limit=8,
    )

    assert [(s.text, s.kind) for s in ranked] == [("merlot", "grape")]


def test_limit_and_empty_prefix():
    candidates = [Candidate(f"Merlot {i}", "wine", i, f"w{i}") for i in range(20)]

    assert len(rank("merl", candidates, limit=5)) == 5
    assert rank("  ", candidates) == []


def test_engine_words_leave_a_short_last_word_to_ranking():
    assert engine_words(["cabernet", "s"]) == (["cabernet"], None)
    assert engine_words(["cabernet", "sau"]) == (["cabernet"], "sau")
    assert engine_words(["ca"]) == ([], "ca")
