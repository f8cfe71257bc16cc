"""Public catalog pages: list and read wines."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import Provide
from litestar.params import Parameter

from app.caching import CACHED
from app.catalog.schemas import WineCard, WineRead
from app.catalog.service import CatalogService
from app.deps import provide_catalog
from app.errors import problems
from app.schemas import Page, PageNo, PerPage
from app.security import PUBLIC
from documents import Style


class WineController(Controller):
    path = "/v1/wines"
    tags = ["catalog"]
    opt = {**PUBLIC, **CACHED}
    dependencies = {"catalog": Provide(provide_catalog, sync_to_thread=False)}

    @get("/")
    async def list_wines(
        self,
        catalog: CatalogService,
        page: PageNo = 1,
        per_page: PerPage = 20,
        style: Style | None = None,
        country: Annotated[str | None, Parameter(max_length=100)] = None,
    ) -> Page[WineCard]:
        """The catalog, page by page, ordered by name; filter by style and country."""
        wines, total = await catalog.list_wines(page=page, per_page=per_page, style=style, country=country)
        return Page(items=[WineCard.of(w) for w in wines], page=page, per_page=per_page, total=total)

    @get("/{wine_id:str}", responses=problems("wine_not_found"))
    async def get_wine(self, catalog: CatalogService, wine_id: str) -> WineRead:
        """One wine with its taste structure, tasting notes, pairings and stock."""
        return WineRead.of(await catalog.get_wine(wine_id))
