"""The customer profile in one call: the user document plus what other domains know (orders, wishlist, views).

Other domains plug in as providers when the composition root builds ProfileService, so accounts never
reads their collections:

    async def purchase_history(user_id: str, limit: int) -> Sequence[Any]: ...

Each provider returns at most `limit` items, newest first, as objects or mappings with the fields of the
matching read model in app/accounts/profile_schemas.py; purchases are `PlacedOrder`s (commerce's orders
have that shape; accounts never imports them). A provider that is not wired yet contributes an empty list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from app.accounts.service import AccountService
from documents import User

Provider = Callable[[str, int], Awaitable[Sequence[Any]]]


class PlacedLine(Protocol):
    @property
    def wine_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def quantity(self) -> int: ...
    @property
    def unit_price_cents(self) -> int: ...


class PlacedOrder(Protocol):
    """What the profile shows of an order (commerce's `Order` has these fields)."""

    @property
    def id(self) -> str: ...
    @property
    def placed_at(self) -> datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def items(self) -> Sequence[PlacedLine]: ...
    @property
    def total_cents(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def gift(self) -> object | None: ...


PurchaseProvider = Callable[[str, int], Awaitable[Sequence[PlacedOrder]]]

PURCHASES_SHOWN = 20
WISHLIST_SHOWN = 50
RECENTLY_VIEWED_SHOWN = 20
SEARCHES_SHOWN = 20


@dataclass
class Profile:
    user: User
    purchase_history: Sequence[PlacedOrder]
    wishlist: Sequence[Any]
    recently_viewed: Sequence[Any]
    search_history: Sequence[Any]


async def _nothing(user_id: str, limit: int) -> Sequence[Any]:
    return []


async def _no_purchases(user_id: str, limit: int) -> Sequence[PlacedOrder]:
    return []


class ProfileService:
    def __init__(
        self,
        accounts: AccountService,
        *,
        purchase_history: PurchaseProvider | None = None,
        wishlist: Provider | None = None,
        recently_viewed: Provider | None = None,
        search_history: Provider | None = None,
    ) -> None:
        self._accounts = accounts
        self._purchase_history = purchase_history or _no_purchases
        self._wishlist = wishlist or _nothing
        self._recently_viewed = recently_viewed or _nothing
        self._search_history = search_history or _nothing

    async def get_profile(self, user_id: str) -> Profile:
        """One read of the user document, then the providers side by side (one query each)."""
        user = await self._accounts.get_user(user_id)
        purchases, wishlist, viewed, searches = await asyncio.gather(
            self._purchase_history(user_id, PURCHASES_SHOWN),
            self._wishlist(user_id, WISHLIST_SHOWN),
            self._recently_viewed(user_id, RECENTLY_VIEWED_SHOWN),
            self._search_history(user_id, SEARCHES_SHOWN),
        )
        return Profile(user, purchases, wishlist, viewed, searches)
