"""Hardening: body limits on every route, CORS allow-list, security headers, generic 500s, audited admin
actions, secrets from settings only, and the sign-up/beacon rate limits (the login throttle: tests/api/accounts)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from app.backends import BackendUnavailable
from app.main import create_app
from app.privacy.guards import DEFAULT_MAX_BODY
from documents import AuditEntry, Order, OrderItem
from search import SearchQuery, SearchResult
from tests.conftest import PASSWORD, AppClient, Shopper, make_settings, running, sign_up
from tests.factories import insert_wines, make_wine

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def write_routes(app: Litestar) -> list[tuple[str, str, int]]:
    """(method, path with parameters filled, body limit) for every route that takes a body."""
    out = []
    for route in app.routes:
        assert isinstance(route, HTTPRoute)
        for handler in route.route_handlers:
            limit = handler.resolve_request_max_body_size() or DEFAULT_MAX_BODY
            for method in handler.http_methods & WRITE_METHODS:
                path = route.path
                for name in ("wine_id", "order_id", "rec_id", "user_id"):
                    path = path.replace("{" + name + ":str}", "x" * 12)
                out.append((method, path, limit))
    return out


async def test_every_route_refuses_a_body_over_its_limit_with_a_413_problem(client: AppClient, admin: Shopper) -> None:
    routes = write_routes(client.app)
    assert len(routes) >= 20 and ("POST", "/v1/events", 64 * 1024) in routes
    for method, path, limit in routes:
        body = b'"' + b"a" * (limit - 1) + b'"'  # one byte over
        response = await client.request(
            method, path, content=body, headers={**admin.headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 413, (method, path, response.status_code, response.text[:200])
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] in ("payload_too_large", "batch_too_large")


async def test_a_small_body_nested_a_thousand_levels_is_a_400_on_every_route(
    client: AppClient, admin: Shopper, caplog: pytest.LogCaptureFixture
) -> None:
    deep = b"[" * 1000 + b"]" * 1000  # 2 KB; {"a": …} nesting the same
    for method, path, _ in write_routes(client.app):
        for body in (deep, b'{"a":' * 1000 + b"1" + b"}" * 1000):
            response = await client.request(
                method, path, content=body, headers={**admin.headers, "Content-Type": "application/json"}
            )
            assert response.status_code < 500, (method, path, response.status_code, response.text[:200])
            assert response.status_code < 400 or response.headers.get("content-type", "").startswith(
                "application/problem+json"
            ), (method, path)
    assert not [r for r in caplog.records if r.exc_info], "a deep body must not log a traceback"


async def test_an_integer_past_64_bits_in_preferences_extra_is_a_422(client: AppClient, shopper: Shopper) -> None:
    for number in (2**63, -(2**63) - 1, 10**30):
        response = await client.patch("/v1/me/preferences", json={"extra": {"n": number}}, headers=shopper.headers)
        assert response.status_code == 422, (number, response.text)
    ok = await client.patch("/v1/me/preferences", json={"extra": {"n": 2**63 - 1}}, headers=shopper.headers)
    assert ok.status_code == 200, ok.text


async def test_a_chunked_body_over_the_limit_is_refused_while_it_is_read(client: AppClient, shopper: Shopper) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"extra": {"k": "'
        for _ in range(DEFAULT_MAX_BODY // 65536 + 1):
            yield b"a" * 65536
        yield b'"}}'

    response = await client.patch(
        "/v1/me/preferences", content=chunks(), headers={**shopper.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413


async def test_a_body_at_the_limit_is_taken(client: AppClient, shopper: Shopper) -> None:
    padding = DEFAULT_MAX_BODY - len(json.dumps({"styles": ["red"]}))
    body = json.dumps({"styles": ["red"]})[:-1] + " " * padding + "}"
    assert len(body) == DEFAULT_MAX_BODY
    response = await client.patch(
        "/v1/me/preferences", content=body, headers={**shopper.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text[:200]


@pytest.fixture
async def cors_client(tmp_path: Path) -> AsyncIterator[AppClient]:
    async with running(create_app(make_settings(tmp_path, cors_origins=["https://shop.example"]))) as client:
        yield client


async def test_cors_answers_only_the_allowed_origins(cors_client: AppClient) -> None:
    allowed = await cors_client.get("/v1/wines", headers={"Origin": "https://shop.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    refused = await cors_client.get("/v1/wines", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in refused.headers
    preflight = {"Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization"}
    ok = await cors_client.options("/v1/me/consent", headers={"Origin": "https://shop.example", **preflight})
    assert ok.status_code in (200, 204) and ok.headers["access-control-allow-origin"] == "https://shop.example"
    evil = await cors_client.options("/v1/me/consent", headers={"Origin": "https://evil.example", **preflight})
    assert evil.status_code >= 400 and "access-control-allow-origin" not in evil.headers
    assert "access-control-allow-credentials" not in ok.headers  # bearer tokens, never cookies


async def test_without_an_allow_list_no_origin_is_allowed(client: AppClient) -> None:
    response = await client.get("/v1/wines", headers={"Origin": "https://shop.example"})
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("path", ["/v1/wines", "/v1/no-such-route", "/", "/static/css/style.css", "/health/live"])
async def test_every_kind_of_answer_carries_the_security_headers(client: AppClient, path: str) -> None:
    response = await client.get(path)
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["strict-transport-security"].startswith("max-age=")
    assert headers["referrer-policy"] and headers["cross-origin-resource-policy"] == "same-origin"
    assert headers["x-request-id"]
    assert "server" not in headers or "/" not in headers["server"]  # no version banner


async def test_api_answers_are_never_cached(client: AppClient, shopper: Shopper) -> None:
    for path in ("/v1/me/profile", "/v1/me/orders", "/v1/me/no-such-thing"):
        assert (await client.get(path, headers=shopper.headers)).headers["cache-control"] == "no-store"


class BrokenIndex:
    """A search engine that fails in a way nobody planned for (a bug, not an outage)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    async def search(self, query: SearchQuery) -> SearchResult:
        raise RuntimeError("secret internal state at /work/main/app/catalog/search_service.py")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


