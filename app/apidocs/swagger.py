"""Swagger UI at /schema from the swagger-ui-bundle-v2 package's files: it works offline and runs under
`script-src 'self'` because its start-up lives in a file (swagger-init.js), not in an inline script."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.response import File
from swagger_ui_bundle import swagger_ui_path

ASSETS_PATH = "/assets"
# Only the files the page loads: the package also ships a demo index.html and initialiser (the petstore).
ASSETS = {
    "swagger-ui.css": Path(str(swagger_ui_path)) / "swagger-ui.css",
    "index.css": Path(str(swagger_ui_path)) / "index.css",
    "swagger-ui-bundle.js": Path(str(swagger_ui_path)) / "swagger-ui-bundle.js",
    "swagger-init.js": Path(__file__).resolve().parent / "swagger-init.js",
}
_MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
# The files change only with a release and carry no version in their names: browsers revalidate (ETag).
_REVALIDATE = CacheControlHeader(no_cache=True)


@get(f"{ASSETS_PATH}/{{name:str}}", cache_control=_REVALIDATE, include_in_schema=False, sync_to_thread=False)
def swagger_asset(name: str) -> File:
    """One of the page's own files; anything else is a 404."""
    path = ASSETS.get(name)
    if path is None:
        raise NotFoundException()
    return File(path, filename=name, content_disposition_type="inline", media_type=_MEDIA_TYPES[path.suffix])


class LocalSwaggerUI(SwaggerRenderPlugin):
    """The page references its own assets and the JSON schema only; swagger-init.js reads the schema's URL
    from the container's data attribute. No OAuth2 redirect page: the API signs in with bearer tokens."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(favicon="", style="", **kwargs)
        self.assets_url = ASSETS_PATH

    def receive_router(self, router: Router) -> None:
        self.assets_url = f"{router.path.rstrip('/')}{ASSETS_PATH}"
        router.register(swagger_asset)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        spec_url = escape(self.get_openapi_json_route(request))
        assets = self.assets_url
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="{assets}/swagger-ui.css">
  <link rel="stylesheet" href="{assets}/index.css">
</head>
<body>
  <div id="swagger-ui" data-spec-url="{spec_url}"></div>
  <script src="{assets}/swagger-ui-bundle.js"></script>
  <script src="{assets}/swagger-init.js"></script>
</body>
</html>
""".encode()
