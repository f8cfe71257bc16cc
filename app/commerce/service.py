"""CommerceService: the commerce domain's one entry point for controllers and for other domains."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from app.accounts.service import AccountService
from app.catalog.service import CatalogService
from app.commerce.cart import CartService
from app.commerce.checkout import CheckoutService
from app.commerce.orders import OrderService
from app.commerce.privacy import CommercePrivacy, PriceHistory
from app.commerce.reviews import ReviewService
from app.commerce.views import Clock, PriceAlerts, Purchase, PurchaseCount
from app.commerce.wishlist import WishlistService
from app.events import Publisher
from app.schemas import money
from documents import Order

PROFILE_ORDERS = 20  # the profile shows recent orders; the full history is GET /v1/me/orders
PROFILE_WISHLIST = 50


class CommerceService:
    """Carts, checkouts, orders, wishlists and reviews, plus what other domains read from commerce.

    Publishes OrderPlaced, OrderStatusChanged and WinesChanged; app/container.py says who reacts."""

    def __init__(
        self,
        catalog: CatalogService,
        accounts: AccountService,
        clock: Clock,
        events: Publisher,
        *,
        abandoned_cart_hours: float,
        checkout_stale_after: timedelta = timedelta(minutes=5),
        price_alerts: PriceAlerts | None = None,
        price_history: PriceHistory | None = None,
    ) -> None:
        self.carts = CartService(catalog, accounts, clock, abandoned_cart_hours)
        self.orders = OrderService(clock, catalog.inventory, events)
        self.checkouts = CheckoutService(self.carts, catalog, clock, events, stale_after=checkout_stale_after)
        self.wishlists = WishlistService(catalog, clock, price_alerts)
        self.reviews = ReviewService(catalog, self.orders, accounts, clock, events)
        self.privacy = CommercePrivacy(self.reviews, price_history)

    # ------------------------------------------------------------ for recommendations
    async def purchases_for_taste(self, user_id: str) -> list[Purchase]:
        """Wines bought for oneself (gift, cancelled and refunded orders excluded), oldest first."""
        return await self.orders.purchases_for_taste(user_id)

    async def purchase_counts(self, user_id: str) -> dict[str, PurchaseCount]:
        """Per wine id: times_bought, bottles, first and last purchase (gifts excluded)."""
        return await self.orders.purchase_counts(user_id)

    def ratings_for_training(self) -> AsyncIterator[tuple[str, str, float]]:
        """Every review as (user_id, wine_id, rating 1..5)."""
        return self.reviews.ratings_for_training()

    # ------------------------------------------------------------ for privacy requests
    async def export_user(self, user_id: str) -> dict[str, Any]:
        """Everything commerce holds about the user: {cart, orders, wishlist, reviews}, JSON-ready."""
        return await self.privacy.export_user(user_id)

    async def erase_user(self, user_id: str, pseudonym: str) -> dict[str, int]:
        """Delete cart, wishlist and reviews (ratings corrected); orders stay under `pseudonym`, anonymised."""
        return await self.privacy.erase_user(user_id, pseudonym)

    # ------------------------------------------------------------ profile providers (guide §9 shape)
    async def purchase_history(self, user_id: str, limit: int = PROFILE_ORDERS) -> list[Order]:
        """The user's latest orders, newest first."""
        orders, _ = await self.orders.list_orders(user_id, page=1, per_page=limit)
        return orders

    async def wishlist(self, user_id: str, limit: int = PROFILE_WISHLIST) -> list[dict[str, Any]]:
        """The user's wishlist, newest first: [{wine_id, name, added_at, price, in_stock, back_in_stock,
        price_dropped}]."""
        lines, _ = await self.wishlists.list_entries(user_id, page=1, per_page=limit)
        return [
            {
                "wine_id": line.entry.wine_id,
                "name": line.wine.name if line.wine else "(no longer in the catalog)",
                "added_at": line.entry.added_at,
                "price": money(line.wine.price_cents) if line.wine and line.wine.price_cents is not None else None,
                "in_stock": line.in_stock,
                "back_in_stock": line.back_in_stock,
                "price_dropped": line.price_dropped,
                "alerts": line.price.get("alerts", []),
            }
            for line in lines
        ]
