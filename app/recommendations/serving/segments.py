"""Customer segments: k-means over a per-customer feature matrix (taste, styles bought, price level).

Ids are stable across trainings: each new cluster takes the id of the previous segment it shares most
members with (else whose centre is nearest), and only a cluster unlike every previous one gets a new id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from app.recommendations.serving.tables import STYLES, WineTable
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
    label: str  # a short name from the members' taste, e.g. "Full-bodied red lovers"


@dataclass(frozen=True)
class Segments:
    members: dict[str, int]  # user id -> segment id
    segments: list[Segment] = field(default_factory=list)
    features: tuple[str, ...] = FEATURES
    # segment id -> mean feature row (unscaled, so comparable across trainings); no user ids
    centroids: dict[int, np.ndarray] = field(default_factory=dict)
    next_id: int = 0  # ids are never reused for a different segment

    def carried(self) -> Segments:
        """No segments this time, but the ids to match when there are segments again."""
        return Segments(members={}, centroids=self.centroids, next_id=self.next_id)


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
    table: WineTable,
    users: Mapping[str, tuple[Mapping[str, float], Mapping[str, float]]],
    k: int = MAX_SEGMENTS,
    previous: Segments | None = None,
) -> Segments:
    """Cluster `users` ({id: (wine weights, stated axes)}) into segments of at least MIN_MEMBERS, numbered
    as `previous` (the last training's) where they match; too few customers give no segments."""
    previous = previous or Segments(members={})
    ids = sorted(users)
    k = min(k, len(ids) // MIN_MEMBERS)
    if k < 2:
        return previous.carried()
    raw = np.array([user_features(table, *users[u]) for u in ids])
    spread = raw.std(axis=0)
    points = (raw - raw.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    labels = merge_small(points, kmeans(points, k)[0])
    if len(set(labels.tolist())) < 2:
        return previous.carried()
    numbering, next_id = match_ids(ids, labels, raw, previous)
    members = {u: numbering[int(label)] for u, label in zip(ids, labels.tolist(), strict=True)}
    described = [
        _describe(table, new, raw[labels == old], [users[u][0] for u in ids if members[u] == new])
        for old, new in numbering.items()
    ]
    centroids = {new: raw[labels == old].mean(axis=0) for old, new in numbering.items()}
    return Segments(
        members=members, segments=sorted(described, key=lambda s: s.id), centroids=centroids, next_id=next_id
    )


def merge_small(points: np.ndarray, labels: np.ndarray, minimum: int = MIN_MEMBERS) -> np.ndarray:
    """Dissolve clusters smaller than `minimum`, smallest first, into the nearest remaining centres."""
    labels = labels.copy()
    while True:
        sizes = Counter(labels.tolist())
        small = [c for c, size in sizes.items() if size < minimum]
        if not small or len(sizes) < 2:
            return labels
        worst = min(small, key=lambda c: (sizes[c], c))
        keep = np.array(sorted(c for c in sizes if c != worst))
        centres = np.array([points[labels == c].mean(axis=0) for c in keep])
        moved = labels == worst
        gaps = ((points[moved][:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels[moved] = keep[gaps.argmin(axis=1)]


def match_ids(ids: list[str], labels: np.ndarray, raw: np.ndarray, previous: Segments) -> tuple[dict[int, int], int]:
    """{cluster label: segment id} and the next free id. Without a previous training: by size, largest
    first. Else one-to-one (Hungarian) on shared members, ties broken by the nearest previous centre; a
    cluster sharing no member keeps a previous id only if that centre is its nearest."""
    clusters = [c for c, _ in Counter(labels.tolist()).most_common()]
    next_id = previous.next_id
    numbering: dict[int, int] = {}
    if previous.centroids:
        old_ids = sorted(previous.centroids)
        column = {old: n for n, old in enumerate(old_ids)}
        row = {c: n for n, c in enumerate(clusters)}
        overlap = np.zeros((len(clusters), len(old_ids)))
        for user_id, label in zip(ids, labels.tolist(), strict=True):
            old = previous.members.get(user_id)
            if old in column:
                overlap[row[label], column[old]] += 1
        centres = np.array([raw[labels == c].mean(axis=0) for c in clusters])
        distance = np.linalg.norm(centres[:, None, :] - np.array([previous.centroids[o] for o in old_ids]), axis=2)
        # one shared member outweighs any distance: the distance term stays below 1
        rows, cols = linear_sum_assignment(-overlap + distance / (distance.max() + 1.0))
        nearest = distance.argmin(axis=1)
        pairs = zip(rows.tolist(), cols.tolist(), strict=True)
        numbering = {clusters[r]: old_ids[c] for r, c in pairs if overlap[r, c] > 0 or nearest[r] == c}
        next_id = max(next_id, max(old_ids) + 1)
    for cluster in clusters:
        if cluster not in numbering:
            numbering[cluster], next_id = next_id, next_id + 1
    return numbering, max(next_id, max(numbering.values()) + 1)


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
        label=_label(styles, taste),
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


# the first marked axis names a segment: the rarer, more telling traits first ("dry" fits most wines)
LABEL_WORDS: tuple[tuple[str, bool, str], ...] = (
    ("sweetness", True, "sweet"),
    ("body", True, "full-bodied"),
    ("body", False, "light"),
    ("acidity", True, "crisp"),
    ("tannin", True, "firm"),
    ("acidity", False, "soft"),
    ("sweetness", False, "dry"),
)


def _label(styles: dict[str, float], taste: dict[str, float]) -> str:
    """A short human name from the members' taste and styles, e.g. "Full-bodied red lovers"."""
    word = next(
        (w for axis, high, w in LABEL_WORDS if axis in taste and (taste[axis] >= 0.65 if high else taste[axis] <= 0.2)),
        None,
    )
    top = list(styles)[:2] if styles and next(iter(styles.values())) < 0.6 else list(styles)[:1]
    kinds = " and ".join(top) or "wine"
    return f"{word} {kinds} lovers".capitalize() if word else f"{kinds} lovers".capitalize()
