"""The Redis side of the clickstream: key names, and appending a checked batch (rate limit, dedup, XADD).

On a Redis server one Lua script does the whole batch in one round trip and atomically: an event's dedup
key is only ever set together with its XADD, so a failed append never leaves a key that would make the
client's retry look like a duplicate. The in-process Redis (fakeredis without Lua) takes a pipelined path
with the same outcome.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError
from redis.typing import EncodableT, FieldT, StreamRangeResponse, XReadGroupResponse

from app.errors import TooMany, Unavailable

log = logging.getLogger("cuvee.clickstream")

# The beacon must answer fast even when Redis hangs rather than refuses (a stuck server, a dropped link).
REDIS_DEADLINE_S = 1.0

ACCEPTED, DUPLICATE, NOT_STORED = 1, 0, 2

# A stream entry as our clients read it: no client decodes responses (app/backends.py), so ids and fields are
# bytes, and redis-py gives RESP2's shapes under RESP3 too. Its annotations are the union over every
# decode_responses and protocol setting (str or bytes, list or map), so the readers below narrow a reply once.
Fields = dict[bytes, bytes]
Entry = tuple[bytes, Fields | None]  # no fields: trimmed while pending (Redis < 7 still names the id)


def stream_entries(reply: StreamRangeResponse | list[Any] | None) -> list[Entry]:
    """The entries of an XRANGE reply, or of an XAUTOCLAIM reply's second element."""
    return cast(list[Entry], reply or [])


def group_entries(reply: XReadGroupResponse) -> list[Entry]:
    """The entries of an XREADGROUP reply on one stream: [[stream, entries]], or nothing."""
    return stream_entries(cast(list[list[Any]], reply)[0][1]) if reply else []


@dataclass(frozen=True)
class StreamKeys:
    """Every Redis key of the clickstream, under the configured prefix."""

    prefix: str

    @property
    def stream(self) -> str:
        return f"{self.prefix}:events"

    @property
    def dead(self) -> str:
        return f"{self.prefix}:events:dead"

    @property
    def group(self) -> str:
        return "history-writers"

    def seen(self, event_id: str) -> str:
        return f"{self.seen_prefix}{event_id}"

    @property
    def seen_prefix(self) -> str:
        return f"{self.prefix}:events:seen:"

    def rate(self, bucket: str, key: str) -> str:
        return f"{self.prefix}:rl:{bucket}:{key}"


@dataclass(frozen=True)
class Limits:
    maxlen: int
    dedup_ttl_s: int
    per_window: int
    window_s: int = 60


# KEYS: stream, then r rate keys. ARGV: maxlen, dedup ttl, limit, window, r, weight, dedup key prefix, and
# the events packed into one string: "event_id US user_id US payload" records joined by RS (US = \x1f,
# RS = \x1e: control characters that valid JSON never contains raw). One argument instead of three per
# event keeps the client's command packing (pure Python in redis-py) off the request's critical path.
# The dedup keys are derived here, not declared: on Redis Cluster give the prefix a hash tag ({...}).
# Returns {-1, ttl} when rate limited, else {0, code per event}.
_APPEND_LUA = r"""
local r = tonumber(ARGV[5])
local weight = tonumber(ARGV[6])
for i = 2, 1 + r do
  local count = redis.call('INCRBY', KEYS[i], weight)
  if redis.call('TTL', KEYS[i]) < 0 then redis.call('EXPIRE', KEYS[i], ARGV[4]) end
  if count > tonumber(ARGV[3]) then return {-1, redis.call('TTL', KEYS[i])} end
end
local out = {0}
local packed, seen, pos = ARGV[8], ARGV[7], 1
while pos <= #packed do
  local stop = string.find(packed, '\30', pos, true) or (#packed + 1)
  local a = string.find(packed, '\31', pos, true)
  local b = string.find(packed, '\31', a + 1, true)
  local event_id = string.sub(packed, pos, a - 1)
  local user_id = string.sub(packed, a + 1, b - 1)
  local payload = string.sub(packed, b + 1, stop - 1)
  pos = stop + 1
  if redis.call('SET', seen .. event_id, '1', 'NX', 'EX', ARGV[2]) then
    local added
    if user_id == '' then
      added = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', payload)
    else
      added = redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', payload, 'u', user_id)
    end
    if type(added) == 'table' and added.err then
      redis.call('DEL', seen .. event_id)
      out[#out + 1] = 2
    else
      out[#out + 1] = 1
    end
  else
    out[#out + 1] = 0
  end
end
return out
"""
_US, _RS = b"\x1f", b"\x1e"


