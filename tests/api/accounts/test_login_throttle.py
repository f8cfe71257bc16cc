"""The login throttle: backoff per (address, account) and per address, never a lock-out of the account itself.
Time is the test's clock: nothing here sleeps."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from tests.conftest import PASSWORD, AppClient, make_settings, running, sign_up

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
WRONG = "not the password"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(client: AppClient) -> Clock:
    fake = Clock()
    client.app.state.services.accounts.throttle.clock = fake
    return fake


def from_address(client: AppClient, address: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=client.app, client=(address, 40000)), base_url="http://testserver"
    )


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/v1/auth/login", json={"email": email, "password": password})


def assert_throttled(response: httpx.Response, retry_after: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "too_many_requests"
    assert int(response.headers["retry-after"]) == retry_after


async def test_an_attackers_wrong_passwords_never_block_the_customer_from_another_address(
    client: AppClient, clock: Clock
) -> None:
    victim = await sign_up(client)
    async with from_address(client, "203.0.113.66") as attacker, from_address(client, "198.51.100.7") as home:
        statuses = [(await login(attacker, victim.email, WRONG)).status_code for _ in range(40)]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        assert (await login(home, victim.email, PASSWORD)).status_code == 200
        # the attacker's address is still held back, even with the right password
        assert (await login(attacker, victim.email, PASSWORD)).status_code == 429


async def test_the_backoff_doubles_after_five_failures_and_a_success_clears_it(client: AppClient, clock: Clock) -> None:
    shopper = await sign_up(client)
    for _ in range(5):
        assert (await login(client, shopper.email, WRONG)).status_code == 401
    for wait in (1, 2, 4, 8):
        assert_throttled(await login(client, shopper.email, WRONG), wait)
        clock.advance(wait - 0.5)
        assert_throttled(await login(client, shopper.email, PASSWORD), 1)  # not checked while waiting
        clock.advance(0.5)
        assert (await login(client, shopper.email, WRONG)).status_code == 401
    assert_throttled(await login(client, shopper.email, PASSWORD), 16)
    clock.advance(16)
    assert (await login(client, shopper.email, PASSWORD)).status_code == 200
    for _ in range(5):  # the pair starts afresh
        assert (await login(client, shopper.email, WRONG)).status_code == 401
    assert_throttled(await login(client, shopper.email, WRONG), 1)


async def test_the_backoff_stops_growing_at_its_cap(client: AppClient, clock: Clock) -> None:
    shopper = await sign_up(client)
    for _ in range(20):
        clock.advance(3600)  # every wait long over
        assert (await login(client, shopper.email, WRONG)).status_code == 401
    assert_throttled(await login(client, shopper.email, WRONG), 900)


@pytest.fixture
async def strict_address(tmp_path: Path) -> AsyncIterator[tuple[AppClient, Clock]]:
    async with running(create_app(make_settings(tmp_path, login_free_failures_per_address=4))) as client:
        fake = Clock()
        client.app.state.services.accounts.throttle.clock = fake
        yield client, fake


async def test_spraying_accounts_from_one_address_is_slowed_but_its_known_customers_get_in(
    strict_address: tuple[AppClient, Clock],
) -> None:
    client, clock = strict_address
    regular, newcomer = await sign_up(client), await sign_up(client)
    async with from_address(client, "192.0.2.50") as office, from_address(client, "198.51.100.8") as elsewhere:
        assert (await login(office, regular.email, PASSWORD)).status_code == 200  # a known client from now on
        for n in range(4):
            assert (await login(office, f"sprayed{n}@example.com", WRONG)).status_code == 401
        assert_throttled(await login(office, "sprayed9@example.com", WRONG), 1)
        assert_throttled(await login(office, newcomer.email, PASSWORD), 1)
        assert (await login(office, regular.email, PASSWORD)).status_code == 200
        assert (await login(elsewhere, newcomer.email, PASSWORD)).status_code == 200
        clock.advance(1)
        assert (await login(office, newcomer.email, PASSWORD)).status_code == 200


async def test_an_erased_account_leaves_no_throttle_records(client: AppClient, clock: Clock) -> None:
    shopper = await sign_up(client)
    assert (await login(client, shopper.email, WRONG)).status_code == 401
    assert (await login(client, shopper.email, PASSWORD)).status_code == 200
    assert (await login(client, shopper.email, WRONG)).status_code == 401
    redis = client.app.state.services.backends.redis
    prefix = client.app.state.settings.stream_prefix
    named = [k async for k in redis.scan_iter(match=f"{prefix}:login:*") if b":address:" not in k]
    assert len(named) == 2  # the pair's failures and the known client
    erased = await client.request("DELETE", "/v1/me/", json={"password": PASSWORD}, headers=shopper.headers)
    assert erased.status_code == 200, erased.text
    assert [k async for k in redis.scan_iter(match=f"{prefix}:login:*") if b":address:" not in k] == []
