"""Customer segments: k-means over a per-customer feature matrix (taste, styles bought, price level)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from app.recommendations.tables import STYLES, WineTable
from documents.models import TASTE_AXES

MAX_SEGMENTS = 5
MIN_MEMBERS = 3  # fewer customers per segment than this and segments say nothing
FEATURES: tuple[str, ...] = (*(f"taste:{a}" for a in TASTE_AXES), *(f"style:{s}" for s in STYLES), "price")


@dataclass(frozen=True)
class Segment:
    id: int
    size: int
    styles: dict[str, float]  # share of the members' wines by style, largest first
    taste: dict[str, float]  # mean axis value of the members
    typical_price_cents: int
    countries: list[str]
    summary: str


@dataclass(frozen=True)
class Segments:
    members: dict[str, int]  # user id -> segment id
    segments: list[Segment] = field(default_factory=list)
    features: tuple[str, ...] = FEATURES


def user_features(table: WineTable, wines: Mapping[str, float], axes: Mapping[str, float]) -> np.ndarray:
    """One row: taste axes (stated/quiz/learned, else what the user's wines taste like), style shares, price."""
    rows = [table.index[w] for w in wines if w in table.index]
    weights = np.array([wines[table.ids[r]] for r in rows], dtype=np.float64)
    taste = np.full(len(TASTE_AXES), 0.5)
    styles = np.zeros(len(STYLES))
    price = 0.0
    if rows and weights.sum() > 0:
        taste = weights @ table.taste[rows] / weights.sum()
        np.add.at(styles, table.style[rows].astype(np.int64), weights)
        styles /= styles.sum()
        price = float(np.log1p(weights @ table.price_cents[rows] / weights.sum() / 100.0))
    for n, axis in enumerate(TASTE_AXES):
        if axis in axes:
            taste[n] = axes[axis]
    return np.concatenate([taste, styles, [price]])


def kmeans(points: np.ndarray, k: int, seed: int = 0, iterations: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means with k-means++ seeding (deterministic for a seed): (labels, centroids)."""
    rng = np.random.default_rng(seed)
    centroids = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        gaps = np.min([((points - c) ** 2).sum(axis=1) for c in centroids], axis=0)
        total = gaps.sum()
        pick = rng.choice(len(points), p=gaps / total) if total > 0 else rng.integers(len(points))
        centroids.append(points[pick])
    center = np.array(centroids)
    labels = np.zeros(len(points), dtype=np.int64)
    for _ in range(iterations):
        distances = ((points[:, None, :] - center[None, :, :]) ** 2).sum(axis=2)
        new = distances.argmin(axis=1)
        if _ > 0 and np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            if (labels == c).any():
                center[c] = points[labels == c].mean(axis=0)
    return labels, center


def build_segments(
    table: WineTable, users: Mapping[str, tuple[Mapping[str, float], Mapping[str, float]]], k: int = MAX_SEGMENTS
) -> Segments:
    """Cluster `users` ({id: (wine weights, stated axes)}); too few customers give no segments."""
    ids = sorted(users)
    k = min(k, len(ids) // MIN_MEMBERS)
    if k < 2:
        return Segments(members={})
    raw = np.array([user_features(table, *users[u]) for u in ids])
    spread = raw.std(axis=0)
    points = (raw - raw.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    labels, _ = kmeans(points, k)
    # number segments by size, largest first, so ids are stable for the same data
    order = [c for c, _ in Counter(labels.tolist()).most_common()]
    renumber = {old: new for new, old in enumerate(order)}
    members = {u: renumber[int(label)] for u, label in zip(ids, labels.tolist(), strict=True)}
    described = [
        _describe(table, new, raw[labels == old], [users[u][0] for u in ids if members[u] == new])
        for old, new in renumber.items()
    ]
    return Segments(members=members, segments=sorted(described, key=lambda s: s.id))


def _describe(table: WineTable, segment_id: int, rows: np.ndarray, wines: list[Mapping[str, float]]) -> Segment:
    mean = rows.mean(axis=0)
    taste = {axis: round(float(mean[n]), 2) for n, axis in enumerate(TASTE_AXES)}
    shares = {STYLES[n]: round(float(mean[len(TASTE_AXES) + n]), 2) for n in range(len(STYLES))}
    styles = dict(sorted(((s, v) for s, v in shares.items() if v > 0), key=lambda item: -item[1]))
    price = round(float(np.expm1(mean[-1])) * 100)
    countries = Counter(table.countries[table.index[w]] for ws in wines for w in ws if w in table.index)
    top_countries = [c for c, _ in countries.most_common(3) if c]
    return Segment(
        id=segment_id,
        size=len(rows),
        styles=styles,
        taste=taste,
        typical_price_cents=price,
        countries=top_countries,
        summary=_summary(styles, taste, price, top_countries),
    )


def _summary(styles: dict[str, float], taste: dict[str, float], price_cents: int, countries: list[str]) -> str:
    words = []
    if styles:
        words.append(" and ".join(list(styles)[:2]) + " drinkers")
    marked = [f"{'high' if v >= 0.65 else 'low'} {axis}" for axis, v in taste.items() if v >= 0.65 or v <= 0.2]
    if marked:
        words.append("who like " + ", ".join(marked[:3]))
    if price_cents:
        words.append(f"around {price_cents / 100:.0f} a bottle")
    if countries:
        words.append("mostly " + ", ".join(countries[:2]))
    return "; ".join(words) or "customers without a clear pattern yet"
