"""POST /v1/events over the real Redis: formats, per-event verdicts, dedup, MAXLEN, rate limits, consent."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.main import create_app
from app.settings import Settings
from tests.api.clickstream.conftest import consent, event, purge
from tests.conftest import Shopper, make_settings

AppClient = AsyncTestClient[Litestar]


def stream_of(settings: Settings) -> str:
    return f"{settings.stream_prefix}:events"


async def stream_events(redis: Any, settings: Settings) -> list[dict[str, object]]:
    entries = await redis.xrange(stream_of(settings))
    return [
        json.loads(fields[b"e"]) | ({"user_id": fields[b"u"].decode()} if b"u" in fields else {})
        for _, fields in entries
    ]


async def test_a_text_plain_beacon_is_accepted_event_by_event(
    client: AppClient, redis: Any, settings: Settings
) -> None:
    batch = [event(), event("search_performed", results_count=12)]
    response = await client.post(
        "/v1/events", content=json.dumps(batch), headers={"Content-Type": "text/plain;charset=UTF-8"}
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 2 and body["duplicates"] == 0 and body["rejected"] == 0
    assert [(r["index"], r["status"], r["event_id"]) for r in body["results"]] == [
        (0, "accepted", batch[0]["event_id"]),
        (1, "accepted", batch[1]["event_id"]),
    ]
    stored = await stream_events(redis, settings)
    assert [e["event_id"] for e in stored] == [batch[0]["event_id"], batch[1]["event_id"]]
    assert stored[1]["query"] == "pinot noir" and "user_id" not in stored[1]


async def test_an_events_envelope_as_json_is_accepted(client: AppClient, redis: Any, settings: Settings) -> None:
    response = await client.post("/v1/events", json={"events": [event()]})
    assert response.status_code == 202
    assert response.json()["accepted"] == 1


async def test_one_bad_event_never_sinks_the_rest(client: AppClient, redis: Any, settings: Settings) -> None:
    good = event()
    batch = [
        good,
        event(wine_id=None),  # wine_viewed without wine_id
        event("recommendation_clicked", rec_id="rec-1", wine_id="w-1"),  # no position
        event("teleported"),
        {"event_id": "short", "type": "page_viewed"},
        "not an object",
        event(occurred_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat()),
        event(occurred_at=(datetime.now(UTC) - timedelta(days=2)).isoformat()),
        event(anonymous_id=None),
        event(page="/home"),  # unknown field
        event(occurred_at="2024-05-01T10:00:00"),  # no offset
    ]
    response = await client.post("/v1/events", json=batch)
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 1 and body["rejected"] == len(batch) - 1
    reasons = [r.get("reason") for r in body["results"]]
    assert reasons == [
        None,
        "missing_field",
        "missing_field",
        "unknown_type",
        "invalid",
        "invalid",
        "occurred_in_future",
        "too_old",
        "anonymous_id_required",
        "invalid",
        "invalid",
    ]
    assert "position" in body["results"][2]["detail"]
    assert body["results"][1]["event_id"] == batch[1]["event_id"]
    assert [e["event_id"] for e in await stream_events(redis, settings)] == [good["event_id"]]


async def test_duplicates_are_dropped_within_and_across_batches(
    client: AppClient, redis: Any, settings: Settings
) -> None:
    first, second = event(), event()
    response = await client.post("/v1/events", json=[first, first])
    assert [r["status"] for r in response.json()["results"]] == ["accepted", "duplicate"]
    response = await client.post(
        "/v1/events", content=json.dumps([second, first]), headers={"Content-Type": "text/plain"}
    )
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["accepted", "duplicate"]
    assert body["duplicates"] == 1
    assert [e["event_id"] for e in await stream_events(redis, settings)] == [first["event_id"], second["event_id"]]


async def test_malformed_bodies_are_problems_and_store_nothing(
    client: AppClient, redis: Any, settings: Settings
) -> None:
    cases = [
        (b"{not json", "text/plain", 400, "malformed_batch"),
        (b'{"events": [], "extra": 1}', "application/json", 400, "malformed_batch"),
        (b"[]", "application/json", 400, "empty_batch"),
        (json.dumps([event() for _ in range(101)]).encode(), "application/json", 413, "too_many_events"),
        (b"[" + b" " * 70_000 + b"]", "text/plain", 413, "payload_too_large"),
        (json.dumps([event()]).encode(), "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ]
    for content, media_type, status, code in cases:
        response = await client.post("/v1/events", content=content, headers={"Content-Type": media_type})
        assert response.status_code == status, (code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code
    assert await stream_events(redis, settings) == []


async def test_the_stream_is_trimmed_near_maxlen(tmp_path: Path, redis: Any) -> None:
    settings = make_settings(tmp_path, events_maxlen=1000)
    async with AsyncTestClient(app=create_app(settings)) as client:
        for _ in range(40):
            response = await client.post("/v1/events", json=[event() for _ in range(100)])
            assert response.json()["accepted"] == 100
        length = await redis.xlen(stream_of(settings))
        # approximate trimming drops whole macro-nodes (100 entries each by default), never below MAXLEN
        assert 1000 <= length < 1300
        await purge(redis, settings.stream_prefix)


async def test_too_many_events_from_one_address_answer_429(tmp_path: Path, redis: Any) -> None:
    settings = make_settings(tmp_path, events_per_minute=30)
    async with AsyncTestClient(app=create_app(settings)) as client:
        first = await client.post("/v1/events", json=[event() for _ in range(20)])
        assert first.status_code == 202
        over = await client.post("/v1/events", json=[event() for _ in range(20)])
        assert over.status_code == 429
        assert int(over.headers["retry-after"]) >= 1
        assert over.json()["code"] == "too_many_requests"
        assert len(await stream_events(redis, settings)) == 20
        await purge(redis, settings.stream_prefix)


async def test_signed_in_events_need_analytics_consent(
    client: AppClient, shopper: Shopper, redis: Any, settings: Settings
) -> None:
    batch = [event(), event()]
    refused = await client.post("/v1/events", json=batch, headers=shopper.headers)
    assert refused.status_code == 202
    assert {(r["status"], r["reason"]) for r in refused.json()["results"]} == {("rejected", "no_consent")}
    assert await stream_events(redis, settings) == []

    await consent(client, shopper.headers, analytics=True)
    client.app.state.services.clickstream.consent_changed(shopper.id)
    accepted = await client.post("/v1/events", json=batch, headers=shopper.headers)
    assert accepted.json()["accepted"] == 2
    stored = await stream_events(redis, settings)
    assert {e["user_id"] for e in stored} == {shopper.id}


async def test_an_invalid_token_is_refused_rather_than_taken_as_anonymous(
    client: AppClient, redis: Any, settings: Settings
) -> None:
    response = await client.post("/v1/events", json=[event()], headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert await stream_events(redis, settings) == []
