"""Segment's HTTP Tracking API over the real Redis: routes, write keys, bodies, limits, mapping, consent, identity."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.main import create_app
from app.settings import Settings
from tests.api.clickstream.conftest import consent, purge, worker_for
from tests.conftest import Shopper, make_settings, running
from tests.factories import insert_wines, make_wine

AppClient = AsyncTestClient[Litestar]
WEB_KEY = "wk-web-0123456789"
SERVER_KEY = "wk-server-9876543210"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, segment_write_keys={"web": WEB_KEY, "backend": SERVER_KEY})


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def track(name: str, properties: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A track call as analytics-next builds it (messageId, anonymousId, timestamp; sentAt added on send)."""
    call = {
        "type": "track",
        "event": name,
        "properties": properties or {},
        "messageId": f"ajs-next-{uuid4()}",
        "anonymousId": str(uuid4()),
        "timestamp": datetime.now(UTC).isoformat(),
        "context": {},
    }
    return {k: v for k, v in (call | fields).items() if v is not None}


async def stream_events(redis: Any, settings: Settings) -> list[dict[str, Any]]:
    entries = await redis.xrange(f"{settings.stream_prefix}:events")
    return [
        json.loads(fields[b"e"]) | ({"user_id": fields[b"u"].decode()} if b"u" in fields else {})
        for _, fields in entries
    ]


async def send_batch(client: AppClient, calls: list[dict[str, Any]], **kwargs: Any) -> Any:
    headers = kwargs.pop("headers", basic(WEB_KEY))
    body = {"batch": calls, "sentAt": datetime.now(UTC).isoformat()}
    return await client.post(
        "/v1/batch", content=json.dumps(body), headers={"Content-Type": "application/json"} | headers, **kwargs
    )


async def test_a_per_call_track_is_stored_as_our_event_under_its_message_id(
    client: AppClient, redis: Any, settings: Settings
) -> None:
    call = track("Product Viewed", {"product_id": "wine-7", "name": "Barolo", "price": 1.0}, writeKey=WEB_KEY)
    answers = [
        await client.post(path, content=json.dumps(call), headers={"Content-Type": "text/plain"})
        for path in ("/v1/t", "/v1/track")
    ]  # analytics-next's path, then the server libraries' name
    assert [a.status_code for a in answers] == [200, 200], answers[0].text
    assert [(a.json()["accepted"], a.json()["duplicates"]) for a in answers] == [(1, 0), (0, 1)]
    (stored,) = await stream_events(redis, settings)
    assert stored["event_id"] == call["messageId"] and stored["type"] == "wine_viewed"
    assert stored["wine_id"] == "wine-7" and stored["anonymous_id"] == call["anonymousId"]
    assert "price" not in stored and "name" not in stored  # prices and names never come from the client


async def test_a_batch_maps_the_ecommerce_events_and_accounts_for_each_call(
    client: AppClient, redis: Any, settings: Settings
) -> None:
    anon = str(uuid4())
    calls = [
        track("Product Viewed", {"product_id": "w-1", "rec_id": "rec-9", "position": 2.0}, anonymousId=anon),
        track("Products Searched", {"query": "etna rosso", "results_count": 4}, anonymousId=anon),
        track(
            "Product Clicked",
            {"product_id": "w-2", "rec_id": "rec-9", "position": 1, "surface": "home"},
            anonymousId=anon,
        ),
        track("Product Clicked", {"product_id": "w-3", "position": 5}, anonymousId=anon),  # not one of our lists
        track("Product Added", {"product_id": 42, "quantity": 2}, anonymousId=anon),
        track("Product Removed", {"product_id": "w-4"}, anonymousId=anon),
        track("Product Added to Wishlist", {"product_id": "w-5"}, anonymousId=anon),
        {"type": "page", "name": "Wine Detail", "messageId": str(uuid4()), "anonymousId": anon},
        {"type": "identify", "userId": "u-1", "traits": {"email": "a@example.com"}, "anonymousId": anon},
        track("Order Completed", {"order_id": "o-1", "total": 99}, anonymousId=anon),
        track("Product Viewed", {"name": "no id"}, anonymousId=anon),
        track("Product Viewed", {"product_id": "w-6", "blob": "x" * 33_000}, anonymousId=anon),
        "not a call",
    ]
    response = await send_batch(client, calls)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["success"], body["source"], body["accepted"], body["ignored"], body["rejected"]) == (
        True,
        "web",
        7,
        3,
        3,
    )
    assert [(r["status"], r.get("reason")) for r in body["results"]][-4:] == [
        ("ignored", "not_mapped"),
        ("rejected", "missing_field"),
        ("rejected", "call_too_large"),
        ("rejected", "invalid"),
    ]
    stored = {e["type"]: e for e in await stream_events(redis, settings)}
    assert stored["wine_viewed"] | {"occurred_at": None} == {
        "event_id": calls[0]["messageId"],
        "type": "wine_viewed",
        "occurred_at": None,
        "anonymous_id": anon,
        "wine_id": "w-1",
        "rec_id": "rec-9",
        "position": 2,
    }
    assert (stored["search_performed"]["query"], stored["search_performed"]["results_count"]) == ("etna rosso", 4)
    assert (stored["recommendation_clicked"]["wine_id"], stored["recommendation_clicked"]["surface"]) == ("w-2", "home")
    assert stored["cart_item_added"]["wine_id"] == "42"
    assert {"cart_item_removed", "wishlist_added"} <= set(stored)
    assert stored["page_viewed"]["surface"] == "wine-detail"
    assert len(await stream_events(redis, settings)) == 7


