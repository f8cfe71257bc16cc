"""Ranking on a snapshot, all in memory: each surface's candidates, best first, with score and reasons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import rankdata

from app.recommendations import explain
from app.recommendations.content import TasteIntent, content_scores, price_factor
from app.recommendations.explain import Reason
from app.recommendations.filters import HardFilters, allowed_rows
from app.recommendations.popularity import bought_with, seasonal
from app.recommendations.snapshot import Snapshot

CONTENT_WEIGHT_NEW = 0.7  # a user with no history: taste and preferences lead
CONTENT_WEIGHT_MIN = 0.25  # a user with a long history: behaviour leads, taste still counts
VISIT_SIMILAR_WEIGHT = 0.3  # how far the visit's other wines tilt "similar"; the wine on the page leads
VISIT_SIMILAR_MAX = 5  # the visit's newest wines that tilt it


@dataclass
class Candidate:
    row: int
    score: float  # 0..1, shown as the match
    reasons: list[Reason] = field(default_factory=list)


def percentiles(values: np.ndarray) -> np.ndarray:
    """Rank of each value among `values`, scaled to 0..1; ties share their mean rank, so equal scores
    (no signal at all) never order wines by accident."""
    if len(values) < 2:
        return np.ones(len(values))
    return (rankdata(values, method="average") - 1) / (len(values) - 1)  # type: ignore[no-any-return]


def top_rows(scores: np.ndarray, mask: np.ndarray, n: int, skip: int = 0) -> np.ndarray:
    rows = np.flatnonzero(mask)
    if len(rows) == 0:
        return rows
    order = np.argsort(-scores[rows], kind="stable")[skip : skip + n]
    return rows[order]


def for_you(
    snap: Snapshot,
    history: dict[str, float],
    intent: TasteIntent,
    filters: HardFilters,
    n: int,
    skip: int = 0,
    looked_at: Sequence[int] = (),
) -> list[Candidate]:
    """Collaborative signals (fold-in) blended with content match; popularity stands in without history.
    `looked_at`: table rows of the current visit, newest first, named in the reasons where they lead here."""
    table = snap.table
    mask = allowed_rows(table, filters)
    model = snap.model_scores(history) if history else None
    collab = np.zeros(len(table))
    collab[mask] = _collaborative_ranks(model[mask] if model is not None else None, snap.popularity[mask])
    content = content_scores(table, intent)
    weight = 0.0 if content is None else max(CONTENT_WEIGHT_MIN, CONTENT_WEIGHT_NEW - 0.045 * len(history))
    score = (1 - weight) * collab + (weight * content if content is not None else 0.0)
    score = score * price_factor(table, intent)
    rows = top_rows(score, mask, n, skip)
    visit = set(looked_at)  # named as "looked at", even when put in the cart
    liked = [row for w, s in history.items() if (row := table.index.get(w)) is not None and s >= 4.0]
    liked = [row for row in liked if row not in visit]
    return [
        Candidate(int(r), float(score[r]), _for_you_reasons(snap, int(r), intent, liked, looked_at, model is None))
        for r in rows
    ]


def _collaborative_ranks(model: np.ndarray | None, popularity: np.ndarray) -> np.ndarray:
    """Percentiles of the model's scores; wines it cannot score rank last, by popularity among themselves."""
    if model is None or not np.isfinite(model).any():
        return percentiles(popularity)
    finite = np.isfinite(model)
    floor = model[finite].min() - 1.0
    return percentiles(np.where(finite, model, floor + popularity * 0.5))


def _for_you_reasons(
    snap: Snapshot, row: int, intent: TasteIntent, liked: list[int], looked_at: Sequence[int], cold: bool
) -> list[Reason]:
    table = snap.table
    reasons = explain.taste_reasons(table, row, intent)
    because = _closest_liked(snap, row, liked)
    if because is not None:
        reasons.insert(0, explain.because_reason(table, because))
    seen = _closest_liked(snap, row, looked_at)
    if seen is not None:
        reasons.insert(0, explain.looked_at_reason(table, seen))
    elif because is None and cold:
        reasons.append(explain.popular_reason())
    for extra in (rating_reason(snap, row), explain.price_reason(table, row, intent)):
        if extra is not None:
            reasons.append(extra)
    return reasons[:4]


def _closest_liked(snap: Snapshot, row: int, liked: Sequence[int]) -> int | None:
    """Which liked (or looked-at) wine points at this one most strongly in the model ("because you liked X")."""
    model = snap.model
    col = int(snap.model_cols[row])
    if model is None or col < 0 or not liked:
        return None
    cols = snap.model_cols[liked]
    known = cols >= 0
    if not known.any():
        return None
    weights = model.b_rating[cols[known], col]
    best = int(np.argmax(weights))
    return int(np.array(liked)[known][best]) if weights[best] > 0 else None


def rating_reason(snap: Snapshot, row: int) -> Reason | None:
    col = int(snap.model_cols[row])
    if snap.model is None or col < 0:
        return explain.rating_reason(snap.table, row)
    raters, loved = int(snap.model.counts[col]), int(snap.loved_counts[col])
    return explain.rating_reason(snap.table, row, raters, loved, snap.loved_typical)


