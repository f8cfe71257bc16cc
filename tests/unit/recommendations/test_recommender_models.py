"""The models: EASE's closed form, fold-in scoring for unseen users, cold start, similar items, save/load."""

import time

import numpy as np
import pytest
from scipy import sparse

from app.recommendations.model.model import (
    EASE,
    TERMS,
    HybridRecommender,
    MostPopular,
    ease_weights,
    interaction_matrix,
    load_model,
)

FEATURES = {
    "red1": ["type=red", "grape=merlot", "body=full"],
    "red2": ["type=red", "grape=merlot", "body=medium"],
    "red3": ["type=red", "grape=syrah", "body=full"],
    "white1": ["type=white", "grape=riesling", "body=light"],
    "white2": ["type=white", "grape=chardonnay", "body=medium"],
    "bubbly": ["type=sparkling", "grape=chardonnay", "body=light"],
}


def tiny_triples(seed: int = 0, users: int = 60) -> tuple[list[str], list[str], list[float]]:
    """Red lovers rate reds 5 and whites low; white lovers the reverse; everyone tries the bubbly."""
    rng = np.random.default_rng(seed)
    us, items, ratings = [], [], []
    for n in range(users):
        red_lover = n % 2 == 0
        for item in FEATURES:
            if rng.random() < 0.6:
                liked = item.startswith("red") == red_lover
                us.append(f"u{n}")
                items.append(item)
                ratings.append(5.0 if liked else float(rng.choice([2.0, 3.0])))
    return us, items, ratings


@pytest.fixture(scope="module")
def hybrid() -> HybridRecommender:
    return HybridRecommender().fit(*tiny_triples(), item_features=FEATURES)


def test_interaction_matrix_keeps_the_strongest_signal_of_a_repeated_pair():
    matrix = interaction_matrix(np.array([0, 0, 1]), np.array([2, 2, 0]), np.array([3.0, 5.0, 1.0]), (2, 3))
    assert matrix.toarray().tolist() == [[0.0, 0.0, 5.0], [1.0, 0.0, 0.0]]


def test_ease_matches_the_per_item_ridge_regression_it_solves():
    rng = np.random.default_rng(3)
    dense = (rng.random((40, 5)) < 0.5) * rng.integers(1, 6, (40, 5))
    weights, lam = ease_weights(sparse.csr_matrix(dense.astype(float)), lam_scale=0.5)
    for j in range(5):
        others = [i for i in range(5) if i != j]
        x = dense[:, others].astype(float)
        b = np.linalg.solve(x.T @ x + lam * np.eye(4), x.T @ dense[:, j])
        assert weights[others, j] == pytest.approx(np.maximum(b, 0.0), abs=1e-9)
        assert weights[j, j] == 0.0


def test_most_popular_scores_by_number_of_interactions():
    model = MostPopular().fit(["a", "b", "b", "c"], ["x", "x", "y", "x"], [1, 5, 5, 3])
    assert dict(zip(model.item_keys, model.score_user({"y": 5}), strict=True)) == {"x": 3.0, "y": 1.0}


def test_ease_single_user_scoring_equals_batch_scoring():
    model = EASE(lam_scale=1.0).fit(*tiny_triples(), item_features=FEATURES)
    history = {"red1": 5.0, "white2": 2.0}
    batch = model.score_matrix(model.history_matrix([history]))[0]
    assert model.score_user(history) == pytest.approx(batch)


def test_hybrid_folds_in_a_user_it_never_saw(hybrid):
    history = {"red1": 5.0, "red2": 5.0, "white1": 2.0, "unknown-wine": 5.0}
    scores = dict(zip(hybrid.item_keys, hybrid.score_user(history), strict=True))
    assert scores["red3"] > scores["white2"]
    batch = hybrid.score_matrix(hybrid.history_matrix([history]))[0]
    assert hybrid.score_user(history) == pytest.approx(batch)


def test_hybrid_follows_the_users_taste_not_only_what_is_popular(hybrid):
    red = dict(zip(hybrid.item_keys, hybrid.score_user({"red1": 5.0, "white1": 2.0}), strict=True))
    white = dict(zip(hybrid.item_keys, hybrid.score_user({"white1": 5.0, "red1": 2.0}), strict=True))
    assert red["red2"] - red["white2"] > 0
    assert white["white2"] - white["red2"] > 0


