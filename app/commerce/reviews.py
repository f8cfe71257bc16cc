"""Reviews and the wine's rating aggregate, kept exact under concurrency with one atomic $inc per change."""

from __future__ import annotations

from collections.abc import AsyncIterator

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.accounts.service import AccountService
from app.catalog.service import CatalogService
from app.commerce.orders import VERIFYING, OrderService
from app.commerce.views import ASC, DESC, Clock, ReviewView, WinesListener, tell
from app.errors import NotFound
from documents import Order, Review, Wine


async def _bump(wine_id: str, count: int, total: float) -> None:
    if count or total:
        await Wine.get_pymongo_collection().update_one(
            {"_id": wine_id}, {"$inc": {"rating.count": count, "rating.total": total}}
        )


class ReviewService:
    def __init__(
        self,
        catalog: CatalogService,
        orders: OrderService,
        accounts: AccountService,
        clock: Clock,
        on_wines_changed: WinesListener | None = None,
    ) -> None:
        self._catalog = catalog
        self._on_wines_changed = on_wines_changed  # the rating shows in search results
        self._orders = orders
        self._accounts = accounts
        self._clock = clock

    async def put(self, user_id: str, wine_id: str, rating: float, text: str) -> tuple[ReviewView, bool]:
        """Create or replace the user's one review of a wine; returns (review, created)."""
        await self._catalog.get_wine(wine_id)
        verified = await self._orders.has_bought(user_id, wine_id)
        while True:  # goes round again only when a concurrent request of the same user won a race
            now = self._clock()
            review = Review(
                user_id=user_id,
                wine_id=wine_id,
                rating=rating,
                text=text,
                verified=verified,
                created_at=now,
                updated_at=now,
            )
            replaced = await self._replace(review)
            if replaced is not None:
                await tell(self._on_wines_changed, [wine_id])
                return await self._view(replaced), False
            # count first, insert second: a concurrent delete can then never take the aggregate below zero
            await _bump(wine_id, 1, rating)
            try:
                await review.insert()
            except DuplicateKeyError:
                await _bump(wine_id, -1, -rating)
                continue
            await tell(self._on_wines_changed, [wine_id])
            return await self._view(review), True

    async def _replace(self, review: Review) -> Review | None:
        """Overwrite the stored review and move the total by the difference (None: it was just deleted)."""
        before = await Review.get_pymongo_collection().find_one_and_update(
            {"user_id": review.user_id, "wine_id": review.wine_id},
            {
                "$set": {
                    "rating": review.rating,
                    "text": review.text,
                    "verified": review.verified,
                    "updated_at": review.updated_at,
                }
            },
            return_document=ReturnDocument.BEFORE,
        )
        if before is None:
            return None
        await _bump(review.wine_id, 0, review.rating - float(before["rating"]))
        return review.model_copy(update={"id": before["_id"], "created_at": Review.model_validate(before).created_at})

    async def delete(self, user_id: str, wine_id: str) -> None:
        """Remove the user's review; the aggregate loses exactly what the removed review held."""
        gone = await Review.get_pymongo_collection().find_one_and_delete({"user_id": user_id, "wine_id": wine_id})
        if gone is not None:
            await _bump(wine_id, -1, -float(gone["rating"]))
            await tell(self._on_wines_changed, [wine_id])

    async def find_mine(self, user_id: str, wine_id: str) -> ReviewView | None:
        """The user's review of this wine, None when they have not written one; NotFound only when there is
        no such wine."""
        review = await Review.find_one({"user_id": user_id, "wine_id": wine_id})
        if review is None:
            await self._catalog.get_wine(wine_id)
            return None
        return await self._view(review)

    async def list_for_wine(self, wine_id: str, *, page: int, per_page: int) -> tuple[Wine, list[ReviewView], int]:
        """A wine's reviews, newest first, with the wine (for its rating summary)."""
        wine = await self._catalog.get_wine(wine_id)
        query = {"wine_id": wine_id}
        total = await Review.find(query).count()
        reviews = (
            await Review.find(query)
            .sort([("created_at", DESC), ("_id", ASC)])
            .skip((page - 1) * per_page)
            .limit(per_page)
            .to_list()
        )
        return wine, [await self._view(r) for r in reviews], total

    async def verify_purchases(self, order: Order) -> None:
        """Order listener: once an order is paid, its buyer's reviews of its wines are verified."""
        if order.status.value in VERIFYING:
            await Review.get_pymongo_collection().update_many(
                {"user_id": order.user_id, "wine_id": {"$in": [i.wine_id for i in order.items]}, "verified": False},
                {"$set": {"verified": True}},
            )

    async def ratings_for_training(self) -> AsyncIterator[tuple[str, str, float]]:
        """Every (user_id, wine_id, rating), streamed for the recommenders."""
        cursor = Review.get_pymongo_collection().find({}, projection={"user_id": 1, "wine_id": 1, "rating": 1})
        async for raw in cursor:
            yield raw["user_id"], raw["wine_id"], float(raw["rating"])

    async def recount(self, wine_id: str) -> None:
        """Rebuild a wine's aggregate from its reviews (repair after a crash between two writes)."""
        rows = await (
            await Review.get_pymongo_collection().aggregate(
                [
                    {"$match": {"wine_id": wine_id}},
                    {"$group": {"_id": None, "count": {"$sum": 1}, "total": {"$sum": "$rating"}}},
                ]
            )
        ).to_list()
        count, total = (rows[0]["count"], float(rows[0]["total"])) if rows else (0, 0.0)
        await Wine.get_pymongo_collection().update_one(
            {"_id": wine_id}, {"$set": {"rating.count": count, "rating.total": total}}
        )

    async def _view(self, review: Review) -> ReviewView:
        try:
            user = await self._accounts.get_user(review.user_id)
        except NotFound:
            return ReviewView(review=review, reviewer="former customer")
        return ReviewView(review=review, reviewer=user.username or "customer")
