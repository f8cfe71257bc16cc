"""Helpers for the clickstream tests: events as the storefront builds them, and a tidy Redis afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import redis.asyncio as aioredis
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.clickstream.worker import ClickstreamWorker, WorkerConfig
from app.settings import Settings
from tests.conftest import REDIS_URL, Shopper


def ago(seconds: float) -> str:
    """An occurred_at this many seconds ago (MongoDB keeps milliseconds: spaced times sort for sure)."""
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


def event(type_: str = "wine_viewed", **fields: Any) -> dict[str, Any]:
    """One beacon event with a fresh event_id and the current time; `fields` add or override."""
    body: dict[str, Any] = {
        "event_id": str(uuid4()),
        "type": type_,
        "occurred_at": datetime.now(UTC).isoformat(),
        "anonymous_id": "anon-" + uuid4().hex,
    }
    if type_ == "wine_viewed":
        body["wine_id"] = "wine-1"
    elif type_ == "search_performed":
        body["query"] = "pinot noir"
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


AppClient = AsyncTestClient[Litestar]


def worker_for(client: AppClient, redis: Any, name: str, **config: Any) -> ClickstreamWorker:
    """A worker on the test's loop, sharing the app's history writer and consent gate."""
    clickstream = client.app.state.services.clickstream
    return ClickstreamWorker(
        redis, clickstream.keys, clickstream.history, clickstream.gate, WorkerConfig(**config), consumer=name
    )


async def issued_anonymous_id(client: AppClient) -> str:
    """An anonymous id as the storefront gets one: issued (signed) by the server."""
    response = await client.post("/v1/anonymous-ids")
    assert response.status_code == 201, response.text
    return str(response.json()["anonymous_id"])


async def post(client: AppClient, batch: list[dict[str, Any]], headers: dict[str, str] | None = None) -> None:
    response = await client.post("/v1/events", json=batch, headers=headers or {})
    assert response.status_code == 202, response.text
    assert response.json()["rejected"] == 0, response.text


async def signed_in_with_consent(client: AppClient, shopper: Shopper) -> Shopper:
    await consent(client, shopper.headers, analytics=True)
    client.app.state.services.clickstream.consent_changed(shopper.id)
    return shopper


async def consent(client: AsyncTestClient[Litestar], headers: dict[str, str], analytics: bool) -> None:
    response = await client.put("/v1/me/consent", json={"analytics": analytics}, headers=headers)
    assert response.status_code == 200, response.text


@pytest.fixture
async def redis() -> AsyncIterator[Any]:
    """A client on the test's own event loop (the app's client lives on the test client's loop)."""
    client = aioredis.from_url(REDIS_URL)
    yield client
    await client.aclose()


async def purge(redis: Any, prefix: str) -> None:
    keys = [k async for k in redis.scan_iter(f"{prefix}:*", count=1000)]
    if keys:
        await redis.delete(*keys)


@pytest.fixture(autouse=True)
async def _purge_stream_keys(settings: Settings, redis: Any) -> AsyncIterator[None]:
    """Each test writes under its own prefix in db 15; remove its keys afterwards."""
    yield
    await purge(redis, settings.stream_prefix)
