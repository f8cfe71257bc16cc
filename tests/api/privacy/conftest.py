"""Helpers for the privacy tests: a customer who has used every feature, and scans of every store."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
import redis.asyncio as aioredis

from app.clickstream.worker import WorkerConfig
from app.settings import Settings
from documents import User, Wine
from search import SearchQuery
from tests.api.clickstream.conftest import issued_anonymous_id
from tests.conftest import REDIS_URL, AppClient, Shopper
from tests.factories import insert_wines, make_wine


def event(type_: str, **fields: Any) -> dict[str, Any]:
    body = {"event_id": uuid4().hex, "type": type_, "occurred_at": datetime.now(UTC).isoformat()}
    body.update(fields)
    return body


@dataclass
class Footprint:
    """What a customer left behind, to look for after erasure (every string must be gone)."""

    shopper: Shopper
    anonymous_id: str
    wines: list[Wine]
    order_id: str = ""
    rec_id: str = ""
    event_ids: list[str] = field(default_factory=list)
    # free text only this customer typed: it must not survive anywhere either
    gift_name: str = field(default_factory=lambda: f"Recipient{uuid4().hex[:10]}")
    gift_message: str = field(default_factory=lambda: f"Message{uuid4().hex[:10]}")
    review_text: str = field(default_factory=lambda: f"Review{uuid4().hex[:10]}")
    query: str = field(default_factory=lambda: f"query{uuid4().hex[:10]}")
    extra: str = field(default_factory=lambda: f"Extra{uuid4().hex[:10]}")

    @property
    def traces(self) -> list[str]:
        return [
            self.shopper.id,
            self.shopper.email,
            self.anonymous_id,
            self.gift_name,
            self.gift_message,
            self.review_text,
            self.query,
            self.extra,
        ]


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def drain(client: AppClient) -> int:
    """Run the clickstream worker over everything in the stream (on the test's loop); returns entries handled."""
    worker = client.app.state.services.clickstream.new_worker(WorkerConfig(), consumer="privacy-test")
    await worker.ensure_group()
    total = 0
    while handled := await worker.poll_once():
        total += handled
    return total


async def beacon(
    client: AppClient, footprint: Footprint, events: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> None:
    footprint.event_ids += [e["event_id"] for e in events]
    body = await ok(
        await client.post(
            "/v1/events", content=json.dumps(events), headers={"Content-Type": "text/plain", **(headers or {})}
        ),
        202,
    )
    assert body["accepted"] == len(events), body


async def use_everything(client: AppClient, shopper: Shopper, admin: Shopper) -> Footprint:
    """Sign-up done; now preferences, quiz, consent, anonymous browsing then linking, signed-in events,
    recommendations and a click on one, cart, a gift checkout, wishlist, review, and an admin looking."""
    wines = await insert_wines(
        *(make_wine(name=f"Privacy Wine {n}", stock=20, source_id=f"privacy:{uuid4().hex}") for n in range(6))
    )
    assert await client.app.state.services.catalog.sync_to_index([w.id for w in wines], strict=True)
    await client.app.state.services.recommendations.retrain()  # the recommender learns the new catalog
    fp = Footprint(shopper, await issued_anonymous_id(client), wines)
    h = shopper.headers
    await ok(await client.patch("/v1/me/preferences", json={"styles": ["red"], "extra": {"note": fp.extra}}, headers=h))
    await ok(await client.post("/v1/me/taste-quiz", json={"answers": {"coffee": "black", "citrus": "love"}}, headers=h))
    await ok(
        await client.put(
            "/v1/me/consent", json={"personalisation": True, "analytics": True, "marketing": True}, headers=h
        )
    )
    # browsing before signing in, under the browser's anonymous id; then the id is linked to the account
    await beacon(
        client,
        fp,
        [
            event("wine_viewed", anonymous_id=fp.anonymous_id, wine_id=wines[0].id),
            event("search_performed", anonymous_id=fp.anonymous_id, query=fp.query),
        ],
    )
    await drain(client)
    linked = await ok(await client.post("/v1/me/anonymous-id", json={"anonymous_id": fp.anonymous_id}, headers=h))
    assert linked["linked"] and linked["interactions"] == 2
    await beacon(
        client, fp, [event("wine_viewed", anonymous_id=fp.anonymous_id, wine_id=w.id) for w in wines[1:3]], headers=h
    )
    recs = await ok(await client.get("/v1/me/recommendations", headers=h))
    fp.rec_id, picked = recs["rec_id"], recs["items"][0]["wine"]["id"]
    await beacon(
        client,
        fp,
        [event("recommendation_clicked", anonymous_id=fp.anonymous_id, rec_id=fp.rec_id, wine_id=picked, position=0)],
        headers=h,
    )
    await drain(client)
    await ok(await client.put(f"/v1/me/cart/items/{picked}", json={"quantity": 2, "rec_id": fp.rec_id}, headers=h))
    order = await ok(
        await client.post(
            "/v1/me/checkout", json={"gift": {"recipient_name": fp.gift_name, "message": fp.gift_message}}, headers=h
        ),
        201,
    )
    fp.order_id = order["id"]
    await ok(await client.put(f"/v1/me/cart/items/{wines[4].id}", json={"quantity": 1}, headers=h))
    await ok(await client.put(f"/v1/me/wishlist/{wines[5].id}", headers=h), 201)
    await ok(
        await client.put(f"/v1/wines/{picked}/reviews/me", json={"rating": 4.5, "text": fp.review_text}, headers=h), 201
    )
    await ok(await client.get(f"/v1/admin/users/{shopper.id}", headers=admin.headers))
    # a failed login leaves a rate-limit counter named by the email
    await client.post("/v1/auth/login", json={"email": shopper.email, "password": "not the password"})
    # events still waiting in the stream when the erasure comes, and one the worker gave up on
    await beacon(client, fp, [event("wine_viewed", anonymous_id=fp.anonymous_id, wine_id=wines[3].id)], headers=h)
    await beacon(client, fp, [event("page_viewed", anonymous_id=fp.anonymous_id)])
    keys = client.app.state.services.clickstream.keys
    await client.app.state.services.backends.redis.xadd(
        keys.dead,
        {
            "entry_id": "0-1",
            "error": "test",
            "attempts": 5,
            "u": shopper.id,
            "e": json.dumps(event("wine_viewed", anonymous_id=fp.anonymous_id, wine_id=wines[0].id)),
        },
    )
    return fp


# ---------------------------------------------------------------- scans of every store
async def mongodb_text(client: AppClient) -> dict[str, str]:
    """Every document of every collection, as text, per collection (raw PyMongo: nothing filtered)."""
    database = User.get_pymongo_collection().database
    out = {}
    for name in await database.list_collection_names():
        docs = await database[name].find({}).to_list(None)
        out[name] = json.dumps(docs, default=str, ensure_ascii=False)
    return out


async def redis_text(client: AppClient, settings: Settings) -> dict[str, str]:
    """Every key under the test's prefix with its whole value, as text, per key."""
    redis = client.app.state.services.backends.redis
    out = {}
    async for key in redis.scan_iter(f"{settings.stream_prefix}:*", count=1000):
        kind = (await redis.type(key)).decode()
        if kind == "stream":
            value: Any = await redis.xrange(key, "-", "+")
        elif kind == "string":
            value = await redis.get(key)
        elif kind == "hash":
            value = await redis.hgetall(key)
        elif kind in ("set", "zset", "list"):
            value = await (
                redis.smembers(key)
                if kind == "set"
                else redis.zrange(key, 0, -1)
                if kind == "zset"
                else redis.lrange(key, 0, -1)
            )
        else:
            value = kind
        out[key.decode()] = repr(value)
    return out


async def index_text(client: AppClient) -> str:
    """Every document of the search index, as text."""
    search = client.app.state.services.backends.search
    hits: list[Any] = []
    page = 1
    while True:
        result = await search.search(SearchQuery(q="", page=page, per_page=50))
        hits += [repr(hit) for hit in result.hits]
        if page * 50 >= result.total:
            return "\n".join(hits)
        page += 1


@pytest.fixture(autouse=True)
async def _purge_redis_keys(settings: Settings) -> AsyncIterator[None]:
    """Each test writes under its own prefix in db 15; remove its keys afterwards."""
    yield
    redis = aioredis.from_url(REDIS_URL)
    keys = [k async for k in redis.scan_iter(f"{settings.stream_prefix}:*", count=1000)]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()
