"""What the commerce services hand back besides documents: a cart or wishlist joined with its wines."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from beanie.odm.enums import SortDirection

from documents import Cart, CartItem, Review, Wine, WishlistEntry

Clock = Callable[[], datetime]
ASC, DESC = SortDirection.ASCENDING, SortDirection.DESCENDING
# a wishlist line's price alerts: (wine_id, current, price when added, added_at) -> PricingService.alerts
PriceAlerts = Callable[[str, int | None, int | None, datetime], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class CartLine:
    item: CartItem
    wine: Wine | None  # None when the wine was removed from the catalog after it was added

    @property
    def available(self) -> bool:
        return self.wine is not None and self.wine.listed

    @property
    def unit_price_cents(self) -> int:
        return self.wine.price_cents or 0 if self.wine is not None else 0

    @property
    def line_total_cents(self) -> int:
        return self.unit_price_cents * self.item.quantity if self.available else 0


@dataclass(frozen=True, slots=True)
class CartView:
    cart: Cart | None  # None: the user never had a cart
    lines: list[CartLine]

    @property
    def total_cents(self) -> int:
        return sum(line.line_total_cents for line in self.lines)

    @property
    def currency(self) -> str:
        return next((line.wine.currency for line in self.lines if line.wine is not None), "EUR")


@dataclass(frozen=True, slots=True)
class AbandonedCart:
    view: CartView
    user_id: str
    email: str | None
    marketing_consent: bool
    idle_hours: float


@dataclass(frozen=True, slots=True)
class WishlistLine:
    entry: WishlistEntry
    wine: Wine | None
    price: dict[str, Any] = field(default_factory=dict)  # PricingService.alerts: drop %, lowest in 90 days

    @property
    def in_stock(self) -> bool:
        return self.wine is not None and self.wine.listed and self.wine.stock > 0

    @property
    def back_in_stock(self) -> bool:
        return self.in_stock and not self.entry.in_stock_at_add

    @property
    def price_dropped(self) -> bool:
        return self.wine is not None and (self.wine.price_cents or 0) < self.entry.price_cents_at_add


@dataclass(frozen=True, slots=True)
class Purchase:
    """One wine the user bought (non-gift orders that were not cancelled or refunded), for taste learning."""

    order_id: str
    wine_id: str
    quantity: int
    unit_price_cents: int
    placed_at: datetime
    rec_id: str | None


@dataclass(frozen=True, slots=True)
class PurchaseCount:
    """How often a user bought a wine: the basis of reorder suggestions."""

    wine_id: str
    name: str
    times_bought: int  # orders containing the wine
    bottles: int
    first_bought_at: datetime
    last_bought_at: datetime
    last_unit_price_cents: int
    currency: str = "EUR"


@dataclass(frozen=True, slots=True)
class ReviewView:
    review: Review
    reviewer: str  # a display name, never the email
    wine_name: str | None = None  # set where the reader does not know the wine (their own reviews); None: deleted
