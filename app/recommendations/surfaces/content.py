"""Content match: how well each wine's structure and attributes fit what a user told us or we learned."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from app.accounts.vocabulary import fold
from app.recommendations.serving.tables import STYLES, WineTable, grape_keys
from documents import Preferences, TasteProfile
from documents.models import TASTE_AXES

TASTE_TOLERANCE = 0.5  # an axis this far from the user's value no longer counts as a match at all
CLOSE = 0.15  # within this the axis is named in the explanation
ATTRIBUTE_WEIGHTS = {"styles": 0.35, "grapes": 0.25, "regions": 0.2, "countries": 0.1, "wineries": 0.1}


@dataclass(frozen=True)
class TasteIntent:
    """Taste axes (value and source) and liked attributes (folded), plus the soft price range."""

    axes: dict[str, tuple[float, str]] = field(default_factory=dict)
    styles: frozenset[str] = frozenset()
    grapes: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    wineries: frozenset[str] = frozenset()
    price_min_cents: int | None = None
    price_max_cents: int | None = None

    @classmethod
    def of(cls, profile: TasteProfile | None, preferences: Preferences | None) -> TasteIntent:
        axes = {}
        for axis in TASTE_AXES:
            value = getattr(profile, axis, None) if profile is not None else None
            if value is not None:
                axes[axis] = (float(value.value), str(value.source))
        if preferences is None:
            return cls(axes=axes)
        return cls(
            axes=axes,
            styles=frozenset(str(s.value) for s in preferences.styles),
            grapes=frozenset(key for g in preferences.grapes for key in grape_keys(g)),
            regions=frozenset(fold(r) for r in preferences.regions),
            countries=frozenset(fold(c) for c in preferences.countries),
            wineries=frozenset(fold(w) for w in preferences.wineries),
            price_min_cents=preferences.price_range.min_cents,
            price_max_cents=preferences.price_range.max_cents,
        )

    def without_learned(self) -> TasteIntent:
        """The intent less the axes learned from the shopper's history (what the model already scores)."""
        axes = {axis: pair for axis, pair in self.axes.items() if pair[1] != "learned"}
        return replace(self, axes=axes)

    @property
    def has_attributes(self) -> bool:
        return bool(self.styles or self.grapes or self.regions or self.countries or self.wineries)

    @property
    def empty(self) -> bool:
        return not self.axes and not self.has_attributes


def taste_similarity(table: WineTable, intent: TasteIntent) -> np.ndarray | None:
    """Per wine, 0..1: the mean closeness over the axes the user has (None when they have none)."""
    if not intent.axes:
        return None
    cols = [TASTE_AXES.index(axis) for axis in intent.axes]
    target = np.array([value for value, _ in intent.axes.values()])
    distance = np.abs(table.taste[:, cols] - target)
    return np.asarray(np.clip(1.0 - distance / TASTE_TOLERANCE, 0.0, 1.0).mean(axis=1))  # numpy: mean is Any


def attribute_match(table: WineTable, intent: TasteIntent) -> np.ndarray | None:
    """Per wine, 0..1: the weighted share of the kinds of liked attributes the wine has."""
    kinds = {
        "styles": np.isin(table.style, [STYLES.index(s) for s in intent.styles if s in STYLES])
        if intent.styles
        else None,
        "grapes": table.rows(intent.grapes, table.by_grape) if intent.grapes else None,
        "regions": table.rows(intent.regions, table.by_region) if intent.regions else None,
        "countries": table.rows(intent.countries, table.by_country) if intent.countries else None,
        "wineries": table.rows(intent.wineries, table.by_winery) if intent.wineries else None,
    }
    used = {kind: mask for kind, mask in kinds.items() if mask is not None}
    if not used:
        return None
    # one liked country alone should not outweigh taste: a few kinds stated count for part of the score
    total = max(sum(ATTRIBUTE_WEIGHTS[kind] for kind in used), 0.5)
    score = np.zeros(len(table))
    for kind, mask in used.items():
        score += ATTRIBUTE_WEIGHTS[kind] * mask
    return score / total


def content_scores(table: WineTable, intent: TasteIntent) -> np.ndarray | None:
    """Taste and attributes blended (taste weighs more: it is what the quiz measures); None if unknown."""
    taste = taste_similarity(table, intent)
    attributes = attribute_match(table, intent)
    if taste is None:
        return attributes
    if attributes is None:
        return taste
    return 0.6 * taste + 0.4 * attributes


def price_factor(table: WineTable, intent: TasteIntent) -> np.ndarray:
    """Soft price range: 1 inside, falling with the distance outside (never 0: it is a preference)."""
    factor = np.ones(len(table))
    price = table.price_cents.astype(np.float64)
    if intent.price_max_cents is not None:
        over = np.maximum(price - intent.price_max_cents, 0) / max(intent.price_max_cents, 100)
        factor *= np.exp(-1.5 * over)
    if intent.price_min_cents is not None and intent.price_min_cents > 0:
        under = np.maximum(intent.price_min_cents - price, 0) / intent.price_min_cents
        factor *= np.exp(-1.0 * under)
    return np.clip(factor, 0.4, 1.0)


def close_axes(table: WineTable, row: int, intent: TasteIntent, limit: int = 3) -> list[str]:
    """The user's axes this wine is closest on (for "matches your taste: body, acidity")."""
    gaps = sorted(
        (abs(float(table.taste[row, TASTE_AXES.index(axis)]) - value), axis) for axis, (value, _) in intent.axes.items()
    )
    return [axis for gap, axis in gaps if gap <= CLOSE][:limit]