async def test_a_retried_batch_is_all_duplicates(client: AppClient, redis: Any, settings: Settings) -> None:
    calls = [track("Product Viewed", {"product_id": "w-1"}), track("Products Searched", {"query": "gamay"})]
    assert (await send_batch(client, calls)).json()["accepted"] == 2
    retry = (await send_batch(client, calls, headers=basic(WEB_KEY) | {"X-Retry-Count": "1"})).json()
    assert (retry["accepted"], retry["duplicates"]) == (0, 2)
    assert len(await stream_events(redis, settings)) == 2


async def test_the_device_clock_is_corrected_from_sent_at(client: AppClient, redis: Any, settings: Settings) -> None:
    device_now = datetime.now(UTC) + timedelta(hours=3)  # a phone three hours fast
    call = track("Product Viewed", {"product_id": "w-1"}, timestamp=(device_now - timedelta(seconds=30)).isoformat())
    before = datetime.now(UTC)
    response = await client.post(
        "/v1/batch", json={"batch": [call], "sentAt": device_now.isoformat()}, headers=basic(SERVER_KEY)
    )
    after = datetime.now(UTC)
    assert response.json()["accepted"] == 1, response.text
    occurred = datetime.fromisoformat((await stream_events(redis, settings))[0]["occurred_at"])
    assert before - timedelta(seconds=30) <= occurred <= after - timedelta(seconds=30)


async def test_without_sent_at_the_timestamp_is_taken_as_is_and_checked(client: AppClient) -> None:
    future = track(
        "Product Viewed", {"product_id": "w-1"}, timestamp=(datetime.now(UTC) + timedelta(hours=1)).isoformat()
    )
    old = track("Product Viewed", {"product_id": "w-1"}, timestamp="2020-01-01T00:00:00Z")
    response = await client.post("/v1/batch", json={"batch": [future, old]}, headers=basic(SERVER_KEY))
    assert [r["reason"] for r in response.json()["results"]] == ["occurred_in_future", "too_old"]


