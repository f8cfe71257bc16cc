"""Does our lead over tuned EASE hold beyond one split? A table over seeds and a pseudo-other-half check.

    python -m app.recommendations.offline.generalisation --wines WINES.csv --ratings RATINGS.csv[.gz] \
        [--seeds 1-10] [--half-seed 2024] [--tune-seeds 1-4] [--relevance 5 --k 10]

- **Seeds**: one `evaluation.compare` run per seed, every model on the identical RatioSplit.
- **Pseudo-other-half**: the users are split into two random halves. The hybrid's weights are tuned on
  half A only (coordinate ascent of NDCG@k over A's RatioSplit test parts), then half B, never looked at
  while tuning, is evaluated over the seeds with the shipped defaults and with the A-tuned weights,
  against EASE tuned on B's own training parts as in every run. This mimics what the held-out even-UserID
  half of X-Wines will do to settings chosen on the odd half.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from app.recommendations.model.model import HybridParams, HybridRecommender, combine_terms
from app.recommendations.offline.evaluation import compare
from app.recommendations.offline.protocol import build_split, ratio_split, validation_ndcg
from app.recommendations.offline.xwines import Ratings

WEIGHTS = ("w_relative", "w_content", "w_loved", "w_popularity")
STEPS = (-0.25, -0.1, 0.1, 0.25)
BASELINES = ("EASE (tuned)", "most-popular")

Features = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class SeedRow:
    """NDCG@k of every model on one seed's split."""

    seed: int
    ndcg: dict[str, float]


def seed_rows(
    ratings: Ratings,
    features: Features,
    seeds: Sequence[int],
    hybrids: Mapping[str, HybridParams] | None = None,
    *,
    test_size: float = 0.2,
    relevance: float = 5.0,
    k: int = 10,
    echo: Callable[[str], None] | None = None,
) -> list[SeedRow]:
    """One `compare` run per seed; `echo` gets a line per finished seed (long runs show progress)."""
    rows = []
    for seed in seeds:
        train, test = ratio_split(ratings, test_size, seed)
        _, results = compare(train, test, features, seed, relevance, k, hybrids=hybrids)
        rows.append(SeedRow(seed, {r.name: r.metrics[f"NDCG@{k}"] for r in results}))
        if echo is not None:
            echo(f"seed {seed}: " + ", ".join(f"{name} {value:.4f}" for name, value in rows[-1].ndcg.items()))
    return rows


def split_users(ratings: Ratings, seed: int) -> tuple[Ratings, Ratings]:
    """Two random halves of the users (all of a user's ratings go with them)."""
    users = np.unique(ratings.users)
    half_a = set(np.random.RandomState(seed).permutation(users)[: len(users) // 2].tolist())
    in_a = np.fromiter((user in half_a for user in ratings.users.tolist()), dtype=bool, count=len(ratings))
    return ratings.take(np.flatnonzero(in_a)), ratings.take(np.flatnonzero(~in_a))


def tune_weights(
    ratings: Ratings,
    features: Features,
    seeds: Sequence[int],
    params: HybridParams | None = None,
    *,
    test_size: float = 0.2,
    relevance: float = 5.0,
    k: int = 10,
    rounds: int = 4,
) -> tuple[HybridParams, float]:
    """Coordinate ascent of the hybrid's term weights on mean NDCG@k over RatioSplits of `ratings`.

    The model's terms are computed once per split (`components`), so each candidate weighting costs a
    ranking only. A step is kept only if it gains more than 1e-4, not to chase noise.
    """
    params = params or HybridParams()
    cases = []
    for seed in seeds:
        split = build_split(*ratio_split(ratings, test_size, seed))
        users = split.eval_users(relevance)
        model = HybridRecommender(params).fit_matrix(split.train, split.item_keys, features)
        cases.append((split, users, model.components(split.train[users])))

    def objective(candidate: HybridParams) -> float:
        scores = [
            validation_ndcg(combine_terms(parts, candidate), split, users, relevance, k)
            for split, users, parts in cases
        ]
        return float(np.mean(scores))

    best, value = params, objective(params)
    for _ in range(rounds):
        start = value
        for name in WEIGHTS:
            for step in STEPS:
                candidate = replace(best, **{name: round(getattr(best, name) + step, 4)})
                score = objective(candidate)
                if score > value + 1e-4:
                    best, value = candidate, score
        if value == start:
            break
    return best, value


def format_rows(rows: Sequence[SeedRow], k: int = 10) -> str:
    """A markdown table: NDCG@k per model, each hybrid over EASE and over most-popular, mean and min."""
    names = list(rows[0].ndcg)
    ours = [name for name in names if name not in BASELINES]
    ratios = [(name, base) for name in ours for base in BASELINES]
    header = ["seed", *(f"{name} NDCG@{k}" for name in names), *(f"{a} / {b}" for a, b in ratios)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    table = np.array([[row.ndcg[n] for n in names] + [row.ndcg[a] / row.ndcg[b] for a, b in ratios] for row in rows])
    for row, values in zip(rows, table, strict=True):
        lines.append(_line(str(row.seed), values, len(names)))
    lines.append(_line("mean", table.mean(axis=0), len(names)))
    lines.append(_line("min", table.min(axis=0), len(names)))
    return "\n".join(lines)


def _line(label: str, values: np.ndarray, n_scores: int) -> str:
    cells = [f"{v:.4f}" for v in values[:n_scores]] + [f"{v:.3f}x" for v in values[n_scores:]]
    return "| " + " | ".join([label, *cells]) + " |"


def parse_seeds(text: str) -> list[int]:
    """'1-10' or '1,2,5'."""
    if "-" in text:
        first, last = (int(part) for part in text.split("-"))
        return list(range(first, last + 1))
    return [int(part) for part in text.split(",")]


def run(
    ratings: Ratings,
    features: Features,
    seeds: Sequence[int],
    *,
    half_seed: int = 2024,
    tune_seeds: Sequence[int] = (1, 2, 3, 4),
    other_half_only: bool = False,
    test_size: float = 0.2,
    relevance: float = 5.0,
    k: int = 10,
    echo: Callable[[str], None] = print,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Both tables, in markdown, through `echo` (`cuvee evaluate --seeds`); `progress` gets a line per seed."""
    if not other_half_only:
        echo(f"## Every seed: {len(ratings)} ratings\n")
        rows = seed_rows(ratings, features, seeds, test_size=test_size, relevance=relevance, k=k, echo=progress)
        echo(format_rows(rows, k))
    half_a, half_b = split_users(ratings, half_seed)
    tuned, value = tune_weights(half_a, features, tune_seeds, test_size=test_size, relevance=relevance, k=k)
    echo(f"\n## Pseudo-other-half (user halves seed {half_seed}: A {len(half_a)}, B {len(half_b)} ratings)\n")
    echo(f"tuned on A (seeds {list(tune_seeds)}, mean NDCG@{k} {value:.4f}): " + _weights(tuned))
    echo(f"shipped defaults: {_weights(HybridParams())}\n")
    hybrids = {"ours (defaults)": HybridParams(), "ours (tuned on A)": tuned}
    rows = seed_rows(half_b, features, seeds, hybrids, test_size=test_size, relevance=relevance, k=k, echo=progress)
    echo(format_rows(rows, k))


def _weights(params: HybridParams) -> str:
    return ", ".join(f"{name}={getattr(params, name):g}" for name in WEIGHTS)
