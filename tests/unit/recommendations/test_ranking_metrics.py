"""Ranking metrics on examples small enough to compute by hand, including Cornac's edge conventions."""

import math

import numpy as np
import pytest

from app.recommendations.offline import metrics

# five candidates; positives are items 1 and 2
CANDIDATES = np.array([0, 1, 2, 3, 4])
SCORES = np.array([0.1, 0.8, 0.3, 0.9, 0.5])
POSITIVES = np.array([1, 2])
RANKED = metrics.rank_candidates(CANDIDATES, SCORES)  # 3, 1, 4, 2, 0


def test_ranking_is_by_descending_score_with_ties_in_candidate_order():
    assert RANKED.tolist() == [3, 1, 4, 2, 0]
    tied = metrics.rank_candidates(np.array([7, 5, 9]), np.array([1.0, 2.0, 1.0]))
    assert tied.tolist() == [5, 7, 9]


def test_precision_and_recall_count_hits_in_the_top_k():
    assert metrics.precision_at_k(RANKED, POSITIVES, 3) == pytest.approx(1 / 3)
    assert metrics.recall_at_k(RANKED, POSITIVES, 3) == pytest.approx(1 / 2)
    assert metrics.recall_at_k(RANKED, POSITIVES, 4) == pytest.approx(1.0)


def test_precision_divides_by_k_even_when_fewer_candidates_exist():
    assert metrics.precision_at_k(RANKED, POSITIVES, 10) == pytest.approx(2 / 10)


def test_ndcg_uses_binary_gains_and_the_ideal_of_min_positives_k():
    # top 3 = 3, 1, 4: one hit at position 2; ideal = hits at positions 1 and 2
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert metrics.ndcg_at_k(RANKED, POSITIVES, 3) == pytest.approx(expected)
    # k = 1 with no hit in first place gives 0; the ideal is one hit, not two
    assert metrics.ndcg_at_k(RANKED, POSITIVES, 1) == 0.0
    assert metrics.ndcg_at_k(np.array([1, 0]), np.array([1, 2]), 1) == pytest.approx(1.0)


def test_reciprocal_rank_is_taken_over_the_whole_ranking():
    assert metrics.reciprocal_rank(RANKED, POSITIVES) == pytest.approx(1 / 2)
    assert metrics.reciprocal_rank(RANKED, np.array([0])) == pytest.approx(1 / 5)
    with pytest.raises(ValueError, match="no positive"):
        metrics.reciprocal_rank(RANKED, np.array([42]))


def test_average_precision_over_the_full_ranking():
    relevant = np.isin(CANDIDATES, POSITIVES)
    # positive 1 is 2nd overall and 1st among positives; positive 2 is 4th overall and 2nd among them
    assert metrics.average_precision(SCORES, relevant) == pytest.approx((1 / 2 + 2 / 4) / 2)


def test_average_precision_ranks_a_tied_positive_below_its_ties():
    scores = np.array([1.0, 1.0, 0.5])
    relevant = np.array([True, False, False])
    assert metrics.average_precision(scores, relevant) == pytest.approx(1 / 2)


def test_auc_counts_strictly_better_pairs_only():
    relevant = np.isin(CANDIDATES, POSITIVES)
    # pairs: 0.8 beats 0.1 and 0.5; 0.3 beats 0.1 -> 3 of 6
    assert metrics.auc(SCORES, relevant, ~relevant) == pytest.approx(3 / 6)
    tie = np.array([1.0, 1.0])
    assert metrics.auc(tie, np.array([True, False]), np.array([False, True])) == 0.0


def test_auc_negatives_may_be_a_subset_of_the_non_positives():
    relevant = np.isin(CANDIDATES, POSITIVES)
    negatives = np.array([True, False, False, False, False])  # only item 0
    assert metrics.auc(SCORES, relevant, negatives) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="AUC needs"):
        metrics.auc(SCORES, relevant, np.zeros(5, dtype=bool))
