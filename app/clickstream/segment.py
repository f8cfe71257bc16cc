"""Segment-compatible ingestion: HTTP Tracking API calls translated into our beacon events.

Storefronts instrumented with Segment's libraries (analytics.js / analytics-next, the server libraries) or
compatible ones (RudderStack) point them at Cuvée. Each call that means something to us becomes one of our own
events and takes the beacon's path (checks, dedup, stream, worker); the rest is acknowledged and ignored. The
answers are the ones those libraries expect: they drop a whole batch on most 4xx, so a batch is 200 even when
some of its calls are refused, each accounted in the receipt; 429 and 5xx make them retry the same messageIds,
which our dedup recognises.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec

from app.clickstream.events import EventsReceipt, Verdict
from app.errors import AppError, BadRequest, PayloadTooLarge, UnsupportedMediaType
from app.security import Principal

# Segment's own limits (its libraries size their batches to them): 500 KB a batch, 32 KB a call.
MAX_BATCH_BYTES = 500 * 1024
MAX_CALL_BYTES = 32 * 1024

# The calls of the e-commerce v2 spec that are ours, by their Segment event name.
TRACKED: dict[str, str] = {
    "Product Viewed": "wine_viewed",
    "Products Searched": "search_performed",
    "Product Clicked": "recommendation_clicked",  # with our rec_id; with a `query`, a search result click
    "Product Added": "cart_item_added",
    "Product Removed": "cart_item_removed",
    "Product Added to Wishlist": "wishlist_added",
    "Product Removed from Wishlist": "wishlist_removed",
}
# Per-call routes by path (analytics-next posts to the first letter, the server libraries to the full name).
CALLS: dict[str, str] = {
    name: call for call in ("track", "page", "screen", "identify", "group", "alias") for name in (call, call[0])
}

_IDENT = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_NOT_SURFACE = re.compile(r"[^a-z0-9_.:-]+")


class InvalidWriteKey(AppError):
    """401 without a challenge: a browser must not prompt its visitor for the shop's write key."""

    status_code = 401
    code = "invalid_write_key"


class Message(msgspec.Struct, rename="camel"):
    """The fields of a Segment call we read; every other field (traits, context.ip, …) is never kept."""

    # Any JSON value, checked where it is read (the helpers below take `object`). `Any`, not `object`: the
    # OpenAPI document is msgspec's schema of this struct, and msgspec has none for `object`.
    type: Any = None
    event: Any = None
    name: Any = None
    message_id: Any = None
    anonymous_id: Any = None
    user_id: Any = None
    timestamp: Any = None
    sent_at: Any = None
    write_key: Any = None
    properties: Any = None
    context: Any = None


class BatchBody(msgspec.Struct, rename="camel"):
    batch: list[msgspec.Raw]
    sent_at: Any = None
    write_key: Any = None
    context: Any = None


class SegmentReceipt(msgspec.Struct):
    """The answer to a Segment request: counts and one verdict per call, in the order sent."""

    success: bool  # Segment's own answer field: the request was read (each call's fate is in results)
    source: str  # the storefront source whose write key was used
    accepted: int
    duplicates: int
    rejected: int
    ignored: int  # calls we do not store (identify, group, alias, other track events)
    results: list[Verdict]


@dataclass(frozen=True)
class SegmentRequest:
    """What the controller read off the HTTP request; the service decides everything else."""

    body: bytes
    content_encoding: str | None
    authorization: str | None
    principal: Principal | None
    client_address: str


_BATCH = msgspec.json.Decoder(BatchBody)
_CALL = msgspec.json.Decoder(msgspec.Raw)
_MESSAGE = msgspec.json.Decoder(Message)
_ENCODE = msgspec.json.Encoder()


