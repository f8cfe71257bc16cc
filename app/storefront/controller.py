"""HTTP for the storefront: the page shell at `/` and its CSS, JavaScript and images under `/static/`."""

from __future__ import annotations

from pathlib import Path

from litestar import Controller, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.response import File
from litestar.static_files import create_static_files_router

from app.security import PUBLIC

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Files change with each release and carry no version in their names: browsers revalidate (ETag) each time.
REVALIDATE = CacheControlHeader(no_cache=True)


class StorefrontController(Controller):
    path = "/"
    opt = PUBLIC
    include_in_schema = False

    @get("/", cache_control=REVALIDATE)
    async def index(self) -> File:
        """The storefront's single page; its hash router draws every view from the API."""
        return File(
            STATIC_DIR / "index.html", filename="index.html", content_disposition_type="inline", media_type="text/html"
        )


def static_files_router() -> Router:
    """`/static/*`: the storefront's files, public, never listed in the OpenAPI schema."""
    return create_static_files_router(
        "/static", [STATIC_DIR], opt=PUBLIC, cache_control=REVALIDATE, include_in_schema=False, name="storefront-static"
    )
