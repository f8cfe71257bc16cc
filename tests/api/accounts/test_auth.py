"""Sign-up and login: normalised unique emails, password rules and tokens (the login throttle has its own
file, test_login_throttle.py)."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.settings import Settings
from documents import User
from tests.conftest import PASSWORD, sign_up


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
