"""Catalog administration: create, change, delist and bulk-import wines (administrators only)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.di import Provide
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK

from app.catalog.importer import MAX_IMPORT_BYTES, ImportFormat, decode_upload, detect_format
from app.catalog.schemas import (
    DraftRead,
    ImportReportRead,
    Rejection,
    RowDetailRead,
    WineCreate,
    WineRead,
    WineUpdate,
)
from app.catalog.service import CatalogService
from app.catalog.xwines import DERIVED
from app.deps import provide_catalog, provide_principal
from app.errors import problems
from app.schemas import Page, PageNo, PerPage
from app.security import ADMIN, Principal


class AdminWineController(Controller):
    path = "/v1/admin/wines"
    tags = ["catalog admin"]
    opt = ADMIN
    dependencies = {
        "catalog": Provide(provide_catalog, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }

    @post("/", responses=problems("source_id_taken", "search_sync_failed"))
    async def create_wine(self, catalog: CatalogService, principal: Principal, data: WineCreate) -> WineRead:
        """Add a wine to the catalog; it is in search results when this returns. `price` is in currency
        units ("12.90"); tasting notes stay empty when left out (nothing is made up)."""
        return WineRead.of(await catalog.create_wine(data, principal.user_id))

    @patch(
        "/{wine_id:str}",
        responses=problems(
            "wine_not_found", "insufficient_stock", "source_id_taken", "wine_incomplete", "search_sync_failed"
        ),
    )
    async def update_wine(
        self, catalog: CatalogService, principal: Principal, wine_id: str, data: WineUpdate
    ) -> WineRead:
        """Change some fields of a wine (price, stock, listing included); search shows the change when
        this returns. Use `stock_delta` to add or remove bottles without overwriting concurrent sales."""
        return WineRead.of(await catalog.update_wine(wine_id, data, principal.user_id))

    @delete("/{wine_id:str}", responses=problems("wine_not_found", "search_sync_failed"))
    async def delist_wine(self, catalog: CatalogService, principal: Principal, wine_id: str) -> None:
        """Delist a wine: hidden from the catalog, search and checkout at once, but kept for order
        history, reviews and wishlists. Idempotent; `PATCH {"listed": true}` brings it back."""
        await catalog.delist_wine(wine_id, principal.user_id)

    @post(
        "/import",
        status_code=HTTP_200_OK,
        request_max_body_size=MAX_IMPORT_BYTES,
        responses=problems("unsupported_media_type", "import_unreadable", "import_bad_header", "search_sync_failed"),
    )
    async def import_wines(
        self,
        catalog: CatalogService,
        principal: Principal,
        request: Request[Any, Any, Any],
        format: Annotated[ImportFormat | None, Parameter(description="csv or jsonl; default: by content type")] = None,
    ) -> ImportReportRead:
        """Bulk upsert from an X-Wines CSV (`text/csv`) or our JSON Lines (`application/x-ndjson`), plain
        or gzipped, up to 64 MiB. Rows update the wine with the same id or source_id, else are added;
        the report lists rejected rows with their line and reason."""
        fmt = detect_format(request.headers.get("content-type"), format)
        text = decode_upload(await request.body())
        report = await catalog.import_wines(text, fmt, principal.user_id, source=f"http:{fmt}")
        return ImportReportRead(
            format=str(report.format),
            rows=report.rows,
            inserted=report.inserted,
            updated=report.updated,
            unchanged=report.unchanged,
            rejected_count=report.rejected_count,
            rejected=[Rejection(row=line, reason=reason) for line, reason in report.rejected],
            rejected_truncated=report.rejected_count > len(report.rejected),
            drafts=report.drafts,
            details=[
                RowDetailRead(
                    row=d.line,
                    wine_id=d.wine_id,
                    outcome=d.outcome,
                    derived=d.derived,
                    empty=d.empty,
                    missing=d.missing,
                    errors=d.errors,
                )
                for d in report.details
            ],
            details_truncated=report.detail_count > len(report.details),
            derived_counts=report.derived_counts,
            empty_counts=report.empty_counts,
            derived_meaning=DERIVED,
        )

    @get("/drafts")
    async def list_drafts(
        self,
        catalog: CatalogService,
        page: PageNo = 1,
        per_page: PerPage = 20,
    ) -> Page[DraftRead]:
        """Wines an import left unlisted because they lack a price or a stock, with what each lacks. Give
        them what they lack with PATCH, then list them with `{"listed": true}`."""
        wines, total = await catalog.list_drafts(page=page, per_page=per_page)
        items = [
            DraftRead(
                id=w.id, name=w.name, winery=w.winery, missing=w.missing, source_id=w.source_id, created_at=w.created_at
            )
            for w in wines
        ]
        return Page(items=items, page=page, per_page=per_page, total=total)

    @get("/demo-data")
    async def list_demo_data(
        self,
        catalog: CatalogService,
        page: PageNo = 1,
        per_page: PerPage = 20,
    ) -> Page[WineRead]:
        """Wines that still carry generated demo values (`demo_fields`: price, stock, notes), to replace
        with the shop's own before selling for real."""
        wines, total = await catalog.list_demo_data(page=page, per_page=per_page)
        return Page(items=[WineRead.of(w) for w in wines], page=page, per_page=per_page, total=total)

    @get("/{wine_id:str}", operation_id="adminGetWine", responses=problems("wine_not_found"))
    async def get_wine(self, catalog: CatalogService, wine_id: str) -> WineRead:
        """Any wine, drafts and delisted ones included."""
        return WineRead.of(await catalog.get_wine(wine_id, include_drafts=True))
