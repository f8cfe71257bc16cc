"""The generalisation study: user halves, weight tuning on one half, the seeds table and its command."""

import csv
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli.recommendations import evaluate
from app.recommendations.model.model import HybridParams, HybridRecommender
from app.recommendations.offline.evaluation import compare
from app.recommendations.offline.generalisation import SeedRow, format_rows, split_users, tune_weights
from app.recommendations.offline.protocol import build_split, ratio_split, validation_ndcg
from app.recommendations.offline.xwines import Ratings

FEATURES = {str(100 + n): {"type=red" if n % 2 else "type=white": 1.0, f"grape={n % 3}": 1.0} for n in range(10)}


def synthetic(users: int = 240, seed: int = 0) -> Ratings:
    """Half the users love odd wines, half even ones; everyone rates some of both."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        for n in range(10):
            if rng.random() < 0.5:
                loves = (n % 2) == (u % 2) and rng.random() < 0.7
                rows.append((str(u), str(100 + n), 5.0 if loves else float(rng.choice([2.0, 3.0, 3.5]))))
    users_, wines, stars = zip(*rows, strict=True)
    return Ratings(np.array(users_), np.array(wines), np.array(stars), np.zeros(len(rows), dtype=int))


def test_user_halves_are_disjoint_cover_everyone_and_keep_each_users_ratings_together():
    ratings = synthetic()
    a, b = split_users(ratings, seed=3)
    assert len(a) + len(b) == len(ratings)
    assert not set(a.users.tolist()) & set(b.users.tolist())
    assert abs(len(set(a.users.tolist())) - len(set(b.users.tolist()))) <= 1
    again, _ = split_users(ratings, seed=3)
    assert again.users.tolist() == a.users.tolist()


def test_tuning_starts_from_the_given_weights_and_never_ends_worse():
    ratings = synthetic()
    poor = HybridParams(w_relative=0.0, w_content=0.0, w_loved=0.0, w_popularity=0.5)
    tuned, value = tune_weights(ratings, FEATURES, seeds=[1, 2], params=poor, k=3, rounds=2)
    splits = [build_split(*ratio_split(ratings, 0.2, seed)) for seed in (1, 2)]

    def ndcg(params: HybridParams) -> float:
        scores = []
        for split in splits:
            users = split.eval_users(5.0)
            model = HybridRecommender(params).fit_matrix(split.train, split.item_keys, FEATURES)
            scores.append(validation_ndcg(model.score_matrix(split.train[users]), split, users, 5.0, 3))
        return float(np.mean(scores))

    assert value == pytest.approx(ndcg(tuned))
    assert value >= ndcg(poor)
    # only the term weights move; the structure of the model stays as given
    assert replace(tuned, w_relative=0.0, w_content=0.0, w_loved=0.0, w_popularity=0.5) == poor


def test_compare_fits_every_named_hybrid_on_the_same_split():
    train, test = ratio_split(synthetic(), 0.2, 5)
    hybrids = {"a": HybridParams(), "b": HybridParams(w_loved=0.0)}
    _, results = compare(train, test, FEATURES, seed=5, k=3, hybrids=hybrids)
    assert [r.name for r in results] == ["most-popular", "EASE (tuned)", "a", "b"]


def test_the_table_has_a_row_per_seed_then_mean_and_min_of_each_ratio():
    rows = [
        SeedRow(1, {"most-popular": 0.1, "EASE (tuned)": 0.2, "ours": 0.3}),
        SeedRow(2, {"most-popular": 0.1, "EASE (tuned)": 0.25, "ours": 0.3}),
    ]
    lines = format_rows(rows).splitlines()
    assert lines[0].split(" | ")[-2:] == ["ours / EASE (tuned)", "ours / most-popular |"]
    assert lines[2] == "| 1 | 0.1000 | 0.2000 | 0.3000 | 1.500x | 3.000x |"
    assert lines[-2] == "| mean | 0.1000 | 0.2250 | 0.3000 | 1.350x | 3.000x |"
    assert lines[-1] == "| min | 0.1000 | 0.2000 | 0.3000 | 1.200x | 3.000x |"


def test_cuvee_evaluate_with_seeds_prints_both_tables(tmp_path: Path):
    ratings = synthetic(users=200)
    with (tmp_path / "wines.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["WineID", "WineName", "Type", "Body", "Acidity", "Country", "RegionName", "WineryName"])
        for n in range(10):
            writer.writerow([100 + n, f"W{n}", "Red" if n % 2 else "White", "Full-bodied", "High", "France", "R", n])
    with (tmp_path / "ratings.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["UserID", "WineID", "Vintage", "Rating"])
        writer.writerows(zip(ratings.users, ratings.wines, ratings.vintages, ratings.ratings, strict=True))
    argv = ["--wines", str(tmp_path / "wines.csv"), "--ratings", str(tmp_path / "ratings.csv")]
    result = CliRunner().invoke(evaluate, [*argv, "--seeds", "1,2", "--tune-seeds", "1", "--k", "3"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "## Every seed" in text and "## Pseudo-other-half" in text
    assert "ours (tuned on A) / EASE (tuned)" in text
    assert text.count("| min |") == 2
