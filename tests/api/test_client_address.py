"""Client addresses through the app: a forwarding header counts only from a trusted proxy, and the login
throttle, the sign-up limit and the audit log all see the same address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from app.main import create_app
from documents import AuditEntry
from tests.conftest import PASSWORD, AppClient, make_admin, make_settings, running, sign_up

PROXY = "10.0.0.2"


@pytest.fixture
async def behind_proxy(tmp_path: Path) -> AsyncIterator[AppClient]:
    settings = make_settings(tmp_path, trusted_proxies=[PROXY], registrations_per_hour=1)
    async with running(create_app(settings)) as client:
        yield client


def peer(client: AppClient, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=client.app, client=(address, 40000)), base_url="http://testserver"
    )


def forwarded(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def wrong_logins(client: httpx.AsyncClient, email: str, n: int, headers: dict[str, str]) -> list[int]:
    return [
        (await client.post("/v1/auth/login", json={"email": email, "password": "x" * 12}, headers=headers)).status_code
        for _ in range(n)
    ]


async def test_a_trusted_proxy_keeps_one_clients_failures_from_blocking_another(behind_proxy: AppClient) -> None:
    victim = await sign_up(behind_proxy)
    async with peer(behind_proxy, PROXY) as proxy:
        assert (await wrong_logins(proxy, victim.email, 6, forwarded("203.0.113.66")))[-1] == 429
        ok = await proxy.post(
            "/v1/auth/login", json={"email": victim.email, "password": PASSWORD}, headers=forwarded("198.51.100.7")
        )
        assert ok.status_code == 200


async def test_a_spoofed_forwarding_header_from_an_untrusted_peer_is_ignored(behind_proxy: AppClient) -> None:
    victim = await sign_up(behind_proxy)
    async with peer(behind_proxy, "203.0.113.66") as attacker:
        statuses = [
            (await wrong_logins(attacker, victim.email, 1, forwarded(f"198.51.100.{n}")))[0] for n in range(1, 8)
        ]
        assert statuses == [401] * 5 + [429] * 2  # a fresh header each time gains nothing


async def test_sign_ups_are_counted_per_forwarded_client(behind_proxy: AppClient) -> None:
    async with peer(behind_proxy, PROXY) as proxy, peer(behind_proxy, "203.0.113.70") as direct:

        async def register(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
            body = {"email": f"{uuid4().hex[:8]}@example.com", "password": PASSWORD}
            return (await client.post("/v1/auth/register", json=body, headers=headers)).status_code

        assert await register(proxy, forwarded("198.51.100.20")) == 201
        assert await register(proxy, forwarded("198.51.100.20")) == 429
        assert await register(proxy, forwarded("198.51.100.21")) == 201  # another client behind the same proxy
        assert await register(direct, forwarded("198.51.100.22")) == 201
        assert await register(direct, forwarded("198.51.100.23")) == 429  # not a proxy of ours: its own address


async def test_the_audit_log_records_the_forwarded_client_only_from_a_trusted_proxy(behind_proxy: AppClient) -> None:
    admin = await make_admin(behind_proxy)
    async with peer(behind_proxy, PROXY) as proxy, peer(behind_proxy, "203.0.113.71") as direct:
        headers = {**admin.headers, "X-Forwarded-For": "6.6.6.6, 198.51.100.30"}
        assert (await proxy.get("/v1/admin/orders", headers=headers)).status_code == 200
        assert (await direct.get("/v1/admin/orders", headers=headers)).status_code == 200
    entries = await AuditEntry.find({"action": "admin.request"}).sort([("at", 1), ("_id", 1)]).to_list()
    assert [e.details["client"] for e in entries] == ["198.51.100.30", "203.0.113.71"]
