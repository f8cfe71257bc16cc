"""Tables that need no user: popularity, time-decayed trending (global and per segment), co-purchases."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from scipy import sparse

from app.recommendations.serving.tables import STYLES, WineTable

TRENDING_HALF_LIFE_DAYS = 14.0
EVENT_WEIGHTS = {"view": 1.0, "click": 2.0, "cart": 3.0, "purchase": 5.0}
# Popular-in-season: months (1..12) in which a style sells better; a mild nudge, never a filter.
SEASONAL_STYLES: dict[str, tuple[int, ...]] = {
    "rosé": (5, 6, 7, 8), "white": (5, 6, 7, 8, 9), "sparkling": (12, 1, 6, 7),
    "red": (10, 11, 12, 1, 2, 3), "fortified": (11, 12, 1, 2), "dessert": (11, 12, 1),
}  # fmt: skip
SEASON_BOOST = 0.15


@dataclass(frozen=True)
class Event:
    """One thing a user did with a wine, for trending."""

    wine_id: str
    at: datetime
    kind: str  # view, click, cart, purchase
    user_id: str | None


def popularity(table: WineTable, counts: np.ndarray | None, loved_share: np.ndarray | None) -> np.ndarray:
    """Per wine 0..1: how many people chose it and how many loved it (model counts, else catalog aggregates)."""
    if counts is None:
        counts = table.rating_count + 0.2 * table.view_count
        quality = np.where(table.rating_count > 0, table.rating_mean / 5.0, 0.7)
    else:
        quality = np.asarray(loved_share) if loved_share is not None else np.ones(len(table))
    raw = np.log1p(np.asarray(counts, dtype=np.float64)) * (0.5 + quality)
    peak = raw.max() if len(raw) else 0.0
    return raw / peak if peak > 0 else raw


def trending_scores(
    table: WineTable, events: Iterable[Event], now: datetime, groups: Mapping[str, int] | None = None
) -> dict[int | None, np.ndarray]:
    """Time-decayed activity per wine: {None: everyone} plus {segment: its members} when `groups` is given."""
    out: dict[int | None, np.ndarray] = {None: np.zeros(len(table))}
    decay = math.log(2) / (TRENDING_HALF_LIFE_DAYS * 86_400)
    for event in events:
        row = table.index.get(event.wine_id)
        if row is None:
            continue
        age = max((now - event.at).total_seconds(), 0.0)
        weight = EVENT_WEIGHTS.get(event.kind, 1.0) * math.exp(-decay * age)
        out[None][row] += weight
        segment = groups.get(event.user_id) if groups is not None and event.user_id else None
        if segment is not None:
            out.setdefault(segment, np.zeros(len(table)))[row] += weight
    return out


def seasonal(table: WineTable, month: int) -> np.ndarray:
    """1 + SEASON_BOOST for the styles in season this month, else 1."""
    in_season = [STYLES.index(style) for style, months in SEASONAL_STYLES.items() if month in months]
    return 1.0 + SEASON_BOOST * np.isin(table.style, in_season)


def co_purchases(table: WineTable, baskets: Sequence[Sequence[str]]) -> sparse.csr_matrix:
    """Wine x wine: how many orders held both (diagonal: orders holding the wine)."""
    rows, cols = [], []
    for n, basket in enumerate(baskets):
        for wine_id in set(basket):
            col = table.index.get(wine_id)
            if col is not None:
                rows.append(n)
                cols.append(col)
    orders = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(baskets), len(table)))
    return sparse.csr_matrix(orders.T @ orders)


def bought_with(matrix: sparse.csr_matrix, row: int) -> list[tuple[int, float, int]]:
    """(row, cosine, orders together) of the wines bought in the same orders as `row`, best first."""
    line = matrix.getrow(row)
    counts = matrix.diagonal()
    out = []
    for col, together in zip(line.indices.tolist(), line.data.tolist(), strict=True):
        if col != row and together > 0:
            out.append((col, together / math.sqrt(counts[row] * counts[col]), int(together)))
    out.sort(key=lambda item: (-item[1], -item[2], item[0]))
    return out
