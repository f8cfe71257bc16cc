"""The OpenAPI document as the API really behaves (docs/api.md, "OpenAPI"): every status a route answers and,
for errors, the problem codes it can carry (no catch-all `default`); request bodies as they are validated;
links from what is created to reading it; readable operation ids; bearer security where a token is needed."""

from __future__ import annotations

import re
from typing import Any, get_args

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Link,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
    SecurityScheme,
)
from litestar.routes import HTTPRoute
from litestar.types import Method
from litestar.types.internal_types import PathParameterDefinition
from pydantic import BaseModel

from app.caching import MAX_AGE_S
from app.clickstream.events import MAX_BODY_BYTES, MAX_EVENTS, Event
from app.clickstream.segment import CALLS as SEGMENT_CALLS
from app.clickstream.segment import BatchBody as SegmentBatch
from app.clickstream.segment import Message as SegmentCall
from app.errors import PROBLEM_CODES, PROBLEM_JSON, ProblemSpec, status_title

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


OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]*$")


def operation_id(handler: HTTPRouteHandler, method: Method, path: list[str | PathParameterDefinition]) -> str:
    """camelCase of the handler's name (`cancel_order` → `cancelOrder`); a route handler reused by two
    routes (or sharing a name with another) sets `operation_id=` itself, and tests hold them unique."""
    head, *rest = handler.handler_name.split("_")
    return head + "".join(word.title() for word in rest)


def _link(operation: str, description: str, **parameters: str) -> Link:
    return Link(operation_id=operation, parameters=dict(parameters) or None, description=description)


# How a client (or a stateful fuzzer) goes from what it created to reading and changing it.
_ORDER: dict[str, Link | Reference] = {
    "getOrder": _link("getOrder", "Read the order", order_id="$response.body#/id"),
    "cancelOrder": _link("cancelOrder", "Cancel the order", order_id="$response.body#/id"),
}
_WISHLIST: dict[str, Link | Reference] = {
    "getWishlistEntry": _link("getWishlistEntry", "Read the entry", wine_id="$request.path.wine_id"),
    "removeFromWishlist": _link("removeFromWishlist", "Remove the wine", wine_id="$request.path.wine_id"),
}
_REVIEW: dict[str, Link | Reference] = {
    "getMyReview": _link("getMyReview", "Read your review", wine_id="$request.path.wine_id"),
    "listReviews": _link("listReviews", "The wine's reviews, yours among them", wine_id="$request.path.wine_id"),
    "deleteMyReview": _link("deleteMyReview", "Delete your review", wine_id="$request.path.wine_id"),
}
_WINE: dict[str, Link | Reference] = {
    "getWine": _link("getWine", "The wine as shoppers see it", wine_id="$response.body#/id"),
    "adminGetWine": _link("adminGetWine", "The wine as operators see it", wine_id="$response.body#/id"),
    "updateWine": _link("updateWine", "Change the wine", wine_id="$response.body#/id"),
    "delistWine": _link("delistWine", "Delist the wine", wine_id="$response.body#/id"),
}
LINKS: dict[str, dict[str, dict[str, Link | Reference]]] = {
    "register": {"201": {"getProfile": _link("getProfile", "The new account's profile (with its access_token)")}},
    "setItem": {
        "200": {
            "getCart": _link("getCart", "The cart"),
            "checkout": _link("checkout", "Buy what is in the cart"),
        }
    },
    "checkout": {"201": _ORDER, "200": _ORDER},
    "listOrders": {"200": {"getOrder": _link("getOrder", "The newest order", order_id="$response.body#/items/0/id")}},
    "addToWishlist": {"201": _WISHLIST, "200": _WISHLIST},
    "putMyReview": {"201": _REVIEW, "200": _REVIEW},
    "listWines": {"200": {"getWine": _link("getWine", "The first wine", wine_id="$response.body#/items/0/id")}},
    "getWine": {
        "200": {
            "setItem": _link("setItem", "Put the wine in your cart", wine_id="$response.body#/id"),
            "addToWishlist": _link("addToWishlist", "Remember the wine", wine_id="$response.body#/id"),
            "putMyReview": _link("putMyReview", "Review the wine", wine_id="$response.body#/id"),
            "listReviews": _link("listReviews", "The wine's reviews", wine_id="$response.body#/id"),
            "similar": _link("similar", "Wines like it", wine_id="$response.body#/id"),
            "wineForMe": _link("wineForMe", "How the wine suits you", wine_id="$response.body#/id"),
        }
    },
    "createWine": {"201": _WINE},
    "createRule": {
        "201": {
            "getRule": _link("getRule", "Read the rule", rule_id="$response.body#/id"),
            "deleteRule": _link("deleteRule", "End the rule", rule_id="$response.body#/id"),
        }
    },
    "forYou": {
        "200": {
            "dismissRecommendation": _link(
                "dismissRecommendation", "Dismiss a wine of the list", rec_id="$response.body#/rec_id"
            )
        }
    },
    "issueAnonymousId": {
        "201": {
            "linkAnonymousId": Link(
                operation_id="linkAnonymousId",
                request_body={"anonymous_id": "$response.body#/anonymous_id"},
                description="Link the id to your account after sign-in",
            )
        }
    },
}


