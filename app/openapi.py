"""The OpenAPI document as the API really behaves: every error is one problem+json shape, and the routes
that need a token say so (bearer security), so clients, fuzzers and the route inventory can rely on it."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.routes import HTTPRoute

from app.caching import MAX_AGE_S
from app.errors import PROBLEM_JSON

_TEXT = Schema(type=OpenAPIType.STRING)
PROBLEM = Schema(
    type=OpenAPIType.OBJECT,
    required=["type", "title", "status", "code", "detail", "instance"],
    properties={
        "type": _TEXT,
        "title": _TEXT,
        "status": Schema(type=OpenAPIType.INTEGER),
        "code": _TEXT,
        "detail": _TEXT,
        "instance": _TEXT,
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(type=OpenAPIType.OBJECT, properties={"field": _TEXT, "source": _TEXT, "message": _TEXT}),
        ),
    },
    description="An error (RFC 9457): `code` is stable and machine-readable, `detail` is safe to show.",
)
_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


def _problem(description: str) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=description,
        content={PROBLEM_JSON: OpenAPIMediaType(schema=Reference("#/components/schemas/Problem"))},
    )


def _opt_by_operation(app: Litestar) -> dict[tuple[str, str], dict[str, Any]]:
    """(OpenAPI path, method) → the handler's options (its access level, whether it is cached)."""
    opts = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in handler.http_methods:
                    opts[(route.path_format, method.lower())] = handler.opt
    return opts


def _header(description: str) -> OpenAPIHeader:
    return OpenAPIHeader(schema=_TEXT, description=description)


def _document_caching(operation: Operation, responses: dict[str, Any]) -> None:
    """The conditional GET of app.caching (docs/api.md, "Caching")."""
    operation.parameters = [
        *(operation.parameters or []),
        Parameter(
            name="If-None-Match",
            param_in="header",
            required=False,
            schema=_TEXT,
            description="The ETag of an answer you hold: 304 while it is still current.",
        ),
    ]
    ok = responses.get("200")
    if isinstance(ok, OpenAPIResponse):
        ok.headers = {
            **(ok.headers or {}),
            "ETag": _header("Names the content (anonymous callers only)."),
            "Cache-Control": _header(f"`public, max-age={MAX_AGE_S}` anonymous; `private, no-store` signed in."),
            "Vary": _header("Authorization"),
        }
    responses["304"] = OpenAPIResponse(
        description="Not modified: the If-None-Match tag is still current (never for a signed-in caller); no body.",
        headers={"ETag": _header("The current tag."), "Cache-Control": _header("As on 200.")},
    )


def _document(operation: Operation, opt: dict[str, Any]) -> None:
    access = str(opt.get("access", "public"))
    responses: dict[str, Any] = dict(operation.responses or {})
    if opt.get("http_cache"):
        _document_caching(operation, responses)
    responses.pop("400", None)  # Litestar's own validation shape, which the API never sends
    responses["default"] = _problem("Any other outcome is a problem: 400, 404, 409, 413, 415, 422, 429, 503.")
    if access in ("user", "admin"):
        operation.security = [{"bearer": []}]
        responses["401"] = _problem("No token, or one that is expired or not valid.")
    if access == "admin":
        responses["403"] = _problem("The caller is not an administrator.")
    operation.responses = responses


def document_api(app: Litestar) -> None:
    """Amend the generated document once, before it is first served."""
    openapi = app.openapi_schema
    components = openapi.components
    components.schemas = {**(components.schemas or {}), "Problem": PROBLEM}
    components.security_schemes = {
        "bearer": SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="The access_token from POST /v1/auth/register or /v1/auth/login.",
        )
    }
    opts = _opt_by_operation(app)
    for path, item in (openapi.paths or {}).items():
        for method in _METHODS:
            operation = getattr(item, method, None)
            if isinstance(operation, Operation):
                _document(operation, opts.get((path, method), {}))
