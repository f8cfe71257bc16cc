"""The wines collection: a wine, its stock and holds, its price rule and its rating aggregate."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field, field_validator
from pymongo import IndexModel

from documents.models.base import Dietary, Embedded, Style, Timestamped, Unit, aware_utc


class TasteStructure(Embedded):
    """A wine's structure on the five axes, each 0..1."""

    sweetness: Unit = 0.0
    acidity: Unit = 0.5
    tannin: Unit = 0.0
    body: Unit = 0.5
    fizz: Unit = 0.0


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


class RatingAggregate(Embedded):
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


class StockHold(Embedded):
    """Bottles a checkout took from a wine's stock before its order was placed: set in the same atomic
    update as the decrement, so a checkout that dies half-way can be given back exactly."""

    order_id: str
    quantity: int = Field(ge=1)
    at: datetime


class AppliedRule(Embedded):
    """The price rule that set a wine's (or an order line's) price."""

    id: str
    name: str
    kind: str  # scheduled, promotion, slow_mover


class Wine(Timestamped):
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
        return aware_utc(value)

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
