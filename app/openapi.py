"""The OpenAPI document as the API really behaves: every error is one problem+json shape, and the routes
that need a token say so (bearer security), so clients, fuzzers and the route inventory can rely on it."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.routes import HTTPRoute

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


def _access_by_operation(app: Litestar) -> dict[tuple[str, str], str]:
    """(OpenAPI path, method) → the access level the handler declares."""
    access = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in handler.http_methods:
                    access[(route.path_format, method.lower())] = str(handler.opt.get("access"))
    return access


def _document(operation: Operation, access: str) -> None:
    responses: dict[str, Any] = dict(operation.responses or {})
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
    access = _access_by_operation(app)
    for path, item in (openapi.paths or {}).items():
        for method in _METHODS:
            operation = getattr(item, method, None)
            if isinstance(operation, Operation):
                _document(operation, access.get((path, method), "public"))
