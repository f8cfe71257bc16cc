"""Commerce API models: what the cart, checkout, order, wishlist and review routes take and return."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.commerce.orders import CANCELLABLE
from app.commerce.views import AbandonedCart, CartLine, CartView, PurchaseCount, ReviewView, WishlistLine
from app.schemas import RATING_MEAN_RULE, Input, Page, StrictInt, StrictNumber, money
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
    seen_prices: dict[str, Annotated[int, Field(ge=0)]] | None = Field(
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
class CartLineRead(BaseModel):
    wine_id: str
    name: str | None
    winery: str | None
    quantity: int
    unit_price: Decimal
    unit_price_cents: int
    line_total: Decimal
    line_total_cents: int
    currency: str
    list_price: Decimal | None = Field(description="The wine's own price before any rule")
    price_rule: str | None = Field(description="The promotion or schedule that sets unit_price, if any")
    price_until: datetime | None = Field(description="When unit_price may change next (a rule boundary)")
    seen_unit_price_cents: int | None = Field(description="The unit price when you put it in the cart")
    available: bool = Field(description="false when the wine is no longer sold: remove it before checkout")
    in_stock: bool = Field(description="enough bottles in stock right now for this quantity")
    rec_id: str | None
    added_at: datetime

    @classmethod
    def of(cls, line: CartLine) -> CartLineRead:
        wine = line.wine
        return cls(
            wine_id=line.item.wine_id,
            name=wine.name if wine else None,
            winery=wine.winery if wine else None,
            quantity=line.item.quantity,
            unit_price=money(line.unit_price_cents),
            unit_price_cents=line.unit_price_cents,
            line_total=money(line.line_total_cents),
            line_total_cents=line.line_total_cents,
            currency=wine.currency if wine else "EUR",
            available=line.available,
            list_price=money(wine.list_price_cents) if wine and wine.list_price_cents is not None else None,
            price_rule=wine.price_rule.name if wine and wine.price_rule else None,
            price_until=wine.price_until if wine else None,
            seen_unit_price_cents=line.item.seen_price_cents,
            in_stock=line.available and wine is not None and wine.stock >= line.item.quantity,
            rec_id=line.item.rec_id,
            added_at=line.item.added_at,
        )


class CartRead(BaseModel):
    items: list[CartLineRead]
    bottles: int
    total: Decimal
    total_cents: int
    currency: str
    updated_at: datetime | None

    @classmethod
    def of(cls, view: CartView) -> CartRead:
        return cls(
            items=[CartLineRead.of(line) for line in view.lines],
            bottles=sum(line.item.quantity for line in view.lines),
            total=money(view.total_cents),
            total_cents=view.total_cents,
            currency=view.currency,
            updated_at=view.cart.updated_at if view.cart else None,
        )


class AbandonedCartRead(BaseModel):
    user_id: str
    email: str | None
    marketing_consent: bool = Field(description="only customers who agreed may be sent a reminder")
    items: list[CartLineRead]
    value: Decimal
    value_cents: int
    currency: str
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
            value_cents=cart.total_cents,
            currency=cart.currency,
            last_activity_at=cart.updated_at,
            idle_hours=row.idle_hours,
        )


# ---------------------------------------------------------------- orders
class OrderItemRead(BaseModel):
    wine_id: str
    name: str
    quantity: int
    unit_price: Decimal
    unit_price_cents: int
    line_total: Decimal
    rec_id: str | None
    list_price: Decimal | None = Field(description="The wine's list price at purchase")
    price_rule: str | None = Field(description="The promotion or schedule that set unit_price at purchase")

    @classmethod
    def of(cls, item: OrderItem) -> OrderItemRead:
        return cls(
            wine_id=item.wine_id,
            name=item.name,
            quantity=item.quantity,
            unit_price=money(item.unit_price_cents),
            unit_price_cents=item.unit_price_cents,
            line_total=money(item.unit_price_cents * item.quantity),
            rec_id=item.rec_id,
            list_price=money(item.list_price_cents) if item.list_price_cents is not None else None,
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
    total: Decimal
    total_cents: int
    currency: str
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
            items=[OrderItemRead.of(i) for i in order.items],
            total=money(order.total_cents),
            total_cents=order.total_cents,
            currency=order.currency,
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
        return cls(**OrderRead.of(order).model_dump(), user_id=order.user_id)


class PurchaseRead(BaseModel):
    wine_id: str
    name: str
    times_bought: int
    bottles: int
    first_bought_at: datetime
    last_bought_at: datetime
    last_unit_price: Decimal

    @classmethod
    def of(cls, count: PurchaseCount) -> PurchaseRead:
        return cls(
            wine_id=count.wine_id,
            name=count.name,
            times_bought=count.times_bought,
            bottles=count.bottles,
            first_bought_at=count.first_bought_at,
            last_bought_at=count.last_bought_at,
            last_unit_price=money(count.last_unit_price_cents),
        )


# ---------------------------------------------------------------- wishlist
class WishlistEntryRead(BaseModel):
    wine_id: str
    name: str | None
    winery: str | None
    added_at: datetime
    price: Decimal | None
    price_cents: int | None
    price_when_added: Decimal
    currency: str
    in_stock: bool
    back_in_stock: bool = Field(description="in stock now, out of stock when it was added")
    price_dropped: bool = Field(description="cheaper now than when it was added")
    price_drop_percent: int | None = Field(default=None, description="how much cheaper than when it was added")
    lowest_in_90_days: bool = Field(default=False, description="today's price is the lowest of the last 90 days")
    alerts: list[str] = Field(default_factory=list, description='e.g. "price dropped 19% since you added it"')

    @classmethod
    def of(cls, line: WishlistLine) -> WishlistEntryRead:
        wine: Wine | None = line.wine
        return cls(
            wine_id=line.entry.wine_id,
            name=wine.name if wine else None,
            winery=wine.winery if wine else None,
            added_at=line.entry.added_at,
            price=money(wine.price_cents) if wine and wine.price_cents is not None else None,
            price_cents=wine.price_cents if wine else None,
            price_when_added=money(line.entry.price_cents_at_add),
            currency=wine.currency if wine else "EUR",
            in_stock=line.in_stock,
            back_in_stock=line.back_in_stock,
            price_dropped=line.price_dropped,
            **line.price,
        )


class WishlistStatusRead(BaseModel):
    """Whether one wine is on your wishlist: its entry, or `entry: null` when it is not."""

    wine_id: str
    entry: WishlistEntryRead | None


# ---------------------------------------------------------------- reviews
class ReviewRead(BaseModel):
    id: str
    wine_id: str
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
    def of(cls, view: ReviewView) -> ReviewRead:
        r = view.review
        return cls(
            id=r.id,
            wine_id=r.wine_id,
            rating=r.rating,
            text=r.text,
            verified=r.verified,
            reviewer=view.reviewer,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


class MyReviewOfWine(BaseModel):
    """Your review of one wine, or `review: null` when you have not written one."""

    wine_id: str
    review: ReviewRead | None


class ReviewPage(Page[ReviewRead]):
    rating_mean: float | None = Field(description=RATING_MEAN_RULE)
    rating_count: int
    rating_verified_count: int
    rating_unverified_count: int


class MyReviewRead(ReviewRead):
    """One of your reviews, with the wine it is about."""

    wine_name: str | None = Field(description="Null when the wine has since been removed from the catalog.")

    @classmethod
    def mine(cls, view: ReviewView) -> MyReviewRead:
        return cls(**ReviewRead.of(view).model_dump(), wine_name=view.wine_name)
