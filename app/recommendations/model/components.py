"""The hybrid recommender's building blocks as plain numpy functions: item-item weights, fold-ins, content.

Every function here is pure (arrays in, arrays out) so each can be tested on a hand-sized example and
reused by the model, the evaluation and the serving side alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from scipy import sparse
from scipy.special import expit

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


def walk_weights(interactions: sparse.csr_matrix, alpha: float, beta: float) -> np.ndarray:
    """RP³β item-item weights (Paudel et al. 2017) on signal strengths, with a zero diagonal.

    W[i, j] = Σ_u P(i → u)^alpha · P(u → j)^alpha / raters_j^β: a three-step random walk item → user → item
    where each step follows the strength of the signal, then damped by the target's number of raters
    so the walk does not end on the most-rated wines for everyone.
    """
    matrix = sparse.csr_matrix(interactions, dtype=np.float64, copy=True)
    np.maximum(matrix.data, 0.0, out=matrix.data)  # a walk cannot follow a negative strength
    matrix.eliminate_zeros()
    to_items = _normalise_rows(matrix)  # P(u → j)
    to_users = _normalise_rows(matrix.T.tocsr())  # P(i → u)
    weights = np.asarray((to_users.power(alpha) @ to_items.power(alpha)).todense())
    raters = np.diff(matrix.tocsc().indptr).astype(np.float64)
    weights /= np.maximum(raters, 1.0)[None, :] ** beta
    np.fill_diagonal(weights, 0.0)
    return weights


def _normalise_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    return sparse.csr_matrix(sparse.diags(scale) @ matrix)


def relative(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """exp(strength - the row's mean strength): what a user rates above their own habit weighs more."""
    matrix = sparse.csr_matrix(matrix)
    lengths = np.diff(matrix.indptr)
    rows = np.repeat(np.arange(matrix.shape[0]), lengths)
    means = np.bincount(rows, matrix.data, matrix.shape[0]) / np.maximum(lengths, 1)
    out = matrix.copy()
    out.data = np.exp(matrix.data - means[rows])
    return out


def fit_loved_logit(
    matrix: sparse.csr_matrix, loved: float, reg_user: float, reg_item: float, iterations: int = 30
) -> tuple[float, np.ndarray]:
    """P(loved | user u rated item i) = sigmoid(μ + a_u + b_i), L2-penalised; returns μ and the item biases b.

    μ is the log-odds of the global loved share; users' and items' biases are fitted by alternating
    one-dimensional Newton steps (each bias only meets its own rows, so a step is a bincount). The user
    biases are discarded: at scoring time `user_propensity` folds in any user from their history.
    """
    coo = sparse.coo_matrix(matrix)
    users, items = coo.row, coo.col
    target = (coo.data >= loved).astype(np.float64)
    share = float(np.clip(target.mean(), 1e-6, 1 - 1e-6)) if len(target) else 0.5
    offset = float(np.log(share / (1 - share)))
    user_bias, item_bias = np.zeros(matrix.shape[0]), np.zeros(matrix.shape[1])
    for _ in range(iterations):
        for index, bias, reg in ((users, user_bias, reg_user), (items, item_bias, reg_item)):
            prob = expit(offset + user_bias[users] + item_bias[items])
            gradient = np.bincount(index, target - prob, len(bias)) - reg * bias
            curvature = np.bincount(index, prob * (1 - prob), len(bias)) + reg
            bias += gradient / curvature
    return offset, item_bias


def user_propensity(
    rows: np.ndarray, loved: np.ndarray, item_bias: np.ndarray, offset: float, reg: float, n_users: int
) -> np.ndarray:
    """Each user's bias a_u in sigmoid(μ + a_u + b_i), from their rated items alone (L2 like the fit).

    `rows[k]` is the user of the k-th rated item, `loved[k]` whether it was loved and `item_bias[k]`
    that item's b_i. A user who loves most of what they rate gets a high a_u, which flattens the sigmoid:
    for them the item's own loved share matters less than whether they will pick it at all.
    `PROPENSITY_STEPS` Newton steps from a_u = 0 (the step count is part of the definition, so the
    single-user path `one_propensity` gives the same numbers).
    """
    propensity = np.zeros(n_users)
    target = np.bincount(rows, loved.astype(np.float64), n_users)
    for _ in range(PROPENSITY_STEPS):
        prob = expit(offset + propensity[rows] + item_bias)
        gradient = target - np.bincount(rows, prob, n_users) - reg * propensity
        propensity += gradient / (np.bincount(rows, prob * (1 - prob), n_users) + reg)
    return propensity


def one_propensity(loved: np.ndarray, item_bias: np.ndarray, offset: float, reg: float) -> float:
    """`user_propensity` of one user, without the bincounts (the serving path scores one user at a time)."""
    propensity, target, base = 0.0, float(np.count_nonzero(loved)), offset + item_bias
    for _ in range(PROPENSITY_STEPS):
        prob = expit(base + propensity)
        total = float(prob.sum())
        propensity += (target - total - reg * propensity) / (total - float(prob @ prob) + reg)
    return propensity


PROPENSITY_STEPS = 3
"""Newton steps for a user's propensity: from zero, three reach 1e-4 of the optimum on real histories."""


def content_matrix(
    item_keys: Sequence[str], item_features: Mapping[str, ItemFeatures]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """TF-IDF rows, L2-normalised, one per item (zeros for an item without features)."""
    weighted = [as_weights(item_features.get(key, ())) for key in item_keys]
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


def as_weights(features: ItemFeatures) -> dict[str, float]:
    """{token: weight} from a mapping, or weight 1 for each token of an iterable."""
    if isinstance(features, Mapping):
        return {str(token): float(weight) for token, weight in features.items()}
    return dict.fromkeys(map(str, features), 1.0)