async def test_an_unexpected_failure_is_a_generic_500_without_internals(
    client: AppClient, caplog: pytest.LogCaptureFixture
) -> None:
    search = client.app.state.services.search
    search._index = BrokenIndex(search._index)
    with caplog.at_level(logging.ERROR, logger="cuvee.errors"):
        response = await client.get("/v1/search", params={"q": "merlot"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    request_id = response.headers["x-request-id"]
    assert body["code"] == "internal_error" and request_id in body["detail"]
    for internal in ("secret", "/work/", ".py", "Traceback", "RuntimeError", "search_service", "litestar"):
        assert internal not in response.text
    assert any(request_id in r.getMessage() and r.exc_info for r in caplog.records)  # the operator gets it all


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/wines?page=zero", None),
        ("POST", "/v1/auth/register", {"email": 12, "password": ["x"]}),
        ("POST", "/v1/auth/register", "not json"),
        ("PATCH", "/v1/wines", None),
    ],
)
async def test_client_errors_name_fields_not_internals(client: AppClient, method: str, path: str, body: Any) -> None:
    content = json.dumps(body) if isinstance(body, dict) else body
    response = await client.request(method, path, content=content, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")
    for internal in ("Traceback", "pydantic", "msgspec", "litestar", "RegisterInput", "/work/", '.py"'):
        assert internal not in response.text, (internal, response.text)


async def test_admin_actions_and_refused_attempts_are_in_the_audit_log(
    client: AppClient, shopper: Shopper, admin: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine())
    order = Order(
        user_id=shopper.id,
        items=[OrderItem(wine_id=wine.id, name=wine.name, unit_price_cents=100, quantity=1)],
        total_cents=100,
    )
    await order.insert()
    calls = [
        ("GET", f"/v1/admin/users/{shopper.id}", None),
        ("GET", "/v1/admin/orders", None),
        ("POST", f"/v1/admin/orders/{order.id}/status", {"status": "paid"}),
        ("PATCH", f"/v1/admin/wines/{wine.id}", {"stock": 3}),
    ]
    for method, path, body in calls:
        response = await client.request(method, path, json=body, headers=admin.headers)
        assert response.status_code == 200, response.text
    assert (await client.get("/v1/admin/orders", headers=shopper.headers)).status_code == 403
    assert (await client.get("/v1/admin/orders")).status_code == 401

    entries = (
        await AuditEntry.find({"action": {"$in": ["admin.request", "admin.denied"]}})
        .sort([("at", 1), ("_id", 1)])
        .to_list()
    )
    seen = [(e.actor_id, e.action, e.details["method"], e.details["path"], e.details["status"]) for e in entries]
    assert seen == [
        (admin.id, "admin.request", "GET", "/v1/admin/users/{user_id}", 200),
        (admin.id, "admin.request", "GET", "/v1/admin/orders", 200),
        (admin.id, "admin.request", "POST", "/v1/admin/orders/{order_id}/status", 200),
        (admin.id, "admin.request", "PATCH", "/v1/admin/wines/{wine_id}", 200),
        (shopper.id, "admin.denied", "GET", "/v1/admin/orders", 403),
    ]
    assert entries[0].target_id == shopper.id and entries[2].target_id == order.id


async def test_secrets_come_from_settings_and_never_show(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, secret_key="s3cret-from-settings-0123456789abcdef-0123456789")
    other = make_settings(tmp_path / "other", secret_key="another-secret-0123456789abcdef-0123456789abcd")
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())
    async with running(create_app(settings)) as client, running(create_app(other)) as elsewhere:
        shopper = await sign_up(client)
        privacy, foreign = client.app.state.services.privacy, elsewhere.app.state.services.privacy
        assert privacy.subject(shopper.id) != foreign.subject(shopper.id)  # keyed by this deployment's secret
        assert (await elsewhere.get("/v1/me/orders", headers=shopper.headers)).status_code == 401
        for path in ("/health/ready", "/schema/openapi.json", "/v1/me/profile", "/v1/me/export"):
            response = await client.get(path, headers=shopper.headers)
            assert "s3cret" not in response.text and "password_hash" not in response.text
            assert PASSWORD not in response.text


