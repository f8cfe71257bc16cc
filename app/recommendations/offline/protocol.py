"""Cornac's RatioSplit protocol on X-Wines: the split, the candidates, per-user and list metrics, and EASE's tuning.

Protocol (Cornac `RatioSplit(test_size, rating_threshold=relevance, exclude_unknowns=True, seed)` and its
`ranking_eval`): the rating rows are permuted with `numpy.random.RandomState(seed)`, the last
ceil(test_size · n) rows are the test part; users and wines unknown to training are dropped from the test
part; a user's positives are their test ratings ≥ relevance; the candidates are every wine known to
training except the user's own training ratings ≥ relevance (training ratings below it stay candidates,
as in Cornac); AUC's negatives are the candidates that are not positives; every metric is averaged over
the users with at least one positive. Hyperparameters are chosen on an inner split of the training part
only, never on the test part.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from tqdm import tqdm

from app.recommendations.model import diversity
from app.recommendations.model.diversity import Attributes
from app.recommendations.model.model import EASE, Recommender
from app.recommendations.offline import metrics
from app.recommendations.offline.xwines import Ratings

METRICS = ("P@{k}", "R@{k}", "NDCG@{k}", "MAP", "MRR", "AUC")
LIST_METRICS = ("ILD@{k}", "Cov@{k}", "1-style")  # of the top k lists: see `list_metrics`
EASE_GRID = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0, 100000.0)


def ratio_split(ratings: Ratings, test_size: float, seed: int) -> tuple[Ratings, Ratings]:
    """Cornac's RatioSplit: the same permutation, so seed 42 gives the X-Wines authors' split."""
    n = len(ratings)
    n_test = math.ceil(test_size * n) if test_size < 1 else int(test_size)
    order = np.random.RandomState(seed).permutation(n)  # Cornac's legacy generator: identical splits
    return ratings.take(order[: n - n_test]), ratings.take(order[n - n_test :])


@dataclass(frozen=True)
class Split:
    """Training matrix and test positives, indexed like Cornac (order of first appearance in training)."""

    item_keys: list[str]
    train: sparse.csr_matrix  # users x items, rating values
    test: sparse.csr_matrix  # same users and items; test ratings of known users and wines only
    n_test_rows: int

    def eval_users(self, relevance: float) -> np.ndarray:
        positives = self.test.multiply(self.test >= relevance).tocsr()
        return np.flatnonzero(np.diff(positives.indptr))


def build_split(train: Ratings, test: Ratings) -> Split:
    """Index a train/test pair; a repeated (user, wine) keeps its first row, as Cornac's Dataset does."""
    user_index = {key: n for n, key in enumerate(dict.fromkeys(train.users.tolist()))}
    item_index = {key: n for n, key in enumerate(dict.fromkeys(train.wines.tolist()))}
    shape = (len(user_index), len(item_index))
    known = np.array(
        [u in user_index and w in item_index for u, w in zip(test.users.tolist(), test.wines.tolist(), strict=True)],
        dtype=bool,
    )
    return Split(
        item_keys=list(item_index),
        train=_first_matrix(train, user_index, item_index, shape),
        test=_first_matrix(test.take(np.flatnonzero(known)), user_index, item_index, shape),
        n_test_rows=int(known.sum()),
    )


def _first_matrix(
    part: Ratings, users: Mapping[str, int], items: Mapping[str, int], shape: tuple[int, int]
) -> sparse.csr_matrix:
    rows = np.fromiter((users[u] for u in part.users.tolist()), dtype=np.int64, count=len(part))
    cols = np.fromiter((items[w] for w in part.wines.tolist()), dtype=np.int64, count=len(part))
    _, first = np.unique(rows * shape[1] + cols, return_index=True)
    return sparse.csr_matrix((part.ratings[first], (rows[first], cols[first])), shape=shape, dtype=np.float64)


