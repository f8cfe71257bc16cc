"""Orders after checkout: reading, cancelling, status transitions, and what a user has bought."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument

from app.catalog.inventory import Inventory
from app.commerce.views import ASC, DESC, Clock, Purchase, PurchaseCount
from app.errors import Conflict, NotFound
from app.events import OrderStatusChanged, Publisher, WinesChanged
from documents import Order, OrderStatus

S = OrderStatus
# Where each status may go next. Stock returns only where the bottles never left the cellar.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.pending: frozenset({S.paid, S.cancelled}),
    S.paid: frozenset({S.shipped, S.cancelled, S.refunded}),
    S.shipped: frozenset({S.delivered, S.refunded}),
    S.delivered: frozenset({S.refunded}),
}
RESTOCKING = {(S.pending, S.cancelled), (S.paid, S.cancelled), (S.paid, S.refunded)}
CANCELLABLE = (S.pending, S.paid)
BOUGHT = [S.pending.value, S.paid.value, S.shipped.value, S.delivered.value]  # placed and not undone
VERIFYING = [S.paid.value, S.shipped.value, S.delivered.value]  # the buyer has (or will) receive it
UNVERIFYING = [S.cancelled.value, S.refunded.value]  # undone: may take a review's verified mark away


class OrderService:
    def __init__(self, clock: Clock, inventory: Inventory, events: Publisher) -> None:
        self._clock = clock
        self._inventory = inventory
        self._events = events  # OrderStatusChanged (reviews, recommendations), WinesChanged (back in stock)

    async def list_orders(self, user_id: str, *, page: int, per_page: int) -> tuple[list[Order], int]:
        """The user's orders, newest first."""
        query = {"user_id": user_id, "status": {"$ne": S.reserving.value}}
        total = await Order.find(query).count()
        orders = (
            await Order.find(query)
            .sort([("placed_at", DESC), ("_id", DESC)])
            .skip((page - 1) * per_page)
            .limit(per_page)
            .to_list()
        )
        return orders, total

    async def list_all(self, *, status: OrderStatus | None, page: int, per_page: int) -> tuple[list[Order], int]:
        """Every customer's orders (admin), newest first, optionally of one status."""
        query: dict[str, object] = {"status": status.value if status else {"$ne": S.reserving.value}}
        total = await Order.find(query).count()
        orders = (
            await Order.find(query)
            .sort([("placed_at", DESC), ("_id", DESC)])
            .skip((page - 1) * per_page)
            .limit(per_page)
            .to_list()
        )
        return orders, total

    async def get_order(self, order_id: str, user_id: str | None = None) -> Order:
        """One order; with `user_id`, only that user's (another user's order is a 404, never its data)."""
        order = await Order.get(order_id)
        if order is None or order.status == S.reserving or (user_id is not None and order.user_id != user_id):
            raise NotFound("order", order_id)
        return order

    async def cancel(self, user_id: str, order_id: str) -> Order:
        """The buyer cancels a pending or paid order; its bottles return to stock."""
        order = await self.get_order(order_id, user_id)
        if order.status not in CANCELLABLE:
            raise Conflict(
                f"an order that is {order.status.value} can no longer be cancelled", code="order_not_cancellable"
            )
        return await self._move(order, S.cancelled)

    async def set_status(self, order_id: str, status: OrderStatus) -> Order:
        """An administrator moves an order along pending → paid → shipped → delivered (or refunds it)."""
        order = await self.get_order(order_id)
        allowed = TRANSITIONS.get(order.status, frozenset())
        if status not in allowed:
            options = ", ".join(sorted(s.value for s in allowed)) or "none (final state)"
            raise Conflict(
                f"an order cannot go from {order.status.value} to {status.value}; allowed: {options}",
                code="illegal_transition",
            )
        return await self._move(order, status)

    async def _move(self, order: Order, status: OrderStatus) -> Order:
        """Change the status only if nobody changed it meanwhile, so stock is returned at most once."""
        now = self._clock()
        raw = await Order.get_pymongo_collection().find_one_and_update(
            {"_id": order.id, "status": order.status.value},
            {
                "$set": {"status": status.value, "updated_at": now},
                "$push": {"history": {"status": status.value, "at": now}},
            },
            return_document=ReturnDocument.AFTER,
        )
        if raw is None:
            raise Conflict("the order changed meanwhile; reload it and try again", code="order_changed")
        if (order.status, status) in RESTOCKING:
            back = await self._inventory.restock((i.wine_id, i.quantity) for i in order.items)
            if back:
                await self._events.publish(WinesChanged(back))
        moved: Order = Order.model_validate(raw)  # Beanie types model_validate as Any
        await self._events.publish(OrderStatusChanged(moved, previous=order.status))
        return moved

    async def has_bought(self, user_id: str, wine_id: str) -> bool:
        """True when the user has a paid, shipped or delivered order with the wine (a verified purchase)."""
        found = await Order.find_one({"user_id": user_id, "items.wine_id": wine_id, "status": {"$in": VERIFYING}})
        return found is not None

    async def purchases_for_taste(self, user_id: str) -> list[Purchase]:
        """What the user bought for themselves: gifts, cancelled and refunded orders are left out."""
        orders = (
            await Order.find({"user_id": user_id, "status": {"$in": BOUGHT}, "gift": None})
            .sort([("placed_at", ASC), ("_id", ASC)])
            .to_list()
        )
        return [
            Purchase(
                order_id=o.id,
                wine_id=i.wine_id,
                quantity=i.quantity,
                unit_price_cents=i.unit_price_cents,
                placed_at=o.placed_at,
                rec_id=i.rec_id,
            )
            for o in orders
            for i in o.items
        ]

    async def purchase_counts(self, user_id: str, *, include_gifts: bool = False) -> dict[str, PurchaseCount]:
        """Per wine: how many orders contained it, bottles, first and last purchase (repeat purchases)."""
        match: dict[str, object] = {"user_id": user_id, "status": {"$in": BOUGHT}}
        if not include_gifts:
            match["gift"] = None
        pipeline: list[dict[str, Any]] = [
            {"$match": match},
            {"$sort": {"placed_at": 1}},
            {"$unwind": "$items"},
            {
                "$group": {
                    "_id": "$items.wine_id",
                    "times_bought": {"$sum": 1},
                    "bottles": {"$sum": "$items.quantity"},
                    "first": {"$min": "$placed_at"},
                    "last": {"$max": "$placed_at"},
                    "name": {"$last": "$items.name"},
                    "price": {"$last": "$items.unit_price_cents"},
                    "currency": {"$last": "$currency"},
                }
            },
        ]
        rows = await (await Order.get_pymongo_collection().aggregate(pipeline)).to_list()
        return {
            r["_id"]: PurchaseCount(
                wine_id=r["_id"],
                name=r["name"],
                times_bought=r["times_bought"],
                bottles=r["bottles"],
                first_bought_at=_utc(r["first"]),
                last_bought_at=_utc(r["last"]),
                last_unit_price_cents=r["price"],
                currency=r.get("currency") or "EUR",  # orders placed before currencies were stored were euros
            )
            for r in rows
        }

    async def list_purchases(
        self, user_id: str, *, min_times: int, page: int, per_page: int
    ) -> tuple[list[PurchaseCount], int]:
        """The wines the user bought for themselves, most often and most recently bought first."""
        counts = [c for c in (await self.purchase_counts(user_id)).values() if c.times_bought >= min_times]
        counts.sort(key=lambda c: (-c.times_bought, -c.last_bought_at.timestamp(), c.wine_id))
        start = (page - 1) * per_page
        return counts[start : start + per_page], len(counts)


def _utc(value: datetime) -> datetime:
    """Aggregation results bypass the documents' validators: make their datetimes aware UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