def unavailable(exc: BaseException) -> Unavailable:
    log.warning("clickstream: Redis did not answer: %s", exc.__class__.__name__)
    return Unavailable(
        "the event stream is unavailable (Redis did not answer); try again shortly", code="stream_unavailable"
    )


class StreamAppender:
    """Appends checked events: counts them against the rate limits, drops duplicates, XADDs the rest."""

    def __init__(self, redis: Redis, keys: StreamKeys, limits: Limits) -> None:
        self._redis = redis
        self._keys = keys
        self._limits = limits
        self._script = redis.register_script(_APPEND_LUA)
        self._lua: bool | None = None  # unknown until the first call tells

    async def append(self, items: list[tuple[str, bytes, str | None]], rate_keys: list[str], weight: int) -> list[int]:
        """One code per (event_id, payload, user_id): ACCEPTED, DUPLICATE or NOT_STORED.

        Raises TooMany past the rate limit (nothing stored) and Unavailable when Redis does not answer.
        """
        try:
            async with asyncio.timeout(REDIS_DEADLINE_S):
                if self._lua is not False:
                    try:
                        codes = await self._append_lua(items, rate_keys, weight)
                        self._lua = True
                        return codes
                    except ResponseError as exc:
                        if self._lua or "unknown command" not in str(exc):
                            raise
                        self._lua = False  # fakeredis without Lua support
                return await self._append_pipelined(items, rate_keys, weight)
        except (RedisError, OSError, TimeoutError) as exc:
            raise unavailable(exc) from exc

    async def _append_lua(
        self, items: list[tuple[str, bytes, str | None]], rate_keys: list[str], weight: int
    ) -> list[int]:
        lim = self._limits
        packed = _RS.join(
            b"%s%s%s%s%s" % (eid.encode(), _US, (user_id or "").encode(), _US, payload)
            for eid, payload, user_id in items
        )
        result = await self._script(
            keys=[self._keys.stream, *rate_keys],
            args=[
                lim.maxlen,
                lim.dedup_ttl_s,
                lim.per_window,
                lim.window_s,
                len(rate_keys),
                weight,
                self._keys.seen_prefix,
                packed,
            ],
        )
        if result[0] == -1:
            raise self._too_many(int(result[1]))
        return [int(code) for code in result[1:]]

    def _too_many(self, ttl: int) -> TooMany:
        return TooMany(f"too many events; try again in {max(1, ttl)} s", retry_after_s=max(1, ttl))

    async def _append_pipelined(
        self, items: list[tuple[str, bytes, str | None]], rate_keys: list[str], weight: int
    ) -> list[int]:
        lim = self._limits
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in rate_keys:
                pipe.incrby(key, weight)
                pipe.expire(key, lim.window_s, nx=True)
                pipe.ttl(key)
            for event_id, _, _ in items:
                pipe.set(self._keys.seen(event_id), b"1", nx=True, ex=lim.dedup_ttl_s)
            replies = await pipe.execute()
        for i in range(len(rate_keys)):
            if replies[3 * i] > lim.per_window:
                await self._forget(
                    [eid for (eid, _, _), new in zip(items, replies[3 * len(rate_keys) :], strict=True) if new]
                )
                raise self._too_many(int(replies[3 * i + 2]))
        fresh = [bool(new) for new in replies[3 * len(rate_keys) :]]
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                for (_, payload, user_id), new in zip(items, fresh, strict=True):
                    if new:
                        fields: dict[FieldT, EncodableT] = {"e": payload, "u": user_id} if user_id else {"e": payload}
                        pipe.xadd(self._keys.stream, fields, maxlen=lim.maxlen, approximate=True)
                await pipe.execute()
        except (RedisError, OSError):
            await self._forget([eid for (eid, _, _), new in zip(items, fresh, strict=True) if new])
            raise
        return [ACCEPTED if new else DUPLICATE for new in fresh]

    async def _forget(self, event_ids: list[str]) -> None:
        """Best effort: un-see events that were not appended, so a retry is not taken for a duplicate."""
        if not event_ids:
            return
        try:
            await self._redis.delete(*(self._keys.seen(eid) for eid in event_ids))
        except (RedisError, OSError):
            log.warning("clickstream: could not clear %d dedup keys after a failed append", len(event_ids))
