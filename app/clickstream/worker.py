"""The clickstream worker: a consumer in the stream's group that turns events into MongoDB history.

Delivery is at-least-once and the writes are idempotent (see history.py), so the rule is simple: an entry
is acknowledged only after its write. Entries left pending by a consumer that died are taken over with
XAUTOCLAIM once idle for `claim_idle_ms`, and dead consumers (idle past `consumer_idle_ms`, nothing
pending) are removed from the group at start and every `prune_every_s`. An entry that still fails after
`max_attempts` deliveries is copied to the dead-letter stream with its error and acknowledged. A MongoDB or
Redis outage is not the event's fault: it never dead-letters anything, the worker backs off and the entries
wait in the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from uuid import uuid4

import msgspec
from pymongo.errors import PyMongoError
from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError, ResponseError
from redis.typing import EncodableT, FieldT

from app.clickstream.consent import ConsentGate
from app.clickstream.events import decode_event
from app.clickstream.history import Attributed, History
from app.clickstream.stream import Entry, Fields, StreamKeys, group_entries, stream_entries

log = logging.getLogger("cuvee.clickstream.worker")

DEAD_LETTER_MAXLEN = 100_000
# KEYS: stream. ARGV: group, consumer. Removes the consumer only if it holds nothing pending, atomically:
# XGROUP DELCONSUMER drops a consumer's pending entries, which nobody could then claim.
_DELETE_IF_IDLE_LUA = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return -1 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
"""


