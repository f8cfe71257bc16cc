"""Offline evaluation on X-Wines with Cornac's RatioSplit protocol: most-popular, tuned EASE and our model.

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

import argparse
import ast
import csv
import gzip
import math
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
from scipy import sparse
from tqdm import tqdm

from app.recommendations import diversity, metrics
from app.recommendations.diversity import Attributes
from app.recommendations.model import EASE, HybridParams, HybridRecommender, MostPopular, Recommender

METRICS = ("P@{k}", "R@{k}", "NDCG@{k}", "MAP", "MRR", "AUC")
LIST_METRICS = ("ILD@{k}", "Cov@{k}", "1-style")  # of the top k lists: see `list_metrics`
OURS = "ours (hybrid)"
DIVERSE = " + MMR"  # suffix of a model's row re-ranked for diversity
EASE_GRID = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0, 10000.0, 30000.0, 100000.0)


@dataclass(frozen=True)
class Ratings:
    """Rating rows in file order. Vintage 0 means non-vintage (Slim writes 0, Test writes 'N.V.')."""

    users: np.ndarray
    wines: np.ndarray
    ratings: np.ndarray
    vintages: np.ndarray
    dates: np.ndarray | None = None  # the Date column as ISO text (sorts in time order), where the file has one

    def take(self, rows: np.ndarray) -> Ratings:
        dates = self.dates[rows] if self.dates is not None else None
        return Ratings(self.users[rows], self.wines[rows], self.ratings[rows], self.vintages[rows], dates)

    def __len__(self) -> int:
        return len(self.ratings)


@contextmanager
def _open_text(path: str | Path) -> Iterator[IO[str]]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as handle:
        yield handle


def read_ratings(path: str | Path) -> Ratings:
    """X-Wines ratings CSV or CSV.gz (columns UserID, WineID, Vintage, Rating and, if there, Date)."""
    users, wines, ratings, vintages, dates = [], [], [], [], []
    with _open_text(path) as handle:
        for row in csv.DictReader(handle):
            users.append(row["UserID"].strip())
            wines.append(row["WineID"].strip())
            ratings.append(float(row["Rating"]))
            vintage = row.get("Vintage", "").strip()
            vintages.append(int(vintage) if vintage.isdigit() else 0)
            dates.append((row.get("Date") or "").strip())
    return Ratings(
        np.array(users),
        np.array(wines),
        np.array(ratings, dtype=np.float64),
        np.array(vintages),
        np.array(dates) if all(dates) and dates else None,
    )


def read_wines(path: str | Path) -> dict[str, dict[str, float]]:
    """X-Wines wines CSV as content tokens per WineID (see `wine_tokens`)."""
    with _open_text(path) as handle:
        return {row["WineID"].strip(): wine_tokens(row) for row in csv.DictReader(handle)}


def wine_tokens(row: Mapping[str, str]) -> dict[str, float]:
    """Content tokens of one X-Wines wine: style, structure, origin, producer, grapes and food pairings."""
    tokens = {
        f"type={row['Type']}": 1.0,
        f"body={row['Body']}": 1.0,
        f"acidity={row['Acidity']}": 1.0,
        f"country={row['Code']}": 1.0,
        f"region={row['RegionID']}": 1.0,
        f"winery={row['WineryID']}": 1.0,
        f"elaborate={row['Elaborate']}": 1.0,
    }
    for column, prefix in (("Grapes", "grape"), ("Harmonize", "food")):
        for value in _literal_list(row.get(column, "")):
            tokens[f"{prefix}={value}"] = 1.0
    return {token.lower(): weight for token, weight in tokens.items()}


def _literal_list(text: str) -> list[str]:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return []
    return [str(item) for item in value] if isinstance(value, list | tuple) else []


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


@dataclass(frozen=True)
class ModelResult:
    name: str
    metrics: dict[str, float]
    detail: str = ""


@dataclass(frozen=True)
class Report:
    """One evaluation run: the protocol's parameters, data sizes and each model's metrics."""

    results: list[ModelResult]
    k: int
    relevance: float
    protocol: str
    train_rows: int
    test_rows: int
    users: int
    items: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def result(self, name: str) -> ModelResult:
        return next(result for result in self.results if result.name == name)


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


def evaluate(
    wines_path: str | Path,
    ratings_path: str | Path | None = None,
    *,
    train_path: str | Path | None = None,
    test_path: str | Path | None = None,
    test_size: float = 0.2,
    seed: int = 42,
    relevance: float = 5.0,
    k: int = 10,
    progress: bool = True,
    trade_off: float | None = None,
) -> Report:
    """Fit most-popular, EASE (λ tuned on an inner split) and our hybrid on the training part; score the test.

    Give either `ratings_path` (split here with RatioSplit(test_size, seed)) or `train_path` and
    `test_path` (a fixed split). `seed` also seeds the inner validation split (seed + 1). Ours is also
    scored re-ranked for diversity at MMR λ = `trade_off` (default: the served `diversity.TRADE_OFF`).
    """
    started = time.perf_counter()
    if (ratings_path is None) == (train_path is None or test_path is None):
        raise ValueError("give either ratings_path, or both train_path and test_path")
    features = read_wines(wines_path)
    if ratings_path is not None:
        train, test = ratio_split(read_ratings(ratings_path), test_size, seed)
        protocol = f"RatioSplit(test_size={test_size}, seed={seed})"
    else:
        train, test = read_ratings(str(train_path)), read_ratings(str(test_path))
        protocol = f"given split ({Path(str(train_path)).name} / {Path(str(test_path)).name})"
    trade_off = diversity.TRADE_OFF if trade_off is None else trade_off
    split, results = compare(train, test, features, seed, relevance, k, progress, trade_off=trade_off)
    return Report(
        results=results,
        k=k,
        relevance=relevance,
        protocol=protocol,
        train_rows=len(train),
        test_rows=split.n_test_rows,
        users=len(split.eval_users(relevance)),
        items=len(split.item_keys),
        seconds=time.perf_counter() - started,
    )


def compare(
    train: Ratings,
    test: Ratings,
    features: Mapping[str, Mapping[str, float]],
    seed: int,
    relevance: float = 5.0,
    k: int = 10,
    progress: bool = False,
    hybrids: Mapping[str, HybridParams] | None = None,
    trade_off: float | None = None,
) -> tuple[Split, list[ModelResult]]:
    """Most-popular, EASE (λ tuned on RatioSplit(0.2, seed + 1) of `train`) and ours on one split.

    `hybrids` names the settings of each hybrid to fit (default: "ours (hybrid)" with `HybridParams()`);
    with `trade_off` each hybrid also gets a row re-ranked by MMR at that λ (`DIVERSE`).
    """
    split = build_split(train, test)
    attributes = Attributes.of_tokens([dict(features.get(key, {})) for key in split.item_keys])
    lam_scale, _ = tune_ease(build_split(*ratio_split(train, 0.2, seed + 1)), relevance, k, progress=progress)
    models: list[tuple[str, Recommender]] = [
        ("most-popular", MostPopular()),
        ("EASE (tuned)", EASE(lam_scale)),
    ]
    models += [(name, HybridRecommender(p)) for name, p in (hybrids or {OURS: HybridParams()}).items()]
    results = []
    for name, model in models:
        model.fit_matrix(split.train, split.item_keys, features)
        detail = f"λ={model.lam:.3g} (scale {lam_scale:g})" if isinstance(model, EASE) else ""
        scored = score_split(model, split, relevance, k, progress, name, attributes)
        results.append(ModelResult(name, scored, detail))
        if trade_off is not None and isinstance(model, HybridRecommender):
            rerank = mmr_rerank(attributes, k, trade_off)
            scored = score_split(model, split, relevance, k, progress, name + DIVERSE, attributes, rerank)
            results.append(ModelResult(name + DIVERSE, scored, f"MMR λ={trade_off:g}"))
    return split, results


def format_report(report: Report) -> str:
    """A plain-text table: one row per model, then ours relative to EASE, most-popular and itself
    re-ranked; the ranking metrics, then the list measures (diversity, coverage, one-style lists)."""
    names = [name.format(k=report.k) for name in (*METRICS, *LIST_METRICS)]
    width = max(len(result.name) for result in report.results) + 2
    width = max(width, len("ours / most-popular") + 2)
    lines = [
        f"{report.protocol}; relevance ≥ {report.relevance:g}; k = {report.k}",
        f"train {report.train_rows} ratings; test {report.test_rows} ratings of known users and wines; "
        f"{report.users} users with a positive; {report.items} wines; {report.seconds:.1f} s",
        "",
        "model".ljust(width) + "".join(name.rjust(9) for name in names),
    ]
    for result in report.results:
        row = result.name.ljust(width) + "".join(_cell(result.metrics.get(name)) for name in names)
        lines.append(row + (f"   {result.detail}" if result.detail else ""))
    ours = report.result(OURS).metrics
    bases = [("ours / EASE", "EASE (tuned)", ours), ("ours / most-popular", "most-popular", ours)]
    if any(result.name == OURS + DIVERSE for result in report.results):
        bases.append(("+ MMR / ours", OURS, report.result(OURS + DIVERSE).metrics))
    for label, base, mine in bases:
        other = report.result(base).metrics
        lines.append(label.ljust(width) + "".join(_ratio(mine.get(name), other.get(name)) for name in names))
    lines.extend(report.notes)
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return f"{value:9.4f}" if value is not None else "        -"


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:8.3f}x" if value is not None and base else "      n/a"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cuvee evaluate",
        description="Offline ranking evaluation on X-Wines (Cornac RatioSplit protocol).",
    )
    parser.add_argument("--wines", required=True, help="X-Wines wines CSV")
    parser.add_argument("--ratings", help="X-Wines ratings CSV or CSV.gz, split here")
    parser.add_argument("--train", help="training ratings of a fixed split (with --test)")
    parser.add_argument("--test", help="test ratings of a fixed split (with --train)")
    parser.add_argument("--test-size", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--relevance", type=float, default=5.0)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--trade-off", type=float, help=f"MMR λ of the diverse row (default {diversity.TRADE_OFF})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    return parser


def main(argv: Sequence[str] | None = None, echo: Callable[[str], None] = print) -> int:
    """`python -m app.recommendations.evaluation …`; the same flags as `cuvee evaluate`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.ratings is None) == (args.train is None or args.test is None):
        parser.error("give --ratings, or both --train and --test")
    report = evaluate(
        args.wines,
        args.ratings,
        train_path=args.train,
        test_path=args.test,
        test_size=args.test_size,
        seed=args.seed,
        relevance=args.relevance,
        k=args.k,
        progress=not args.no_progress,
        trade_off=args.trade_off,
    )
    echo(format_report(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
