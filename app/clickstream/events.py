"""Beacon events: the batch format, the rules per event type, and the verdict given to each event.

Validation runs on the request path for every event, so it uses msgspec structs (C speed) and a few
hand-written checks rather than a pydantic model per event.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import msgspec
from msgspec import Meta

from app.errors import BadRequest, PayloadTooLarge

MAX_EVENTS = 100
MAX_BODY_BYTES = 64 * 1024
# Clocks of browsers drift; an event further in the future than this is a bug or a forgery.
MAX_CLOCK_SKEW = timedelta(minutes=5)

# Per type: the fields an event must carry (on top of event_id, type and occurred_at).
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "wine_viewed": ("wine_id",),
    "search_performed": ("query",),
    "search_result_clicked": ("query", "wine_id", "position"),
    "recommendation_clicked": ("rec_id", "wine_id", "position"),
    "recommendation_dismissed": ("rec_id", "wine_id"),
    "cart_item_added": ("wine_id",),
    "cart_item_removed": ("wine_id",),
    "wishlist_added": ("wine_id",),
    "wishlist_removed": ("wine_id",),
    "page_viewed": (),
}

Ident = Annotated[str, Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
# an anonymous id: issued by the server (`nonce.signature`, see consent.AnonymousIds) or an older client one
AnonymousId = Annotated[str, Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$")]
Ref = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]


class Event(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One beacon event as the storefront sends it (the user id never comes from the body)."""

    event_id: Ident
    type: Annotated[str, Meta(min_length=1, max_length=40)]
    occurred_at: Annotated[datetime, Meta(tz=True)]
    anonymous_id: AnonymousId | None = None
    wine_id: Ref | None = None
    query: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    results_count: Annotated[int, Meta(ge=0, le=10_000_000)] | None = None
    rec_id: Ref | None = None
    position: Annotated[int, Meta(ge=0, le=10_000)] | None = None
    surface: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.:-]+$")] | None = None


class Envelope(msgspec.Struct, forbid_unknown_fields=True):
    events: list[msgspec.Raw]


class Verdict(msgspec.Struct, omit_defaults=True):
    """What happened to one event of the batch, by its position in the batch."""

    index: int
    status: str  # accepted | duplicate | rejected
    event_id: str | None = None
    reason: str | None = None  # for rejected: a stable snake_case code
    detail: str | None = None


class EventsReceipt(msgspec.Struct):
    """The answer to a batch: counts and one verdict per event, in the order sent."""

    accepted: int
    duplicates: int
    rejected: int
    results: list[Verdict]


class Rejection(msgspec.Struct):
    reason: str
    detail: str
    event_id: str | None = None


_BATCH = msgspec.json.Decoder(list[msgspec.Raw] | Envelope)
_EVENT = msgspec.json.Decoder(Event)
_ID_ONLY = msgspec.json.Decoder(dict[str, object])


def parse_batch(body: bytes) -> list[msgspec.Raw]:
    """The events of a raw body, still undecoded each; a body that is not a batch raises 400/413."""
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"a batch must not exceed {MAX_BODY_BYTES} bytes", code="batch_too_large")
    try:
        decoded = _BATCH.decode(body)
    except msgspec.DecodeError as exc:
        raise BadRequest(f'send a JSON array of events or {{"events": [...]}}: {exc}', code="malformed_batch") from exc
    events = decoded.events if isinstance(decoded, Envelope) else decoded
    if not events:
        raise BadRequest("the batch holds no events", code="empty_batch")
    if len(events) > MAX_EVENTS:
        raise PayloadTooLarge(f"a batch holds at most {MAX_EVENTS} events, not {len(events)}", code="too_many_events")
    return events


def _event_id_of(raw: msgspec.Raw) -> str | None:
    """Best effort: the event_id of an event that failed validation, to echo it in the verdict."""
    try:
        value = _ID_ONLY.decode(raw).get("event_id")
    except msgspec.DecodeError:
        return None
    return value if isinstance(value, str) and len(value) <= 64 else None


def check_event(raw: msgspec.Raw, now: datetime, max_age: timedelta) -> Event | Rejection:
    """The event if it is well formed for its type, else why not."""
    try:
        event = _EVENT.decode(raw)
    except msgspec.DecodeError as exc:
        return Rejection("invalid", str(exc), _event_id_of(raw))
    required = REQUIRED_FIELDS.get(event.type)
    if required is None:
        return Rejection("unknown_type", f"unknown event type {event.type!r}", event.event_id)
    missing = [name for name in required if getattr(event, name) is None]
    if missing:
        return Rejection("missing_field", f"{event.type} needs {', '.join(missing)}", event.event_id)
    if event.occurred_at > now + MAX_CLOCK_SKEW:
        return Rejection("occurred_in_future", "occurred_at lies in the future", event.event_id)
    # Older events could be duplicates we no longer remember: refusing them keeps dedup exact.
    if event.occurred_at < now - max_age:
        return Rejection("too_old", f"events older than {max_age} are not accepted", event.event_id)
    return event


def decode_event(payload: bytes) -> Event:
    """An event read back from the stream (raises msgspec.DecodeError when it is not one)."""
    return _EVENT.decode(payload)
