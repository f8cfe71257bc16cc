"""Request hardening that applies to every route.

- A declared body larger than the route accepts is refused. Litestar already refuses a body past
  `request_max_body_size` while reading it; routes that never read their body (a DELETE, an action without
  input) would otherwise accept any Content-Length silently. This answers 413 for those too, before any work.
- A query parameter the route does not declare is refused (422 naming it): `/v1/wines?region=Rioja` must not
  quietly answer every region.
- A token whose account was erased cannot write any more. Tokens are checked without a database read (they
  live at most `token_ttl_s`); for the few minutes one outlives its erased account, reads find nothing, but a
  write (a cart, a wishlist entry, a review) would create data about a person who asked to be forgotten.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.handlers.http_handlers import HTTPRouteHandler

from app.accounts.service import AccountService
from app.errors import BadRequest, Invalid, PayloadTooLarge, Unauthorized
from app.security import Principal

DEFAULT_MAX_BODY = 1_048_576  # the app-wide request_max_body_size, unless a route sets its own
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def body_within_limit(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    declared = connection.headers.get("content-length")
    if declared is None or not isinstance(handler, HTTPRouteHandler):
        return  # chunked bodies are counted by Litestar as they are read
    if not declared.isdigit():
        raise BadRequest("Content-Length must be a number of bytes", code="bad_content_length")
    limit = handler.resolve_request_max_body_size() or DEFAULT_MAX_BODY
    if int(declared) > limit:
        raise PayloadTooLarge(f"the request body must not exceed {limit} bytes", code="payload_too_large")


# Handler arguments Litestar fills from the connection itself, never from the query string.
_RESERVED = frozenset({"request", "state", "scope", "data", "headers", "cookies", "query", "socket", "body"})


@cache
def _declared_query(handler: HTTPRouteHandler) -> frozenset[str]:
    """The query parameter names a route takes: its arguments that are not dependencies, path parameters,
    headers, cookies or the connection (an argument's `query=` alias is its name in the URL)."""
    dependencies = set(handler.resolve_dependencies())
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if (
            name in dependencies
            or name in _RESERVED
            or getattr(kwarg, "header", None)
            or getattr(kwarg, "cookie", None)
        ):
            continue
        names.add(getattr(kwarg, "query", None) or name)
    return frozenset(names)


async def known_query_only(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if not isinstance(handler, HTTPRouteHandler) or not connection.scope.get("query_string"):
        return
    declared = _declared_query(handler) - set(connection.path_params)
    unknown = sorted({k for k in connection.query_params if k not in declared})
    if unknown:
        accepted = ", ".join(sorted(declared)) or "none"
        raise Invalid(
            f"unknown query parameter{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)} "
            f"(this route takes: {accepted})",
            code="unknown_parameter",
            errors=[{"field": name, "source": "query", "message": "not a parameter of this route"} for name in unknown],
        )


async def account_still_exists(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Runs after `authorize`: a signed-in write needs the caller's account to exist."""
    principal: Principal | None = connection.scope.get("user")
    if (
        principal is None
        or connection.scope.get("method") in SAFE_METHODS
        or handler.opt.get("access") not in ("user", "admin")
    ):
        return
    accounts: AccountService = connection.app.state.services.accounts
    if not await accounts.account_exists(principal.user_id):
        raise Unauthorized("this account no longer exists", code="account_gone")
