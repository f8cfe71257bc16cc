"""The search box: full search with filters and facets, and as-you-type suggestions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from litestar import Controller, get
from litestar.di import Provide
from litestar.params import Parameter

from app.caching import CACHED
from app.catalog.schemas import (
    FacetCount,
    FacetsRead,
    QueryStatsRead,
    SearchHitRead,
    SearchPage,
    SearchReportRead,
    SuggestionRead,
    SuggestionsRead,
    WineCard,
)
from app.catalog.search_service import SearchParams, SearchService
from app.deps import provide_optional_principal, provide_search
from app.errors import problems
from app.schemas import Money, PageNo, PerPage, WineRef, shop_currency
from app.security import ADMIN, PUBLIC, Principal
from documents import Dietary, Style
from search import SearchResult, Sort


class Reading(StrEnum):
    """What the search box can read out of the words (`understood` in the response), and `favourites`: the
    signed-in shopper's favourites (`understood.your_favourites`)."""

    style = "style"
    country = "country"
    region = "region"
    grape = "grape"
    pairing = "pairing"
    taste = "taste"
    price = "price"
    dietary = "dietary"
    text = "text"
    favourites = "favourites"


Name = Annotated[str | None, Parameter(min_length=1, max_length=100)]


def _response(result: SearchResult, understood: dict[str, str], currency: str) -> SearchPage:
    f = result.facets
    return SearchPage(
        items=[SearchHitRead(wine=WineCard.of_hit(h), score=h.score, highlights=h.highlights) for h in result.hits],
        page=result.page,
        per_page=result.per_page,
        total=result.total,
        facets=FacetsRead(
            **{
                name: [FacetCount(value=v, count=n) for v, n in getattr(f, name).items()]
                for name in ("style", "country", "region", "grape")
            },
            price_min=Money.maybe(f.price_min_cents, currency),
            price_max=Money.maybe(f.price_max_cents, currency),
        ),
        did_you_mean=result.did_you_mean,
        understood=understood,
    )


class SearchController(Controller):
    path = "/v1/search"
    tags = ["search"]
    opt = {**PUBLIC, **CACHED}
    dependencies = {
        "search": Provide(provide_search, sync_to_thread=False),
        "principal": Provide(provide_optional_principal, sync_to_thread=False),
    }

    @get("/", responses=problems("search_unavailable"))
    async def search_wines(
        self,
        search: SearchService,
        principal: Principal | None,
        q: Annotated[str, Parameter(max_length=200, description="Words to look for; empty to browse")] = "",
        style: Style | None = None,
        country: Name = None,
        region: Name = None,
        grape: Name = None,
        price_min: Annotated[Decimal | None, Parameter(description="Currency units, e.g. 12.50")] = None,
        price_max: Annotated[Decimal | None, Parameter(description="Currency units, e.g. 30")] = None,
        vintage_min: Annotated[int | None, Parameter(ge=1800, le=2100)] = None,
        vintage_max: Annotated[int | None, Parameter(ge=1800, le=2100)] = None,
        dietary: Annotated[list[Dietary] | None, Parameter(description="Repeat for several; all must hold")] = None,
        in_stock: Annotated[bool | None, Parameter(description="true: only in stock; false: only sold out")] = None,
        sort: Sort = Sort.relevance,
        page: PageNo = 1,
        per_page: PerPage = 20,
        ignore: Annotated[
            list[Reading] | None,
            Parameter(
                description="Readings not to apply (repeat for several): the chips the shopper removed; "
                "`favourites`: do not rank by the signed-in shopper's favourites"
            ),
        ] = None,
        include_all: Annotated[
            bool, Parameter(description="true: search everything, not only wines fitting the signed-in shopper's needs")
        ] = False,
    ) -> SearchPage:
        """Search the catalog: typo-tolerant, accent-blind and grape-synonym-aware text over names,
        wineries, grapes, regions and tasting notes, with filters, facets, sorting and highlights. An empty
        `q` with filters browses by facet. Only the first 1000 results are served (page * per_page)."""
        params = SearchParams(
            q=q,
            style=None if style is None else style.value,
            country=country,
            region=region,
            grape=grape,
            price_min=price_min,
            price_max=price_max,
            vintage_min=vintage_min,
            vintage_max=vintage_max,
            dietary=[d.value for d in dietary or ()],
            in_stock=in_stock,
            sort=sort,
            page=page,
            per_page=per_page,
            ignore=[r.value for r in ignore or ()],
            include_all=include_all,
        )
        return _response(*await search.search(params, principal), shop_currency())

    @get("/suggest", responses=problems("search_unavailable"))
    async def suggest(
        self, search: SearchService, q: Annotated[str, Parameter(max_length=100)] = ""
    ) -> SuggestionsRead:
        """Up to 8 as-you-type suggestions for what has been typed so far, each with its kind (wine,
        winery, grape, region); the last word may be partial and small typos are forgiven."""
        found = await search.suggest(q)
        return SuggestionsRead(
            items=[
                SuggestionRead(
                    text=s.text, kind=s.kind, wine=None if s.wine_id is None else WineRef(id=s.wine_id, name=s.text)
                )
                for s in found
            ]
        )


class AdminSearchController(Controller):
    path = "/v1/admin/analytics"
    tags = ["admin"]
    opt = ADMIN
    dependencies = {"search": Provide(provide_search, sync_to_thread=False)}

    @get("/search")
    async def search_report(
        self,
        search: SearchService,
        days: Annotated[int, Parameter(ge=1, le=366)] = 30,
        limit: Annotated[int, Parameter(ge=1, le=100, description="Queries per list")] = 20,
    ) -> SearchReportRead:
        """Where search lets shoppers down: top queries, queries that found nothing or nothing clicked, and what
        search understands of each today, from the clickstream kept with the shoppers' consent."""
        report = await search.report(datetime.now(UTC) - timedelta(days=days), limit)
        return SearchReportRead(
            days=days,
            searches=report.searches,
            distinct_queries=report.distinct_queries,
            empty_searches=report.empty_searches,
            clicks=report.clicks,
            click_through=report.click_through,
            top_queries=[QueryStatsRead.of(s) for s in report.top],
            no_results=[QueryStatsRead.of(s) for s in report.no_results],
            no_clicks=[QueryStatsRead.of(s) for s in report.no_clicks],
        )
