"""Recommendation analytics: impressions, clicks, CTR and conversion per surface and model version."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from documents import RecommendationLog


@dataclass
class SurfaceStats:
    surface: str
    model_version: str
    lists: int = 0
    impressions: int = 0  # wines shown
    clicks: int = 0
    carts: int = 0
    purchases: int = 0
    dismissals: int = 0
    lists_clicked: int = 0
    clicked_wines: set[tuple[str, str]] = field(default_factory=set, repr=False)

    @property
    def ctr(self) -> float:
        """Share of shown wines that were clicked (each wine of a list counts once)."""
        return round(len(self.clicked_wines) / self.impressions, 4) if self.impressions else 0.0

    @property
    def conversion(self) -> float:
        """Purchases attributed to a list per wine shown."""
        return round(self.purchases / self.impressions, 4) if self.impressions else 0.0


async def recommendation_report(since: datetime) -> list[SurfaceStats]:
    """One row per (surface, model version) of the lists served since `since`, busiest first."""
    rows: dict[tuple[str, str], SurfaceStats] = {}
    cursor = RecommendationLog.get_pymongo_collection().find(
        {"served_at": {"$gte": since}}, {"surface": 1, "model_version": 1, "items.wine_id": 1, "actions": 1}
    )
    n = 0
    async for log in cursor:
        key = (log["surface"], log["model_version"])
        stats = rows.get(key) or rows.setdefault(key, SurfaceStats(*key))
        stats.lists += 1
        stats.impressions += len(log.get("items") or ())
        kinds = [a.get("type") for a in log.get("actions") or ()]
        stats.clicks += kinds.count("click")
        stats.carts += kinds.count("cart")
        stats.purchases += kinds.count("purchase")
        stats.dismissals += kinds.count("dismiss")
        clicked = {(log["_id"], str(a.get("wine_id"))) for a in log.get("actions") or () if a.get("type") == "click"}
        stats.clicked_wines |= clicked
        stats.lists_clicked += bool(clicked)
        n += 1
        if n % 500 == 0:
            await asyncio.sleep(0)
    return sorted(rows.values(), key=lambda s: (-s.impressions, s.surface, s.model_version))
