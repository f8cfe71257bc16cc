"""Every MongoDB collection of Cuvée as a Beanie document: fields, validation and indexes."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar
from uuid import uuid4

import pymongo
from beanie import Document
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pymongo import IndexModel


def new_id() -> str:
    """Document ids are opaque strings: JSON-friendly and the same on every MongoDB."""
    return uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """MongoDB keeps milliseconds in UTC and may hand datetimes back naive; we always store aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class Style(StrEnum):
    red = "red"
    white = "white"
    rose = "rosé"
    sparkling = "sparkling"
    dessert = "dessert"
    fortified = "fortified"


class Dietary(StrEnum):
    sulfite_free = "sulfite-free"
    vegan = "vegan"
    organic = "organic"
    biodynamic = "biodynamic"
    low_alcohol = "low-alcohol"
    gluten_free = "gluten-free"


class OrderStatus(StrEnum):
    # A checkout's claim on its idempotency key while stock is being reserved; never shown as an order.
    reserving = "reserving"
    pending = "pending"
    paid = "paid"
    shipped = "shipped"
    delivered = "delivered"
    cancelled = "cancelled"
    refunded = "refunded"


class _Embedded(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Timestamped(Document):
    """Aware-UTC timestamps on every document, normalised on load."""

    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @field_validator("created_at", "updated_at", mode="after")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _aware(value)  # type: ignore[return-value]


# ---------------------------------------------------------------- users
TASTE_AXES: tuple[str, ...] = ("sweetness", "acidity", "tannin", "body", "fizz")


class TasteStructure(_Embedded):
    """A wine's structure on the five axes, each 0..1."""

    sweetness: Unit = 0.0
    acidity: Unit = 0.5
    tannin: Unit = 0.0
    body: Unit = 0.5
    fizz: Unit = 0.0


class TasteAxis(_Embedded):
    value: Unit
    source: str = Field(pattern="^(quiz|stated|learned)$")
    updated_at: datetime = Field(default_factory=utcnow)


class TasteProfile(_Embedded):
    """A customer's taste: each axis optional, each with where it came from."""

    sweetness: TasteAxis | None = None
    acidity: TasteAxis | None = None
    tannin: TasteAxis | None = None
    body: TasteAxis | None = None
    fizz: TasteAxis | None = None
    learned_from: int = 0  # how many ratings/purchases the learned axes rest on


class PriceRange(_Embedded):
    min_cents: int | None = Field(default=None, ge=0)
    max_cents: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> PriceRange:
        if self.min_cents is not None and self.max_cents is not None and self.min_cents > self.max_cents:
            raise ValueError("price_range.min must not exceed price_range.max")
        return self


class Dislikes(_Embedded):
    styles: list[Style] = Field(default_factory=list)
    grapes: list[str] = Field(default_factory=list)
    wineries: list[str] = Field(default_factory=list)
    wine_ids: list[str] = Field(default_factory=list)  # "not for me" on a recommendation


class Preferences(_Embedded):
    styles: list[Style] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    grapes: list[str] = Field(default_factory=list)
    wineries: list[str] = Field(default_factory=list)
    price_range: PriceRange = Field(default_factory=PriceRange)
    dietary: list[Dietary] = Field(default_factory=list)
    foods: list[str] = Field(default_factory=list)  # dishes the shopper likes, as they name them ("steak")
    dislikes: Dislikes = Field(default_factory=Dislikes)
    extra: dict[str, Any] = Field(default_factory=dict)  # bounded by the accounts service


class ConsentChange(_Embedded):
    kind: str = Field(pattern="^(personalisation|analytics|marketing)$")
    granted: bool
    at: datetime = Field(default_factory=utcnow)


class ConsentState(_Embedded):
    personalisation: bool = False
    analytics: bool = False
    marketing: bool = False
    ledger: list[ConsentChange] = Field(default_factory=list)


class User(_Timestamped):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    email: str
    username: str | None = None
    password_hash: str
    roles: list[str] = Field(default_factory=lambda: ["customer"])
    preferences: Preferences = Field(default_factory=Preferences)
    taste_profile: TasteProfile = Field(default_factory=TasteProfile)
    consent: ConsentState = Field(default_factory=ConsentState)
    anonymous_ids: list[str] = Field(default_factory=list)  # beacon ids linked at sign-in

    class Settings:
        name = "users"
        indexes: ClassVar = [
            IndexModel([("email", pymongo.ASCENDING)], unique=True, name="email_unique"),
            IndexModel([("anonymous_ids", pymongo.ASCENDING)], name="anonymous_ids"),
        ]


# ---------------------------------------------------------------- catalog
# How much an unverified review (no paid, shipped or delivered order of the wine) counts in the rating shown,
# against 1.0 for a verified one: it still says something (a gift, a bottle bought elsewhere), but one
# drive-by "never tasted it" should move a wine with a few verified reviews a quarter as much as a buyer does.
UNVERIFIED_WEIGHT = 0.25


def weighted_mean(count: float, total: float, verified_count: float, verified_total: float) -> float | None:
    """The rating shown: verified reviews weigh 1, unverified ones UNVERIFIED_WEIGHT (None without reviews)."""
    # clamped: an aggregate written before the verified sums existed holds 0 there until `cuvee recount-ratings`,
    # and removing a verified review from it may take them below zero meanwhile
    verified_count, verified_total = min(max(verified_count, 0), count), min(max(verified_total, 0.0), total)
    weight = verified_count + UNVERIFIED_WEIGHT * (count - verified_count)
    if weight <= 0:
        return None
    return round((verified_total + UNVERIFIED_WEIGHT * (total - verified_total)) / weight, 3)


class RatingAggregate(_Embedded):
    """Kept as counts and sums (all reviews, and the verified ones) so concurrent reviews update it with one
    atomic $inc; the weighting is applied on reading, so changing the weight needs no migration."""

    count: int = Field(default=0, ge=0)
    total: float = Field(default=0.0, ge=0)
    verified_count: int = 0  # not bounded: see weighted_mean
    verified_total: float = 0.0

    @property
    def verified(self) -> int:
        """Verified reviews, as shown (clamped like weighted_mean)."""
        return min(max(self.verified_count, 0), self.count)

    @property
    def unverified(self) -> int:
        return self.count - self.verified

    @property
    def mean(self) -> float | None:
        return weighted_mean(self.count, self.total, self.verified_count, self.verified_total)


class StockHold(_Embedded):
    """Bottles a checkout took from a wine's stock before its order was placed: set in the same atomic
    update as the decrement, so a checkout that dies half-way can be given back exactly."""

    order_id: str
    quantity: int = Field(ge=1)
    at: datetime


class AppliedRule(_Embedded):
    """The price rule that set a wine's (or an order line's) price."""

    id: str
    name: str
    kind: str  # scheduled, promotion, slow_mover


class Wine(_Timestamped):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    name: str = Field(min_length=1, max_length=200)
    winery: str = Field(min_length=1, max_length=200)
    vintage: int | None = Field(default=None, ge=1800, le=2100)
    grapes: list[str] = Field(default_factory=list, max_length=20)
    region: str = ""
    country: str = ""
    style: Style
    taste: TasteStructure = Field(default_factory=TasteStructure)
    tasting_notes: str = Field(default="", max_length=5000)
    food_pairings: list[str] = Field(default_factory=list, max_length=30)
    abv: float | None = Field(default=None, ge=0, le=80)
    dietary: list[Dietary] = Field(default_factory=list)
    price_cents: int | None = Field(default=None, ge=0)  # what a shopper pays now; None: unknown (a draft)
    currency: str = Field(default="EUR", pattern="^[A-Z]{3}$")
    stock: int = Field(default=0, ge=0)
    listed: bool = True  # delisted wines stay for order history but cannot be bought
    # What a draft lacks before it may be sold ("price", "stock"); a wine that lacks anything is never listed.
    missing: list[str] = Field(default_factory=list)
    # Fields holding generated demo values (e.g. "price_cents"), so a shop can find and replace them.
    demo_fields: list[str] = Field(default_factory=list)
    dietary_sources: dict[str, str] = Field(default_factory=dict)  # flag -> who stated it (import, operator)
    # Dynamic pricing (app/pricing): `price_cents` is the effective price, set from `list_price_cents` by the
    # rule in `price_rule` until `price_until`, when the scheduler works it out again.
    list_price_cents: int | None = Field(default=None, ge=0)
    price_rule: AppliedRule | None = None
    price_until: datetime | None = None
    last_sold_at: datetime | None = None

    @field_validator("price_until", "last_sold_at", mode="after")
    @classmethod
    def _utc_pricing(cls, value: datetime | None) -> datetime | None:
        return _aware(value)

    rating: RatingAggregate = Field(default_factory=RatingAggregate)
    view_count: int = Field(default=0, ge=0)
    source_id: str | None = None  # e.g. the X-Wines WineID the wine was imported from
    holds: list[StockHold] = Field(default_factory=list)  # checkouts in flight (app/commerce/checkout.py)
    counting: list[str] = Field(default_factory=list)  # views being counted (app/clickstream/history.py)

    class Settings:
        name = "wines"
        indexes: ClassVar = [
            IndexModel([("style", 1), ("country", 1)], name="style_country"),
            IndexModel([("price_cents", 1)], name="price"),
            IndexModel([("winery", 1)], name="winery"),
            # partial, not sparse: a real MongoDB indexes a null source_id under a sparse index
            IndexModel(
                [("source_id", 1)],
                name="source_id",
                unique=True,
                partialFilterExpression={"source_id": {"$type": "string"}},
            ),
            IndexModel([("created_at", -1)], name="newest"),
            IndexModel([("holds.at", 1)], name="hold_at", sparse=True),
            IndexModel([("missing", 1)], name="missing", sparse=True),
            IndexModel([("demo_fields", 1)], name="demo_fields", sparse=True),
            IndexModel([("price_until", 1)], name="price_until", sparse=True),
        ]


# ---------------------------------------------------------------- commerce
class OrderItem(_Embedded):
    wine_id: str
    name: str  # snapshot at purchase time
    unit_price_cents: int = Field(ge=0)
    quantity: int = Field(ge=1)
    rec_id: str | None = None  # the recommendation list that led here, for attribution
    list_price_cents: int | None = None  # snapshot: the list price and the rule behind unit_price_cents
    price_rule: AppliedRule | None = None


class GiftInfo(_Embedded):
    recipient_name: str = Field(min_length=1, max_length=200)
    message: str | None = Field(default=None, max_length=1000)


class StatusChange(_Embedded):
    status: OrderStatus
    at: datetime = Field(default_factory=utcnow)


class Order(_Timestamped):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
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


class CartItem(_Embedded):
    wine_id: str
    quantity: int = Field(ge=1, le=999)
    added_at: datetime = Field(default_factory=utcnow)
    rec_id: str | None = None
    seen_price_cents: int | None = None  # the unit price when the shopper last put it in the cart


class Cart(_Timestamped):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    user_id: str
    items: list[CartItem] = Field(default_factory=list)

    class Settings:
        name = "carts"
        indexes: ClassVar = [
            IndexModel([("user_id", 1)], name="user_unique", unique=True),
            IndexModel([("updated_at", 1)], name="activity"),
        ]


class WishlistEntry(Document):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
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


class Review(_Timestamped):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
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


# ---------------------------------------------------------------- behaviour
class Interaction(Document):
    """One clickstream event applied by the worker; `id` is the client's event_id (idempotency)."""

    id: str  # type: ignore[assignment]
    type: str
    user_id: str | None = None
    anonymous_id: str | None = None
    wine_id: str | None = None
    query: str | None = None
    results_count: int | None = None
    rec_id: str | None = None
    position: int | None = None
    surface: str | None = None
    occurred_at: datetime
    recorded_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "interactions"
        indexes: ClassVar = [
            IndexModel([("user_id", 1), ("occurred_at", -1)], name="user_time"),
            IndexModel([("anonymous_id", 1), ("occurred_at", -1)], name="anon_time"),
            IndexModel([("user_id", 1), ("wine_id", 1)], name="user_wine"),
            IndexModel([("type", 1), ("occurred_at", -1)], name="type_time"),
            IndexModel([("wine_id", 1)], name="wine"),
        ]


class RecommendationItem(_Embedded):
    wine_id: str
    position: int
    score: float


class RecommendationAction(_Embedded):
    type: str  # click, cart, purchase, dismiss
    wine_id: str | None = None
    at: datetime = Field(default_factory=utcnow)
    ref: str | None = None  # event id or order id: makes applying an action idempotent


class RecommendationLog(Document):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]  # the rec_id
    user_id: str | None = None
    anonymous_id: str | None = None
    surface: str
    model_version: str
    items: list[RecommendationItem] = Field(default_factory=list)
    actions: list[RecommendationAction] = Field(default_factory=list)
    served_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "recommendation_logs"
        indexes: ClassVar = [
            IndexModel([("user_id", 1), ("served_at", -1)], name="user_time"),
            IndexModel([("anonymous_id", 1), ("served_at", -1)], name="anon_time"),  # export/erasure by beacon id
            IndexModel([("surface", 1), ("model_version", 1), ("served_at", -1)], name="surface_model"),
        ]


