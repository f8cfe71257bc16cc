"""Commerce API models: what the cart, checkout, order, wishlist and review routes take and return."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.catalog.schemas import WineCard
from app.commerce.orders import CANCELLABLE
from app.commerce.views import AbandonedCart, CartLine, CartView, PurchaseCount, ReviewView, WishlistLine
from app.schemas import RATING_MEAN_RULE, Input, Money, Page, StrictInt, StrictNumber, WineRef
from documents import UNVERIFIED_WEIGHT, GiftInfo, Order, OrderItem, Wine

RecId = Field(
    default=None,
    min_length=1,
    max_length=64,
    pattern=r"^[A-Za-z0-9_-]+$",
    description="The recommendation list this wine was picked from (echo the list's rec_id).",
)


# ---------------------------------------------------------------- inputs
class CartItemInput(Input):
    quantity: StrictInt = Field(ge=0, le=999, description="Bottles wanted; 0 removes the wine from the cart.")
    rec_id: str | None = RecId


class GiftInput(Input):
    recipient_name: str = Field(min_length=1, max_length=200)
    message: str | None = Field(default=None, max_length=1000)


class CheckoutInput(Input):
    gift: GiftInput | None = Field(default=None, description="Send as a gift (kept out of your taste profile).")
    seen_prices: dict[str, Annotated[StrictInt, Field(ge=0)]] | None = Field(
        default=None,
        max_length=100,
        description="The unit price in cents the shopper was shown for each wine (`unit_price_cents` of the "
        "cart). A wine that now costs more is a 409 price_changed naming both prices; without it, "
        "the price when the wine was put in the cart counts.",
    )

    def gift_info(self) -> GiftInfo | None:
        return GiftInfo(**self.gift.model_dump()) if self.gift else None


class OrderStatusInput(Input):
    status: Literal["paid", "shipped", "delivered", "cancelled", "refunded"]


class ReviewInput(Input):
    rating: StrictNumber = Field(ge=1, le=5, multiple_of=0.5, description="1 to 5 in half steps.")
    text: str = Field(default="", max_length=2000)


# ---------------------------------------------------------------- cart
def _card(wine: Wine | None, wine_id: str) -> WineCard | WineRef:
    """The wine's card, or only its id (name null) once it has left the catalog."""
    return WineCard.of(wine) if wine is not None else WineRef(id=wine_id, name=None)


class CartLineRead(BaseModel):
    wine: WineCard | WineRef = Field(description="The wine's card; only `id` (name null) if it left the catalog")
    quantity: int
    unit_price: Money = Field(description="What one bottle costs now (pricing rules applied)")
    line_total: Money
    list_price: Money | None = Field(description="The wine's own price before any rule")
    price_rule: str | None = Field(description="The promotion or schedule that sets unit_price, if any")
    price_until: datetime | None = Field(description="When unit_price may change next (a rule boundary)")
    seen_unit_price: Money | None = Field(description="The unit price when you put it in the cart")
    available: bool = Field(description="false when the wine is no longer sold: remove it before checkout")
    in_stock: bool = Field(description="enough bottles in stock right now for this quantity")
    rec_id: str | None
    added_at: datetime

    @classmethod
    def of(cls, line: CartLine, currency: str) -> CartLineRead:
        wine = line.wine
        seen = line.item.seen_price_cents
        return cls(
            wine=_card(wine, line.item.wine_id),
            quantity=line.item.quantity,
            unit_price=Money.of(line.unit_price_cents, currency),
            line_total=Money.of(line.line_total_cents, currency),
            list_price=Money.maybe(wine.list_price_cents, currency) if wine else None,
            price_rule=wine.price_rule.name if wine and wine.price_rule else None,
            price_until=wine.price_until if wine else None,
            seen_unit_price=Money.maybe(seen, currency),
            available=line.available,
            in_stock=line.available and wine is not None and wine.stock >= line.item.quantity,
            rec_id=line.item.rec_id,
            added_at=line.item.added_at,
        )


class CartRead(BaseModel):
    items: list[CartLineRead]
    bottles: int
    total: Money
    updated_at: datetime | None

    @classmethod
    def of(cls, view: CartView) -> CartRead:
        return cls(
            items=[CartLineRead.of(line, view.currency) for line in view.lines],
            bottles=sum(line.item.quantity for line in view.lines),
            total=Money.of(view.total_cents, view.currency),
            updated_at=view.cart.updated_at if view.cart else None,
        )


class AbandonedCartRead(BaseModel):
    user_id: str
    email: str | None
    marketing_consent: bool = Field(description="only customers who agreed may be sent a reminder")
    items: list[CartLineRead]
    value: Money
    last_activity_at: datetime
    idle_hours: float

    @classmethod
    def of(cls, row: AbandonedCart) -> AbandonedCartRead:
        cart = CartRead.of(row.view)
        assert cart.updated_at is not None
        return cls(
            user_id=row.user_id,
            email=row.email,
            marketing_consent=row.marketing_consent,
            items=cart.items,
            value=cart.total,
            last_activity_at=cart.updated_at,
            idle_hours=row.idle_hours,
        )


