"""Sign-up and login: normalised unique emails, password rules, tokens, and login rate limits."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.settings import Settings
from documents import User
from tests.conftest import PASSWORD, make_settings, sign_up

LIMIT = 3  # login attempts per minute per email; per client address it is three times that


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, login_attempts_per_minute=LIMIT)


def assert_problem(response, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()  # type: ignore[no-any-return]


async def test_registration_answers_201_with_the_user_id_and_a_working_token(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post(
        "/v1/auth/register", json={"email": "ana@example.com", "password": PASSWORD, "username": "Ana"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    me = await client.get("/v1/me/profile", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["user_id"] == body["user_id"] and me.json()["username"] == "Ana"


async def test_emails_are_normalised_and_unique(client: AsyncTestClient[Litestar]) -> None:
    first = await client.post("/v1/auth/register", json={"email": "  Mixed.Case@Example.COM ", "password": PASSWORD})
    assert first.status_code == 201
    user = await User.get(first.json()["user_id"])
    assert user is not None and user.email == "mixed.case@example.com"
    again = await client.post("/v1/auth/register", json={"email": "mixed.case@example.com", "password": PASSWORD})
    assert assert_problem(again, 409)["code"] == "email_taken"
    assert await User.find({"email": "mixed.case@example.com"}).count() == 1


async def test_a_short_password_is_a_422_naming_password(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post("/v1/auth/register", json={"email": "short@example.com", "password": "2short"})
    body = assert_problem(response, 422)
    assert "password" in body["detail"]
    assert [e["field"] for e in body["errors"]] == ["password"]
    assert await User.find_one({"email": "short@example.com"}) is None


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "a@example.com", "password": PASSWORD, "roles": ["admin"]},  # no mass assignment
        {"password": PASSWORD},
    ],
)
async def test_bad_registrations_are_refused_and_create_nothing(
    client: AsyncTestClient[Litestar], body: dict[str, object]
) -> None:
    response = await client.post("/v1/auth/register", json=body)
    assert_problem(response, 422)
    assert await User.find_all().count() == 0


async def test_login_accepts_the_email_in_any_case_and_returns_a_bearer_token(
    client: AsyncTestClient[Litestar],
) -> None:
    shopper = await sign_up(client, "login.case@example.com")
    response = await client.post("/v1/auth/login", json={"email": " LOGIN.Case@example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    me = await client.get("/v1/me/profile", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["user_id"] == shopper.id


async def test_a_wrong_password_and_an_unknown_email_look_the_same(client: AsyncTestClient[Litestar]) -> None:
    await sign_up(client, "known@example.com")
    wrong = await client.post("/v1/auth/login", json={"email": "known@example.com", "password": "nope" * 3})
    unknown = await client.post("/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
    assert assert_problem(wrong, 401)["detail"] == assert_problem(unknown, 401)["detail"]


async def test_failed_logins_are_limited_per_email_with_retry_after(client: AsyncTestClient[Litestar]) -> None:
    await sign_up(client, "target@example.com")
    for _ in range(LIMIT):
        response = await client.post("/v1/auth/login", json={"email": "target@example.com", "password": "x" * 12})
        assert response.status_code == 401
    blocked = await client.post("/v1/auth/login", json={"email": "TARGET@example.com", "password": PASSWORD})
    body = assert_problem(blocked, 429)
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert body["code"] == "too_many_requests"
    # another account from the same address is not locked out by the first one's limit
    await sign_up(client, "other@example.com")
    ok = await client.post("/v1/auth/login", json={"email": "other@example.com", "password": PASSWORD})
    assert ok.status_code == 200


async def test_login_attempts_are_limited_per_client_address(client: AsyncTestClient[Litestar]) -> None:
    for i in range(LIMIT * 3):  # each email stays under its own limit
        response = await client.post("/v1/auth/login", json={"email": f"u{i}@example.com", "password": "x" * 12})
        assert response.status_code == 401
    blocked = await client.post("/v1/auth/login", json={"email": "fresh@example.com", "password": "x" * 12})
    assert_problem(blocked, 429)
    assert int(blocked.headers["Retry-After"]) >= 1


async def test_a_successful_login_resets_the_email_limit(client: AsyncTestClient[Litestar]) -> None:
    await sign_up(client, "forgetful@example.com")
    for _ in range(2):
        for _ in range(LIMIT - 1):
            await client.post("/v1/auth/login", json={"email": "forgetful@example.com", "password": "x" * 12})
        ok = await client.post("/v1/auth/login", json={"email": "forgetful@example.com", "password": PASSWORD})
        assert ok.status_code == 200


@pytest.mark.parametrize("header", ["Bearer not-a-jwt", "Basic abc", "Bearer "])
async def test_a_bad_token_is_a_401_problem(client: AsyncTestClient[Litestar], header: str) -> None:
    response = await client.get("/v1/me/profile", headers={"Authorization": header})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_a_token_signed_with_another_key_is_refused(client: AsyncTestClient[Litestar]) -> None:
    from app.security import TokenCodec
    from documents import utcnow

    shopper = await sign_up(client)
    forged = TokenCodec("some-other-secret-0123456789abcdef0123", 900).issue(shopper.id, ["admin"], utcnow())
    response = await client.get("/v1/me/profile", headers={"Authorization": f"Bearer {forged}"})
    assert assert_problem(response, 401)["code"] == "token_invalid"


async def test_an_expired_token_is_refused_with_its_own_code(
    client: AsyncTestClient[Litestar], settings: Settings
) -> None:
    from datetime import timedelta

    from app.security import TokenCodec
    from documents import utcnow

    shopper = await sign_up(client)
    codec = TokenCodec(settings.resolved_secret(), 60)
    old = codec.issue(shopper.id, ["customer"], utcnow() - timedelta(hours=1))
    response = await client.get("/v1/me/profile", headers={"Authorization": f"Bearer {old}"})
    assert assert_problem(response, 401)["code"] == "token_expired"
