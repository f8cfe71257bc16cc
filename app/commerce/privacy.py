"""What commerce holds about one customer: exported whole, or erased (orders kept, anonymised, for accounting)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from app.commerce.reviews import ReviewService
from app.commerce.views import ASC
from documents import Cart, Order, Review, WishlistEntry

ERASED = "(erased)"


# PricingService.history_since: a wine's price changes since a moment
PriceHistory = Callable[[str, datetime], Awaitable[list[dict[str, Any]]]]


class CommercePrivacy:
    def __init__(self, reviews: ReviewService, price_history: PriceHistory | None = None) -> None:
        self._reviews = reviews
        self._price_history = price_history

    async def export_user(self, user_id: str) -> dict[str, Any]:
        """Cart, orders (with gift recipients), wishlist and reviews, as stored, JSON-ready."""
        cart = await Cart.find_one({"user_id": user_id})
        orders = (
            await Order.find({"user_id": user_id, "status": {"$ne": "reserving"}})
            .sort([("placed_at", ASC), ("_id", ASC)])
            .to_list()
        )
        wishlist = await WishlistEntry.find({"user_id": user_id}).sort([("added_at", ASC), ("_id", ASC)]).to_list()
        reviews = await Review.find({"user_id": user_id}).sort([("created_at", ASC), ("_id", ASC)]).to_list()
        return {
            "cart": cart.model_dump(mode="json") if cart else None,
            "orders": [o.model_dump(mode="json") for o in orders],
            # the price history that concerns them: each wishlisted wine's changes since they added it
            "wishlist": [
                {**w.model_dump(mode="json"), "price_history": await self._price_history(w.wine_id, w.added_at)}
                if self._price_history
                else w.model_dump(mode="json")
                for w in wishlist
            ],
            "reviews": [r.model_dump(mode="json") for r in reviews],
        }

    async def erase_user(self, user_id: str, pseudonym: str) -> dict[str, int]:
        """Delete the cart, wishlist and reviews (each wine's rating corrected); keep the orders for
        accounting under `pseudonym`, without the gift recipient's name and message."""
        reviews = await Review.find({"user_id": user_id}).to_list()
        for review in reviews:
            await self._reviews.delete(user_id, review.wine_id)
        wishlist = await WishlistEntry.get_pymongo_collection().delete_many({"user_id": user_id})
        carts = await Cart.get_pymongo_collection().delete_many({"user_id": user_id})
        orders = Order.get_pymongo_collection()
        await orders.update_many(
            {"user_id": user_id, "gift": {"$ne": None}}, {"$set": {"gift": {"recipient_name": ERASED, "message": None}}}
        )
        # request_hash is a plain hash of the gift details: guessable from a name, so it goes too.
        anonymised = await orders.update_many(
            {"user_id": user_id}, {"$set": {"user_id": pseudonym, "anonymised": True, "request_hash": None}}
        )
        return {
            "reviews": len(reviews),
            "wishlist": wishlist.deleted_count,
            "carts": carts.deleted_count,
            "orders": anonymised.modified_count,
        }
