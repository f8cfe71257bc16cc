"""Opening and closing the three backends (MongoDB, search engine, Redis) chosen by configuration."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from app.settings import Settings
from documents.database import (
    Database,
    DatabaseUnavailable,
    DataDirLocked,
    DirectoryLock,
    check_data_keys,
    connect,
    redacted_url,
)
from documents.encryption import DataKeyError
from search import SearchIndex, SearchUnavailable, open_index

log = logging.getLogger("cuvee.backends")

LOCAL_REDIS = "redis://127.0.0.1:6379/0"
# The worker's XREADGROUP blocks (WorkerConfig.block_ms, 2 s) for new entries: its own client waits longer.
WORKER_READ_TIMEOUT_S = 10.0
# One-shot commands and the worker write in large batches (imports, training, reindexing): a MongoDB reply
# may take longer than on a request path.
BATCH_MONGODB_TIMEOUT_S = 60.0
PROBE_DEADLINE_S = 1.0  # each readiness probe: /health/ready answers within 1.5 s whatever hangs


class BackendUnavailable(RuntimeError):
    """A configured backend did not answer at start-up; the message names it and says what to do, and
    `waiting_for` names it and why for a line saying that start-up will try again."""

    def __init__(self, message: str, waiting_for: str | None = None, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.waiting_for = waiting_for or message
        self.retryable = retryable  # False: waiting cannot help (a data directory in use, a wrong data key)


@dataclass
class Backends:
    db: Database
    search: SearchIndex
    redis: aioredis.Redis  # a server's client, or in process fakeredis.FakeAsyncRedis (a subclass)
    redis_kind: str  # "server <url>" or "in-process"
    worker_redis: aioredis.Redis  # the clickstream worker's client (`redis` itself in process)

    async def readiness(self, deadline_s: float = PROBE_DEADLINE_S) -> dict[str, str]:
        """Each backend's state, "ok" or a short reason, probed at once: a hung one reads "down: timed out"."""
        probes: dict[str, Callable[[], Awaitable[object]]] = {
            "mongodb": self.db.ping,
            "search": self.search.ping,
            "redis": self.redis.ping,
        }
        results = await asyncio.gather(*(_probe(ping(), deadline_s) for ping in probes.values()))
        return dict(zip(probes, results, strict=True))

    async def close(self) -> None:
        await self.search.close()
        if self.worker_redis is not self.redis:
            await self.worker_redis.aclose()
        await self.redis.aclose()
        await self.db.close()


async def _probe(ping: Awaitable[object], deadline_s: float) -> str:
    try:
        async with asyncio.timeout(deadline_s):
            await ping
    except TimeoutError:
        return f"down: timed out after {deadline_s:g} s"
    except Exception as exc:
        return f"down: {exc.__class__.__name__}"
    return "ok"


def redis_client(url: str, timeout_s: float, read_timeout_s: float | None = None) -> aioredis.Redis:
    """A client whose every call gives up after `timeout_s` (connecting) and `read_timeout_s` (each reply),
    and never retries on its own: a hung server costs a request one timeout, not four."""
    return aioredis.from_url(
        url,
        socket_connect_timeout=timeout_s,
        socket_timeout=read_timeout_s or timeout_s,
        health_check_interval=30,
        retry=Retry(NoBackoff(), 0),
    )


async def _try_redis(url: str, timeout_s: float) -> tuple[aioredis.Redis | None, str]:
    """A client that answered, or None and why not."""
    client = redis_client(url, timeout_s)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        return None, str(exc).rstrip(".") or exc.__class__.__name__
    return client, "ok"


