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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
from scipy import sparse

ItemFeatures = Mapping[str, float] | Iterable[str]
"""An item's content: tokens such as "type=red", "grape=merlot", with an optional weight each."""


def ease_weights(interactions: sparse.csr_matrix, lam_scale: float) -> tuple[np.ndarray, float]:
    """EASE's closed form B = I - P / diag(P), P = (XᵀX + λI)⁻¹, with a zero diagonal and B clipped at 0.

    λ is `lam_scale` times the mean non-zero diagonal of XᵀX, so one setting fits data sets of any size
    or rating scale. Negative weights are dropped as Cornac's EASE does by default (posB=True).
    """
    gram = np.asarray((interactions.T @ interactions).todense(), dtype=np.float64)
    diag = gram.diagonal()
    lam = lam_scale * float(diag[diag > 0].mean()) if diag.any() else lam_scale
    gram[np.diag_indices_from(gram)] += lam
    inverse = np.linalg.inv(gram)
    weights = inverse / -inverse.diagonal()
    np.fill_diagonal(weights, 0.0)
    np.maximum(weights, 0.0, out=weights)
    return weights, lam


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
        return self.score_matrix(self.history_matrix([history]))[0]

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
        return values @ self.weights[cols]

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
    """Settings of the hybrid, chosen by internal validation on the development half (see docs)."""

    lam_rating: float = 300.0  # λ scale of the EASE on rating values
    lam_relative: float = 300.0  # λ scale of the EASE on each user's own rating scale
    w_relative: float = 1.0
    w_loved: float = 0.75  # weight of log P(top rating | rated), the item's smoothed share of 5-star ratings
    w_popularity: float = -0.25  # the EASE terms already favour popular items; this takes some back
    w_content: float = 0.25
    loved: float = 5.0  # the strength that counts as "loved" (a 5-star rating)
    prior_strength: float = 50.0  # pseudo-ratings at the global loved share, to smooth rarely rated items
    similar_content_share: float = 0.3  # share of content similarity in `similar_items`