def _raw_body_schemas(schemas: dict[str, Any]) -> None:
    """The bodies of the routes that read their raw body: msgspec writes the schemas of the structs they
    decode with. POST /v1/events takes a JSON array of events or `{"events": [...]}`
    (app.clickstream.events); Segment's routes one call, or `{"batch": [...]}` (app.clickstream.segment)."""
    _, components = msgspec.json.schema_components(
        (Event, SegmentCall, SegmentBatch), ref_template="#/components/schemas/{name}"
    )
    # plain JSON Schema dicts (Litestar serialises them as they are), Segment's under names that say so
    schemas.update({"SegmentCall": components.pop("Message"), "SegmentBatch": components.pop("BatchBody")})
    schemas.update(components)
    events = Schema(
        type=OpenAPIType.ARRAY,
        min_items=1,
        max_items=MAX_EVENTS,
        items=Reference("#/components/schemas/Event"),
        description="Each event is judged on its own: one that does not fit is rejected in its verdict (202).",
    )
    envelope = Schema(
        type=OpenAPIType.OBJECT, required=["events"], properties={"events": events}, additional_properties=False
    )
    schemas["EventBatch"] = Schema(one_of=[events, envelope], description=f"At most {MAX_BODY_BYTES} bytes.")


def _json_or_text(component: str, description: str) -> RequestBody:
    """sendBeacon and Segment's browser library post JSON as `text/plain` (no CORS preflight)."""
    media = OpenAPIMediaType(schema=Reference(f"#/components/schemas/{component}"))
    return RequestBody(required=True, description=description, content={"application/json": media, "text/plain": media})


_TEXT_FILE = Schema(type=OpenAPIType.STRING, description="The file, plain or gzipped (UTF-8).")
_SEGMENT_CALL = "One Segment call (a JSON object, plain or with Content-Encoding: gzip); the write key as Basic user."
REQUEST_BODIES: dict[str, RequestBody] = {
    "postEvents": _json_or_text("EventBatch", "A batch of events; `text/plain` carries the same JSON."),
    "importWines": RequestBody(
        required=True,
        description="An X-Wines CSV (header row with its columns) or JSON Lines (one wine object a line), "
        "plain or gzipped, up to 64 MiB; `?format=` names the format when the content type does not.",
        content={media: OpenAPIMediaType(schema=_TEXT_FILE) for media in ("text/csv", "application/x-ndjson")},
    ),
    **{
        f"segment{path.title()}": _json_or_text("SegmentBatch", 'Segment calls: `{"batch": [...]}`.')
        for path in ("batch", "b", "import")
    },
    **{f"segment{path.title()}": _json_or_text("SegmentCall", _SEGMENT_CALL) for path in SEGMENT_CALLS},
}


def _input_models(handlers: list[HTTPRouteHandler]) -> list[type[BaseModel]]:
    data = [h.parsed_data_field for h in handlers if h.parsed_data_field is not None]
    models = [a for d in data for a in (d.annotation, *get_args(d.annotation)) if isinstance(a, type)]
    return [m for m in dict.fromkeys(models) if issubclass(m, BaseModel)]


def _document_inputs(schemas: dict[str, Any], handlers: list[HTTPRouteHandler]) -> None:
    """Request bodies as pydantic validates them: Litestar's own rendering drops `pattern`, the refusal of
    unknown fields and constraints on optional fields, so a client (or fuzzer) would send what is refused."""
    for model in _input_models(handlers):
        schema = _standard(model.model_json_schema(ref_template="#/components/schemas/{model}"))
        schemas.update(schema.pop("$defs", {}))  # plain JSON Schema dicts: Litestar serialises them as they are
        schemas[model.__name__] = schema