async def open_redis(settings: Settings) -> tuple[aioredis.Redis, str]:
    """The configured Redis; with none configured, a local server if one answers, else in-process."""
    if settings.redis_url:
        client, reason = await _try_redis(settings.redis_url, settings.redis_timeout_s)
        if client is None:
            where = f"Redis at {redacted_url(settings.redis_url)}"
            raise BackendUnavailable(f"{where} did not answer: start it or fix CUVEE_REDIS_URL", f"{where}: {reason}")
        return client, f"server {redacted_url(settings.redis_url)}"
    client, _ = await _try_redis(LOCAL_REDIS, min(0.5, settings.redis_timeout_s))
    if client is not None:
        log.info("clickstream: using the Redis server at %s", LOCAL_REDIS)
        return client, f"server {LOCAL_REDIS}"
    import fakeredis  # only where no Redis server is reachable

    log.info("clickstream: no Redis at %s; using the in-process Redis (events do not survive a restart)", LOCAL_REDIS)
    return fakeredis.FakeAsyncRedis(), "in-process"


async def open_backends(settings: Settings, *, batch: bool = False) -> Backends:
    """Every backend, or BackendUnavailable naming the first that did not answer. `batch`: for a command or
    the worker rather than the API, MongoDB replies may take up to BATCH_MONGODB_TIMEOUT_S."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = await _open_db(settings, reply_timeout_s=BATCH_MONGODB_TIMEOUT_S if batch else None)
    try:
        search = await _open_search(settings)
    except BackendUnavailable:
        await db.close()
        raise
    try:
        client, kind = await open_redis(settings)
    except BackendUnavailable:
        await search.close()
        await db.close()
        raise
    worker_client = client
    if kind != "in-process":
        worker_client = redis_client(settings.redis_url or LOCAL_REDIS, settings.redis_timeout_s, WORKER_READ_TIMEOUT_S)
    return Backends(db=db, search=search, redis=client, redis_kind=kind, worker_redis=worker_client)


async def probe_backends(settings: Settings) -> None:
    """Fail fast, in one line naming the backend, when a configured external backend does not answer (or, in
    the embedded mode, when another process owns the data directory)."""
    if settings.snapshot_path is not None:  # the embedded mode
        try:
            DirectoryLock(settings.data_dir).release()
            check_data_keys(settings.snapshot_path, settings.data_keys())
        except (DataDirLocked, DataKeyError) as exc:
            raise BackendUnavailable(str(exc), retryable=False) from exc
    if not settings.embedded:
        db = await _open_db(settings, snapshot=False)
        await db.close()
    if (settings.search_url or "").startswith("http"):
        search = await _open_search(settings)
        await search.close()
    if settings.redis_url:
        client, _ = await open_redis(settings)
        await client.aclose()


async def _open_db(settings: Settings, *, snapshot: bool = True, reply_timeout_s: float | None = None) -> Database:
    try:
        return await connect(
            settings.mongodb_url,
            name=settings.mongodb_db,
            snapshot_path=settings.snapshot_path if snapshot else None,
            timeout_s=settings.mongodb_timeout_s,
            reply_timeout_s=reply_timeout_s,
            keys=settings.data_keys(),
        )
    except (DataDirLocked, DataKeyError) as exc:
        raise BackendUnavailable(str(exc), retryable=False) from exc
    except DatabaseUnavailable as exc:
        where = f"MongoDB at {redacted_url(settings.mongodb_url)}"
        raise BackendUnavailable(
            f"{exc}: start it or fix CUVEE_MONGODB_URL", str(exc).replace(f"{where} did not answer", where)
        ) from exc


async def _open_search(settings: Settings) -> SearchIndex:
    try:
        search = open_index(settings.effective_search_url, namespace=settings.search_namespace)
    except SearchUnavailable as exc:
        raise BackendUnavailable(f"CUVEE_SEARCH_URL is not usable: {exc}") from exc
    try:
        await search.ping()
    except SearchUnavailable as exc:
        await search.close()  # the client holds a connection pool even when nothing answered
        where = f"the search engine at {redacted_url(settings.effective_search_url)}"
        raise BackendUnavailable(
            f"search engine at {redacted_url(settings.effective_search_url)} did not answer: "
            f"{exc}: start it or fix CUVEE_SEARCH_URL",
            f"{where}: {exc}",
        ) from exc
    return search
