"""Recommendations API: "for you", popular, similar, bought together, trending, reorder, "not for me",
and the admin analytics (CTR and conversion per surface, customer segments) and retraining."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import Provide
from litestar.params import Parameter

from app.deps import provide_optional_principal, provide_principal, provide_recommendations
from app.errors import problems
from app.recommendations.schemas import (
    DismissInput,
    DismissRead,
    ForMeCardsRead,
    ForMeRead,
    MySegmentRead,
    RecommendationReportRead,
    RecommendationsRead,
    SegmentRead,
    SegmentsRead,
    SurfaceStatsRead,
    TrainReportRead,
)
from app.recommendations.service import RecommendationService
from app.schemas import PerPage, WineRef
from app.security import ADMIN, PUBLIC, USER, Principal

SurfaceName = Annotated[
    str,
    Parameter(
        pattern=r"^[a-z][a-z0-9_-]{0,39}$", max_length=40, description="Where the list is shown, e.g. home, cart, email"
    ),
]
_ANONYMOUS_ID = Parameter(
    pattern=r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
    min_length=8,
    max_length=64,
    description="This browser's anonymous id, as issued by POST /v1/anonymous-ids",
)
AnonymousIdParam = Annotated[str, _ANONYMOUS_ID]
# Optional with the bounds outside the union: `AnonymousIdParam | None` loses them (Litestar checks none)
OptionalAnonymousId = Annotated[str | None, _ANONYMOUS_ID]
MAX_CARDS = 100  # the page cap of every list: a results page or a carousel is one call
_SERVICE = {"recommendations": Provide(provide_recommendations, sync_to_thread=False)}


class MyRecommendationsController(Controller):
    """Lists for the signed-in caller, built from their own taste, history and preferences."""

    path = "/v1/me"
    tags = ["recommendations"]
    opt = USER
    dependencies = {**_SERVICE, "principal": Provide(provide_principal, sync_to_thread=False)}

    @get("/recommendations")
    async def for_you(
        self,
        recommendations: RecommendationService,
        principal: Principal,
        surface: SurfaceName = "home",
        per_page: PerPage = 10,
    ) -> RecommendationsRead:
        """Wines for you: your ratings, purchases (not gifts), views and feedback, blended with your taste
        profile and preferences. Never a wine you cannot buy now, that breaks a dietary need or a dislike,
        or that you already bought. Without personalisation consent: popular wines (`personalised` false)."""
        return RecommendationsRead.of(await recommendations.for_you(principal, surface, per_page), per_page)

    @post(
        "/recommendations/{rec_id:str}/dismiss",
        status_code=200,
        operation_id="dismissRecommendation",
        responses=problems("recommendation_list_not_found", "wine_not_in_list"),
    )
    async def dismiss(
        self, recommendations: RecommendationService, principal: Principal, rec_id: str, data: DismissInput
    ) -> DismissRead:
        """ "Not for me": the wine is never recommended to you again, on any list."""
        dismissed = await recommendations.dismiss(principal.user_id, rec_id, data.wine_id)
        return DismissRead(rec_id=rec_id, wine=WineRef(id=data.wine_id, name=None), dismissed=len(dismissed))

    @get("/reorder")
    async def reorder(
        self, recommendations: RecommendationService, principal: Principal, per_page: PerPage = 10
    ) -> RecommendationsRead:
        """Wines you buy again and again, the most due first (from your own interval between purchases)."""
        return RecommendationsRead.of(await recommendations.reorder(principal, per_page), per_page)

    @get("/segment")
    async def my_segment(self, recommendations: RecommendationService, principal: Principal) -> MySegmentRead:
        """Your customer segment (shoppers with a taste like yours), as placed at the last training: its id
        (use it with GET /v1/trending?segment=), a short label, what marks it and how many are in it."""
        segment, trained_at = await recommendations.my_segment(principal)
        return MySegmentRead(segment=SegmentRead.of(segment) if segment else None, trained_at=trained_at)


class WineForMeController(Controller):
    """One wine as it concerns the signed-in caller."""

    path = "/v1/wines"
    tags = ["recommendations"]
    opt = USER
    dependencies = {**_SERVICE, "principal": Provide(provide_principal, sync_to_thread=False)}

    @get("/{wine_id:str}/for-me", responses=problems("wine_not_found", "user_not_found"))
    async def wine_for_me(
        self, recommendations: RecommendationService, principal: Principal, wine_id: str
    ) -> ForMeRead:
        """How this wine compares with your palate (your taste profile and the mean taste of what you bought),
        which of your foods (preferences.foods) its pairings suit, and where it crosses a dietary need or dislike
        you stated. Made from the wine's taste structure and pairings and your own profile only. Without
        personalisation consent: `personalised` false, only the warnings."""
        return ForMeRead.of(await recommendations.for_me(principal, wine_id))

    @get("/for-me", responses=problems("wine_not_found", "user_not_found"))
    async def wines_for_me(
        self,
        recommendations: RecommendationService,
        principal: Principal,
        wine_id: Annotated[
            list[str],
            Parameter(
                min_items=1, max_items=MAX_CARDS, description=f"A wine shown on a card; repeat for each (≤ {MAX_CARDS})"
            ),
        ],
    ) -> ForMeCardsRead:
        """One short tailored line per wine card (a list or a page of results), in the order asked: the notes
        of GET /v1/wines/{wine_id}/for-me cut short — a need or dislike the wine crosses first (`warning`
        true), then its palate against yours, then which of your foods it suits. One call for the cards shown,
        not one a card. Without personalisation consent: `personalised` false, the lines only warn."""
        personalised, cards = await recommendations.for_me_cards(principal, wine_id)
        return ForMeCardsRead.of(personalised, cards)


class RecommendationController(Controller):
    """Lists anyone may see; a signed-in caller's dietary needs and dislikes still apply."""

    path = "/v1"
    tags = ["recommendations"]
    opt = PUBLIC
    dependencies = {**_SERVICE, "principal": Provide(provide_optional_principal, sync_to_thread=False)}

    @get("/recommendations/popular", responses=problems("anonymous_id_not_issued"))
    async def popular(
        self,
        recommendations: RecommendationService,
        principal: Principal | None,
        anonymous_id: OptionalAnonymousId = None,
        per_page: PerPage = 10,
    ) -> RecommendationsRead:
        """Popular in season: for visitors who are not signed in (or not personalised). A wine dismissed as
        "not for me" on this visit is left out at once (yours when signed in; else the `anonymous_id`'s)."""
        return RecommendationsRead.of(await recommendations.popular(principal, per_page, anonymous_id), per_page)

    @get("/recommendations/visitor", responses=problems("anonymous_id_not_issued"))
    async def for_visitor(
        self,
        recommendations: RecommendationService,
        anonymous_id: AnonymousIdParam,
        surface: SurfaceName = "home",
        per_page: PerPage = 10,
    ) -> RecommendationsRead:
        """Wines for a visitor who is not signed in, from what this browser's anonymous id viewed, clicked,
        put in the cart or dismissed on this visit (it changes within seconds of each beacon event); the
        popular list (`personalised` false) until it did something. Only the holder of the issued id sees
        its list; an id linked to an account at sign-in has no anonymous visit any more."""
        return RecommendationsRead.of(await recommendations.for_visitor(anonymous_id, surface, per_page), per_page)

    @get("/wines/{wine_id:str}/similar", responses=problems("wine_not_found", "anonymous_id_not_issued"))
    async def similar(
        self,
        recommendations: RecommendationService,
        principal: Principal | None,
        wine_id: str,
        anonymous_id: OptionalAnonymousId = None,
        per_page: PerPage = 10,
    ) -> RecommendationsRead:
        """Wines like this one: rated alike by the same people, and close in structure and attributes;
        tilted towards the other wines of your visit (signed in with personalisation consent, or not signed
        in with your `anonymous_id`, which is ignored when signed in), and such a wine says which one."""
        listed = await recommendations.similar(wine_id, principal, per_page, anonymous_id)
        return RecommendationsRead.of(listed, per_page)

    @get("/wines/{wine_id:str}/bought-together", responses=problems("wine_not_found"))
    async def bought_together(
        self, recommendations: RecommendationService, principal: Principal | None, wine_id: str, per_page: PerPage = 10
    ) -> RecommendationsRead:
        """Wines bought in the same orders as this one, and only those (empty until there are such orders;
        wines merely like it are GET /v1/wines/{wine_id}/similar)."""
        return RecommendationsRead.of(await recommendations.bought_together(wine_id, principal, per_page), per_page)

    @get("/trending", responses=problems("segment_not_found", "anonymous_id_not_issued"))
    async def trending(
        self,
        recommendations: RecommendationService,
        principal: Principal | None,
        segment: Annotated[
            int | None,
            Parameter(ge=0, description="A customer segment id (GET /v1/me/segment, GET /v1/admin/analytics/segments)"),
        ] = None,
        anonymous_id: OptionalAnonymousId = None,
        per_page: PerPage = 10,
    ) -> RecommendationsRead:
        """What is trending now (time-decayed activity), in the whole shop or within one customer segment
        ("among customers like you" only when you are signed in and in that segment). A wine dismissed as
        "not for me" on this visit is left out at once (yours when signed in; else the `anonymous_id`'s)."""
        listed = await recommendations.trending(segment, principal, per_page, anonymous_id)
        return RecommendationsRead.of(listed, per_page)


class AdminRecommendationController(Controller):
    path = "/v1/admin"
    tags = ["admin"]
    opt = ADMIN
    dependencies = _SERVICE

    @get("/analytics/recommendations")
    async def recommendation_report(
        self, recommendations: RecommendationService, days: Annotated[int, Parameter(ge=1, le=366)] = 30
    ) -> RecommendationReportRead:
        """Impressions, clicks, CTR, carts, purchases and conversion per surface and model version."""
        rows = await recommendations.report(days)
        return RecommendationReportRead(days=days, rows=[SurfaceStatsRead.of(r) for r in rows])

    @get("/analytics/segments")
    async def segments(self, recommendations: RecommendationService) -> SegmentsRead:
        """Customer segments by taste and purchases (k-means), each with its size and what marks it."""
        segments, customers, trained_at = await recommendations.segments()
        return SegmentsRead(customers=customers, trained_at=trained_at, segments=[SegmentRead.of(s) for s in segments])

    @post("/recommendations/retrain", status_code=200)
    async def retrain(self, recommendations: RecommendationService) -> TrainReportRead:
        """Retrain now from MongoDB (serving goes on with the previous model until the new one is ready)."""
        return TrainReportRead.of(await recommendations.retrain())
