"""Hard filters: what a recommendation may never be (unavailable, against a dietary need or a dislike).

Two forms of one rule: `allowed_rows` masks the in-memory catalog to pick candidates fast, and
`violations` checks a freshly read wine document before it is served, so a change since the last
refresh (a sold-out wine, a new dislike) can never slip through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.accounts.vocabulary import fold
from app.recommendations.serving.tables import STYLES, WineTable, dietary_mask, grape_keys
from documents import Preferences

MAX_DISMISSED = 500  # "not for me" ids kept per user; the oldest drop out first


@dataclass(frozen=True)
class HardFilters:
    """A user's constraints; the empty default (anonymous) still requires wines that can be bought."""

    dietary: frozenset[str] = frozenset()
    styles: frozenset[str] = frozenset()
    grapes: frozenset[str] = frozenset()  # folded keys
    wineries: frozenset[str] = frozenset()  # folded
    wine_ids: frozenset[str] = frozenset()  # dismissed ("not for me")
    exclude_ids: frozenset[str] = field(default=frozenset())  # e.g. already bought, for "for you"

    @classmethod
    def of(cls, preferences: Preferences | None, exclude: Iterable[str] = ()) -> HardFilters:
        if preferences is None:
            return cls(exclude_ids=frozenset(exclude))
        dislikes = preferences.dislikes
        return cls(
            dietary=frozenset(str(d.value) for d in preferences.dietary),
            styles=frozenset(str(s.value) for s in dislikes.styles),
            grapes=frozenset(key for g in dislikes.grapes for key in grape_keys(g)),
            wineries=frozenset(fold(w) for w in dislikes.wineries if fold(w)),
            wine_ids=frozenset(dislikes.wine_ids),
            exclude_ids=frozenset(exclude),
        )

    def without_exclusions(self) -> HardFilters:
        return HardFilters(self.dietary, self.styles, self.grapes, self.wineries, self.wine_ids)

    def violations(self, wine: dict[str, Any]) -> list[str]:
        """Why this wine (a raw or dumped document) must not be served; empty when it may be."""
        found = []
        wine_id = str(wine.get("_id", wine.get("id")))
        if not wine.get("listed", True):
            found.append("not listed")
        if int(wine.get("stock", 0)) <= 0:
            found.append("out of stock")
        conflicts = self.conflicts(wine)
        missing = [value for kind, value in conflicts if kind == "dietary"]
        if missing:
            found.append(f"not {', '.join(missing)}")
        kinds = {kind for kind, _ in conflicts}
        found += [f"disliked style {wine.get('style')}"] if "style" in kinds else []
        found += [f"disliked {kind}" for kind in ("grape", "winery") if kind in kinds]
        if wine_id in self.wine_ids:
            found.append("dismissed as not for me")
        if wine_id in self.exclude_ids:
            found.append("already bought or rated")
        return found

    def conflicts(self, wine: dict[str, Any]) -> list[tuple[str, str]]:
        """Where this wine crosses a stated need or dislike, as (dietary|style|grape|winery, value) pairs:
        what reorder shows on a wine the user bought before setting them (availability is not a conflict)."""
        found = [("dietary", need) for need in sorted(self.dietary - {str(d) for d in wine.get("dietary") or ()})]
        if str(wine.get("style")) in self.styles:
            found.append(("style", str(wine.get("style"))))
        found += [("grape", g) for g in wine.get("grapes") or () if grape_keys(g) & self.grapes]
        if fold(str(wine.get("winery", ""))) in self.wineries:
            found.append(("winery", str(wine.get("winery"))))
        return found


def allowed_rows(table: WineTable, filters: HardFilters) -> np.ndarray:
    """Mask of the catalog rows that pass every hard filter (stock as of the table's last refresh)."""
    mask = table.available.copy()
    if filters.dietary:
        need = dietary_mask(filters.dietary)
        mask &= (table.dietary & need) == need
    for style in filters.styles:
        if style in STYLES:
            mask &= table.style != STYLES.index(style)
    if filters.grapes:
        mask &= ~table.rows(filters.grapes, table.by_grape)
    if filters.wineries:
        mask &= ~table.rows(filters.wineries, table.by_winery)
    for wine_id in filters.wine_ids | filters.exclude_ids:
        row = table.index.get(wine_id)
        if row is not None:
            mask[row] = False
    return mask