# pydantic writes a bound it could not fold into the type (one behind a BeforeValidator) under its own name
_PYDANTIC_BOUNDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _standard(schema: Any) -> Any:
    """A pydantic JSON Schema with pydantic's own keywords turned into JSON Schema's."""
    if isinstance(schema, list):
        return [_standard(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    typed = "type" in schema
    return {(_PYDANTIC_BOUNDS.get(k, k) if typed else k): _standard(v) for k, v in schema.items()}


_CONSTRAINTS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusive_minimum",
    "lt": "exclusive_maximum",
    "min_length": "min_length",
    "max_length": "max_length",
    "pattern": "pattern",
}


def _constrain_optional_parameters(operation: Operation, handler: HTTPRouteHandler) -> None:
    """Litestar leaves the bounds of an optional parameter (`int | None`, ge=0) off its schema: put them on
    the non-null branch, where a client reads them."""
    fields = handler.parsed_fn_signature.parameters
    for parameter in operation.parameters or []:
        field = fields.get(parameter.name) if isinstance(parameter, Parameter) else None
        schema = parameter.schema if isinstance(parameter, Parameter) else None
        if field is None or field.kwarg_definition is None or not isinstance(schema, Schema) or not schema.one_of:
            continue
        for branch in schema.one_of:
            if isinstance(branch, Schema) and branch.type != OpenAPIType.NULL:
                for name, attribute in _CONSTRAINTS.items():
                    value = getattr(field.kwarg_definition, name, None)
                    if value is not None:
                        setattr(branch, attribute, value)


def _handlers(app: Litestar) -> dict[tuple[str, str], HTTPRouteHandler]:
    """(OpenAPI path, method) → its route handler: its options (access level, caching) and its problems."""
    handlers = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                for method in handler.http_methods:
                    handlers[(route.path_format, method.lower())] = handler
    return handlers


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


def _common_codes(operation: Operation, handler: HTTPRouteHandler | None, access: str, method: str) -> list[str]:
    """The problems every route of this kind can answer, from the app-wide guards (app.security,
    app.privacy.guards) and the validation of the parameters and JSON body it declares."""
    codes = ["bad_content_length", "payload_too_large", "token_invalid", "token_expired", "unknown_parameter"]
    codes.append("database_unavailable")  # any route may meet a MongoDB that stopped answering (app.errors)
    decodes_body = handler is not None and handler.parsed_data_field is not None
    if operation.parameters or decodes_body:
        codes.append("validation_failed")
    if decodes_body:
        codes += ["malformed_body", "body_too_deep", "body_timeout"]
    if access in ("user", "admin"):
        codes.append("unauthorized")
        if method not in ("get", "head"):
            codes.append("account_gone")
    if access == "admin":
        codes.append("admin_only")
    return codes


def _problem_response(status: int, codes: list[str]) -> OpenAPIResponse:
    listed = ", ".join(f"`{code}`" for code in codes)
    return OpenAPIResponse(
        description=f"{status_title(status)}: {listed}.",
        content={
            PROBLEM_JSON: OpenAPIMediaType(
                schema=Schema(
                    all_of=[
                        Reference("#/components/schemas/Problem"),
                        Schema(
                            type=OpenAPIType.OBJECT,
                            properties={
                                "status": Schema(type=OpenAPIType.INTEGER, enum=[status]),
                                "code": Schema(type=OpenAPIType.STRING, enum=list(codes)),
                            },
                        ),
                    ]
                )
            )
        },
    )


def _document_problems(operation: Operation, handler: HTTPRouteHandler | None, access: str, method: str) -> None:
    """One response per error status, naming each problem code the route can answer with it; no `default`,
    so a status the document does not list is a bug a fuzzer reports."""
    specs = (handler.responses or {}).values() if handler else ()
    declared = [code for spec in specs if isinstance(spec, ProblemSpec) for code in spec.codes]
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys([*_common_codes(operation, handler, access, method), *declared]):
        by_status.setdefault(PROBLEM_CODES[code], []).append(code)
    responses: dict[str, Any] = dict(operation.responses or {})
    responses.pop("400", None)  # Litestar's own validation shape, which the API never sends
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = _problem_response(status, codes)
    operation.responses = dict(sorted(responses.items()))


def _document(operation: Operation, method: str, handler: HTTPRouteHandler | None) -> None:
    opt = handler.opt if handler else {}
    access = str(opt.get("access", "public"))
    responses: dict[str, Any] = dict(operation.responses or {})
    if opt.get("http_cache"):
        _document_caching(operation, responses)
    operation.responses = responses
    if access in ("user", "admin"):
        operation.security = [{"bearer": []}]
    if handler is not None:
        _constrain_optional_parameters(operation, handler)
    if operation.operation_id in REQUEST_BODIES:
        operation.request_body = REQUEST_BODIES[operation.operation_id]
    _document_problems(operation, handler, access, method)
    for status, links in LINKS.get(operation.operation_id or "", {}).items():
        response = operation.responses.get(status)
        if isinstance(response, OpenAPIResponse):
            response.links = links


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
    _raw_body_schemas(components.schemas)
    # a card is not also a ref: where a field is `WineCard | WineRef` (oneOf), exactly one must match
    if isinstance(ref := components.schemas.get("WineRef"), Schema):
        ref.additional_properties = False
    handlers = _handlers(app)
    _document_inputs(components.schemas, list(handlers.values()))
    for path, item in (openapi.paths or {}).items():
        for method in _METHODS:
            operation = getattr(item, method, None)
            if isinstance(operation, Operation):
                _document(operation, method, handlers.get((path, method)))
