"""Opening and closing the three backends (MongoDB, search engine, Redis) chosen by configuration."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

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
REDIS_READ_TIMEOUT_S = 5.0


class BackendUnavailable(RuntimeError):
    """A configured backend did not answer at start-up; the message names it and says what to do."""


@dataclass
class Backends:
    db: Database
    search: SearchIndex
    redis: Any  # redis.asyncio.Redis or fakeredis.FakeAsyncRedis
    redis_kind: str  # "server <url>" or "in-process"

    async def readiness(self) -> dict[str, str]:
        """Each backend's state: "ok" or a short reason."""
        checks: dict[str, str] = {}
        try:
            await self.db.ping()
            checks["mongodb"] = "ok"
        except Exception as exc:
            checks["mongodb"] = f"down: {exc.__class__.__name__}"
        try:
            await self.search.ping()
            checks["search"] = "ok"
        except Exception as exc:
            checks["search"] = f"down: {exc.__class__.__name__}"
        try:
            await self.redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"down: {exc.__class__.__name__}"
        return checks

    async def close(self) -> None:
        await self.search.close()
        await self.redis.aclose()
        await self.db.close()


async def _try_redis(url: str, timeout_s: float) -> Any | None:
    # Connecting fails fast (a Redis that is down answers 503 at once); reads may wait longer than a
    # connect because the worker's XREADGROUP blocks for up to a second.
    client = aioredis.from_url(
        url, socket_connect_timeout=timeout_s, socket_timeout=REDIS_READ_TIMEOUT_S, health_check_interval=30
    )
    try:
        await client.ping()
    except (RedisError, OSError):
        await client.aclose()
        return None
    return client


async def open_redis(settings: Settings) -> tuple[Any, str]:
    """The configured Redis; with none configured, a local server if one answers, else in-process."""
    if settings.redis_url:
        client = await _try_redis(settings.redis_url, 3.0)
        if client is None:
            raise BackendUnavailable(
                f"Redis at {redacted_url(settings.redis_url)} did not answer: start it or fix CUVEE_REDIS_URL"
            )
        return client, f"server {redacted_url(settings.redis_url)}"
    client = await _try_redis(LOCAL_REDIS, 0.5)
    if client is not None:
        log.info("clickstream: using the Redis server at %s", LOCAL_REDIS)
        return client, f"server {LOCAL_REDIS}"
    import fakeredis  # only where no Redis server is reachable

    log.info("clickstream: no Redis at %s; using the in-process Redis (events do not survive a restart)", LOCAL_REDIS)
    return fakeredis.FakeAsyncRedis(), "in-process"


async def open_backends(settings: Settings) -> Backends:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = await _open_db(settings)
    try:
        search = await _open_search(settings)
    except BackendUnavailable:
        await db.close()
        raise
    try:
        redis_client, kind = await open_redis(settings)
    except BackendUnavailable:
        await search.close()
        await db.close()
        raise
    return Backends(db=db, search=search, redis=redis_client, redis_kind=kind)


async def probe_backends(settings: Settings) -> None:
    """Fail fast, in one line naming the backend, when a configured external backend does not answer (or, in
    the embedded mode, when another process owns the data directory)."""
    if settings.snapshot_path is not None:  # the embedded mode
        try:
            DirectoryLock(settings.data_dir).release()
            check_data_keys(settings.snapshot_path, settings.data_keys())
        except (DataDirLocked, DataKeyError) as exc:
            raise BackendUnavailable(str(exc)) from exc
    if not settings.embedded:
        db = await _open_db(settings, snapshot=False)
        await db.close()
    if (settings.search_url or "").startswith("http"):
        search = await _open_search(settings)
        await search.close()
    if settings.redis_url:
        client, _ = await open_redis(settings)
        await client.aclose()


async def _open_db(settings: Settings, *, snapshot: bool = True) -> Database:
    try:
        return await connect(
            settings.mongodb_url,
            name=settings.mongodb_db,
            snapshot_path=settings.snapshot_path if snapshot else None,
            keys=settings.data_keys(),
        )
    except (DataDirLocked, DataKeyError) as exc:
        raise BackendUnavailable(str(exc)) from exc
    except DatabaseUnavailable as exc:
        raise BackendUnavailable(f"{exc}: start it or fix CUVEE_MONGODB_URL") from exc


async def _open_search(settings: Settings) -> SearchIndex:
    try:
        search = open_index(settings.effective_search_url, namespace=settings.search_namespace)
    except SearchUnavailable as exc:
        raise BackendUnavailable(f"CUVEE_SEARCH_URL is not usable: {exc}") from exc
    try:
        await search.ping()
    except SearchUnavailable as exc:
        await search.close()  # the client holds a connection pool even when nothing answered
        raise BackendUnavailable(
            f"search engine at {redacted_url(settings.effective_search_url)} did not answer: "
            f"{exc}: start it or fix CUVEE_SEARCH_URL"
        ) from exc
    return search
