"""Catalog administration: create, change, delist and bulk-import wines (administrators only)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, patch, post
from litestar.di import Provide
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK

from app.catalog.importer import MAX_IMPORT_BYTES, ImportFormat, decode_upload, detect_format
from app.catalog.schemas import ImportReportRead, Rejection, WineCreate, WineRead, WineUpdate
from app.catalog.service import CatalogService
from app.deps import provide_catalog, provide_principal
from app.security import ADMIN, Principal


class AdminWineController(Controller):
    path = "/v1/admin/wines"
    tags = ["catalog admin"]
    opt = ADMIN
    dependencies = {
        "catalog": Provide(provide_catalog, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }

    @post("/")
    async def create_wine(self, catalog: CatalogService, principal: Principal, data: WineCreate) -> WineRead:
        """Add a wine to the catalog; it is in search results when this returns. `price` is in currency
        units ("12.90"); tasting notes are written from the wine's facts when left out."""
        return WineRead.of(await catalog.create_wine(data, principal.user_id))

    @patch("/{wine_id:str}")
    async def update_wine(
        self, catalog: CatalogService, principal: Principal, wine_id: str, data: WineUpdate
    ) -> WineRead:
        """Change some fields of a wine (price, stock, listing included); search shows the change when
        this returns. Use `stock_delta` to add or remove bottles without overwriting concurrent sales."""
        return WineRead.of(await catalog.update_wine(wine_id, data, principal.user_id))

    @delete("/{wine_id:str}")
    async def delist_wine(self, catalog: CatalogService, principal: Principal, wine_id: str) -> None:
        """Delist a wine: hidden from the catalog, search and checkout at once, but kept for order
        history, reviews and wishlists. Idempotent; `PATCH {"listed": true}` brings it back."""
        await catalog.delist_wine(wine_id, principal.user_id)

    @post("/import", status_code=HTTP_200_OK, request_max_body_size=MAX_IMPORT_BYTES)
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
        )
