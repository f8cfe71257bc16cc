"""The wishlist: one entry per user and wine, remembering price and stock at the time it was added."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from app.catalog.service import CatalogService
from app.commerce.views import ASC, DESC, Clock, PriceAlerts, WishlistLine
from app.errors import Conflict
from documents import Wine, WishlistEntry


class WishlistService:
    def __init__(self, catalog: CatalogService, clock: Clock, price_alerts: PriceAlerts | None = None) -> None:
        self._catalog = catalog
        self._clock = clock
        self._price_alerts = price_alerts

    async def list_entries(self, user_id: str, *, page: int, per_page: int) -> tuple[list[WishlistLine], int]:
        """The user's wishlist, most recently added first, each with the wine as it is now."""
        query = {"user_id": user_id}
        total = await WishlistEntry.find(query).count()
        entries = (
            await WishlistEntry.find(query)
            .sort([("added_at", DESC), ("_id", ASC)])
            .skip((page - 1) * per_page)
            .limit(per_page)
            .to_list()
        )
        return await self._lines(entries), total

    async def find_entry(self, user_id: str, wine_id: str) -> tuple[Wine, WishlistLine | None]:
        """The wine and the user's entry for it, None when it is not on the wishlist; NotFound only when there
        is no such wine (not being on the list is an answer, not an error)."""
        wine = await self._catalog.get_wine(wine_id)
        entry = await WishlistEntry.find_one({"user_id": user_id, "wine_id": wine_id})
        return wine, None if entry is None else (await self._lines([entry]))[0]

    async def add(self, user_id: str, wine_id: str) -> tuple[WishlistLine, bool]:
        """Add a wine; adding it again changes nothing (and keeps the price it was first seen at)."""
        wine = await self._catalog.get_wine(wine_id)
        if not wine.listed:
            raise Conflict(f"«{wine.name}» is no longer sold", code="wine_unavailable")
        entry = WishlistEntry(
            user_id=user_id,
            wine_id=wine_id,
            added_at=self._clock(),
            price_cents_at_add=wine.price_cents or 0,
            in_stock_at_add=wine.stock > 0,
        )
        try:
            await entry.insert()
        except DuplicateKeyError:
            kept = await WishlistEntry.find_one({"user_id": user_id, "wine_id": wine_id})
            return (await self._lines([kept or entry]))[0], False
        return (await self._lines([entry]))[0], True

    async def remove(self, user_id: str, wine_id: str) -> None:
        """Remove a wine; removing one that is not there changes nothing."""
        await WishlistEntry.get_pymongo_collection().delete_one({"user_id": user_id, "wine_id": wine_id})

    async def _lines(self, entries: list[WishlistEntry]) -> list[WishlistLine]:
        wines = await self._catalog.find_wines([e.wine_id for e in entries])
        lines = []
        for e in entries:
            wine = wines.get(e.wine_id)
            price = {}
            if self._price_alerts is not None and wine is not None:
                price = await self._price_alerts(e.wine_id, wine.price_cents, e.price_cents_at_add, e.added_at)
            lines.append(WishlistLine(entry=e, wine=wine, price=price))
        return lines