def popular(snap: Snapshot, filters: HardFilters, month: int, n: int, skip: int = 0) -> list[Candidate]:
    """Popular in season: all-time popularity and recent activity, nudged towards this month's styles."""
    trend = snap.trending.get(None, np.zeros(len(snap.table)))
    peak = float(trend.max(initial=0.0))
    recent = trend / peak if peak > 0 else np.zeros(len(snap.table))
    score = (0.7 * snap.popularity + 0.3 * recent) * seasonal(snap.table, month) / (1 + 0.15)
    rows = top_rows(score, allowed_rows(snap.table, filters), n, skip)
    out = []
    for r in rows:
        reasons = [explain.popular_reason()]
        rating = rating_reason(snap, int(r))
        if rating is not None:
            reasons.append(rating)
        out.append(Candidate(int(r), float(min(score[r], 1.0)), reasons))
    return out


def similar(snap: Snapshot, seed: int, filters: HardFilters, n: int, looked_at: Sequence[int] = ()) -> list[Candidate]:
    """Item-to-item: the model's co-rating and content neighbours, else structure and attributes alone.
    `looked_at` (the visit's other wines, newest first) tilts the list towards what is like them too; a
    wine the tilt moved up says which of them it was."""
    table = snap.table
    mask = allowed_rows(table, filters)
    mask[seed] = False
    base = _likeness(snap, seed)
    visit = [r for r in dict.fromkeys(looked_at) if r != seed][:VISIT_SIMILAR_MAX]
    tilts = np.array([_likeness(snap, r) for r in visit]) if visit else np.zeros((0, len(table)))
    score = base + VISIT_SIMILAR_WEIGHT * tilts.mean(axis=0) if visit else base
    rows = top_rows(score, mask, n)
    moved: dict[int, int] = {}
    if visit:
        before = {int(r): pos for pos, r in enumerate(top_rows(base, mask, int(mask.sum())))}
        moved = {int(r): visit[int(np.argmax(tilts[:, r]))] for pos, r in enumerate(rows) if pos < before[int(r)]}
    peak = float(score[rows[0]]) if len(rows) and score[rows[0]] > 0 else 1.0
    out = []
    for r in rows:
        reasons = explain.similar_reasons(table, seed, int(r))
        if int(r) in moved:
            reasons.insert(0, explain.looked_at_reason(table, moved[int(r)]))
        out.append(Candidate(int(r), float(max(score[r], 0.0)) / peak * 0.95, reasons))
    return out


def _likeness(snap: Snapshot, row: int) -> np.ndarray:
    """How like `row` every wine is, 0..1 (the model's blend where it knows the wine); `row` itself 0."""
    col = int(snap.model_cols[row])
    if snap.model is not None and col >= 0:
        known = snap.model_cols >= 0
        score = np.zeros(len(snap.table))
        score[known] = snap.model.similarity(col)[snap.model_cols[known]]
    else:
        score = _content_similarity(snap, row)
    score[row] = 0.0
    return np.maximum(score, 0.0)


def _content_similarity(snap: Snapshot, seed: int) -> np.ndarray:
    table = snap.table
    structure = 1.0 - np.abs(table.taste - table.taste[seed]).mean(axis=1)
    tokens = table.tokens[seed]
    shared = np.array([sum(w for t, w in tokens.items() if t in other) for other in table.tokens])
    return 0.5 * structure + 0.5 * shared / max(sum(tokens.values()), 1.0)  # type: ignore[no-any-return]


def bought_together(snap: Snapshot, seed: int, filters: HardFilters, n: int) -> list[Candidate]:
    """Wines in the same orders as the seed, and only those: a shop without co-purchases yet gets an empty
    list rather than similar wines under the wrong title (similar has its own list)."""
    mask = allowed_rows(snap.table, filters)
    return [
        Candidate(row, min(1.0, 0.5 + cosine / 2), [explain.bought_with_reason(snap.table, seed, together)])
        for row, cosine, together in bought_with(snap.copurchase, seed)
        if mask[row]
    ][:n]


def trending(
    snap: Snapshot, segment: int | None, filters: HardFilters, n: int, skip: int = 0, *, yours: bool = False
) -> list[Candidate]:
    """Time-decayed activity in one segment (`yours`: the caller's own, signed in) or in the whole shop."""
    activity = snap.trending.get(segment)
    if activity is None or activity.max(initial=0.0) <= 0:
        activity = snap.trending.get(None, np.zeros(len(snap.table)))
        segment = None
    described = next((s for s in snap.segments.segments if s.id == segment), None)
    peak = float(activity.max(initial=0.0))
    # a quiet shop (no recent activity) still shows something sensible: the popular wines
    score = activity / peak + 0.05 * snap.popularity if peak > 0 else 0.9 * snap.popularity
    rows = top_rows(score, allowed_rows(snap.table, filters), n, skip)
    return [
        Candidate(
            int(r),
            float(min(score[r], 1.0)),
            [explain.trending_reason(float(activity[r]), described, yours=yours)]
            if activity[r] > 0
            else [explain.popular_reason()],
        )
        for r in rows
    ]
