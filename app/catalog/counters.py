"""Counters other domains move on a wine: its views (the clickstream worker) and its rating aggregate (reviews).

Catalog owns the `wines` collection, so these are the only writes of `view_count`, `counting` and `rating.*`;
the protocols that make them exact (count a view once across crashes, keep the aggregate equal to the
reviews) belong to their callers: app/clickstream/history.py and app/commerce/reviews.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from documents import Wine


@dataclass(frozen=True, slots=True)
class RatingShare:
    """What reviews add to a wine's aggregate (negative: what removing them takes away)."""

    count: float = 0
    total: float = 0
    verified_count: float = 0
    verified_total: float = 0

    @classmethod
    def of(cls, rating: float, verified: bool, sign: int = 1) -> RatingShare:
        return cls(sign, sign * rating, sign * int(verified), sign * rating * int(verified))

    def __add__(self, other: RatingShare) -> RatingShare:
        return RatingShare(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    def paths(self) -> dict[str, float]:
        """The non-zero parts as `rating.<field>` paths."""
        return {f"rating.{f.name}": value for f in fields(self) if (value := getattr(self, f.name))}


def _wines() -> AsyncCollection[Any]:
    return Wine.get_pymongo_collection()


class WineCounters:
    # ------------------------------------------------------------ views, counted once per event id
    async def count_views(self, per_wine: Mapping[str, Sequence[str]]) -> None:
        """+1 on each wine's view_count per event id not counted on it before, pushing the ids onto the wine's
        `counting` list in the same update, guarded by their absence (app/clickstream/history.py step 1).

        One guarded update per wine; if a guard did not match (a wine gone, or an id pushed by an earlier
        try), once more per view: each guarded $inc can only happen once, so repeating them is safe."""
        if not per_wine:
            return
        result = await _wines().bulk_write(
            [
                UpdateOne(
                    {"_id": wid, "counting": {"$nin": list(eids)}},
                    {"$inc": {"view_count": len(eids)}, "$push": {"counting": {"$each": list(eids)}}},
                )
                for wid, eids in per_wine.items()
            ],
            ordered=False,
        )
        if result.matched_count < len(per_wine):
            await _wines().bulk_write(
                [
                    UpdateOne(
                        {"_id": wid, "counting": {"$ne": eid}}, {"$inc": {"view_count": 1}, "$push": {"counting": eid}}
                    )
                    for wid, eids in per_wine.items()
                    for eid in eids
                ],
                ordered=False,
            )

    async def views_counted(self, per_wine: Mapping[str, Sequence[str]]) -> None:
        """The views are stored by their owner: their ids leave the wines' `counting` lists (step 3)."""
        if per_wine:
            await _wines().bulk_write(
                [
                    UpdateOne({"_id": wid}, {"$pull": {"counting": {"$in": list(eids)}}})
                    for wid, eids in per_wine.items()
                ],
                ordered=False,
            )

    # ------------------------------------------------------------ the rating aggregate
    async def add_to_rating(self, wine_id: str, *shares: RatingShare) -> None:
        """Move the aggregate by the sum of `shares`, in one atomic $inc (nothing when they cancel out)."""
        change = sum(shares, RatingShare()).paths()
        if change:
            await _wines().update_one({"_id": wine_id}, {"$inc": change})

    async def set_rating(self, wine_id: str, totals: RatingShare) -> None:
        """Overwrite the aggregate (a recount from the reviews)."""
        await _wines().update_one(
            {"_id": wine_id},
            {
                "$set": {
                    "rating.count": int(totals.count),
                    "rating.total": float(totals.total),
                    "rating.verified_count": int(totals.verified_count),
                    "rating.verified_total": float(totals.verified_total),
                }
            },
        )

    async def rated_wine_ids(self) -> list[str]:
        """Wines whose aggregate counts any review."""
        return [raw["_id"] async for raw in _wines().find({"rating.count": {"$gt": 0}}, {"_id": 1})]
