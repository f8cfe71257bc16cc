"""Orders, carts, wishlists and reviews."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field
from pymongo import IndexModel

from documents.models.base import Embedded, StringId, Timestamped, new_id, utcnow
from documents.models.catalog import AppliedRule


class OrderStatus(StrEnum):
    # A checkout's claim on its idempotency key while stock is being reserved; never shown as an order.
    reserving = "reserving"
    pending = "pending"
    paid = "paid"
    shipped = "shipped"
    delivered = "delivered"
    cancelled = "cancelled"
    refunded = "refunded"


class OrderItem(Embedded):
    wine_id: str
    name: str  # snapshot at purchase time
    unit_price_cents: int = Field(ge=0)
    quantity: int = Field(ge=1)
    rec_id: str | None = None  # the recommendation list that led here, for attribution
    list_price_cents: int | None = None  # snapshot: the list price and the rule behind unit_price_cents
    price_rule: AppliedRule | None = None


class GiftInfo(Embedded):
    recipient_name: str = Field(min_length=1, max_length=200)
    message: str | None = Field(default=None, max_length=1000)


class StatusChange(Embedded):
    status: OrderStatus
    at: datetime = Field(default_factory=utcnow)


class Order(Timestamped):
    user_id: str
    status: OrderStatus = OrderStatus.pending
    items: list[OrderItem] = Field(min_length=1)
    total_cents: int = Field(ge=0)
    currency: str = "EUR"
    gift: GiftInfo | None = None
    placed_at: datetime = Field(default_factory=utcnow)
    # Always set (a fresh id when the client sent none): mongomock ignores partial indexes, so the
    # unique (user, key) index must never see two missing keys.
    idempotency_key: str = Field(default_factory=new_id)
    request_hash: str | None = None
    history: list[StatusChange] = Field(default_factory=list)
    anonymised: bool = False

    class Settings:
        name = "orders"
        indexes: ClassVar = [
            IndexModel([("user_id", 1), ("placed_at", -1)], name="user_placed"),
            IndexModel([("items.wine_id", 1)], name="item_wine"),
            IndexModel(
                [("user_id", 1), ("idempotency_key", 1)],
                name="idempotency",
                unique=True,
            ),
            IndexModel([("status", 1), ("placed_at", -1)], name="status_placed"),
        ]


class CartItem(Embedded):
    wine_id: str
    quantity: int = Field(ge=1, le=999)
    added_at: datetime = Field(default_factory=utcnow)
    rec_id: str | None = None
    seen_price_cents: int | None = None  # the unit price when the shopper last put it in the cart


class Cart(Timestamped):
    user_id: str
    items: list[CartItem] = Field(default_factory=list)

    class Settings:
        name = "carts"
        indexes: ClassVar = [
            IndexModel([("user_id", 1)], name="user_unique", unique=True),
            IndexModel([("updated_at", 1)], name="activity"),
        ]


class WishlistEntry(StringId):
    user_id: str
    wine_id: str
    added_at: datetime = Field(default_factory=utcnow)
    price_cents_at_add: int = Field(ge=0)
    in_stock_at_add: bool

    class Settings:
        name = "wishlist"
        indexes: ClassVar = [
            IndexModel([("user_id", 1), ("wine_id", 1)], name="user_wine_unique", unique=True),
            IndexModel([("wine_id", 1)], name="wine"),
        ]


class Review(Timestamped):
    user_id: str
    wine_id: str
    rating: float = Field(ge=1, le=5, multiple_of=0.5)
    text: str = Field(default="", max_length=2000)
    verified: bool = False

    class Settings:
        name = "reviews"
        indexes: ClassVar = [
            IndexModel([("user_id", 1), ("wine_id", 1)], name="user_wine_unique", unique=True),
            IndexModel([("wine_id", 1), ("created_at", -1)], name="wine_newest"),
        ]
