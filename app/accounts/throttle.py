"""The login throttle: exponential backoff on failed passwords, keyed so that nobody can lock a customer out.

Failures are counted per (client address, account) and per client address, never per account alone: an
attacker's wrong passwords slow down the attacker's address and nobody else's. After `free` failures each
further attempt waits 1 s, 2 s, 4 s … up to `cap_s` after the last failure; a successful login clears its
pair. An address that has signed in to an account before (a known client, for 30 days) skips the per-address
backoff for that account, so a busy shared address (an office, a carrier's NAT) does not keep its regulars out.
Records live in Redis (shared by every API process); times come from the injected clock.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from datetime import datetime

from redis.asyncio import Redis
from redis.exceptions import RedisError, WatchError

from app.client_address import address_bucket
from app.errors import TooMany, Unavailable

PAIR_FORGET_S = 86_400  # a pair's failures are forgotten after a day without one
ADDRESS_FORGET_S = 3_600  # an address's after an hour (no success resets them: anyone may own one account)
KNOWN_CLIENT_S = 30 * 86_400


class Backoff:
    """Failures under one kind of key, and how long the next attempt must wait."""

    def __init__(self, name: str, *, free: int, cap_s: float, forget_s: int) -> None:
        self.name, self.free, self.cap_s, self.forget_s = name, free, cap_s, forget_s

    def wait_s(self, failures: int, last_at: float, now: float) -> float:
        if failures < self.free:
            return 0.0
        delay = min(self.cap_s, 2.0 ** min(failures - self.free, 64))
        return max(0.0, last_at + delay - now)


class LoginThrottle:
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        clock: Callable[[], datetime],
        *,
        free_per_pair: int,
        free_per_address: int,
        cap_s: float,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self.clock = clock
        self.pair = Backoff("pair", free=free_per_pair, cap_s=cap_s, forget_s=PAIR_FORGET_S)
        self.address = Backoff("address", free=free_per_address, cap_s=cap_s, forget_s=ADDRESS_FORGET_S)

    async def before_attempt(self, address: str, email: str) -> None:
        """Raise TooMany (with Retry-After) if this attempt must wait; otherwise count it as a failure until
        `succeeded` says otherwise, so parallel attempts cannot all slip through one backoff step."""
        now = self.clock().timestamp()
        pair = self._pair_key(address, email)
        try:
            if not await self._redis.exists(self._known_key(email, address)):
                await self._refuse_if_waiting(self.address, self._address_key(address), now)
            await self._claim(pair, now)
        except (RedisError, OSError) as exc:
            raise _unavailable() from exc

    async def failed(self, address: str) -> None:
        """A wrong password (or unknown email): the address's failures grow; the pair's were counted already."""
        key = self._address_key(address)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(key, "n", 1)
                pipe.hset(key, "last", self.clock().timestamp())
                pipe.expire(key, self.address.forget_s)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise _unavailable() from exc

    async def succeeded(self, address: str, email: str) -> None:
        """The pair starts afresh, and the address is a known client of the account from now on."""
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(self._pair_key(address, email))
                pipe.set(self._known_key(email, address), 1, ex=KNOWN_CLIENT_S)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise _unavailable() from exc

    async def forget_account(self, email: str) -> None:
        """For erasure: every record naming the account goes (they would expire on their own anyway)."""
        pattern = f"{self._prefix}:login:*:{_digest(email)}:*"
        try:
            keys = [key async for key in self._redis.scan_iter(match=pattern, count=1000)]
            if keys:
                await self._redis.delete(*keys)
        except (RedisError, OSError) as exc:
            raise _unavailable() from exc

    async def _refuse_if_waiting(self, backoff: Backoff, key: str, now: float) -> None:
        failures, last_at = await self._redis.hmget(key, "n", "last")
        _refuse(backoff.wait_s(int(failures or 0), float(last_at or 0), now))

    async def _claim(self, key: str, now: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    failures, last_at = await pipe.hmget(key, "n", "last")
                    _refuse(self.pair.wait_s(int(failures or 0), float(last_at or 0), now))
                    pipe.multi()  # type: ignore[no-untyped-call]  # redis-py leaves Pipeline.multi unannotated
                    pipe.hincrby(key, "n", 1)
                    pipe.hset(key, "last", now)
                    pipe.expire(key, self.pair.forget_s)
                    await pipe.execute()
                    return
                except WatchError:
                    continue  # another attempt on the pair came first: look again

    # Keys carry a digest of the email, never the email itself, and the client address.
    def _pair_key(self, address: str, email: str) -> str:
        return f"{self._prefix}:login:pair:{_digest(email)}:{address_bucket(address)}"

    def _known_key(self, email: str, address: str) -> str:
        return f"{self._prefix}:login:known:{_digest(email)}:{address_bucket(address)}"

    def _address_key(self, address: str) -> str:
        return f"{self._prefix}:login:address:{address_bucket(address)}"


def _digest(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _refuse(wait_s: float) -> None:
    if wait_s > 0:
        seconds = math.ceil(wait_s)
        raise TooMany(f"too many failed logins; try again in {seconds} s", retry_after_s=seconds)


def _unavailable() -> Unavailable:
    return Unavailable(
        "login throttling is unavailable (Redis did not answer); try again shortly", code="redis_unavailable"
    )