# ---------------------------------------------------------------- pricing
class WineSelector(_Embedded):
    """Which wines a price rule touches: a wine matches when it matches every list given (and any value
    within a list); an empty selector matches every wine."""

    wine_ids: list[str] = Field(default_factory=list, max_length=1000)
    styles: list[Style] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list, max_length=100)
    regions: list[str] = Field(default_factory=list, max_length=100)
    wineries: list[str] = Field(default_factory=list, max_length=100)
    grapes: list[str] = Field(default_factory=list, max_length=100)


class PriceRule(_Timestamped):
    """A scheduled price, a promotion or a slow-mover markdown (app/pricing/rules.py says how they combine)."""

    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern="^(scheduled|promotion|slow_mover)$")
    selector: WineSelector = Field(default_factory=WineSelector)
    price_cents: int | None = Field(default=None, ge=0)  # scheduled: the new list price
    percent_off: float | None = Field(default=None, gt=0, le=90)
    amount_off_cents: int | None = Field(default=None, gt=0)
    days_unsold: int | None = Field(default=None, ge=1, le=3650)  # slow_mover: no sale for this many days
    starts_at: datetime
    ends_at: datetime | None = None

    @field_validator("starts_at", "ends_at", mode="after")
    @classmethod
    def _utc_bounds(cls, value: datetime | None) -> datetime | None:
        return _aware(value)

    class Settings:
        name = "price_rules"
        indexes: ClassVar = [IndexModel([("ends_at", 1)], name="ends_at")]


