"""Reviews API: anyone reads a wine's reviews; a signed-in customer writes, replaces, deletes and lists their own."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, put
from litestar.di import Provide
from litestar.openapi import ResponseSpec

from app.caching import CACHED
from app.commerce.schemas import MyReviewOfWine, ReviewInput, ReviewPage, ReviewRead
from app.commerce.service import CommerceService
from app.deps import provide_commerce, provide_principal
from app.errors import problems
from app.schemas import Page, PageNo, PerPage, WineRef
from app.security import PUBLIC, USER, Principal


class ReviewController(Controller):
    path = "/v1/wines/{wine_id:str}/reviews"
    tags = ["commerce"]
    dependencies = {
        "commerce": Provide(provide_commerce, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }

    @get("/", opt={**PUBLIC, **CACHED}, responses=problems("wine_not_found"))
    async def list_reviews(
        self,
        commerce: CommerceService,
        wine_id: str,
        page: PageNo = 1,
        per_page: PerPage = 20,
    ) -> ReviewPage:
        """A wine's reviews, newest first, with its rating mean and how many reviews are verified or not.
        `verified` marks reviewers with a paid, shipped or delivered order of the wine here; the mean weighs a
        verified review 1 and an unverified one 0.25."""
        wine, reviews, total = await commerce.reviews.list_for_wine(wine_id, page=page, per_page=per_page)
        return ReviewPage(
            items=[ReviewRead.of(r, wine.name) for r in reviews],
            page=page,
            per_page=per_page,
            total=total,
            rating_mean=wine.rating.mean,
            rating_count=wine.rating.count,
            rating_verified_count=wine.rating.verified,
            rating_unverified_count=wine.rating.unverified,
        )

    @get("/me", opt=USER, responses=problems("wine_not_found"))
    async def get_my_review(self, commerce: CommerceService, principal: Principal, wine_id: str) -> MyReviewOfWine:
        """Your review of this wine; `review` is null when you have not written one. 404 only for a wine that
        does not exist."""
        wine, mine = await commerce.reviews.find_mine(principal.user_id, wine_id)
        return MyReviewOfWine(
            wine=WineRef(id=wine.id, name=wine.name), review=None if mine is None else ReviewRead.of(mine, wine.name)
        )

    @put(
        "/me",
        opt=USER,
        status_code=201,
        responses={
            200: ResponseSpec(ReviewRead, description="Your earlier review of this wine, replaced"),
            **problems("wine_not_found"),
        },
    )
    async def put_my_review(
        self, commerce: CommerceService, principal: Principal, wine_id: str, data: ReviewInput
    ) -> Response[ReviewRead]:
        """Write your review (rating 1 to 5 in half steps, text up to 2,000 characters): 201 the first time,
        200 when it replaces your earlier one. One review per customer and wine."""
        review, created = await commerce.reviews.put(principal.user_id, wine_id, data.rating, data.text)
        return Response(ReviewRead.of(review), status_code=201 if created else 200)

    @delete("/me", opt=USER)
    async def delete_my_review(self, commerce: CommerceService, principal: Principal, wine_id: str) -> None:
        """Delete your review (204 whether or not there was one); the wine's rating is corrected."""
        await commerce.reviews.delete(principal.user_id, wine_id)


class MyReviewsController(Controller):
    path = "/v1/me/reviews"
    tags = ["commerce"]
    opt = USER
    dependencies = {
        "commerce": Provide(provide_commerce, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }

    @get("/")
    async def list_my_reviews(
        self,
        commerce: CommerceService,
        principal: Principal,
        page: PageNo = 1,
        per_page: PerPage = 20,
    ) -> Page[ReviewRead]:
        """Your reviews, newest first, each with the wine's id and name."""
        reviews, total = await commerce.reviews.list_mine(principal.user_id, page=page, per_page=per_page)
        return Page(items=[ReviewRead.of(r) for r in reviews], page=page, per_page=per_page, total=total)
