"""The AppError tree and the one mapping that turns every failure into application/problem+json."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.types import ExceptionHandlersMap
from pymongo.errors import ConnectionFailure, ExecutionTimeout, PyMongoError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("cuvee.errors")

PROBLEM_JSON = "application/problem+json"

# Every problem `code` the API sends, by status: the one registry `problems()` documents from; a test holds
# every code raised in app/ to it (tests/unit/test_problem_codes.py).
_CODES_BY_STATUS: dict[int, tuple[str, ...]] = {
    400: (
        "bad_request",
        "bad_content_length",
        "body_too_deep",
        "http_error",
        "malformed_body",
        "malformed_batch",
        "empty_batch",
        "malformed_gzip",
        "malformed_call",
    ),
    401: ("unauthorized", "token_invalid", "token_expired", "account_gone", "login_failed", "invalid_write_key"),
    403: ("forbidden", "admin_only", "access_undeclared", "password_mismatch"),
    404: (
        "not_found",
        "wine_not_found",
        "order_not_found",
        "user_not_found",
        "price_rule_not_found",
        "recommendation_list_not_found",
        "segment_not_found",
        "account_with_this_email_not_found",
    ),
    405: ("method_not_allowed",),
    408: ("request_timeout", "body_timeout"),
    409: (
        "conflict",
        "email_taken",
        "source_id_taken",
        "wine_unavailable",
        "wine_incomplete",
        "insufficient_stock",
        "cart_full",
        "cart_empty",
        "price_changed",
        "mixed_currencies",
        "checkout_in_progress",
        "checkout_expired",
        "order_not_cancellable",
        "order_changed",
        "illegal_transition",
        "concurrent_update",
        "anonymous_id_taken",
    ),
    413: ("payload_too_large", "batch_too_large", "too_many_events"),
    415: ("unsupported_media_type", "unsupported_encoding"),
    422: (
        "invalid",
        "validation_failed",
        "email_invalid",
        "password_too_short",
        "quiz_answer_invalid",
        "idempotency_key_reused",
        "import_unreadable",
        "import_bad_header",
        "anonymous_id_not_issued",
        "wine_not_in_list",
        "unknown_parameter",
        "time_zone_missing",
        "time_range_invalid",
    ),
    429: ("too_many_requests",),
    500: ("internal_error",),
    503: (
        "unavailable",
        "search_unavailable",
        "search_sync_failed",
        "stream_unavailable",
        "redis_unavailable",
        "database_unavailable",
    ),
}
PROBLEM_CODES: dict[str, int] = {code: status for status, codes in _CODES_BY_STATUS.items() for code in codes}


@dataclass
class ProblemSpec(ResponseSpec):
    """A documented error status and the problem codes a route answers with it (app.openapi renders them)."""

    codes: tuple[str, ...] = ()


def problems(*codes: str) -> dict[int, ResponseSpec]:
    """The `responses=` of a route handler for the problem codes it can answer beyond the ones every route
    of its access level gets (app.openapi adds those): `problems("insufficient_stock", "cart_empty")`."""
    by_status: dict[int, list[str]] = {}
    for code in codes:
        by_status.setdefault(PROBLEM_CODES[code], []).append(code)
    return {
        status: ProblemSpec(
            data_container=None, description=status_title(status), media_type=PROBLEM_JSON, codes=tuple(c)
        )
        for status, c in sorted(by_status.items())
    }


class AppError(Exception):
    """An expected failure: carries its HTTP status, a stable snake_case code and a safe detail."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.errors = errors
        self.headers = headers or {}


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class Unauthorized(AppError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, detail: str = "sign in first: send an Authorization: Bearer <token> header", **kw: Any):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"}, **kw)


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"

    def __init__(self, kind: str, ident: object | None = None) -> None:
        detail = f"no {kind} with id {ident!s}" if ident is not None else f"{kind} not found"
        super().__init__(detail, code=f"{kind.replace(' ', '_')}_not_found")


class RequestTimeout(AppError):
    status_code = 408
    code = "request_timeout"

    def __init__(self, detail: str, **kw: Any) -> None:
        super().__init__(detail, headers={"Connection": "close"}, **kw)


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(AppError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"


class Invalid(AppError):
    status_code = 422
    code = "invalid"


class TooMany(AppError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, detail: str, retry_after_s: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_s))})