class PriceChange(Document):
    """One change of a wine's effective price and its cause: the price history."""

    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    wine_id: str
    at: datetime
    price_cents: int | None
    previous_cents: int | None
    list_price_cents: int | None
    rule: AppliedRule | None = None
    cause: str

    @field_validator("at", mode="after")
    @classmethod
    def _utc_at(cls, value: datetime) -> datetime:
        return _aware(value)  # type: ignore[return-value]

    class Settings:
        name = "price_history"
        indexes: ClassVar = [IndexModel([("wine_id", 1), ("at", -1)], name="wine_time")]


# ---------------------------------------------------------------- operations
class AuditEntry(Document):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    actor_id: str | None
    action: str
    target_type: str
    target_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "audit_log"
        indexes: ClassVar = [IndexModel([("at", -1)], name="time"), IndexModel([("actor_id", 1)], name="actor")]


class PrivacyRequest(Document):
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]
    kind: str = Field(pattern="^(export|erasure)$")
    subject: str  # a keyed hash of the user id: proves the request without keeping who it was
    status: str = "completed"
    requested_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
    outcome: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "privacy_requests"
        indexes: ClassVar = [IndexModel([("requested_at", -1)], name="time")]


ALL_DOCUMENTS: list[type[Document]] = [
    User,
    Wine,
    Order,
    Cart,
    WishlistEntry,
    Review,
    Interaction,
    RecommendationLog,
    AuditEntry,
    PrivacyRequest,
    PriceRule,
    PriceChange,
]