# ---------------------------------------------------------------- orders
class OrderItemRead(BaseModel):
    wine: WineRef = Field(description="The wine and its name when it was bought")
    quantity: int
    unit_price: Money
    line_total: Money
    rec_id: str | None
    list_price: Money | None = Field(description="The wine's list price at purchase")
    price_rule: str | None = Field(description="The promotion or schedule that set unit_price at purchase")

    @classmethod
    def of(cls, item: OrderItem, currency: str) -> OrderItemRead:
        return cls(
            wine=WineRef(id=item.wine_id, name=item.name),
            quantity=item.quantity,
            unit_price=Money.of(item.unit_price_cents, currency),
            line_total=Money.of(item.unit_price_cents * item.quantity, currency),
            rec_id=item.rec_id,
            list_price=Money.maybe(item.list_price_cents, currency),
            price_rule=item.price_rule.name if item.price_rule else None,
        )


class GiftRead(BaseModel):
    recipient_name: str
    message: str | None


class StatusChangeRead(BaseModel):
    status: str
    at: datetime


class OrderRead(BaseModel):
    id: str
    status: str
    items: list[OrderItemRead]
    total: Money
    is_gift: bool
    gift: GiftRead | None
    placed_at: datetime
    history: list[StatusChangeRead]
    can_cancel: bool

    @classmethod
    def of(cls, order: Order) -> OrderRead:
        gift = GiftRead(**order.gift.model_dump()) if order.gift else None
        return cls(
            id=order.id,
            status=order.status.value,
            items=[OrderItemRead.of(i, order.currency) for i in order.items],
            total=Money.of(order.total_cents, order.currency),
            is_gift=gift is not None,
            gift=gift,
            placed_at=order.placed_at,
            history=[StatusChangeRead(status=h.status.value, at=h.at) for h in order.history],
            can_cancel=order.status in CANCELLABLE,
        )


class AdminOrderRead(OrderRead):
    user_id: str

    @classmethod
    def of(cls, order: Order) -> AdminOrderRead:
        return cls(**dict(OrderRead.of(order)), user_id=order.user_id)


class PurchasedWineRead(BaseModel):
    """A wine you bought for yourself, with how often."""

    wine: WineRef
    times_bought: int
    bottles: int
    first_bought_at: datetime
    last_bought_at: datetime
    last_unit_price: Money

    @classmethod
    def of(cls, count: PurchaseCount) -> PurchasedWineRead:
        return cls(
            wine=WineRef(id=count.wine_id, name=count.name),
            times_bought=count.times_bought,
            bottles=count.bottles,
            first_bought_at=count.first_bought_at,
            last_bought_at=count.last_bought_at,
            last_unit_price=Money.of(count.last_unit_price_cents, count.currency),
        )


# ---------------------------------------------------------------- wishlist
class WishlistEntryRead(BaseModel):
    wine: WineCard | WineRef = Field(description="The wine's card; only `id` (name null) if it left the catalog")
    added_at: datetime
    price_when_added: Money
    back_in_stock: bool = Field(description="in stock now, out of stock when it was added")
    price_dropped: bool = Field(description="cheaper now than when it was added")
    price_drop_percent: int | None = Field(default=None, description="how much cheaper than when it was added")
    lowest_in_90_days: bool = Field(default=False, description="today's price is the lowest of the last 90 days")
    alerts: list[str] = Field(default_factory=list, description='e.g. "price dropped 19% since you added it"')

    @classmethod
    def of(cls, line: WishlistLine) -> WishlistEntryRead:
        wine: Wine | None = line.wine
        return cls(
            wine=_card(wine, line.entry.wine_id),
            added_at=line.entry.added_at,
            price_when_added=Money.of(line.entry.price_cents_at_add, wine.currency if wine else "EUR"),
            back_in_stock=line.back_in_stock,
            price_dropped=line.price_dropped,
            **line.price,
        )


class WishlistStatusRead(BaseModel):
    """Whether one wine is on your wishlist: its entry, or `entry: null` when it is not."""

    wine: WineRef
    entry: WishlistEntryRead | None


# ---------------------------------------------------------------- reviews
class ReviewRead(BaseModel):
    id: str
    wine: WineRef
    rating: float
    text: str
    verified: bool = Field(
        description="The reviewer has a paid, shipped or delivered order with this wine here (cancelled and "
        "refunded ones do not count). A verified review weighs 1 in the wine's rating mean, an unverified one "
        f"{UNVERIFIED_WEIGHT}."
    )
    reviewer: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, view: ReviewView, wine_name: str | None = None) -> ReviewRead:
        r = view.review
        return cls(
            id=r.id,
            wine=WineRef(id=r.wine_id, name=wine_name if wine_name is not None else view.wine_name),
            rating=r.rating,
            text=r.text,
            verified=r.verified,
            reviewer=view.reviewer,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


class MyReviewOfWine(BaseModel):
    """Your review of one wine, or `review: null` when you have not written one."""

    wine: WineRef
    review: ReviewRead | None


class ReviewPage(Page[ReviewRead]):
    rating_mean: float | None = Field(description=RATING_MEAN_RULE)
    rating_count: int
    rating_verified_count: int
    rating_unverified_count: int
