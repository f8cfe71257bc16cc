"""The customer profile in one call: the user document plus what other domains know (orders, wishlist, views).

Other domains plug in as providers when the composition root builds ProfileService, so accounts never
reads their collections:

    async def purchase_history(user_id: str, limit: int) -> Sequence[PlacedOrder]: ...

Each provider returns at most `limit` items, newest first, shaped as the Protocols below say (commerce's
orders are `PlacedOrder`s; accounts never imports them); wishlist, views and searches may also come as
mappings with those fields. A provider that is not wired yet contributes an empty list.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Never, Protocol, TypeVar

from app.accounts.service import AccountService
from documents import User


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


class WishedWine(Protocol):
    @property
    def wine_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def added_at(self) -> datetime: ...


class ViewedWine(Protocol):
    @property
    def wine_id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def viewed_at(self) -> datetime: ...


class PastSearch(Protocol):
    @property
    def query(self) -> str: ...
    @property
    def results_count(self) -> int | None: ...
    @property
    def searched_at(self) -> datetime: ...


T = TypeVar("T")
# (user_id, limit) -> at most `limit` items, newest first
Provider = Callable[[str, int], Awaitable[Sequence[T]]]
Row = Mapping[str, Any]  # a provider's item as a mapping with the Protocol's fields

PURCHASES_SHOWN = 20
WISHLIST_SHOWN = 50
RECENTLY_VIEWED_SHOWN = 20
SEARCHES_SHOWN = 20


@dataclass
class Profile:
    user: User
    purchase_history: Sequence[PlacedOrder]
    wishlist: Sequence[WishedWine | Row]
    recently_viewed: Sequence[ViewedWine | Row]
    search_history: Sequence[PastSearch | Row]


async def _nothing(user_id: str, limit: int) -> Sequence[Never]:
    return []


class ProfileService:
    def __init__(
        self,
        accounts: AccountService,
        *,
        purchase_history: Provider[PlacedOrder] | None = None,
        wishlist: Provider[WishedWine | Row] | None = None,
        recently_viewed: Provider[ViewedWine | Row] | None = None,
        search_history: Provider[PastSearch | Row] | None = None,
    ) -> None:
        self._accounts = accounts
        self._purchase_history = purchase_history or _nothing
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
