"""HTTP caching of the public catalog reads: an ETag naming the answer's content, 304 on a matching
If-None-Match, and a Cache-Control that never lets a shared cache keep what a signed-in caller was given.

A route opts in with `opt=CACHED` (docs/api.md, "Caching"). The tag is a hash of the JSON the route answered,
not a counter: wines change through many writers (admin writes and imports, the price scheduler in every API
process, checkout and cancellation stock, review ratings, `cuvee` commands in another process), and a counter
one of them forgot to bump would let caches keep a stale price. A hash changes exactly when the bytes do. The
price is that a 304 still runs the query; what it saves is the transfer and the client's work.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

# A price or stock figure a cache serves is at most this old. Dynamic pricing may change a price at any moment
# (a rule boundary, an operator's edit); checkout always charges the catalog's current price and refuses one
# higher than the page showed (409 price_changed), so a stale page can never make anyone pay more than it said.
MAX_AGE_S = 30

CACHED = {"http_cache": True}

PUBLIC_CACHE_CONTROL = f"public, max-age={MAX_AGE_S}".encode()
PRIVATE_CACHE_CONTROL = b"private, no-store"
# Search ranks and filters by the signed-in shopper's tastes and needs; every cached route answers a signed-in
# caller differently (private), so a cache must key every one of them on the credentials. Sign-in is the
# bearer token only: the API reads no cookie.
VARY = (b"vary", b"Authorization")

_ENTITY_TAG = re.compile(r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"')
_NOT_IN_304 = {b"content-length", b"content-type", b"content-encoding"}


def entity_tag(body: bytes) -> str:
    """A weak tag: it names the JSON content, not one byte encoding of it (a proxy may compress)."""
    return f'W/"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def none_match(header: str, tag: str) -> bool:
    """Whether If-None-Match matches `tag` (RFC 9110 §13.1.2): weak comparison; `*` matches any current
    representation."""
    if header.strip() == "*":
        return True
    opaque = tag.removeprefix("W/")
    return any(candidate.removeprefix("W/") == opaque for candidate in _ENTITY_TAG.findall(header))


def conditional_get_middleware(app: ASGIApp) -> ASGIApp:
    """Cache headers and 304s for GETs of routes declaring `CACHED`; every other answer keeps `no-store`."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        if scope["method"] != "GET" or not (handler and handler.opt.get("http_cache")):
            await app(scope, receive, send)
            return
        request_headers = dict(scope["headers"])
        signed_in = b"authorization" in request_headers
        if_none_match = request_headers.get(b"if-none-match", b"").decode("latin-1")
        start: HTTPResponseStartEvent | None = None
        body: list[bytes] = []

        async def send_cached(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] != 200:  # errors stay no-store (app.middleware.security_headers)
                    await send(message)
                    return
                if signed_in:
                    _add_headers(message, [(b"cache-control", PRIVATE_CACHE_CONTROL), VARY])
                    await send(message)
                    return
                start = message  # held until the whole body is known: the tag is its hash
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_tagged(send, start, b"".join(body), if_none_match)

        await app(scope, receive, send_cached)

    return middleware


async def _send_tagged(send: Send, start: HTTPResponseStartEvent, body: bytes, if_none_match: str) -> None:
    tag = entity_tag(body)
    _add_headers(start, [(b"etag", tag.encode()), (b"cache-control", PUBLIC_CACHE_CONTROL), VARY])
    if if_none_match and none_match(if_none_match, tag):
        headers = [(k, v) for k, v in start["headers"] if k.lower() not in _NOT_IN_304]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _add_headers(message: HTTPResponseStartEvent, extra: list[tuple[bytes, bytes]]) -> None:
    """Set these headers, replacing any of the same name but Vary, which adds to what is there."""
    names = {name for name, _ in extra} - {b"vary"}
    headers: list[Any] = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
    message["headers"] = [*headers, *extra]