def test_cold_start_ranks_loved_wines_and_profiles_match_content(hybrid):
    cold = hybrid.score_user({})
    assert np.isfinite(cold).all()
    profile = hybrid.score_profile({"type=white": 1.0, "grape=riesling": 1.0})
    assert hybrid.item_keys[int(np.argmax(profile))] == "white1"
    assert profile.max() <= 1.0 + 1e-9
    assert not hybrid.score_profile({"grape=unheard-of": 1.0}).any()


def test_the_score_is_the_weighted_sum_of_its_components(hybrid):
    histories = hybrid.history_matrix([{"red1": 5.0, "white1": 2.0}, {}, {"bubbly": 4.0}])
    parts = hybrid.components(histories)
    assert tuple(parts) == TERMS
    p = hybrid.params
    weights = {"walk": 1.0, "relative": p.w_relative, "content": p.w_content}
    weights |= {"loved": p.w_loved, "popularity": p.w_popularity}
    expected = sum(weight * parts[name] for name, weight in weights.items())
    assert hybrid.score_matrix(histories) == pytest.approx(expected)


def test_a_user_who_loves_everything_leans_less_on_how_loved_a_wine_is(hybrid):
    generous = {"red1": 5.0, "white1": 5.0, "bubbly": 5.0}
    sparing = {"red1": 5.0, "white1": 2.0, "bubbly": 2.0}
    loved = hybrid.components(hybrid.history_matrix([generous, sparing]))["loved"]
    # log P(loved | rated) spreads less across wines when the user's propensity is high
    assert np.ptp(loved[0]) < np.ptp(loved[1])
    assert (loved[0] > loved[1]).all()


def test_similar_items_excludes_the_item_and_prefers_its_kind(hybrid):
    similar = hybrid.similar_items("red1", n=3)
    keys = [key for key, _ in similar]
    assert "red1" not in keys
    assert len(similar) == 3
    assert keys[0].startswith("red")
    assert [score for _, score in similar] == sorted((score for _, score in similar), reverse=True)


def test_a_saved_model_loads_with_the_same_scores_and_version(hybrid, tmp_path):
    path = tmp_path / "model.npz"
    hybrid.save(path)
    loaded = load_model(path)
    assert isinstance(loaded, HybridRecommender)
    assert loaded.version == hybrid.version
    assert loaded.item_keys == hybrid.item_keys
    history = {"red1": 5.0, "bubbly": 3.0}
    assert loaded.score_user(history) == pytest.approx(hybrid.score_user(history))
    assert loaded.similar_items("white1", 2) == hybrid.similar_items("white1", 2)


def test_a_model_file_from_before_the_walk_asks_to_be_retrained(hybrid, tmp_path):
    arrays = dict(np.load(_saved(hybrid, tmp_path), allow_pickle=False))
    for name in ("b_walk", "loved_bias", "loved_offset"):
        arrays.pop(name)
    np.savez_compressed(tmp_path / "old.npz", **arrays)
    with pytest.raises(ValueError, match="retrain"):
        load_model(tmp_path / "old.npz")


def _saved(model, tmp_path):
    model.save(tmp_path / "model.npz")
    return tmp_path / "model.npz"


def test_every_model_kind_round_trips(tmp_path):
    triples = tiny_triples()
    for model in (MostPopular().fit(*triples), EASE(3.0).fit(*triples)):
        model.save(tmp_path / "m.npz")
        loaded = load_model(tmp_path / "m.npz")
        assert type(loaded) is type(model)
        assert loaded.score_user({"red1": 5.0}) == pytest.approx(model.score_user({"red1": 5.0}))


def test_version_changes_when_the_data_changes(hybrid):
    other = HybridRecommender().fit(*tiny_triples(seed=1), item_features=FEATURES)
    assert other.version != hybrid.version
    assert hybrid.version.startswith("hybrid-")


def test_scoring_one_user_over_a_thousand_items_takes_well_under_a_millisecond():
    rng = np.random.default_rng(0)
    n_items, n_rows = 1000, 60_000
    users = [f"u{n}" for n in rng.integers(0, 5000, n_rows)]
    items = [f"w{n}" for n in rng.integers(0, n_items, n_rows)]
    model = HybridRecommender().fit(users, items, rng.integers(1, 6, n_rows).astype(float))
    history = {f"w{n}": 4.0 for n in range(20)}
    timings = []
    for _ in range(200):
        started = time.perf_counter()
        model.score_user(history)
        timings.append(time.perf_counter() - started)
    assert np.median(timings) < 1e-3