def inflate(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """The body, gunzipped when sent so, never past `limit` bytes (a small gzip can hide a huge body)."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=31)
        try:
            data = inflater.decompress(body, limit + 1)
        except zlib.error as exc:
            raise BadRequest(f"the gzip body is corrupt: {exc}", code="malformed_gzip") from exc
        if len(data) <= limit and not inflater.eof:
            raise BadRequest("the gzip body is truncated", code="malformed_gzip")
    elif encoding == "identity":
        data = body
    else:
        raise UnsupportedMediaType("send the body plain or with Content-Encoding: gzip", code="unsupported_encoding")
    if len(data) > limit:
        raise PayloadTooLarge(f"a request must not exceed {limit} bytes", code="payload_too_large")
    return data


class WriteKeys:
    """The storefront sources (one write key each) allowed to send. A write key names a source: in a browser it
    is public, so it never makes an event anybody's."""

    def __init__(self, keys: dict[str, str]) -> None:
        self._keys = [(source, key.encode()) for source, key in keys.items()]

    def source_of(self, authorization: str | None, body_key: object) -> str:
        key = _basic_user(authorization) if authorization else None
        if key is None and isinstance(body_key, str):
            key = body_key
        if not key:
            raise InvalidWriteKey("send the source's write key (Basic auth user, or writeKey in the body)")
        given = key.encode()
        for source, expected in self._keys:
            if hmac.compare_digest(given, expected):
                return source
        raise InvalidWriteKey("unknown write key; see CUVEE_SEGMENT_WRITE_KEYS")


def _basic_user(authorization: str) -> str | None:
    """The user part of a Basic header (Segment sends the write key as user, no password); None otherwise."""
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidWriteKey("the Basic credentials are not base64 of 'writeKey:'") from exc
    return decoded.partition(":")[0]


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time as Segment libraries send it; a time without offset is UTC (as Segment reads it)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("times must be ISO 8601 strings")
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def corrected_time(timestamp: datetime | None, sent_at: datetime | None, received_at: datetime) -> datetime:
    """When it happened, on our clock: Segment's correction receivedAt - (sentAt - timestamp) cancels the
    device's clock error, which both of its times share."""
    if timestamp is None:
        return received_at
    if sent_at is None:
        return timestamp
    return received_at - (sent_at - timestamp)


def event_id_for(message_id: object, raw: bytes) -> str:
    """Our event id: the messageId itself when it has our id's shape (Segment's libraries send UUIDs), else a
    digest of it (or of the call, without one) — stable, so a retried call is a duplicate."""
    if isinstance(message_id, str) and _IDENT.match(message_id):
        return message_id
    basis = message_id.encode() if isinstance(message_id, str) and message_id else raw
    return "sg-" + hashlib.sha256(basis).hexdigest()[:40]


def _surface(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    slug = _NOT_SURFACE.sub("-", value.strip().lower()).strip("-")[:40]
    return slug or None


def _number(value: object) -> object:
    """Segment's numbers arrive as JSON numbers, sometimes 3.0: an integral float is the integer."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Ignored(msgspec.Struct):
    detail: str


class Refused(msgspec.Struct):
    reason: str
    detail: str


def translate(
    message: Message,
    kind: str | None,
    received_at: datetime,
    batch_sent_at: object,
    raw: bytes,
    consent_categories: Iterable[str],
) -> dict[str, Any] | Ignored | Refused:
    """One Segment call as our beacon event (its fields only), or why it is ignored or refused."""
    call = kind or message.type
    props = message.properties if isinstance(message.properties, dict) else {}
    if call == "track":
        type_ = TRACKED.get(message.event) if isinstance(message.event, str) else None
        if type_ is None:
            return Ignored(f"track {message.event!r} is not one of the e-commerce events Cuvée keeps")
        if type_ == "recommendation_clicked" and props.get("rec_id") is None:
            if props.get("query") is None:
                return Ignored("a Product Clicked with neither our rec_id nor a query is not one Cuvée keeps")
            type_ = "search_result_clicked"
    elif call in ("page", "screen"):
        type_ = "page_viewed"
    elif call in ("identify", "group", "alias"):
        return Ignored(f"{call} calls are not stored (traits stay with you)")
    else:
        return Refused("unknown_type", f"unknown call type {call!r}")
    if _refused_by(message.context, consent_categories):
        return Refused("no_consent", "context.consent refuses analytics: the event was not stored")
    try:
        occurred = corrected_time(
            parse_time(message.timestamp), parse_time(message.sent_at or batch_sent_at), received_at
        )
    except ValueError as exc:
        return Refused("invalid", f"timestamp/sentAt: {exc}")
    event: dict[str, Any] = {
        "event_id": event_id_for(message.message_id, raw),
        "type": type_,
        "occurred_at": occurred,
        "anonymous_id": _text(message.anonymous_id),
    }
    if type_ == "page_viewed":
        event["surface"] = _surface(props.get("surface")) or _surface(message.name) or _surface(props.get("name"))
    elif type_ == "search_performed":
        event["query"] = props.get("query")
        event["results_count"] = _number(props.get("results_count"))
    elif type_ == "search_result_clicked":
        event["query"] = props.get("query")
        event["wine_id"] = _text(props.get("product_id"))
        event["position"] = _number(props.get("position"))
    else:
        event["wine_id"] = _text(props.get("product_id"))
        event["rec_id"] = _text(props.get("rec_id"))
        if type_ in ("wine_viewed", "recommendation_clicked"):
            event["position"] = _number(props.get("position"))
            event["surface"] = _surface(props.get("surface"))
    return {k: v for k, v in event.items() if v is not None}


def _refused_by(context: object, categories: Iterable[str]) -> bool:
    """True when the call carries Segment's consent object and it grants none of our analytics categories.
    Without a consent object the storefront's banner decides, as for our own beacon."""
    consent = context.get("consent") if isinstance(context, dict) else None
    prefs = consent.get("categoryPreferences") if isinstance(consent, dict) else None
    if not isinstance(prefs, dict):
        return False
    granted = {str(k).casefold() for k, v in prefs.items() if v is True}
    return not any(c.casefold() in granted for c in categories)


Ingest = Callable[[list[msgspec.Raw], Principal | None, str], Awaitable[EventsReceipt]]


class SegmentService:
    """Reads Segment calls, translates them, and hands the events to the clickstream's one ingest path."""

    def __init__(
        self,
        ingest_events: Ingest,
        write_keys: dict[str, str],
        consent_categories: list[str],
        clock: Callable[[], datetime],
    ) -> None:
        self._ingest = ingest_events
        self._keys = WriteKeys(write_keys)
        self._categories = tuple(consent_categories)
        self._clock = clock

    async def batch(self, request: SegmentRequest) -> SegmentReceipt:
        """A batch of calls (`{"batch": [...], "sentAt": …}`), each at most 32 KB, 500 KB in all."""
        data = inflate(request.body, request.content_encoding, MAX_BATCH_BYTES)
        try:
            body = _BATCH.decode(data)
        except msgspec.DecodeError as exc:
            raise BadRequest(f'send {{"batch": [...]}}: {exc}', code="malformed_batch") from exc
        first_key = _first_write_key(body.batch) if body.write_key is None else body.write_key
        source = self._keys.source_of(request.authorization, first_key)
        return await self._ingest_calls(source, [(None, raw) for raw in body.batch], body.sent_at, request)

    async def call(self, kind: str, request: SegmentRequest) -> SegmentReceipt:
        """One call (track, page, screen, identify, group, alias), at most 32 KB."""
        data = inflate(request.body, request.content_encoding, MAX_CALL_BYTES)
        try:
            raw = _CALL.decode(data)
            write_key = _MESSAGE.decode(raw).write_key
        except msgspec.DecodeError as exc:
            raise BadRequest(f"send one call as a JSON object: {exc}", code="malformed_call") from exc
        source = self._keys.source_of(request.authorization, write_key)
        return await self._ingest_calls(source, [(kind, raw)], None, request)

    async def _ingest_calls(
        self, source: str, calls: list[tuple[str | None, msgspec.Raw]], batch_sent_at: object, request: SegmentRequest
    ) -> SegmentReceipt:
        received_at = self._clock()
        verdicts: list[Verdict] = []
        events: list[msgspec.Raw] = []
        positions: list[int] = []
        for i, (kind, raw) in enumerate(calls):
            outcome = self._translate(kind, raw, received_at, batch_sent_at)
            if isinstance(outcome, Ignored):
                verdicts.append(Verdict(i, "ignored", None, "not_mapped", outcome.detail))
            elif isinstance(outcome, Refused):
                verdicts.append(Verdict(i, "rejected", None, outcome.reason, outcome.detail))
            else:
                verdicts.append(Verdict(i, "accepted", outcome["event_id"]))  # replaced by ingest's own verdict
                events.append(msgspec.Raw(_ENCODE.encode(outcome)))
                positions.append(i)
        if events:
            receipt = await self._ingest(events, request.principal, request.client_address)
            for verdict in receipt.results:
                pos = positions[verdict.index]
                verdicts[pos] = Verdict(pos, verdict.status, verdict.event_id, verdict.reason, verdict.detail)
        return _receipt(source, verdicts)

    def _translate(
        self, kind: str | None, raw: msgspec.Raw, received_at: datetime, batch_sent_at: object
    ) -> dict[str, Any] | Ignored | Refused:
        if len(raw) > MAX_CALL_BYTES:
            return Refused("call_too_large", f"a call must not exceed {MAX_CALL_BYTES} bytes")
        try:
            message = _MESSAGE.decode(raw)
        except msgspec.DecodeError as exc:
            return Refused("invalid", f"a call must be a JSON object: {exc}")
        return translate(message, kind, received_at, batch_sent_at, bytes(raw), self._categories)


def _first_write_key(batch: list[msgspec.Raw]) -> object:
    """analytics-next puts the write key on each call of a batch as well; the first call's will do."""
    try:
        return _MESSAGE.decode(batch[0]).write_key if batch else None
    except msgspec.DecodeError:
        return None


def _receipt(source: str, verdicts: list[Verdict]) -> SegmentReceipt:
    count = {
        status: sum(v.status == status for v in verdicts) for status in ("accepted", "duplicate", "rejected", "ignored")
    }
    return SegmentReceipt(
        success=True,
        source=source,
        accepted=count["accepted"],
        duplicates=count["duplicate"],
        rejected=count["rejected"],
        ignored=count["ignored"],
        results=verdicts,
    )