class HybridRecommender(Recommender):
    """Cuvée's model: P(the user picks the wine) x P(the user loves it), plus content match.

    log-score(u, i) = log (x_u · B_rating)_i               who rates what, weighted by rating (EASE)
                    + w_relative · log (x̃_u · B_relative)_i  x̃ = exp(r - user's mean): the user's own scale
                    + w_loved · log p̂_i                     the item's smoothed share of loved ratings
                    + w_popularity · log (1 + n_i)
                    + w_content · log (e_u · S_content)_i   e = exp(r - loved): content of what the user loved
    With no history every collaborative term is constant, so a new user gets popular *and* loved wines;
    `score_profile` adds a content-only score from a taste profile for day-one personalisation.
    """

    kind = "hybrid"

    def __init__(self, params: HybridParams | None = None) -> None:
        super().__init__()
        self.params = params or HybridParams()

    def _fit(self, matrix: sparse.csr_matrix, item_features: Mapping[str, ItemFeatures]) -> None:
        p = self.params
        self.b_rating, _ = ease_weights(matrix, p.lam_rating)
        self.b_relative, _ = ease_weights(_relative(matrix), p.lam_relative)
        self.counts = np.diff(matrix.tocsc().indptr).astype(np.float64)
        loved = np.bincount(matrix.indices[matrix.data >= p.loved], minlength=matrix.shape[1])
        share = loved.sum() / max(self.counts.sum(), 1.0)
        self.loved_share = (loved + p.prior_strength * share) / (self.counts + p.prior_strength)
        self.vocabulary, self.idf, self.features = _content_matrix(self.item_keys, item_features)
        self._prepare()

    def _prepare(self) -> None:
        """Derived arrays, rebuilt after fit and load rather than stored."""
        self.content_sim = self.features @ self.features.T
        np.fill_diagonal(self.content_sim, 0.0)
        self._token_index = {token: n for n, token in enumerate(self.vocabulary)}
        p = self.params
        self._item_prior = p.w_loved * np.log(self.loved_share) + p.w_popularity * np.log1p(self.counts)
        # floors keep log() finite for items no history points to, far below any real score
        self._floors = [max(float(m.max()), 1e-12) * 1e-9 for m in (self.b_rating, self.b_relative)]
        self._floors.append(1e-9)

    def components(self, histories: sparse.csr_matrix) -> dict[str, np.ndarray]:
        """The score's terms before weighting (rows = histories), for explanations and tuning."""
        loved = histories.copy()
        loved.data = np.exp(loved.data - self.params.loved)
        return self._logs(
            np.asarray(histories @ self.b_rating),
            np.asarray(_relative(histories) @ self.b_relative),
            np.asarray(loved @ self.content_sim),
        )

    def score_matrix(self, histories: sparse.csr_matrix) -> np.ndarray:
        return self._combine(self.components(histories))

    def score_user(self, history: Mapping[str, float]) -> np.ndarray:
        # the same arithmetic as score_matrix on dense slices: no sparse matrix for a single user
        cols, values = self._history_arrays(history)
        relative = np.exp(values - values.mean()) if len(values) else values
        loved = np.exp(values - self.params.loved)
        parts = self._logs(
            values @ self.b_rating[cols],
            relative @ self.b_relative[cols],
            loved @ self.content_sim[cols],
        )
        return self._combine(parts)

    def _logs(self, rating: np.ndarray, relative: np.ndarray, content: np.ndarray) -> dict[str, np.ndarray]:
        floor_r, floor_u, floor_c = self._floors
        return {
            "rating": np.log(rating + floor_r),
            "relative": np.log(relative + floor_u),
            "content": np.log(content + floor_c),
        }

    def _combine(self, parts: Mapping[str, np.ndarray]) -> np.ndarray:
        p = self.params
        weighted = parts["rating"] + p.w_relative * parts["relative"] + p.w_content * parts["content"]
        return weighted + self._item_prior

    def score_profile(self, profile: Mapping[str, float]) -> np.ndarray:
        """Content-only score in [0, 1] (cosine) of every item against a taste profile {token: weight}."""
        vector = np.zeros(len(self.vocabulary))
        for token, weight in profile.items():
            col = self._token_index.get(token)
            if col is not None:
                vector[col] = weight * self.idf[col]
        norm = np.linalg.norm(vector)
        return self.features @ (vector / norm) if norm > 0 else np.zeros(len(self.item_keys))

    def similar_items(self, item_key: str, n: int = 10) -> list[tuple[str, float]]:
        """Items most like `item_key`: co-rating and content similarity blended, each scaled to [0, 1]."""
        i = self._index[str(item_key)]
        collaborative = self.b_rating[i] + self.b_rating[:, i]
        peak = collaborative.max()
        share = self.params.similar_content_share
        blended = (1 - share) * (collaborative / peak if peak > 0 else collaborative)
        blended = blended + share * self.content_sim[i]
        blended[i] = -np.inf
        top = np.argsort(-blended, kind="stable")[:n]
        return [(self.item_keys[j], float(blended[j])) for j in top]

    def _arrays(self) -> dict[str, np.ndarray]:
        return {
            "b_rating": self.b_rating,
            "b_relative": self.b_relative,
            "counts": self.counts,
            "loved_share": self.loved_share,
            "vocabulary": np.array(self.vocabulary, dtype=str),
            "idf": self.idf,
            "features": self.features,
            "params": np.array(json.dumps(asdict(self.params))),
        }

    def _load_arrays(self, arrays: Mapping[str, Any]) -> None:
        self.params = HybridParams(**json.loads(str(arrays["params"])))
        self.b_rating, self.b_relative = arrays["b_rating"], arrays["b_relative"]
        self.counts, self.loved_share = arrays["counts"], arrays["loved_share"]
        self.vocabulary = [str(token) for token in arrays["vocabulary"]]
        self.idf, self.features = arrays["idf"], arrays["features"]
        self._prepare()


def _relative(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """exp(strength - the row's mean strength): what a user rates above their own habit weighs more."""
    matrix = sparse.csr_matrix(matrix)
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    means = np.bincount(rows, matrix.data, matrix.shape[0]) / np.maximum(lengths, 1)
    out = matrix.copy()
    out.data = np.exp(matrix.data - means[rows])
    return out


def _content_matrix(
    item_keys: Sequence[str], item_features: Mapping[str, ItemFeatures]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """TF-IDF rows, L2-normalised, one per item (zeros for an item without features)."""
    weighted = [_as_weights(item_features.get(key, ())) for key in item_keys]
    vocabulary = sorted({token for tokens in weighted for token in tokens})
    index = {token: n for n, token in enumerate(vocabulary)}
    features = np.zeros((len(item_keys), len(vocabulary)))
    for row, tokens in enumerate(weighted):
        for token, weight in tokens.items():
            features[row, index[token]] = weight
    frequency = (features != 0).sum(axis=0)
    idf = np.log((1 + len(item_keys)) / (1 + frequency))
    features *= idf
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    features = np.divide(features, norms, out=np.zeros_like(features), where=norms > 0)
    return vocabulary, idf, features


def _as_weights(features: ItemFeatures) -> dict[str, float]:
    if isinstance(features, Mapping):
        return {str(token): float(weight) for token, weight in features.items()}
    return dict.fromkeys(map(str, features), 1.0)
