"""Recommender models as plain numpy: most-popular, EASE and Cuvée's hybrid; fit once, score any user fast.

All models share one shape so the evaluation and the API use them alike:
- `fit(users, items, strengths, item_features=None, catalog=None)` learns from (user key, item key,
  signal strength) triples. Strength is on the rating scale 1..5 (a 5-star rating is 5.0; the serving side
  maps purchases, views and feedback onto the same scale). A repeated (user, item) keeps its strongest signal.
- `item_keys` is the item order of every score vector; `score_user(history)` scores all items for ANY
  user, known or not, from that user's {item key: strength} (fold-in: no per-user state is stored).
- `save(path)` / `load_model(path)` keep a fitted model in one `.npz` file.
Scores rank items for one user; they are not comparable across users. Items already in the history are
scored like any other: filtering them (or not, for reorders) is the caller's decision.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from scipy import sparse
from scipy.special import log_expit

from app.recommendations.model.components import (
    ItemFeatures,
    content_matrix,
    ease_weights,
    fit_loved_logit,
    one_propensity,
    relative,
    user_propensity,
    walk_weights,
)

__all__ = [
    "EASE",
    "TERMS",
    "HybridParams",
    "HybridRecommender",
    "ItemFeatures",
    "MostPopular",
    "Recommender",
    "combine_terms",
    "ease_weights",
    "interaction_matrix",
    "load_model",
]


class Recommender:
    """Key handling shared by every model; subclasses implement `_fit` and `score_matrix`."""

    kind: ClassVar[str] = "base"
    item_keys: list[str]

    def __init__(self) -> None:
        self.item_keys = []
        self._index: dict[str, int] = {}

    def fit(
        self,
        users: Sequence[str],
        items: Sequence[str],
        strengths: Sequence[float],
        item_features: Mapping[str, ItemFeatures] | None = None,
        catalog: Sequence[str] | None = None,
    ) -> Self:
        """Learn from triples; `catalog` (else the feature keys) sets the item order, other items follow."""
        keys = list(dict.fromkeys([*map(str, catalog or item_features or ()), *map(str, items)]))
        self._set_items(keys)
        user_codes = {key: n for n, key in enumerate(dict.fromkeys(map(str, users)))}
        matrix = interaction_matrix(
            np.fromiter((user_codes[str(u)] for u in users), dtype=np.int64, count=len(users)),
            np.fromiter((self._index[str(i)] for i in items), dtype=np.int64, count=len(items)),
            np.asarray(strengths, dtype=np.float64),
            shape=(len(user_codes), len(keys)),
        )
        return self.fit_matrix(matrix, keys, item_features)

    def fit_matrix(
        self,
        matrix: sparse.csr_matrix,
        item_keys: Sequence[str],
        item_features: Mapping[str, ItemFeatures] | None = None,
    ) -> Self:
        """Learn from a users x items strength matrix whose columns follow `item_keys`."""
        self._set_items(list(item_keys))
        self._fit(sparse.csr_matrix(matrix, dtype=np.float64), item_features or {})
        return self

    def history_matrix(self, histories: Sequence[Mapping[str, float]]) -> sparse.csr_matrix:
        """One row per history; items unknown to the model are ignored."""
        rows, cols, vals = [], [], []
        for row, history in enumerate(histories):
            for key, strength in history.items():
                col = self._index.get(str(key))
                if col is not None:
                    rows.append(row)
                    cols.append(col)
                    vals.append(float(strength))
        shape = (len(histories), len(self.item_keys))
        return sparse.csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float64)

    def score_user(self, history: Mapping[str, float]) -> np.ndarray:
        """Scores of every item in `item_keys` for one user given that user's history."""
        return np.asarray(self.score_matrix(self.history_matrix([history]))[0])  # a row: numpy types it Any

    def _history_arrays(self, history: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(item columns, strengths) of the known items of one history."""
        pairs = [(self._index[str(key)], float(value)) for key, value in history.items() if str(key) in self._index]
        cols = np.array([col for col, _ in pairs], dtype=np.int64)
        return cols, np.array([value for _, value in pairs], dtype=np.float64)

    def score_matrix(self, histories: sparse.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    def _fit(self, matrix: sparse.csr_matrix, item_features: Mapping[str, ItemFeatures]) -> None:
        raise NotImplementedError

    def _set_items(self, keys: list[str]) -> None:
        self.item_keys = [str(key) for key in keys]
        self._index = {key: n for n, key in enumerate(self.item_keys)}

    @property
    def version(self) -> str:
        """Content hash of the fitted model: equal versions score identically."""
        digest = hashlib.sha256(self.kind.encode())
        for name, array in sorted(self._arrays().items()):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        return f"{self.kind}-{digest.hexdigest()[:12]}"

    def save(self, path: str | Path) -> None:
        """Write the fitted model to one compressed .npz file (no pickles)."""
        arrays: dict[str, Any] = {"kind": np.array(self.kind), "item_keys": np.array(self.item_keys)}
        arrays.update(self._arrays())
        np.savez_compressed(path, allow_pickle=False, **arrays)

    def _arrays(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        raise NotImplementedError


def interaction_matrix(
    rows: np.ndarray, cols: np.ndarray, strengths: np.ndarray, shape: tuple[int, int]
) -> sparse.csr_matrix:
    """Sparse users x items matrix; a repeated (row, col) keeps its strongest signal, not their sum."""
    order = np.lexsort((-strengths, cols, rows))
    rows, cols, strengths = rows[order], cols[order], strengths[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    return sparse.csr_matrix((strengths[first], (rows[first], cols[first])), shape=shape, dtype=np.float64)


class MostPopular(Recommender):
    """Every user gets the items with the most interactions (Cornac's MostPop)."""

    kind = "most-popular"

    def _fit(self, matrix: sparse.csr_matrix, item_features: Mapping[str, ItemFeatures]) -> None:
        self.counts = np.diff(matrix.tocsc().indptr).astype(np.float64)

    def score_matrix(self, histories: sparse.csr_matrix) -> np.ndarray:
        return np.tile(self.counts, (histories.shape[0], 1))

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts}

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.counts = arrays["counts"]


class EASE(Recommender):
    """Steck's EASE on the rating values, as Cornac fits it: score = x_u · B."""

    kind = "ease"

    def __init__(self, lam_scale: float = 300.0) -> None:
        super().__init__()
        self.lam_scale = lam_scale
        self.lam = 0.0

    def _fit(self, matrix: sparse.csr_matrix, item_features: Mapping[str, ItemFeatures]) -> None:
        self.weights, self.lam = ease_weights(matrix, self.lam_scale)

    def score_matrix(self, histories: sparse.csr_matrix) -> np.ndarray:
        return np.asarray(histories @ self.weights)

    def score_user(self, history: Mapping[str, float]) -> np.ndarray:
        cols, values = self._history_arrays(history)
        return np.asarray(values @ self.weights[cols])  # numpy types `@` of ndarrays as Any

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"weights": self.weights, "lam": np.array([self.lam_scale, self.lam])}

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        self.weights = arrays["weights"]
        self.lam_scale, self.lam = (float(x) for x in arrays["lam"])


