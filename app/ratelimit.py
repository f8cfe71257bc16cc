"""Fixed-window rate limits kept in Redis, shared by every API process."""

from __future__ import annotations

import contextlib

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.errors import TooMany, Unavailable


class RateLimiter:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    async def hit(self, bucket: str, key: str, *, limit: int, window_s: int, what: str) -> None:
        """Count one attempt in the current window; raise TooMany (with Retry-After) past `limit`."""
        name = f"{self._prefix}:rl:{bucket}:{key}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window_s, nx=True)
                pipe.ttl(name)
                count, _, ttl = await pipe.execute()
        except (RedisError, OSError) as exc:
            raise Unavailable(
                "rate limiting is unavailable (Redis did not answer); try again shortly", code="redis_unavailable"
            ) from exc
        if count > limit:
            raise TooMany(f"too many {what}; try again in {max(1, ttl)} s", retry_after_s=max(1, int(ttl)))

    async def give_back(self, bucket: str, key: str) -> None:
        """Uncount one attempt `hit` counted (it failed, and only successes count against the limit)."""
        name = f"{self._prefix}:rl:{bucket}:{key}"
        with contextlib.suppress(RedisError, OSError):
            if await self._redis.decr(name) <= 0:  # the window ended meanwhile: nothing left to give back
                await self._redis.delete(name)

    async def reset(self, bucket: str, key: str) -> None:
        with contextlib.suppress(RedisError, OSError):
            await self._redis.delete(f"{self._prefix}:rl:{bucket}:{key}")