@dataclass(frozen=True)
class WorkerConfig:
    batch_size: int = 200
    block_ms: int = 2_000
    claim_idle_ms: int = 60_000  # a delivery this old and not acknowledged belongs to a dead consumer
    reclaim_every_s: float = 15.0
    # A live worker touches the group at least every block_ms (+ one batch, + backoff during an outage).
    consumer_idle_ms: int = 600_000
    prune_every_s: float = 60.0
    max_attempts: int = 5
    sweep_every_s: float = 3_600.0  # anonymous-history retention sweep
    idle_sleep_s: float = 0.1  # when the server answered at once instead of blocking (fakeredis < 2.41 did)
    max_backoff_s: float = 30.0


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class ClickstreamWorker:
    def __init__(
        self,
        redis: Redis,
        keys: StreamKeys,
        history: History,
        gate: ConsentGate,
        config: WorkerConfig | None = None,
        consumer: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._clock = clock  # monotonic seconds; injected so tests can tell a blocking read from an instant one
        self._keys = keys
        self._history = history
        self._gate = gate
        self.config = config or WorkerConfig()
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{uuid4().hex[:6]}"
        self.counters: Counter[str] = Counter()
        self._stopping = asyncio.Event()
        self._busy = False
        self._task: asyncio.Task[None] | None = None
        self._last_reclaim = float("-inf")
        self._last_prune = float("-inf")
        self._delete_if_idle: AsyncScript | None = None  # registered on first use
        self._last_sweep = clock()

    async def ensure_group(self) -> None:
        """Create the consumer group (from the stream's start, so nothing appended earlier is skipped)."""
        try:
            await self._redis.xgroup_create(self._keys.stream, self._keys.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def read_new(self, block_ms: int | None = None) -> list[Entry]:
        """Entries never delivered to any consumer of the group, now delivered to this one."""
        self.counters["reads"] += 1
        reply = await self._redis.xreadgroup(
            self._keys.group, self.consumer, {self._keys.stream: ">"}, count=self.config.batch_size, block=block_ms
        )
        return group_entries(reply)

    async def reclaim(self) -> int:
        """Take over entries idle past `claim_idle_ms` (a dead consumer's, or our own failures) and handle them."""
        handled, cursor = 0, b"0-0"
        while True:
            reply = await self._redis.xautoclaim(
                self._keys.stream,
                self._keys.group,
                self.consumer,
                self.config.claim_idle_ms,
                cursor,
                count=self.config.batch_size,
            )
            cursor, claimed = reply[0], stream_entries(reply[1])
            deleted = reply[2] if len(reply) > 2 else []
            if deleted:  # trimmed by MAXLEN before anyone processed them; Redis already dropped them
                self.counters["lost_to_trimming"] += len(deleted)
            if claimed:
                self.counters["reclaimed"] += len(claimed)
                handled += await self.handle(claimed)
            if _text(cursor) == "0-0":
                return handled

    async def prune_consumers(self) -> list[str]:
        """Remove the consumers idle past `consumer_idle_ms` that hold nothing pending: the names of workers
        that died. One still holding entries stays until `reclaim` has taken them over."""
        removed = []
        for consumer in await self._redis.xinfo_consumers(self._keys.stream, self._keys.group):
            name = _text(consumer["name"])
            if (
                name == self.consumer
                or int(consumer["pending"])
                or int(consumer["idle"]) < self.config.consumer_idle_ms
            ):
                continue
            if await self._delete_consumer(name):
                removed.append(name)
        if removed:
            self.counters["consumers_removed"] += len(removed)
            log.info("clickstream: removed %d dead consumers from the group: %s", len(removed), ", ".join(removed))
        return removed

    async def _delete_consumer(self, name: str) -> bool:
        if self._delete_if_idle is None:
            self._delete_if_idle = self._redis.register_script(_DELETE_IF_IDLE_LUA)
        try:
            return int(await self._delete_if_idle(keys=[self._keys.stream], args=[self._keys.group, name])) >= 0
        except ResponseError as exc:
            if "unknown command" not in str(exc):
                raise
        # the in-process Redis has no Lua, and only this process's consumers: check, then delete
        if await self._redis.xpending_range(self._keys.stream, self._keys.group, "-", "+", 1, consumername=name):
            return False
        await self._redis.xgroup_delconsumer(self._keys.stream, self._keys.group, name)
        return True

    async def poll_once(self, block_ms: int | None = None) -> int:
        """One step: reclaim and prune when due, then read and handle one batch; returns entries handled."""
        handled = 0
        now = self._clock()
        if now - self._last_reclaim >= self.config.reclaim_every_s:
            self._last_reclaim = now
            handled += await self.reclaim()
        if now - self._last_prune >= self.config.prune_every_s:
            self._last_prune = now
            await self.prune_consumers()
        if now - self._last_sweep >= self.config.sweep_every_s:
            self._last_sweep = now
            self.counters["anonymous_swept"] += await self._history.sweep_anonymous()
        return handled + await self.handle(await self.read_new(block_ms))

    async def handle(self, entries: list[Entry]) -> int:
        """Apply a batch to MongoDB, then acknowledge what was written (or deliberately dropped)."""
        if not entries:
            return 0
        self._busy = True  # from here on, stop() waits for this batch instead of cancelling it
        try:
            return await self._handle(entries)
        finally:
            self._busy = False

    async def _handle(self, entries: list[Entry]) -> int:
        errors: dict[bytes, str] = {}
        items: list[tuple[bytes, Attributed]] = []
        for entry_id, fields in entries:
            if not fields:  # trimmed while pending (Redis < 7 returns the id without fields)
                self.counters["lost_to_trimming"] += 1
                continue
            try:
                event = decode_event(fields[b"e"])
            except (KeyError, msgspec.DecodeError) as exc:
                errors[entry_id] = f"undecodable entry: {exc}"
                continue
            user_id = fields.get(b"u")
            items.append((entry_id, Attributed(event, _text(user_id) if user_id else None)))
        stored = await self._attribute(items)
        failed = await self._history.apply([item for _, item in stored])
        for entry_id, item in stored:
            if item.event.event_id in failed:
                errors[entry_id] = failed[item.event.event_id]
        self.counters["applied"] += len(stored) - len(failed)
        done = [entry_id for entry_id, _ in entries if entry_id not in errors]
        if done:
            await self._redis.xack(self._keys.stream, self._keys.group, *done)
        if errors:
            await self._retry_or_bury(errors, dict(entries))
        return len(entries)

    async def _attribute(self, items: list[tuple[bytes, Attributed]]) -> list[tuple[bytes, Attributed]]:
        """Who each event belongs to now; events of users without analytics consent are dropped."""
        owners = await self._gate.owners_of(
            item.event.anonymous_id for _, item in items if item.user_id is None and item.event.anonymous_id
        )
        kept = []
        for entry_id, item in items:
            user_id = item.user_id
            if user_id is None and item.event.anonymous_id:
                user_id = owners[item.event.anonymous_id]
            if user_id is not None and not await self._gate.allows_analytics(user_id):
                self.counters["dropped_no_consent"] += 1
                continue
            kept.append((entry_id, Attributed(item.event, user_id)))
        return kept

    async def _retry_or_bury(self, errors: dict[bytes, str], fields: dict[bytes, Fields | None]) -> None:
        """Leave a failed entry pending for a later attempt, or dead-letter it after `max_attempts`."""
        for entry_id, error in errors.items():
            info = await self._redis.xpending_range(self._keys.stream, self._keys.group, entry_id, entry_id, 1)
            attempts = int(info[0]["times_delivered"]) if info else self.config.max_attempts
            if attempts < self.config.max_attempts:
                self.counters["failed_attempts"] += 1
                continue
            dead: dict[FieldT, EncodableT] = {
                "entry_id": entry_id,
                "error": error[:1000],
                "attempts": attempts,
                "consumer": self.consumer,
            }
            dead.update((fields.get(entry_id) or {}).items())
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.xadd(self._keys.dead, dead, maxlen=DEAD_LETTER_MAXLEN, approximate=True)
                pipe.xack(self._keys.stream, self._keys.group, entry_id)
                await pipe.execute()
            self.counters["dead_lettered"] += 1
            log.warning("clickstream: entry %s dead-lettered after %d attempts: %s", _text(entry_id), attempts, error)

    async def run(self) -> None:
        """Poll until stopped; outages and bugs are logged and retried with backoff, never fatal."""
        backoff = 0.0
        while not self._stopping.is_set():
            started = self._clock()
            try:
                if backoff:
                    await self._sleep(backoff)
                handled = await self.poll_once(self.config.block_ms)
                backoff = 0.0
            except ResponseError as exc:
                if "NOGROUP" in str(exc):  # the stream was deleted: start again from scratch
                    await self.ensure_group()
                    continue
                backoff = self._next_backoff(backoff, exc)
                continue
            except (RedisError, OSError, PyMongoError) as exc:
                backoff = self._next_backoff(backoff, exc)
                continue
            except Exception as exc:
                log.exception("clickstream worker: unexpected failure; retrying")
                backoff = self._next_backoff(backoff, exc)
                continue
            if not handled and self._clock() - started < self.config.block_ms / 2000:
                self.counters["idle_sleeps"] += 1  # the server did not block: do not spin
                await self._sleep(self.config.idle_sleep_s)

    def _next_backoff(self, backoff: float, exc: BaseException) -> float:
        log.warning("clickstream worker: %s: %s; backing off", exc.__class__.__name__, exc)
        return min(self.config.max_backoff_s, max(0.5, backoff * 2))

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    def start(self) -> None:
        """Run in the background of the current event loop (the embedded mode's in-process worker)."""
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.get_running_loop().create_task(self._main(), name="clickstream-worker")

    async def _main(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.ensure_group()
                break
            except (RedisError, OSError) as exc:
                await self._sleep(self._next_backoff(1.0, exc))
        log.info("clickstream worker %s started", self.consumer)
        await self.run()

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Finish the batch in hand (if any), then stop; a worker waiting for entries stops at once."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        if not self._busy:
            task.cancel()  # only waiting in XREADGROUP: anything delivered stays pending and is reclaimed
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, timeout_s)
        await self._leave_group()
        log.info("clickstream worker %s stopped: %s", self.consumer, dict(self.counters))

    async def _leave_group(self) -> None:
        """Remove this consumer from the group when it holds nothing pending (keeps XINFO tidy); it reads no
        more, so checking first is safe here."""
        try:
            info = await self._redis.xpending_range(
                self._keys.stream, self._keys.group, "-", "+", 1, consumername=self.consumer
            )
            if not info:
                await self._redis.xgroup_delconsumer(self._keys.stream, self._keys.group, self.consumer)
        except (RedisError, OSError):
            pass


async def run_until_signalled(worker: ClickstreamWorker) -> None:
    """The `cuvee worker` process: run until SIGTERM or SIGINT, finishing the batch in hand."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        worker.start()
        await stop.wait()
        log.info("clickstream worker: signal received; finishing the batch in hand")
        await worker.stop()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
