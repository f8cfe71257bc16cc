"""Commerce's read model for the recommender's training: every order that still counts as bought, in bulk."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from app.commerce.orders import BOUGHT
from documents import Order


@dataclass(frozen=True)
class BoughtOrder:
    """One placed order that was not cancelled or refunded: who bought which wines, when, and whether as a gift."""

    order_id: str
    user_id: str
    placed_at: datetime  # aware UTC
    gift: bool
    lines: list[tuple[str, int]]  # (wine id, bottles)


async def bought_orders() -> AsyncIterator[BoughtOrder]:
    """Every bought order, streamed with a narrow projection (the recommender reads them all at each training)."""
    cursor = Order.get_pymongo_collection().find(
        {"status": {"$in": BOUGHT}}, {"user_id": 1, "items.wine_id": 1, "items.quantity": 1, "gift": 1, "placed_at": 1}
    )
    async for raw in cursor:
        yield BoughtOrder(
            order_id=raw["_id"],
            user_id=raw["user_id"],
            placed_at=_aware(raw["placed_at"]),
            gift=raw.get("gift") is not None,
            lines=[(item["wine_id"], int(item["quantity"])) for item in raw["items"]],
        )


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