def page_views(n: int) -> str:
    return json.dumps(
        [
            {"event_id": uuid4().hex, "type": "page_viewed", "occurred_at": datetime.now(UTC).isoformat()}
            for _ in range(n)
        ]
    )


async def test_beacons_are_limited_per_signed_in_user_across_addresses(tmp_path: Path) -> None:
    async with running(create_app(make_settings(tmp_path, events_per_minute=5))) as client:
        shopper = await sign_up(client)
        await client.put("/v1/me/consent", json={"analytics": True}, headers=shopper.headers)
        headers = {**shopper.headers, "Content-Type": "text/plain"}
        elsewhere = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=client.app, client=("10.9.8.7", 40000)), base_url="http://testserver"
        )
        async with elsewhere:
            first = await client.post("/v1/events", content=page_views(3), headers=headers)
            assert first.status_code == 202 and first.json()["accepted"] == 3
            over = await elsewhere.post("/v1/events", content=page_views(3), headers=headers)
            assert over.status_code == 429 and int(over.headers["retry-after"]) >= 1
            assert over.headers["content-type"].startswith("application/problem+json")
            # that address is not to blame: an anonymous visitor from it is still served
            visitor = json.dumps([{**json.loads(page_views(1))[0], "anonymous_id": "visitor-" + uuid4().hex}])
            assert (
                await elsewhere.post("/v1/events", content=visitor, headers={"Content-Type": "text/plain"})
            ).status_code == 202


@pytest.mark.parametrize(
    "setting",
    [
        {"redis_url": "redis://cuvee:sekrit-pw@127.0.0.1:6379/15"},
        {"search_url": "http://elastic:sekrit-pw@127.0.0.1:1"},
    ],
)
async def test_a_password_in_a_backend_url_never_shows_in_errors_or_logs(
    tmp_path: Path, setting: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), pytest.raises(BackendUnavailable) as failed:
        async with running(create_app(make_settings(tmp_path, **setting))):
            pass
    assert "did not answer" in str(failed.value) and ":***@" in str(failed.value)
    assert "sekrit" not in str(failed.value) and "sekrit" not in caplog.text


async def test_sign_ups_are_limited_per_address(tmp_path: Path) -> None:
    async with running(create_app(make_settings(tmp_path, registrations_per_hour=3))) as client:
        statuses = [
            (
                await client.post(
                    "/v1/auth/register", json={"email": f"{uuid4().hex[:8]}@example.com", "password": PASSWORD}
                )
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [201, 201, 201, 429]
        elsewhere = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=client.app, client=("10.9.8.6", 40000)), base_url="http://testserver"
        )
        async with elsewhere:
            assert (
                await elsewhere.post(
                    "/v1/auth/register", json={"email": f"{uuid4().hex[:8]}@example.com", "password": PASSWORD}
                )
            ).status_code == 201


async def test_only_successful_sign_ups_count_against_the_address_limit(tmp_path: Path) -> None:
    async with running(create_app(make_settings(tmp_path, registrations_per_hour=2))) as client:
        taken = await sign_up(client)

        async def register(email: str) -> int:
            response = await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
            return response.status_code

        assert [await register(taken.email) for _ in range(5)] == [409] * 5
        assert [await register("not-an-email") for _ in range(3)] == [422] * 3
        assert await register(f"{uuid4().hex[:8]}@example.com") == 201
        assert await register(f"{uuid4().hex[:8]}@example.com") == 429  # `taken` and this one's predecessor
