"""What the clickstream holds about one person, exported or erased: interactions, stream entries, Redis keys.

A user's events live in three places: `interactions` (by user_id, and by the anonymous ids linked to the
account), the Redis stream and its dead-letter stream (entries carry the user id in `u` or the anonymous id
inside the payload, whether or not the worker has processed them yet), and per-event dedup keys plus
per-user/per-anonymous-id rate-limit counters. The streams cannot be queried by user, so they are scanned
in chunks; their length is bounded by MAXLEN, so is the scan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.clickstream.consent import ConsentGate
from app.clickstream.stream import Fields, StreamKeys, stream_entries
from app.errors import Unavailable
from documents import Interaction

SCAN_CHUNK = 2_000  # stream entries per XRANGE: ~1 MB per round trip at most
DELETE_CHUNK = 1_000


class _Owner(msgspec.Struct):
    """The one payload field that tells whose an anonymous event is."""

    anonymous_id: str | None = None


_OWNER = msgspec.json.Decoder(_Owner)


@dataclass
class StreamMatches:
    """Entries of one stream that belong to the person: ids, and each entry decoded for an export."""

    ids: list[bytes] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    event_ids: set[str] = field(default_factory=set)


@dataclass
class Forgotten:
    """What an erasure removed, counted, and the event ids it found (their traces elsewhere go too)."""

    counts: dict[str, int]
    event_ids: set[str]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _event(payload: bytes) -> object:
    try:
        return msgspec.json.decode(payload)
    except msgspec.DecodeError:
        return _text(payload)  # a poison entry: shown as the text it is


def _belongs(fields: Fields, user_id: bytes, anonymous_ids: set[str]) -> bool:
    if fields.get(b"u") == user_id:
        return True
    payload = fields.get(b"e", b"")
    if not any(anon.encode() in payload for anon in anonymous_ids):
        return False  # the cheap test first: almost every entry is someone else's
    try:
        return _OWNER.decode(payload).anonymous_id in anonymous_ids
    except (msgspec.DecodeError, msgspec.ValidationError):
        return True  # undecodable but carrying one of their ids: theirs for privacy's sake


def _unavailable(exc: BaseException) -> Unavailable:
    return Unavailable(
        "the event stream is unavailable (Redis did not answer); nothing was lost: try again", code="stream_unavailable"
    )


class ClickstreamPrivacy:
    def __init__(self, redis: Redis, keys: StreamKeys, gate: ConsentGate) -> None:
        self._redis = redis
        self._keys = keys
        self._gate = gate

    @staticmethod
    def _query(user_id: str, anonymous_ids: list[str]) -> dict[str, Any]:
        return {"$or": [{"user_id": user_id}, {"anonymous_id": {"$in": anonymous_ids}}]}

    async def export_user(self, user_id: str, anonymous_ids: list[str]) -> dict[str, Any]:
        """{interactions, stream, dead_letter}: history in MongoDB, and entries still in the Redis streams."""
        cursor = (
            Interaction.get_pymongo_collection()
            .find(self._query(user_id, anonymous_ids))
            .sort([("occurred_at", 1), ("_id", 1)])
        )
        interactions = [Interaction.model_validate(doc).model_dump(mode="json") async for doc in cursor]
        try:
            stream = await self._scan(self._keys.stream, user_id, anonymous_ids)
            dead = await self._scan(self._keys.dead, user_id, anonymous_ids)
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return {"interactions": interactions, "stream": stream.entries, "dead_letter": dead.entries}

    async def erase(self, user_id: str, anonymous_ids: list[str]) -> Forgotten:
        """Delete the person's interactions, stream entries (acknowledged first, so no consumer keeps them
        pending), dedup keys and rate-limit counters. Safe to run again."""
        self._gate.forget(user_id=user_id)
        for anonymous_id in anonymous_ids:
            self._gate.forget(anonymous_id=anonymous_id)
        try:
            stream = await self._scan(self._keys.stream, user_id, anonymous_ids)
            dead = await self._scan(self._keys.dead, user_id, anonymous_ids)
            await self._delete_entries(stream.ids, dead.ids)
            event_ids = stream.event_ids | dead.event_ids
            interactions = await self._delete_interactions(user_id, anonymous_ids, event_ids)
            keys = [self._keys.seen(eid) for eid in sorted(event_ids)]
            keys += [self._keys.rate("events-user", user_id)]
            keys += [self._keys.rate("events-anon", anon) for anon in anonymous_ids]
            for start in range(0, len(keys), DELETE_CHUNK):
                await self._redis.delete(*keys[start : start + DELETE_CHUNK])
        except (RedisError, OSError) as exc:
            raise _unavailable(exc) from exc
        return Forgotten(
            {"interactions": interactions, "stream_entries": len(stream.ids), "dead_letter_entries": len(dead.ids)},
            event_ids,
        )

    async def _delete_interactions(self, user_id: str, anonymous_ids: list[str], event_ids: set[str]) -> int:
        collection = Interaction.get_pymongo_collection()
        query = self._query(user_id, anonymous_ids)
        async for doc in collection.find(query, {"_id": 1}):
            event_ids.add(doc["_id"])  # their dedup keys go too
        return int((await collection.delete_many(query)).deleted_count)

    async def _delete_entries(self, stream_ids: list[bytes], dead_ids: list[bytes]) -> None:
        for start in range(0, len(stream_ids), DELETE_CHUNK):
            chunk = stream_ids[start : start + DELETE_CHUNK]
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xack(self._keys.stream, self._keys.group, *chunk)
                pipe.xdel(self._keys.stream, *chunk)
                await pipe.execute(raise_on_error=False)  # no group yet: XACK fails, XDEL still runs
        for start in range(0, len(dead_ids), DELETE_CHUNK):
            await self._redis.xdel(self._keys.dead, *dead_ids[start : start + DELETE_CHUNK])

    async def _scan(self, stream: str, user_id: str, anonymous_ids: list[str]) -> StreamMatches:
        """Walk the whole stream in chunks, keeping the person's entries."""
        found = StreamMatches()
        uid, anons = user_id.encode(), set(anonymous_ids)
        low: bytes | str = "-"
        while True:
            chunk = stream_entries(await self._redis.xrange(stream, low, "+", count=SCAN_CHUNK))
            for entry_id, fields in chunk:
                if fields and _belongs(fields, uid, anons):
                    found.ids.append(entry_id)
                    event = _event(fields.get(b"e", b""))
                    if isinstance(event, dict) and isinstance(event.get("event_id"), str):
                        found.event_ids.add(event["event_id"])
                    found.entries.append(
                        {
                            "entry_id": _text(entry_id),
                            "event": event,
                            **({"error": _text(fields[b"error"])} if b"error" in fields else {}),
                        }
                    )
            if len(chunk) < SCAN_CHUNK:
                return found
            low = b"(" + chunk[-1][0]
