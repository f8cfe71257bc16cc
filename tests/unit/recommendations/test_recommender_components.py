"""The hybrid's building blocks: the RP³β walk, the loved logit and its per-user fold-in, the user's scale."""

import numpy as np
import pytest
from scipy import sparse
from scipy.special import expit

from app.recommendations.model.components import (
    fit_loved_logit,
    one_propensity,
    relative,
    user_propensity,
    walk_weights,
)


def test_walk_weights_follow_the_three_step_walk_by_hand():
    # users x items strengths; item 2 is rated by both users
    x = np.array([[5.0, 0.0, 3.0], [0.0, 4.0, 2.0]])
    alpha, beta = 0.5, 0.3
    to_items = x / x.sum(axis=1, keepdims=True)  # P(u -> j)
    to_users = (x / x.sum(axis=0, keepdims=True)).T  # P(i -> u)
    raters = (x > 0).sum(axis=0)
    expected = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            if i != j:
                walk = sum(to_users[i, u] ** alpha * to_items[u, j] ** alpha for u in range(2))
                expected[i, j] = walk / raters[j] ** beta
    assert walk_weights(sparse.csr_matrix(x), alpha, beta) == pytest.approx(expected)


def test_walk_weights_damp_much_rated_targets_with_beta():
    rng = np.random.default_rng(0)
    x = sparse.csr_matrix((rng.random((50, 6)) < 0.5) * rng.integers(1, 6, (50, 6)).astype(float))
    plain, damped = walk_weights(x, 0.5, 0.0), walk_weights(x, 0.5, 0.5)
    raters = np.diff(x.tocsc().indptr)
    assert damped == pytest.approx(plain / np.sqrt(raters)[None, :])
    assert np.diag(damped).tolist() == [0.0] * 6


def test_walk_weights_ignore_zero_and_negative_strengths_and_leave_the_input_alone():
    x = sparse.csr_matrix(np.array([[5.0, 3.0, 0.0], [4.0, 0.0, 2.0]]))
    signed = sparse.csr_matrix(np.array([[5.0, 3.0, 0.0], [4.0, -2.0, 2.0]]))
    assert walk_weights(signed, 0.5, 0.3) == pytest.approx(walk_weights(x, 0.5, 0.3))
    assert signed[1, 1] == -2.0


def test_relative_strengths_are_above_or_below_the_users_own_mean():
    out = relative(sparse.csr_matrix(np.array([[5.0, 3.0, 0.0], [0.0, 0.0, 2.0]])))
    assert out.toarray() == pytest.approx(np.array([[np.e, np.exp(-1), 0.0], [0.0, 0.0, 1.0]]))


def loved_ratings(seed: int = 0, users: int = 400, items: int = 12) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Ratings where item j is loved more often the higher j is, and users differ in generosity."""
    rng = np.random.default_rng(seed)
    quality = np.linspace(-2.0, 2.0, items)
    generosity = rng.normal(0.0, 1.0, users)
    rated = rng.random((users, items)) < 0.4
    loved = rng.random((users, items)) < expit(-1.5 + generosity[:, None] + quality[None, :])
    return sparse.csr_matrix(rated * np.where(loved, 5.0, 3.0)), quality


def test_loved_logit_ranks_items_by_how_often_they_are_loved():
    matrix, quality = loved_ratings()
    _, bias = fit_loved_logit(matrix, loved=5.0, reg_user=1.0, reg_item=1.0)
    assert np.corrcoef(bias, quality)[0, 1] > 0.95


def test_loved_logit_reaches_the_joint_optimum():
    # at the optimum each item's gradient vanishes given the users' optimal propensities
    matrix, _ = loved_ratings(seed=1)
    offset, bias = fit_loved_logit(matrix, loved=5.0, reg_user=1.0, reg_item=1.0, iterations=200)
    coo = matrix.tocoo()
    loved = coo.data >= 5.0
    users = np.zeros(matrix.shape[0])
    for _ in range(30):  # the propensity fold-in run to convergence
        prob = expit(offset + users[coo.row] + bias[coo.col])
        users += (np.bincount(coo.row, loved - prob, len(users)) - users) / (
            np.bincount(coo.row, prob * (1 - prob), len(users)) + 1.0
        )
    prob = expit(offset + users[coo.row] + bias[coo.col])
    gradient = np.bincount(coo.col, loved - prob, len(bias)) - bias
    assert np.abs(gradient).max() < 1e-6


def test_propensity_of_one_user_equals_the_batch_and_rises_with_what_they_love():
    bias = np.array([-1.0, 0.0, 0.5, 1.5])
    rows = np.array([0, 0, 0, 1, 1, 1, 2])
    cols = np.array([0, 1, 2, 0, 1, 2, 3])
    loved = np.array([True, True, True, False, False, True, False])
    batch = user_propensity(rows, loved, bias[cols], -2.0, 1.0, 3)
    for user in range(3):
        mine = rows == user
        assert one_propensity(loved[mine], bias[cols[mine]], -2.0, 1.0) == pytest.approx(batch[user])
    assert batch[0] > batch[1] > batch[2]


def test_propensity_is_the_penalised_maximum_likelihood():
    bias = np.array([-0.5, 0.2, 1.0, -1.0, 0.3])
    loved = np.array([True, False, True, False, True])
    propensity = one_propensity(loved, bias, -1.0, 2.0)
    grid = np.linspace(propensity - 0.5, propensity + 0.5, 2001)
    prob = expit(-1.0 + grid[:, None] + bias[None, :])
    log_likelihood = np.where(loved, np.log(prob), np.log(1 - prob)).sum(axis=1) - grid**2
    assert grid[np.argmax(log_likelihood)] == pytest.approx(propensity, abs=1e-3)
