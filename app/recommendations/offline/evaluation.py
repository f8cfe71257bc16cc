"""Offline evaluation on X-Wines: most-popular, tuned EASE and our model (also re-ranked for variety) on one
split of the protocol (`protocol.py`), and the report `cuvee evaluate` prints."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.recommendations.model import diversity
from app.recommendations.model.diversity import Attributes
from app.recommendations.model.model import EASE, HybridParams, HybridRecommender, MostPopular, Recommender
from app.recommendations.offline.protocol import (
    LIST_METRICS,
    METRICS,
    Split,
    build_split,
    mmr_rerank,
    ratio_split,
    score_split,
    tune_ease,
)
from app.recommendations.offline.xwines import Ratings, read_ratings, read_wines

OURS = "ours (hybrid)"
DIVERSE = " + MMR"  # suffix of a model's row re-ranked for diversity


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
