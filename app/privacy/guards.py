"""Request hardening that applies to every route: a declared body larger than the route accepts is refused.

Litestar already refuses a body past `request_max_body_size` while reading it; routes that never read their
body (a DELETE, an action without input) would otherwise accept any Content-Length silently. This guard
answers 413 for those too, before any work is done, so every route keeps the same promise.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.handlers.http_handlers import HTTPRouteHandler

from app.errors import BadRequest, PayloadTooLarge

DEFAULT_MAX_BODY = 1_048_576  # the app-wide request_max_body_size, unless a route sets its own


async def body_within_limit(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    declared = connection.headers.get("content-length")
    if declared is None or not isinstance(handler, HTTPRouteHandler):
        return  # chunked bodies are counted by Litestar as they are read
    if not declared.isdigit():
        raise BadRequest("Content-Length must be a number of bytes", code="bad_content_length")
    limit = handler.resolve_request_max_body_size() or DEFAULT_MAX_BODY
    if int(declared) > limit:
        raise PayloadTooLarge(f"the request body must not exceed {limit} bytes", code="payload_too_large")
