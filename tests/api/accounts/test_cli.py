"""`cuvee create-admin`: creates or promotes an admin on the configured backends (here the embedded ones)."""

from __future__ import annotations

import asyncio
import os

import pytest
from click.testing import CliRunner, Result
from litestar.testing import AsyncTestClient

from app.cli import cli
from app.main import create_app
from app.settings import Settings
from tests.conftest import PASSWORD

ADMIN_PASSWORD = "a-very-long-admin-password"


def env_of(settings: Settings) -> dict[str, str]:
    """The CUVEE_* variables that point the command at the test's own database, index and Redis keys."""
    assert settings.secret_key is not None
    return {
        "CUVEE_MONGODB_URL": settings.mongodb_url,
        "CUVEE_MONGODB_DB": str(settings.mongodb_db),
        "CUVEE_SEARCH_URL": str(settings.search_url),
        "CUVEE_SEARCH_NAMESPACE": settings.search_namespace,
        "CUVEE_REDIS_URL": str(settings.redis_url),
        "CUVEE_STREAM_PREFIX": settings.stream_prefix,
        "CUVEE_DATA_DIR": str(settings.data_dir),
        "CUVEE_SECRET_KEY": settings.secret_key.get_secret_value(),
        "CUVEE_LOG_LEVEL": "WARNING",
    }


def create_admin(settings: Settings, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["create-admin", *args], env=env_of(settings), input=input)


async def login_and_call_admin(settings: Settings, email: str, password: str) -> tuple[int, int, list[str]]:
    """Log in through the app on the same backends; answer (login status, admin route status, roles)."""
    async with AsyncTestClient(app=create_app(settings)) as client:
        login = await client.post("/v1/auth/login", json={"email": email, "password": password})
        if login.status_code != 200:
            return login.status_code, 0, []
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        profile = (await client.get("/v1/me/profile", headers=headers)).json()
        admin = await client.get(f"/v1/admin/users/{profile['user_id']}", headers=headers)
        return login.status_code, admin.status_code, profile["roles"]


def test_create_admin_reads_the_password_from_stdin_and_the_admin_can_use_admin_routes(settings: Settings) -> None:
    result = create_admin(settings, "Root@Example.com", "--password-stdin", input=ADMIN_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "root@example.com: created admin" in result.output
    login, admin_route, roles = asyncio.run(login_and_call_admin(settings, "root@example.com", ADMIN_PASSWORD))
    assert (login, admin_route) == (200, 200)
    assert "admin" in roles


def test_create_admin_prompts_twice_for_the_password(settings: Settings) -> None:
    result = create_admin(settings, "prompted@example.com", input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output
    assert ADMIN_PASSWORD not in result.output  # hidden input is not echoed
    assert asyncio.run(login_and_call_admin(settings, "prompted@example.com", ADMIN_PASSWORD))[:2] == (200, 200)


def test_mismatched_confirmation_creates_nothing(settings: Settings) -> None:
    result = create_admin(settings, "typo@example.com", input=f"{ADMIN_PASSWORD}\nsomething-else-entirely\n")
    assert result.exit_code != 0
    assert asyncio.run(login_and_call_admin(settings, "typo@example.com", ADMIN_PASSWORD))[0] == 401


def test_a_short_password_is_refused_and_creates_nothing(settings: Settings) -> None:
    result = create_admin(settings, "short@example.com", "--password-stdin", input="short\n")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert asyncio.run(login_and_call_admin(settings, "short@example.com", "short"))[0] == 401


def test_an_existing_customer_is_promoted_and_keeps_their_password(settings: Settings) -> None:
    async def register_and_try_admin() -> tuple[int, int]:
        async with AsyncTestClient(app=create_app(settings)) as client:
            response = await client.post("/v1/auth/register", json={"email": "cust@example.com", "password": PASSWORD})
            headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
            admin = await client.get(f"/v1/admin/users/{response.json()['user_id']}", headers=headers)
            return response.status_code, admin.status_code

    assert asyncio.run(register_and_try_admin()) == (201, 403)
    result = create_admin(settings, "CUST@example.com")  # no prompt: the account exists
    assert result.exit_code == 0, result.output
    assert "promoted to admin (password unchanged)" in result.output
    again = create_admin(settings, "cust@example.com")  # idempotent: still one admin role
    assert again.exit_code == 0, again.output
    login, admin_route, roles = asyncio.run(login_and_call_admin(settings, "cust@example.com", PASSWORD))
    assert (login, admin_route) == (200, 200)
    assert roles == ["customer", "admin"]


async def test_a_write_command_refuses_in_one_line_while_the_server_owns_the_data_directory(settings: Settings) -> None:
    from tests.conftest import running

    if not settings.embedded:
        pytest.skip("the data-directory lock guards the embedded store; a MongoDB server serves many processes")
    async with running(create_app(settings)):
        result = await asyncio.to_thread(
            create_admin, settings, "late@example.com", "--password-stdin", input=ADMIN_PASSWORD + "\n"
        )
    assert result.exit_code != 0
    assert f"in use by pid {os.getpid()}" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "created" not in result.output
    status, _, _ = await login_and_call_admin(settings, "late@example.com", ADMIN_PASSWORD)
    assert status == 401
