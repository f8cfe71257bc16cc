"""The profile response: the guide's sample shape (section 9) with every part of the customer in one place."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.accounts.profile import PlacedOrder, Profile, Row, ViewedWine, WishedWine
from app.accounts.schemas import ConsentRead, PreferencesRead, TasteProfileRead
from app.schemas import Money, WineRef


class _FromAnything(BaseModel):
    """Providers may hand back objects or mappings; fields beyond the shape are ignored."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")


class OrderLineRead(BaseModel):
    wine: WineRef = Field(description="The wine and its name when it was bought")
    quantity: int
    unit_price: Money


class OrderSummaryRead(BaseModel):
    """One order in the profile's history (GET /v1/me/orders/{id} has the whole order)."""

    id: str
    placed_at: datetime
    status: str
    items: list[OrderLineRead]
    total: Money
    is_gift: bool

    @classmethod
    def of(cls, order: PlacedOrder) -> OrderSummaryRead:
        return cls(
            id=order.id,
            placed_at=order.placed_at,
            status=str(order.status),
            items=[
                OrderLineRead(
                    wine=WineRef(id=i.wine_id, name=i.name),
                    quantity=i.quantity,
                    unit_price=Money.of(i.unit_price_cents, order.currency),
                )
                for i in order.items
            ],
            total=Money.of(order.total_cents, order.currency),
            is_gift=order.gift is not None,
        )


class WishlistItemRead(BaseModel):
    wine: WineRef
    added_at: datetime

    @classmethod
    def of(cls, item: WishedWine | Row) -> WishlistItemRead:
        if isinstance(item, Mapping):
            return cls(wine=WineRef(id=item["wine_id"], name=item["name"]), added_at=item["added_at"])
        return cls(wine=WineRef(id=item.wine_id, name=item.name), added_at=item.added_at)


class RecentlyViewedRead(BaseModel):
    wine: WineRef
    viewed_at: datetime

    @classmethod
    def of(cls, item: ViewedWine | Row) -> RecentlyViewedRead:
        if isinstance(item, Mapping):
            return cls(wine=WineRef(id=item["wine_id"], name=item["name"]), viewed_at=item["viewed_at"])
        return cls(wine=WineRef(id=item.wine_id, name=item.name), viewed_at=item.viewed_at)


class SearchRead(_FromAnything):
    query: str
    results_count: int | None = None
    searched_at: datetime


class ProfileRead(BaseModel):
    user_id: str
    email: str
    username: str | None
    roles: list[str]
    created_at: datetime
    preferences: PreferencesRead
    taste_profile: TasteProfileRead
    consent: ConsentRead
    purchase_history: list[OrderSummaryRead]
    wishlist: list[WishlistItemRead]
    recently_viewed: list[RecentlyViewedRead]
    search_history: list[SearchRead]

    @classmethod
    def of(cls, profile: Profile) -> ProfileRead:
        user = profile.user
        return cls(
            user_id=user.id,
            email=user.email,
            username=user.username,
            roles=user.roles,
            created_at=user.created_at,
            preferences=PreferencesRead.of(user.preferences),
            taste_profile=TasteProfileRead.of(user.taste_profile),
            consent=ConsentRead.of(user.consent),
            purchase_history=[OrderSummaryRead.of(p) for p in profile.purchase_history],
            wishlist=[WishlistItemRead.of(w) for w in profile.wishlist],
            recently_viewed=[RecentlyViewedRead.of(v) for v in profile.recently_viewed],
            search_history=[SearchRead.model_validate(s) for s in profile.search_history],
        )
