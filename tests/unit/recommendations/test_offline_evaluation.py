"""The offline evaluation: X-Wines readers, Cornac's split and candidate sets, the report and the CLI."""

import csv
import gzip
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import sparse

from app.cli.recommendations import evaluate as evaluate_command
from app.recommendations.model.model import EASE, MostPopular, ease_weights
from app.recommendations.offline import metrics
from app.recommendations.offline.evaluation import evaluate, format_report
from app.recommendations.offline.protocol import (
    Split,
    build_split,
    ratio_split,
    score_split,
    user_metrics,
    validation_ndcg,
)
from app.recommendations.offline.xwines import Ratings, read_ratings, read_wines

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "xwines"
SLIM_WINES = DATA / "XWines_Slim_1K_wines.csv"
SLIM_DEV = DATA / "XWines_Slim_dev_ratings.csv.gz"

WINE_HEADER = [
    "WineID", "WineName", "Type", "Elaborate", "Grapes", "Harmonize", "ABV", "Body", "Acidity",
    "Code", "Country", "RegionID", "RegionName", "WineryID", "WineryName", "Website", "Vintages",
]  # fmt: skip
RATING_HEADER = ["RatingID", "UserID", "WineID", "Vintage", "Rating", "Date"]


def write_wines(path: Path, count: int = 8) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(WINE_HEADER)
        for n in range(count):
            kind = "Red" if n % 2 else "White"
            grapes = "['Merlot', 'Syrah']" if n % 2 else "['Riesling']"
            writer.writerow(
                [100 + n, f"W{n}", kind, "Varietal/100%", grapes, "['Beef']", 13.0, "Full-bodied",
                 "High", "FR", "France", 1, "Rhône", 10 + n, "X", "", "[2020, 'N.V.']"]
            )  # fmt: skip


def write_ratings(path: Path, rows: list[tuple[str, str, float]], vintage: str = "2015") -> None:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(RATING_HEADER)
        for n, (user, wine, rating) in enumerate(rows):
            writer.writerow([n, user, wine, vintage, rating, "2020-01-01 00:00:00"])


def synthetic_rows(users: int = 80, seed: int = 0) -> list[tuple[str, str, float]]:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        for n in range(8):
            if rng.random() < 0.55:
                loves = (n % 2) == (u % 2)
                rows.append((str(u), str(100 + n), 5.0 if loves and rng.random() < 0.7 else 3.5))
    return rows


def test_ratings_read_slim_vintage_zero_and_test_nv_alike(tmp_path):
    write_ratings(tmp_path / "slim.csv.gz", [("1", "100", 4.5)], vintage="0")
    write_ratings(tmp_path / "test.csv", [("1", "100", 4.5)], vintage="N.V.")
    slim, test = read_ratings(tmp_path / "slim.csv.gz"), read_ratings(tmp_path / "test.csv")
    assert slim.vintages.tolist() == test.vintages.tolist() == [0]
    assert slim.users.tolist() == ["1"]
    assert slim.ratings.tolist() == [4.5]


def test_wines_become_the_content_tokens_serving_derives(tmp_path):
    write_wines(tmp_path / "wines.csv", 2)
    tokens = read_wines(tmp_path / "wines.csv")["101"]
    assert {"type=red", "grape=merlot", "grape=syrah", "body=high", "acidity=high", "country=france"} <= set(tokens)
    assert tokens["food=beef"] == 0.5  # serving's weights too
    assert not any(token.startswith("elaborate=") for token in tokens)  # the shop does not keep that column


def test_ratio_split_is_cornacs_permutation_with_a_ceiled_test_part():
    ratings = Ratings(
        np.array([str(n % 7) for n in range(101)]),
        np.array([str(n % 5) for n in range(101)]),
        np.arange(101, dtype=float),
        np.zeros(101, dtype=int),
    )
    train, test = ratio_split(ratings, 0.2, 42)
    order = np.random.RandomState(42).permutation(101)
    assert len(test) == math.ceil(0.2 * 101)
    assert test.ratings.tolist() == order[-21:].tolist()
    assert train.ratings.tolist() == order[:80].tolist()


def test_split_drops_unknown_users_and_wines_and_keeps_a_pairs_first_rating():
    train = Ratings(np.array(["a", "a", "b"]), np.array(["x", "x", "y"]), np.array([5.0, 1.0, 3.0]), np.zeros(3))
    test = Ratings(np.array(["a", "c", "b"]), np.array(["y", "x", "z"]), np.array([5.0, 5.0, 5.0]), np.zeros(3))
    split = build_split(train, test)
    assert split.item_keys == ["x", "y"]
    assert split.train.toarray().tolist() == [[5.0, 0.0], [0.0, 3.0]]
    assert split.test.toarray().tolist() == [[0.0, 5.0], [0.0, 0.0]]
    assert split.n_test_rows == 1