def load_model(path: str | Path) -> Recommender:
    """Read a model written by `save`, whatever its kind."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    kinds: dict[str, type[Recommender]] = {cls.kind: cls for cls in (MostPopular, EASE, HybridRecommender)}
    model = kinds[str(arrays.pop("kind"))]()
    model._set_items([str(key) for key in arrays.pop("item_keys")])
    model._load_arrays(arrays)
    return model


@dataclass(frozen=True)
class HybridParams:
    """Settings of the hybrid, chosen on one random half of the development users (see docs)."""

    lam_rating: float = 300.0  # λ scale of the EASE on rating values: item neighbours and explanations
    lam_relative: float = 300.0  # λ scale of the EASE on each user's own rating scale
    walk_alpha: float = 0.5  # RP³β: power of the walk's transition probabilities
    walk_beta: float = 0.3  # RP³β: damping of much-rated targets
    w_relative: float = 1.0
    w_loved: float = 0.75  # weight of log P(loved | the user rates the wine), logistic in user and wine
    w_popularity: float = -0.25  # the walk and the loved term favour much-rated wines; this takes some back
    w_content: float = 0.5
    loved: float = 5.0  # the strength that counts as "loved" (a 5-star rating)
    reg_user: float = 1.0  # L2 on a user's loved propensity (in pseudo-ratings at the global share)
    reg_item: float = 1.0  # L2 on a wine's loved bias
    prior_strength: float = 50.0  # pseudo-ratings at the global share in `loved_share` (explanations)
    similar_content_share: float = 0.3  # share of content similarity in `similar_items`


TERMS = ("walk", "relative", "content", "loved", "popularity")
"""The hybrid's log-score terms, in `components` order; the walk has weight 1."""


