"""The profile response: the guide's sample shape (section 9) with every part of the customer in one place."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict

from app.accounts.profile import Profile
from app.accounts.schemas import ConsentRead, PreferencesRead, TasteProfileRead
from app.schemas import money
from documents import Order


class _FromAnything(BaseModel):
    """Providers may hand back objects or mappings; fields beyond the shape are ignored."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")


class PurchaseItemRead(_FromAnything):
    wine_id: str
    name: str
    quantity: int
    price: Decimal  # unit price paid, in currency units


class PurchaseRead(_FromAnything):
    order_id: str
    date: datetime
    status: str
    items: list[PurchaseItemRead]
    total: Decimal
    currency: str
    gift: bool = False

    @classmethod
    def of(cls, item: Any) -> PurchaseRead:
        if isinstance(item, Order):
            return cls(
                order_id=item.id,
                date=item.placed_at,
                status=str(item.status),
                items=[
                    PurchaseItemRead(
                        wine_id=i.wine_id, name=i.name, quantity=i.quantity, price=money(i.unit_price_cents)
                    )
                    for i in item.items
                ],
                total=money(item.total_cents),
                currency=item.currency,
                gift=item.gift is not None,
            )
        return cls.model_validate(item)


class WishlistItemRead(_FromAnything):
    wine_id: str
    name: str
    added_at: datetime


class RecentlyViewedRead(_FromAnything):
    wine_id: str
    name: str
    viewed_at: datetime


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
    purchase_history: list[PurchaseRead]
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
            purchase_history=[PurchaseRead.of(p) for p in profile.purchase_history],
            wishlist=_each(WishlistItemRead, profile.wishlist),
            recently_viewed=_each(RecentlyViewedRead, profile.recently_viewed),
            search_history=_each(SearchRead, profile.search_history),
        )


def _each(model: type[_FromAnything], items: Sequence[Any]) -> list[Any]:
    return [model.model_validate(item) for item in items]
