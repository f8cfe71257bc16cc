"""Reviews and the wine's rating aggregate, kept exact under concurrency with one atomic $inc per change.

The aggregate holds counts and sums of all reviews and of the verified ones; the mean shown weighs a verified
review 1 and an unverified one UNVERIFIED_WEIGHT (documents.weighted_mean; docs/commerce.md "Ratings"). A review
is verified while its author has a paid, shipped or delivered order with the wine: set when it is written and
when such an order is paid, taken back when the last such order is cancelled or refunded.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.accounts.service import AccountService
from app.catalog.counters import RatingShare
from app.catalog.service import CatalogService
from app.commerce.orders import UNVERIFYING, VERIFYING, OrderService
from app.commerce.views import ASC, DESC, Clock, ReviewView
from app.errors import NotFound
from app.events import Publisher, WinesChanged
from documents import Order, Review, Wine


def _stored_share(raw: dict[str, Any], sign: int = 1) -> RatingShare:
    return RatingShare.of(float(raw["rating"]), bool(raw.get("verified", False)), sign)


class ReviewService:
    def __init__(
        self,
        catalog: CatalogService,
        orders: OrderService,
        accounts: AccountService,
        clock: Clock,
        events: Publisher,
    ) -> None:
        self._catalog = catalog
        self._counters = catalog.counters  # the rating aggregate is on the wine: catalog writes it
        self._events = events  # WinesChanged: the rating shows in search results
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
                await self._events.publish(WinesChanged([wine_id]))
                return await self._view(replaced), False
            # count first, insert second: a concurrent delete can then never take the aggregate below zero
            await self._counters.add_to_rating(wine_id, RatingShare.of(rating, verified))
            try:
                await review.insert()
            except DuplicateKeyError:
                await self._counters.add_to_rating(wine_id, RatingShare.of(rating, verified, -1))
                continue
            await self._events.publish(WinesChanged([wine_id]))
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
        await self._counters.add_to_rating(
            review.wine_id, RatingShare.of(review.rating, review.verified), _stored_share(before, -1)
        )
        kept: Review = review.model_copy(  # Beanie types model_copy as Any
            update={"id": before["_id"], "created_at": Review.model_validate(before).created_at}
        )
        return kept

    async def delete(self, user_id: str, wine_id: str) -> None:
        """Remove the user's review; the aggregate loses exactly what the removed review held."""
        gone = await Review.get_pymongo_collection().find_one_and_delete({"user_id": user_id, "wine_id": wine_id})
        if gone is not None:
            await self._counters.add_to_rating(wine_id, _stored_share(gone, -1))
            await self._events.publish(WinesChanged([wine_id]))

    async def find_mine(self, user_id: str, wine_id: str) -> tuple[Wine, ReviewView | None]:
        """The wine and the user's review of it, None when they have not written one; NotFound only when there
        is no such wine."""
        wine = await self._catalog.get_wine(wine_id)
        review = await Review.find_one({"user_id": user_id, "wine_id": wine_id})
        return wine, None if review is None else await self._view(review)

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

    async def list_mine(self, user_id: str, *, page: int, per_page: int) -> tuple[list[ReviewView], int]:
        """The user's own reviews, newest first, each with its wine's name."""
        query = {"user_id": user_id}
        total = await Review.find(query).count()
        reviews = (
            await Review.find(query)
            .sort([("created_at", DESC), ("_id", ASC)])
            .skip((page - 1) * per_page)
            .limit(per_page)
            .to_list()
        )
        wines = await self._catalog.find_wines([r.wine_id for r in reviews])
        reviewer = (await self._view(reviews[0])).reviewer if reviews else ""
        return [
            ReviewView(review=r, reviewer=reviewer, wine_name=w.name if (w := wines.get(r.wine_id)) else None)
            for r in reviews
        ], total

    async def verify_purchases(self, order: Order) -> None:
        """Order listener: a paid order verifies its buyer's reviews of its wines; cancelling or refunding it
        takes the mark back from those the buyer has no other such order for."""
        if order.status.value in VERIFYING:
            wine_ids = [i.wine_id for i in order.items]
        elif order.status.value in UNVERIFYING:
            wine_ids = [i.wine_id for i in order.items if not await self._orders.has_bought(order.user_id, i.wine_id)]
        else:
            return
        verified = order.status.value in VERIFYING
        changed = [w for w in dict.fromkeys(wine_ids) if await self._mark(order.user_id, w, verified=verified)]
        if changed:
            await self._events.publish(WinesChanged(changed))

    async def _mark(self, user_id: str, wine_id: str, *, verified: bool) -> bool:
        """Set the review's mark and move its weight in the aggregate; False when there was nothing to change."""
        before = await Review.get_pymongo_collection().find_one_and_update(
            {"user_id": user_id, "wine_id": wine_id, "verified": not verified},
            {"$set": {"verified": verified}},
            return_document=ReturnDocument.BEFORE,
        )
        if before is None:
            return False
        rating = float(before["rating"])
        await self._counters.add_to_rating(
            wine_id, RatingShare.of(rating, verified), RatingShare.of(rating, not verified, -1)
        )
        return True

    async def ratings_for_training(self) -> AsyncIterator[tuple[str, str, float]]:
        """Every (user_id, wine_id, rating), streamed for the recommenders."""
        cursor = Review.get_pymongo_collection().find({}, projection={"user_id": 1, "wine_id": 1, "rating": 1})
        async for raw in cursor:
            yield raw["user_id"], raw["wine_id"], float(raw["rating"])

    async def recount(self, wine_id: str) -> None:
        """Rebuild a wine's aggregate from its reviews (repair after a crash between two writes, or fill in the
        verified counts of an aggregate written before they existed)."""
        totals = RatingShare(0, 0.0, 0, 0.0)
        async for raw in Review.get_pymongo_collection().find({"wine_id": wine_id}, {"rating": 1, "verified": 1}):
            totals += _stored_share(raw)
        await self._counters.set_rating(wine_id, totals)

    async def recount_all(self) -> int:
        """Recount every wine that has or had reviews; returns how many. The search index is not told: run
        `cuvee reindex` after (the CLI's `recount-ratings` does both)."""
        wine_ids = set(await Review.get_pymongo_collection().distinct("wine_id"))
        wine_ids.update(await self._counters.rated_wine_ids())
        for wine_id in sorted(wine_ids):
            await self.recount(wine_id)
        return len(wine_ids)

    async def _view(self, review: Review) -> ReviewView:
        try:
            user = await self._accounts.get_user(review.user_id)
        except NotFound:
            return ReviewView(review=review, reviewer="former customer")
        return ReviewView(review=review, reviewer=user.username or "customer")
