"""Per-user ranking metrics, defined exactly as Cornac computes them (P@k, R@k, NDCG@k, AP, RR, AUC).

Every function looks at ONE user's candidate set. `ranked` is the candidates' ids in ranked order
(best first, the whole list, not just the top k); `positives` is the ids of the user's relevant
candidates. `scores` and the boolean masks are aligned with the candidates (same order, same length).
The evaluation averages each metric over the users that have at least one positive.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def rank_candidates(candidates: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Candidates by descending score; ties keep the candidates' own order, so results are reproducible."""
    return candidates[np.argsort(-scores, kind="stable")]


def _hits(ranked: np.ndarray, positives: np.ndarray, k: int) -> np.ndarray:
    return np.isin(ranked[:k], positives)


def precision_at_k(ranked: np.ndarray, positives: np.ndarray, k: int) -> float:
    """Hits in the top k divided by k (Cornac divides by k even when fewer than k candidates exist)."""
    return float(_hits(ranked, positives, k).sum() / k)


def recall_at_k(ranked: np.ndarray, positives: np.ndarray, k: int) -> float:
    """Hits in the top k divided by the number of positives."""
    return float(_hits(ranked, positives, k).sum() / len(positives))


def ndcg_at_k(ranked: np.ndarray, positives: np.ndarray, k: int) -> float:
    """Binary-gain DCG of the top k over the ideal DCG of min(#positives, k) hits at the top."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    hits = _hits(ranked, positives, k)
    ideal = discounts[: min(len(positives), k)].sum()
    return float((hits * discounts[: len(hits)]).sum() / ideal)


def reciprocal_rank(ranked: np.ndarray, positives: np.ndarray) -> float:
    """1 / position of the first positive in the full ranking (MRR once averaged over users)."""
    found = np.flatnonzero(np.isin(ranked, positives))
    if len(found) == 0:
        raise ValueError("no positive item among the ranked candidates")
    return float(1.0 / (found[0] + 1))


def average_precision(scores: np.ndarray, relevant: np.ndarray) -> float:
    """Cornac's AP over the FULL ranking: mean over positives of (rank among positives / overall rank).

    Ranks are "max" ranks of descending scores, so a positive tied with other items counts as ranked
    below all of them.
    """
    overall = rankdata(-scores, "max")[relevant]
    among_positives = rankdata(-scores[relevant], "max")
    return float((among_positives / overall).mean())


def auc(scores: np.ndarray, positive: np.ndarray, negative: np.ndarray) -> float:
    """Share of (positive, negative) pairs where the positive scores strictly higher (ties count as 0)."""
    pos, neg = scores[positive], np.sort(scores[negative])
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("AUC needs at least one positive and one negative item")
    below = np.searchsorted(neg, pos, side="left")
    return float(below.sum() / (len(pos) * len(neg)))
