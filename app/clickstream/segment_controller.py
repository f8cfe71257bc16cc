"""HTTP for Segment's Tracking API: the routes its libraries post to, beside our own /v1/events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Controller, Request, post
from litestar.di import Provide

from app.clickstream.controller import BEACON_MEDIA_TYPES
from app.clickstream.segment import CALLS, MAX_BATCH_BYTES, SegmentReceipt, SegmentRequest, SegmentService
from app.client_address import client_address
from app.deps import provide_optional_principal, provide_segment
from app.errors import UnsupportedMediaType, problems
from app.security import PUBLIC


def _read(request: Request[Any, Any, Any], body: bytes) -> SegmentRequest:
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in BEACON_MEDIA_TYPES:
        raise UnsupportedMediaType("send the call as application/json or text/plain", code="unsupported_media_type")
    return SegmentRequest(
        body=body,
        content_encoding=request.headers.get("content-encoding"),
        authorization=request.headers.get("authorization"),
        principal=provide_optional_principal(request),
        client_address=client_address(request.scope),
    )


_SEGMENT_PROBLEMS = problems(
    "malformed_batch",
    "malformed_call",
    "malformed_gzip",
    "invalid_write_key",
    "unsupported_media_type",
    "unsupported_encoding",
    "too_many_requests",
    "stream_unavailable",
)


def _segment_operation_id(handler: object, method: object, path: Sequence[object]) -> str:
    """One handler serves several paths: `segmentTrack`, `segmentT`, `segmentBatch`, …"""
    return f"segment{str(path[-1]).title()}"


class SegmentController(Controller):
    path = "/v1"
    tags = ["clickstream"]
    # The write key arrives as HTTP Basic credentials: the app-wide guard lets those through here only.
    opt = {**PUBLIC, "write_key_auth": True}
    dependencies = {"segment": Provide(provide_segment, sync_to_thread=False)}

    @post(
        ["/batch", "/b", "/import"],
        status_code=200,
        request_max_body_size=MAX_BATCH_BYTES,
        operation_id=_segment_operation_id,
        responses=_SEGMENT_PROBLEMS,
    )
    async def batch(self, request: Request[Any, Any, Any], segment: SegmentService) -> SegmentReceipt:
        """Segment's batch call (`{"batch": [...], "sentAt": "…"}`), as the server libraries and analytics-next's
        batching mode send it. Authenticate with the source's write key as Basic user (or `writeKey` in the
        body). `Product Viewed`, `Products Searched`, `Product Clicked` (with our `rec_id`), `Product Added` /
        `Removed`, `Product Added to` / `Removed from Wishlist`, `page` and `screen` become our events; the
        other calls are ignored. 200 with one verdict per call (one refused call never sinks the batch); 429
        with Retry-After when rate limited. A `userId` is not trusted: events count for an account with our
        token, or through the anonymousId linked at sign-in (POST /v1/me/anonymous-id)."""
        return await segment.batch(_read(request, await request.body()))

    @post(
        [f"/{name}" for name in CALLS],
        status_code=200,
        request_max_body_size=MAX_BATCH_BYTES,
        operation_id=_segment_operation_id,
        responses=_SEGMENT_PROBLEMS,
    )
    async def call(self, request: Request[Any, Any, Any], segment: SegmentService) -> SegmentReceipt:
        """One Segment call (track, page, screen, identify, group, alias; analytics-next posts to their first
        letter), at most 32 KB; mapped and answered as in a batch."""
        kind = CALLS[request.url.path.rstrip("/").rpartition("/")[2]]
        return await segment.call(kind, _read(request, await request.body()))
