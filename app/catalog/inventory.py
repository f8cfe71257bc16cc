"""Stock and holds on wines: the atomic updates checkout, cancellation and crash repair need (catalog owns them).

MongoDB here has no multi-document transactions (DESIGN §3): each operation is one conditional update of one
wine, so a reservation can never take stock below zero and a give-back happens at most once per hold. The
protocol that strings them together (claim, reserve, place, drop holds; `release_stale`) is checkout's, in
app/commerce/checkout.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection

from documents import Wine


@dataclass(frozen=True, slots=True)
class Hold:
    """Bottles a checkout took from a wine for an order that was not placed yet (when the hold was left)."""

    wine_id: str
    order_id: str
    quantity: int
    at: datetime


class Inventory:
    """Every write of `wines.stock`, `wines.holds` and `wines.last_sold_at` outside catalog admin edits."""

    @staticmethod
    def _wines() -> AsyncCollection[Any]:
        return Wine.get_pymongo_collection()

    async def reserve(
        self, order_id: str, wine_id: str, quantity: int, unit_price_cents: int, at: datetime
    ) -> int | None:
        """Take `quantity` bottles for the order and leave a hold, in one update that matches only while the wine
        is listed, has that many left and still costs `unit_price_cents` (a changed price is never charged
        unseen). Returns the stock left, None when it did not match."""
        left = await self._wines().find_one_and_update(
            {"_id": wine_id, "stock": {"$gte": quantity}, "listed": True, "price_cents": unit_price_cents},
            {
                "$inc": {"stock": -quantity},
                "$push": {"holds": {"order_id": order_id, "quantity": quantity, "at": at}},
                "$set": {"last_sold_at": at},
            },
            projection={"stock": 1},
            return_document=ReturnDocument.AFTER,
        )
        return None if left is None else int(left["stock"])

    async def give_back(self, order_id: str, wine_id: str, quantity: int) -> bool:
        """Return the bottles the order holds on the wine and drop the hold, once: it matches only while the
        hold is there. True when the wine is back in stock (it had none)."""
        after = await self._wines().find_one_and_update(
            {"_id": wine_id, "holds.order_id": order_id},
            {"$inc": {"stock": quantity}, "$pull": {"holds": {"order_id": order_id}}},
            projection={"stock": 1},
            return_document=ReturnDocument.AFTER,
        )
        return after is not None and after["stock"] == quantity

    async def drop_holds(self, order_id: str, wine_ids: Iterable[str]) -> None:
        """The order is placed: its bottles are sold, nothing is held for it any more."""
        await self._wines().update_many(
            {"_id": {"$in": list(wine_ids)}, "holds.order_id": order_id}, {"$pull": {"holds": {"order_id": order_id}}}
        )

    async def restock(self, lines: Iterable[tuple[str, int]]) -> list[str]:
        """Give back (wine_id, bottles) of an undone order (one atomic $inc per line; no upper bound to check).
        Returns the wines that were sold out and are back in stock: only those change what search shows."""
        back = []
        for wine_id, quantity in lines:
            after = await self._wines().find_one_and_update(
                {"_id": wine_id},
                {"$inc": {"stock": quantity}},
                projection={"stock": 1},
                return_document=ReturnDocument.AFTER,
            )
            if after is not None and after["stock"] == quantity:
                back.append(wine_id)
        return back

    async def holds_older_than(self, cutoff: datetime) -> AsyncIterator[Hold]:
        """Every hold left before `cutoff`: a live checkout takes milliseconds, so these are a dead one's."""
        async for raw in self._wines().find({"holds.at": {"$lt": cutoff}}, {"holds": 1}):
            for hold in raw["holds"]:
                if hold["at"] < cutoff:  # a young hold on the same wine belongs to a checkout still running
                    yield Hold(raw["_id"], hold["order_id"], int(hold["quantity"]), hold["at"])