class Unavailable(AppError):
    """A backend did not answer (in time): the client may retry after a few seconds."""

    status_code = 503
    code = "unavailable"

    def __init__(self, detail: str, *, code: str | None = None, retry_after_s: int = 5) -> None:
        super().__init__(detail, code=code, headers={"Retry-After": str(max(1, retry_after_s))})


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    body: dict[str, Any] = {
        "type": f"urn:cuvee:problem:{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def status_title(status: int) -> str:
    return _TITLES.get(status, "Error")


def app_error_handler(request: Request[Any, Any, Any], exc: AppError) -> Response[Any]:
    return problem(
        exc.status_code, exc.code, status_title(exc.status_code), exc.detail, request.url.path, exc.errors, exc.headers
    )


def _validation_errors(exc: ValidationException) -> list[dict[str, Any]]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    out = []
    for item in extra:
        if isinstance(item, dict):
            out.append(
                {
                    "field": str(item.get("key") or "body"),
                    "source": item.get("source", "body"),
                    "message": str(item.get("message", "invalid")),
                }
            )
    return out


def _no_body(request: Request[Any, Any, Any], errors: list[dict[str, Any]]) -> str | None:
    """What to send when the route needs a body and none came: Litestar reports it as field "data" with
    message "'data'" (the missing argument's KeyError), which tells a client nothing."""
    if not any(e["field"] == "data" and e["message"] == "'data'" for e in errors):
        return None
    data = request.route_handler.parsed_data_field
    model_fields = getattr(data.annotation, "model_fields", None) if data is not None else None
    required = [name for name, f in (model_fields or {}).items() if f.is_required()]
    return "a JSON object" + (f" with {', '.join(required)}" if required else "")


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        if (needed := _no_body(request, errors)) is not None:
            detail = f"this request needs a body: {needed} (Content-Type: application/json)"
            errors = [{"field": "body", "source": "body", "message": f"required: {needed}"}]
            return problem(422, "validation_failed", status_title(422), detail, request.url.path, errors)
        fields = ", ".join(sorted({e["field"] for e in errors})) or "the request"
        detail = (
            f"invalid value for {fields}: " + "; ".join(e["message"] for e in errors[:5])
            if errors
            else (exc.detail or "invalid request")
        )
        return problem(422, "validation_failed", status_title(422), detail, request.url.path, errors)
    if isinstance(exc, NotFoundException):
        return problem(404, "not_found", status_title(404), "no such resource", request.url.path)
    status = exc.status_code
    code = {
        400: "malformed_body",  # Litestar could not decode the body (JSON is malformed)
        405: "method_not_allowed",
        413: "payload_too_large",
        415: "unsupported_media_type",
        401: "unauthorized",
        403: "forbidden",
        429: "too_many_requests",
    }.get(status, "http_error")
    detail = exc.detail if status < 500 else "the service failed; try again"
    return problem(status, code, status_title(status), detail, request.url.path, headers=exc.headers)


def too_deep_handler(request: Request[Any, Any, Any], exc: RecursionError) -> Response[Any]:
    """A body nested past what the decoder recurses into (msgspec raises RecursionError): bad input, no trace."""
    return problem(400, "body_too_deep", status_title(400), "the request body nests too deeply", request.url.path)


def backend_down_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A Redis or MongoDB call that failed or timed out where nothing handled it: 503, never a 500."""
    which = "MongoDB" if isinstance(exc, PyMongoError) else "Redis"
    log.warning("%s did not answer on %s %s: %s", which, request.method, request.url.path, exc.__class__.__name__)
    code = "database_unavailable" if which == "MongoDB" else "redis_unavailable"
    error = Unavailable(f"the service is unavailable ({which} did not answer); try again shortly", code=code)
    return app_error_handler(request, error)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    request_id = request.scope.get("state", {}).get("request_id", "-")
    log.error("unhandled error on %s %s (request %s)", request.method, request.url.path, request_id, exc_info=exc)
    return problem(
        500,
        "internal_error",
        status_title(500),
        f"an internal error occurred; quote request id {request_id} when reporting it",
        request.url.path,
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    AppError: app_error_handler,
    ConnectionFailure: backend_down_handler,  # includes a server selection or network timeout
    ExecutionTimeout: backend_down_handler,
    RedisConnectionError: backend_down_handler,
    RedisTimeoutError: backend_down_handler,
    HTTPException: http_error_handler,
    RecursionError: too_deep_handler,
    Exception: internal_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "MediaType"]