def test_candidates_exclude_training_positives_but_keep_lower_rated_training_items():
    # items 0..3; the user rated item 0 a 5 and item 1 a 3 in training; item 2 is the test positive
    train_row = np.array([5.0, 3.0, 0.0, 0.0])
    scores = np.array([9.0, 8.0, 1.0, 0.0])
    p, r, ndcg, ap, rr, auc = user_metrics(scores, train_row, np.array([2]), relevance=5.0, k=1)
    # item 0 is not a candidate; item 1 still is, and outranks the positive
    assert (p, r, ndcg) == (0.0, 0.0, 0.0)
    assert rr == pytest.approx(1 / 2)
    assert ap == pytest.approx(1 / 2)
    assert auc == pytest.approx(1 / 2)  # positive beats item 3, loses to item 1


def test_vectorised_validation_ndcg_equals_the_per_user_metric():
    rng = np.random.default_rng(1)
    train = sparse.csr_matrix((rng.random((30, 12)) < 0.3) * rng.choice([3.0, 5.0], (30, 12)))
    test = sparse.csr_matrix((rng.random((30, 12)) < 0.2) * 5.0)
    test = test - test.multiply(train != 0)
    split = Split([str(n) for n in range(12)], train, sparse.csr_matrix(test), int(test.nnz))
    users = split.eval_users(5.0)
    scores = rng.random((len(users), 12))
    expected = []
    for n, user in enumerate(users):
        candidates = np.flatnonzero(train[user].toarray()[0] < 5.0)
        ranked = metrics.rank_candidates(candidates, scores[n][candidates])
        expected.append(metrics.ndcg_at_k(ranked, split.test[user].indices, 5))
    assert validation_ndcg(scores, split, users, 5.0, 5) == pytest.approx(np.mean(expected))


def test_evaluate_on_a_given_split_reports_three_models_ours_diversified_and_ratios(tmp_path):
    write_wines(tmp_path / "wines.csv")
    rows = synthetic_rows(users=200)
    test_rows = set(np.random.default_rng(5).permutation(len(rows))[: len(rows) // 5].tolist())
    write_ratings(tmp_path / "train.csv", [row for n, row in enumerate(rows) if n not in test_rows])
    write_ratings(tmp_path / "test.csv.gz", [row for n, row in enumerate(rows) if n in test_rows])
    report = evaluate(
        tmp_path / "wines.csv",
        train_path=tmp_path / "train.csv",
        test_path=tmp_path / "test.csv.gz",
        k=2,
        progress=False,
    )
    names = ["most-popular", "EASE (tuned)", "ours (hybrid)", "ours (hybrid) + MMR"]
    assert [result.name for result in report.results] == names
    ours = report.result("ours (hybrid)").metrics
    assert set(ours) == {"P@2", "R@2", "NDCG@2", "MAP", "MRR", "AUC", "ILD@2", "Cov@2", "1-style"}
    # half the users love odd wines, half even ones: popularity alone cannot tell them apart
    assert ours["NDCG@2"] > report.result("most-popular").metrics["NDCG@2"]
    assert 0 < ours["Cov@2"] <= 1
    assert 0 <= ours["ILD@2"] <= 1
    table = format_report(report)
    assert "ours / EASE" in table
    assert "ours / most-popular" in table
    assert "+ MMR / ours" in table
    assert "ILD@2" in table
    assert "given split" in table


def test_the_command_line_takes_the_cuvee_evaluate_flags(tmp_path):
    write_wines(tmp_path / "wines.csv")
    write_ratings(tmp_path / "ratings.csv.gz", synthetic_rows(seed=2))
    argv = ["--wines", str(tmp_path / "wines.csv"), "--ratings", str(tmp_path / "ratings.csv.gz")]
    argv += ["--test-size", "0.25", "--seed", "7", "--relevance", "5", "--k", "5"]
    result = CliRunner().invoke(evaluate_command, argv)
    assert result.exit_code == 0, result.output
    assert "RatioSplit(test_size=0.25, seed=7)" in result.output
    assert "NDCG@5" in result.output
    refused = CliRunner().invoke(evaluate_command, ["--wines", str(tmp_path / "wines.csv"), "--ratings", "none.csv"])
    assert refused.exit_code == 2


@pytest.mark.slow
@pytest.mark.skipif(not SLIM_DEV.exists(), reason="X-Wines development ratings not available")
def test_metrics_match_cornac_on_the_x_wines_development_half():
    """Cornac 3.0.1's RatioSplit(0.2, rating_threshold=5, seed=42) printed these for MostPop and EASE(λ=5e4)."""
    split = build_split(*ratio_split(read_ratings(SLIM_DEV), 0.2, 42))
    features = read_wines(SLIM_WINES)
    popular = score_split(MostPopular().fit_matrix(split.train, split.item_keys, features), split, 5.0, 10)
    cornac_most_pop = {"P@10": 0.0260, "R@10": 0.2134, "NDCG@10": 0.0839, "MAP": 0.0601, "AUC": 0.8969}
    for name, value in cornac_most_pop.items():
        assert popular[name] == pytest.approx(value, abs=6e-5), name
    _, lam_unit = ease_weights(split.train, 1.0)
    ease = EASE(50_000 / lam_unit).fit_matrix(split.train, split.item_keys)
    scored = score_split(ease, split, 5.0, 10)
    cornac_ease = {"P@10": 0.0514, "R@10": 0.4002, "NDCG@10": 0.2474, "MAP": 0.2076, "AUC": 0.9352}
    for name, value in cornac_ease.items():
        assert scored[name] == pytest.approx(value, abs=6e-5), name