Rerank = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""(ranked candidates, the user's training row) -> the candidates in the order shown."""


def user_metrics(
    scores: np.ndarray,
    train_row: np.ndarray,
    positives: np.ndarray,
    relevance: float,
    k: int,
    rerank: Rerank | None = None,
) -> tuple[float, ...]:
    """The six metrics of one user: `scores` and `train_row` are dense over all training items.

    With `rerank` every metric, AP and AUC too, judges the re-ranked order."""
    return _user_metrics(scores, train_row, positives, relevance, k, rerank)[0]


def _user_metrics(
    scores: np.ndarray,
    train_row: np.ndarray,
    positives: np.ndarray,
    relevance: float,
    k: int,
    rerank: Rerank | None,
) -> tuple[tuple[float, ...], np.ndarray]:
    """The six metrics and the top k shown."""
    candidates = np.flatnonzero(train_row < relevance)
    candidate_scores = scores[candidates]
    ranked = metrics.rank_candidates(candidates, candidate_scores)
    if rerank is not None:
        ranked = rerank(ranked, train_row)
        position = np.empty(len(scores))
        position[ranked] = np.arange(len(ranked))
        candidate_scores = -position[candidates]
    relevant = np.isin(candidates, positives)
    values = (
        metrics.precision_at_k(ranked, positives, k),
        metrics.recall_at_k(ranked, positives, k),
        metrics.ndcg_at_k(ranked, positives, k),
        metrics.average_precision(candidate_scores, relevant),
        metrics.reciprocal_rank(ranked, positives),
        metrics.auc(candidate_scores, relevant, ~relevant),
    )
    return values, ranked[:k]


def mmr_rerank(attributes: Attributes, k: int, trade_off: float) -> Rerank:
    """The serving re-ranking offline: MMR over the best `pool_size(k)`, the user's focus learned from
    their training ratings (no stated preferences in X-Wines); the rest keep their order."""

    def rerank(ranked: np.ndarray, train_row: np.ndarray) -> np.ndarray:
        pool = ranked[: diversity.pool_size(k)]
        focus = attributes.focus(liked=np.flatnonzero(train_row >= diversity.LIKED))
        shown = pool[diversity.diversify(attributes, pool, k, focus, trade_off)]
        return np.concatenate([shown, ranked[~np.isin(ranked, shown)]])

    return rerank


def list_metrics(attributes: Attributes, lists: Sequence[np.ndarray], k: int) -> dict[str, float]:
    """Intra-list diversity (mean pairwise dissimilarity by winery, style, grapes, region), catalog
    coverage (the share of the wines in anyone's top k) and the share of lists all of one style."""
    shown = np.unique(np.concatenate(lists)) if lists else np.zeros(0)
    return {
        f"ILD@{k}": float(np.mean([diversity.intra_list_diversity(attributes, rows) for rows in lists])),
        f"Cov@{k}": len(shown) / max(len(attributes.style), 1),
        "1-style": float(np.mean([diversity.one_style(attributes, rows) for rows in lists])),
    }


def score_split(
    model: Recommender,
    split: Split,
    relevance: float,
    k: int,
    progress: bool = False,
    label: str = "",
    attributes: Attributes | None = None,
    rerank: Rerank | None = None,
) -> dict[str, float]:
    """Average the six metrics of `model` (fitted on split.train) over the users with a positive;
    with `attributes` (per split item) also the `list_metrics` of their top k."""
    users = split.eval_users(relevance)
    train, test = split.train, split.test
    rows: list[tuple[float, ...]] = []
    lists: list[np.ndarray] = []
    for start in tqdm(range(0, len(users), 512), desc=label, disable=not progress, file=sys.stderr, leave=False):
        batch = users[start : start + 512]
        scores = model.score_matrix(train[batch])
        dense_train = train[batch].toarray()
        for n, user in enumerate(batch):
            row = slice(test.indptr[user], test.indptr[user + 1])
            cols, values = test.indices[row], test.data[row]
            positives = cols[values >= relevance]
            result, top = _user_metrics(scores[n], dense_train[n], positives, relevance, k, rerank)
            rows.append(result)
            lists.append(top)
    means = np.mean(rows, axis=0)
    out = {name.format(k=k): float(value) for name, value in zip(METRICS, means, strict=True)}
    if attributes is not None:
        out |= list_metrics(attributes, lists, k)
    return out


def validation_ndcg(scores: np.ndarray, split: Split, users: np.ndarray, relevance: float, k: int) -> float:
    """Mean NDCG@k over `users`, vectorised (the same definition as `metrics.ndcg_at_k`), for tuning."""
    scores = np.array(scores, dtype=np.float64)
    train = split.train[users].toarray()
    scores[train >= relevance] = -np.inf
    positives = split.test[users].toarray() >= relevance
    top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    hits = np.take_along_axis(positives, top, axis=1)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.cumsum(discounts)[np.minimum(positives.sum(axis=1), k) - 1]
    discounts = discounts[: top.shape[1]]  # fewer items than k
    return float(((hits * discounts).sum(axis=1) / ideal).mean())


def tune_ease(
    split: Split, relevance: float, k: int, grid: Sequence[float] = EASE_GRID, progress: bool = False
) -> tuple[float, dict[float, float]]:
    """The λ scale of EASE with the best validation NDCG@k on `split` (an inner split of training)."""
    users = split.eval_users(relevance)
    if len(users) == 0:  # too little data to validate: keep EASE's default
        return EASE().lam_scale, {}
    history = split.train[users]
    results: dict[float, float] = {}
    for lam_scale in tqdm(grid, desc="tune EASE λ", disable=not progress, file=sys.stderr, leave=False):
        model = EASE(lam_scale).fit_matrix(split.train, split.item_keys)
        results[lam_scale] = validation_ndcg(model.score_matrix(history), split, users, relevance, k)
    return max(results, key=results.__getitem__), results
