"""ASGI middleware: a request id on every exchange, a deadline on request bodies, the security headers every
response carries, and no caching of API answers but the public catalog reads (app.caching)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any
from uuid import uuid4

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from app.errors import RequestTimeout
from documents.memory_journaling import deferred_commits

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-resource-policy", b"same-origin"),
    # Browsers honour it over HTTPS only (behind the TLS-terminating proxy); over plain HTTP it is ignored.
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
]
# Scripts and styles from this origin's files only: no inline script, handler or style attribute, nothing from a
# CDN. The storefront keeps its bearer token in localStorage, so any script that runs on the page could read it.
CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    b"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# /schema (Swagger UI, app.apidocs): the same, but its stylesheet draws its icons as data: images.
API_DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(b"img-src 'self'", b"img-src 'self' data:")
API_DOCS_PREFIX = "/schema"
# API answers carry personal data (profiles, orders, exports): no shared or browser cache may keep them. The
# public catalog reads set their own (app.caching).
NO_STORE = (b"cache-control", b"no-store")


def durable_answers_middleware(app: ASGIApp) -> ASGIApp:
    """The in-process MongoDB's journal records a request wrote reach the disk (one shared fsync) before its
    response starts: a 2xx is never sent for a write a crash could still lose."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        with deferred_commits() as pending:

            async def send_when_durable(message: Message) -> None:
                if message["type"] == "http.response.start":
                    await pending.commit()
                await send(message)

            try:
                await app(scope, receive, send_when_durable)
            finally:
                await pending.commit()

    return middleware


def body_deadline(timeout_s: float) -> Callable[[ASGIApp], ASGIApp]:
    """The whole request body must arrive within `timeout_s` of the request's start, else 408 and the
    connection is closed: a client trickling a few bytes a second cannot hold a connection for long."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            deadline = asyncio.get_running_loop().time() + timeout_s
            body_done = False

            async def receive_by_deadline() -> ReceiveMessage:
                nonlocal body_done
                if body_done:  # afterwards only a disconnect can come, which the app may wait for
                    return await receive()
                try:
                    async with asyncio.timeout_at(deadline):
                        message = await receive()
                except TimeoutError:
                    raise RequestTimeout(
                        f"the request body did not arrive within {timeout_s:g} s", code="body_timeout"
                    ) from None
                body_done = message["type"] != "http.request" or not message.get("more_body", False)
                return message

            await app(scope, receive_by_deadline, send)

        return middleware

    return wrap


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


async def security_headers(message: Message, scope: Scope) -> None:
    """A before-send hook, so it covers every answer: the router's own 404 and 405 never reach middleware."""
    if message["type"] != "http.response.start":
        return
    headers: list[Any] = list(message.get("headers", []))
    present = {name.lower() for name, _ in headers}
    headers.extend(header for header in SECURITY_HEADERS if header[0] not in present)
    if b"content-security-policy" not in present:
        headers.append((b"content-security-policy", content_security_policy(scope["path"])))
    if scope["path"].startswith("/v1/") and b"cache-control" not in present:
        headers.append(NO_STORE)
    if b"x-request-id" not in present:  # no route matched: the request id middleware never ran
        headers.append((b"x-request-id", uuid4().hex.encode()))
    message["headers"] = headers


def content_security_policy(path: str) -> bytes:
    if path == API_DOCS_PREFIX or path.startswith(API_DOCS_PREFIX + "/"):
        return API_DOCS_CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY
