"""Offline check of within-visit updates: replay ratings in time order, updating the user on each event.

Protocol: the ratings are sorted by their Date (file order among equal times); the model is fitted once
on the first `train_share` of them (the batch model, as a training leaves it). The rest is the stream,
replayed in order. Before each stream rating ≥ relevance of a wine the model knows, both arms rank every
wine the model knows, except the ones this user already rated ≥ relevance (training or stream so far,
the same set for both arms), and the rated wine's place gives its NDCG@k (one positive: 1 / log2(rank + 1)
in the top k, else 0) and hit@k:
- batch: the user's history as of the training (what serving knew before within-visit updates);
- updated: the same model, the history updated with every earlier stream rating of the user (the fold-in
  serving does per request). Afterwards the rating joins the updated history (a later rating of the same
  wine replaces it, as in serving).
Means are over the evaluated events, overall and for users known at the training and users new since.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from app.recommendations.model.model import HybridRecommender
from app.recommendations.offline import metrics
from app.recommendations.offline.xwines import Ratings

ARMS = ("batch", "updated")
GROUPS = ("all", "known users", "new users")


@dataclass(frozen=True)
class ReplayReport:
    train_rows: int
    stream_rows: int
    cut_at: str  # the Date of the last training rating
    events: dict[str, int]  # evaluated events per group
    ndcg: dict[str, dict[str, float]]  # arm -> group -> mean NDCG@k
    hits: dict[str, dict[str, float]]  # arm -> group -> mean hit@k
    k: int
    relevance: float
    seconds: float


def time_order(ratings: Ratings) -> np.ndarray:
    if ratings.dates is None:
        raise ValueError("the ratings have no Date column: a replay needs each rating's time")
    return np.argsort(ratings.dates, kind="stable")


def replay(
    ratings: Ratings,
    features: Mapping[str, Mapping[str, float]],
    *,
    train_share: float = 0.8,
    relevance: float = 5.0,
    k: int = 10,
    progress: bool = False,
) -> ReplayReport:
    """Fit on the earliest `train_share` of the ratings, replay the rest (see the module docstring)."""
    started = time.perf_counter()
    order = time_order(ratings)
    n_train = round(train_share * len(order))
    train, stream = ratings.take(order[:n_train]), ratings.take(order[n_train:])
    model = HybridRecommender().fit(
        train.users.tolist(), train.wines.tolist(), train.ratings.tolist(), item_features=dict(features)
    )
    known_items = {key: n for n, key in enumerate(model.item_keys)}
    everything = np.arange(len(model.item_keys))
    batch: dict[str, dict[str, float]] = {}
    for user, wine, stars in zip(train.users.tolist(), train.wines.tolist(), train.ratings.tolist(), strict=True):
        history = batch.setdefault(user, {})
        history[wine] = max(history.get(wine, 0.0), stars)  # as `fit` keeps a repeated pair
    updated = {user: dict(history) for user, history in batch.items()}
    batch_scores: dict[str, np.ndarray] = {}  # the batch history never changes: score each user once
    totals = {arm: {group: [0.0, 0.0] for group in GROUPS} for arm in ARMS}
    events = dict.fromkeys(GROUPS, 0)
    rows = zip(stream.users.tolist(), stream.wines.tolist(), stream.ratings.tolist(), strict=True)
    for user, wine, stars in tqdm(rows, total=len(stream), desc="replay", disable=not progress, file=sys.stderr):
        history = updated.setdefault(user, {})
        seen = {w for w, s in history.items() if s >= relevance}
        if stars >= relevance and wine in known_items and wine not in seen:
            if user not in batch_scores:
                batch_scores[user] = model.score_user(batch.get(user, {}))
            candidates = np.setdiff1d(everything, [known_items[w] for w in seen if w in known_items])
            target = np.array([known_items[wine]])
            groups = ("all", "known users" if user in batch else "new users")
            for arm, scores in (("batch", batch_scores[user]), ("updated", model.score_user(history))):
                ranked = metrics.rank_candidates(candidates, scores[candidates])
                ndcg = metrics.ndcg_at_k(ranked, target, k)
                for group in groups:
                    totals[arm][group][0] += ndcg
                    totals[arm][group][1] += float(ndcg > 0)
            for group in groups:
                events[group] += 1
        history[wine] = stars
    return ReplayReport(
        train_rows=len(train),
        stream_rows=len(stream),
        cut_at=str(train.dates[-1]) if train.dates is not None and len(train) else "",
        events=events,
        ndcg={arm: {g: _mean(totals[arm][g][0], events[g]) for g in GROUPS} for arm in ARMS},
        hits={arm: {g: _mean(totals[arm][g][1], events[g]) for g in GROUPS} for arm in ARMS},
        k=k,
        relevance=relevance,
        seconds=time.perf_counter() - started,
    )


def _mean(total: float, n: int) -> float:
    return total / n if n else 0.0


def format_replay(report: ReplayReport) -> str:
    """A plain-text table: NDCG@k and hit@k of both arms per group, and updated / batch."""
    k = report.k
    lines = [
        f"time-ordered replay; relevance ≥ {report.relevance:g}; k = {k}",
        f"batch model fitted on the first {report.train_rows} ratings (until {report.cut_at}); "
        f"{report.stream_rows} ratings replayed in time order; {report.seconds:.1f} s",
        "",
        "group".ljust(14) + "events".rjust(8) + f"{'batch NDCG@' + str(k):>16}{'updated NDCG@' + str(k):>18}"
        f"{'updated / batch':>17}{'batch hit@' + str(k):>15}{'updated hit@' + str(k):>17}",
    ]
    for group in GROUPS:
        batch, updated = report.ndcg["batch"][group], report.ndcg["updated"][group]
        ratio = f"{updated / batch:16.3f}x" if batch else "              n/a"
        lines.append(
            group.ljust(14)
            + f"{report.events[group]:8d}{batch:16.4f}{updated:18.4f}{ratio}"
            + f"{report.hits['batch'][group]:15.4f}{report.hits['updated'][group]:17.4f}"
        )
    return "\n".join(lines)
