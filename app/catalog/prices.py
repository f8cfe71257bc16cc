"""The effective price stored on a wine: pricing works it out, catalog (which owns `wines`) writes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from documents import Wine


@dataclass(frozen=True, slots=True)
class StoredPrice:
    """What a wine shows as its price, and until when that holds (app/pricing/rules.py works it out)."""

    price_cents: int | None
    list_price_cents: int | None
    rule: dict[str, Any] | None  # the AppliedRule, as stored
    until: datetime | None


class WinePrices:
    """The one write of `price_cents`, `list_price_cents`, `price_rule` and `price_until`."""

    async def store(self, wine: Wine, price: StoredPrice, now: datetime) -> bool:
        """Write `price` only if the wine still has the list price, price and last sale it was worked out
        from (a concurrent list-price change or sale must be worked out again). True when it was written."""
        result = await Wine.get_pymongo_collection().update_one(
            {
                "_id": wine.id,
                "price_cents": wine.price_cents,
                "list_price_cents": wine.list_price_cents,
                "last_sold_at": wine.last_sold_at,
            },
            {
                "$set": {
                    "price_cents": price.price_cents,
                    "list_price_cents": price.list_price_cents,
                    "price_rule": price.rule,
                    "price_until": price.until,
                    "updated_at": now,
                }
            },
        )
        return bool(result.modified_count)