def combine_terms(parts: Mapping[str, np.ndarray], params: HybridParams) -> np.ndarray:
    """The hybrid's log-score from its terms (`HybridRecommender.components`) and the weights in `params`."""
    personal = parts["walk"] + params.w_relative * parts["relative"] + params.w_content * parts["content"]
    return personal + params.w_loved * parts["loved"] + params.w_popularity * parts["popularity"]


class HybridRecommender(Recommender):
    """Cuvée's model: P(the user picks the wine) x P(the user loves it), plus content match.

    log-score(u, i) = log (x_u · W_walk)_i                   who picks what: RP³β walk on strengths
                    + w_relative · log (x̃_u · B_relative)_i  x̃ = exp(r - user's mean): the user's own scale
                    + w_content · log (e_u · S_content)_i   e = exp(r - loved): content of what the user loved
                    + w_loved · log sigmoid(μ + a_u + b_i)  P(loved | rated): user propensity, wine bias
                    + w_popularity · log (1 + n_i)
    a_u is folded in from the history at scoring time, so a user who loves everything leans on "will
    they pick it" and a sparing user on "is it loved". With no history the personal terms are constant
    and a new user gets popular *and* loved wines; `score_profile` scores content from a taste profile.
    """

    kind = "hybrid"

    def __init__(self, params: HybridParams | None = None) -> None:
        super().__init__()
        self.params = params or HybridParams()

    def _fit(self, matrix: sparse.csr_matrix, item_features: Mapping[str, ItemFeatures]) -> None:
        p = self.params
        self.b_rating, _ = ease_weights(matrix, p.lam_rating)
        self.b_walk = walk_weights(matrix, p.walk_alpha, p.walk_beta)
        self.b_relative, _ = ease_weights(relative(matrix), p.lam_relative)
        self.counts = np.diff(matrix.tocsc().indptr).astype(np.float64)
        loved = np.bincount(matrix.indices[matrix.data >= p.loved], minlength=matrix.shape[1])
        share = loved.sum() / max(self.counts.sum(), 1.0)
        self.loved_share = (loved + p.prior_strength * share) / (self.counts + p.prior_strength)
        self.loved_offset, self.loved_bias = fit_loved_logit(matrix, p.loved, p.reg_user, p.reg_item)
        self.vocabulary, self.idf, self.features = content_matrix(self.item_keys, item_features)
        self._prepare()

    def _prepare(self) -> None:
        """Derived arrays, rebuilt after fit and load rather than stored."""
        self.content_sim = self.features @ self.features.T
        np.fill_diagonal(self.content_sim, 0.0)
        self._token_index = {token: n for n, token in enumerate(self.vocabulary)}
        self._log_counts = np.log1p(self.counts)
        # floors keep log() finite for items no history points to, far below any real score
        self._floors = [max(float(m.max(initial=0.0)), 1e-12) * 1e-9 for m in (self.b_walk, self.b_relative)]
        self._floors.append(1e-9)

    def components(self, histories: sparse.csr_matrix) -> dict[str, np.ndarray]:
        """The score's terms (`TERMS`) before weighting, rows = histories: for explanations and tuning."""
        histories = sparse.csr_matrix(histories)
        loved = histories.copy()
        loved.data = np.exp(loved.data - self.params.loved)
        rows = np.repeat(np.arange(histories.shape[0]), np.diff(histories.indptr))
        propensity = self._propensity(rows, histories.indices, histories.data, histories.shape[0])
        parts = self._logs(
            np.asarray(histories @ self.b_walk),
            np.asarray(relative(histories) @ self.b_relative),
            np.asarray(loved @ self.content_sim),
            propensity[:, None],
        )
        parts["popularity"] = np.broadcast_to(self._log_counts, parts["walk"].shape)
        return parts

    def score_matrix(self, histories: sparse.csr_matrix) -> np.ndarray:
        return self._combine(self.components(histories))

    def score_user(self, history: Mapping[str, float]) -> np.ndarray:
        # the same arithmetic as score_matrix on dense slices: no sparse matrix for a single user
        cols, values = self._history_arrays(history)
        relative_values = np.exp(values - values.sum() / len(values)) if len(values) else values
        p = self.params
        propensity = one_propensity(values >= p.loved, self.loved_bias[cols], self.loved_offset, p.reg_user)
        parts = self._logs(
            values @ self.b_walk[cols],
            relative_values @ self.b_relative[cols],
            np.exp(values - p.loved) @ self.content_sim[cols],
            propensity,
        )
        parts["popularity"] = self._log_counts
        return self._combine(parts)

    def _propensity(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_users: int) -> np.ndarray:
        bias = self.loved_bias[cols]
        loved = values >= self.params.loved
        return user_propensity(rows, loved, bias, self.loved_offset, self.params.reg_user, n_users)

    def _logs(
        self, walk: np.ndarray, relative_: np.ndarray, content: np.ndarray, propensity: np.ndarray | float
    ) -> dict[str, np.ndarray]:
        floor_w, floor_r, floor_c = self._floors
        return {
            "walk": np.log(walk + floor_w),
            "relative": np.log(relative_ + floor_r),
            "content": np.log(content + floor_c),
            "loved": log_expit(self.loved_offset + propensity + self.loved_bias),
        }

    def _combine(self, parts: Mapping[str, np.ndarray]) -> np.ndarray:
        return combine_terms(parts, self.params)

    def score_profile(self, profile: Mapping[str, float]) -> np.ndarray:
        """Content-only score in [0, 1] (cosine) of every item against a taste profile {token: weight}."""
        vector = np.zeros(len(self.vocabulary))
        for token, weight in profile.items():
            col = self._token_index.get(token)
            if col is not None:
                vector[col] = weight * self.idf[col]
        norm = np.linalg.norm(vector)
        return self.features @ (vector / norm) if norm > 0 else np.zeros(len(self.item_keys))

    def similarity(self, i: int) -> np.ndarray:
        """Likeness of every item to item column `i`: co-rating and content similarity blended, each
        scaled to [0, 1]; `i` itself is -inf."""
        collaborative = self.b_rating[i] + self.b_rating[:, i]
        peak = collaborative.max()
        share = self.params.similar_content_share
        blended = (1 - share) * (collaborative / peak if peak > 0 else collaborative)
        blended = blended + share * self.content_sim[i]
        blended[i] = -np.inf
        return np.asarray(blended)  # numpy types the row sums above as Any

    def similar_items(self, item_key: str, n: int = 10) -> list[tuple[str, float]]:
        """Items most like `item_key` (see `similarity`), best first."""
        blended = self.similarity(self._index[str(item_key)])
        top = np.argsort(-blended, kind="stable")[:n]
        return [(self.item_keys[j], float(blended[j])) for j in top]

    def _arrays(self) -> dict[str, np.ndarray]:
        return {
            "b_rating": self.b_rating,
            "b_walk": self.b_walk,
            "b_relative": self.b_relative,
            "counts": self.counts,
            "loved_share": self.loved_share,
            "loved_bias": self.loved_bias,
            "loved_offset": np.array([self.loved_offset]),
            "vocabulary": np.array(self.vocabulary, dtype=str),
            "idf": self.idf,
            "features": self.features,
            "params": np.array(json.dumps(asdict(self.params))),
        }

    def _load_arrays(self, arrays: Mapping[str, np.ndarray]) -> None:
        missing = {"b_walk", "loved_bias", "loved_offset"} - set(arrays)
        if missing:
            raise ValueError(f"model file from an older version (no {', '.join(sorted(missing))}): retrain it")
        self.params = HybridParams(**json.loads(str(arrays["params"])))
        self.b_rating, self.b_walk, self.b_relative = arrays["b_rating"], arrays["b_walk"], arrays["b_relative"]
        self.counts, self.loved_share = arrays["counts"], arrays["loved_share"]
        self.loved_bias, self.loved_offset = arrays["loved_bias"], float(arrays["loved_offset"][0])
        self.vocabulary = [str(token) for token in arrays["vocabulary"]]
        self.idf, self.features = arrays["idf"], arrays["features"]
        self._prepare()