async def test_gzip_bodies_are_read_and_bombs_refused(client: AppClient, redis: Any, settings: Settings) -> None:
    body = json.dumps({"batch": [track("Product Viewed", {"product_id": "w-1"})]}).encode()
    headers = basic(SERVER_KEY) | {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    ok = await client.post("/v1/batch", content=gzip.compress(body), headers=headers)
    assert ok.status_code == 200 and ok.json()["accepted"] == 1, ok.text
    bomb = gzip.compress(b'{"batch": [' + b" " * 2_000_000 + b"]}")
    assert len(bomb) < 10_000
    too_big = await client.post("/v1/batch", content=bomb, headers=headers)
    assert (too_big.status_code, too_big.json()["code"]) == (413, "payload_too_large")
    corrupt = await client.post("/v1/batch", content=gzip.compress(body)[:-12], headers=headers)
    assert (corrupt.status_code, corrupt.json()["code"]) == (400, "malformed_gzip")
    other = await client.post("/v1/batch", content=body, headers=headers | {"Content-Encoding": "br"})
    assert other.status_code == 415
    assert len(await stream_events(redis, settings)) == 1


async def test_segment_size_limits_answer_413_and_store_nothing(
    client: AppClient, redis: Any, settings: Settings
) -> None:
    big = [track("Product Viewed", {"product_id": "w-1", "pad": "x" * 30_000}) for _ in range(18)]
    response = await send_batch(client, big)
    assert response.status_code == 413, response.text
    call = track("Product Viewed", {"product_id": "w-1", "pad": "x" * 33_000}, writeKey=WEB_KEY)
    single = await client.post("/v1/track", json=call)
    assert single.status_code == 413
    assert await stream_events(redis, settings) == []


async def test_write_keys_decide_who_may_send(client: AppClient, redis: Any, settings: Settings) -> None:
    calls = [track("Product Viewed", {"product_id": "w-1"})]
    for headers in ({}, basic("wk-guessed-key"), {"Authorization": "Basic %%%"}):
        response = await send_batch(client, calls, headers=headers)
        assert (response.status_code, response.json()["code"]) == (401, "invalid_write_key"), headers
        assert "www-authenticate" not in response.headers  # no browser prompt on a storefront
    in_body = await client.post("/v1/batch", json={"batch": calls, "writeKey": SERVER_KEY})
    assert in_body.json()["source"] == "backend"
    # Basic credentials are a write key on Segment's routes only: elsewhere they are still refused
    beacon = await client.post("/v1/events", json=[], headers=basic(WEB_KEY))
    assert beacon.status_code == 401
    assert len(await stream_events(redis, settings)) == 1


async def test_bad_bodies_are_problems(client: AppClient) -> None:
    not_json = await client.post("/v1/batch", content=b"{nope", headers=basic(WEB_KEY) | {"Content-Type": "text/plain"})
    assert (not_json.status_code, not_json.json()["code"]) == (400, "malformed_batch")
    form = await client.post(
        "/v1/batch", content=b"a=b", headers=basic(WEB_KEY) | {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert form.status_code == 415
    empty = await send_batch(client, [])
    assert (empty.status_code, empty.json()["accepted"], empty.json()["results"]) == (200, 0, [])


async def test_consent_in_the_call_is_enforced(client: AppClient, redis: Any, settings: Settings) -> None:
    refused = track(
        "Product Viewed",
        {"product_id": "w-1"},
        context={"consent": {"categoryPreferences": {"Analytics": False, "Advertising": True}}},
    )
    granted = track(
        "Product Viewed", {"product_id": "w-2"}, context={"consent": {"categoryPreferences": {"analytics": True}}}
    )
    response = (await send_batch(client, [refused, granted])).json()
    assert [(r["status"], r.get("reason")) for r in response["results"]] == [
        ("rejected", "no_consent"),
        ("accepted", None),
    ]
    assert [e["wine_id"] for e in await stream_events(redis, settings)] == ["w-2"]


async def test_a_user_id_from_the_body_is_only_a_claim(
    client: AppClient, shopper: Shopper, redis: Any, settings: Settings
) -> None:
    await consent(client, shopper.headers, analytics=True)
    client.app.state.services.clickstream.consent_changed(shopper.id)
    claimed = track("Product Viewed", {"product_id": "w-1"}, userId=shopper.id)
    only_user = track("Product Viewed", {"product_id": "w-1"}, userId=shopper.id, anonymousId=None)
    response = (await send_batch(client, [claimed, only_user])).json()
    assert [r.get("reason") for r in response["results"]] == [None, "anonymous_id_required"]
    assert "user_id" not in (await stream_events(redis, settings))[0]
    # with our token (write key in the body) the events are the token's user's, whatever userId says
    token = await client.post(
        "/v1/batch",
        json={"batch": [track("Product Viewed", {"product_id": "w-2"}, userId="someone-else")], "writeKey": WEB_KEY},
        headers=shopper.headers,
    )
    assert token.json()["accepted"] == 1, token.text
    assert (await stream_events(redis, settings))[-1]["user_id"] == shopper.id


async def test_a_linked_anonymous_id_brings_segment_views_into_the_users_history(
    client: AppClient, shopper: Shopper, redis: Any
) -> None:
    (wine,) = await insert_wines(make_wine(name="Segment Barolo"))
    anon = (await client.post("/v1/anonymous-ids")).json()["anonymous_id"]  # the storefront sets it in Segment
    await consent(client, shopper.headers, analytics=True)
    client.app.state.services.clickstream.consent_changed(shopper.id)
    linked = await client.post("/v1/me/anonymous-id", json={"anonymous_id": anon}, headers=shopper.headers)
    assert linked.json()["linked"] is True
    await send_batch(client, [track("Product Viewed", {"product_id": wine.id}, anonymousId=anon, userId="x")])
    worker = worker_for(client, redis, "segment")
    await worker.ensure_group()
    await worker.poll_once()
    profile = (await client.get("/v1/me/profile", headers=shopper.headers)).json()
    assert [w["wine"]["name"] for w in profile["recently_viewed"]] == ["Segment Barolo"]


async def test_rate_limited_batches_answer_429_with_retry_after(tmp_path: Path, redis: Any) -> None:
    settings = make_settings(tmp_path, events_per_minute=5, segment_write_keys={"web": WEB_KEY})
    async with running(create_app(settings)) as client:
        calls = [track("Product Viewed", {"product_id": "w-1"}) for _ in range(4)]
        assert (await send_batch(client, calls)).status_code == 200
        over = await send_batch(client, [track("Product Viewed", {"product_id": "w-1"}) for _ in range(4)])
        assert over.status_code == 429 and int(over.headers["retry-after"]) >= 1
        assert len(await stream_events(redis, settings)) == 4
        await purge(redis, settings.stream_prefix)


async def test_without_configured_write_keys_nothing_is_accepted(tmp_path: Path, redis: Any) -> None:
    settings = make_settings(tmp_path)
    async with running(create_app(settings)) as client:
        response = await send_batch(client, [track("Product Viewed", {"product_id": "w-1"})])
        assert response.status_code == 401
        assert await stream_events(redis, settings) == []
