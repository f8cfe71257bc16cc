"""`cuvee privacy export|erase EMAIL`: the operator's side of privacy requests, on the configured backends."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from click.testing import CliRunner, Result

from app.cli import cli
from app.main import create_app
from app.settings import Settings
from tests.api.accounts.test_cli import env_of
from tests.conftest import PASSWORD, running, sign_up


def privacy(settings: Settings, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["privacy", *args], env=env_of(settings), input=input)


async def customer(settings: Settings) -> tuple[str, str]:
    """A customer with a stated preference, signed up through the API; (id, email)."""
    async with running(create_app(settings)) as client:
        shopper = await sign_up(client, "Someone@Example.com")
        response = await client.patch("/v1/me/preferences", json={"regions": ["Rioja"]}, headers=shopper.headers)
        assert response.status_code == 200
        return shopper.id, shopper.email.lower()


async def login_status(settings: Settings, email: str) -> int:
    async with running(create_app(settings)) as client:
        return (await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})).status_code


def test_export_prints_the_whole_document_or_writes_a_private_file(settings: Settings, tmp_path: Path) -> None:
    user_id, email = asyncio.run(customer(settings))
    printed = privacy(settings, "export", "SOMEONE@example.com")
    assert printed.exit_code == 0, printed.output
    document = json.loads(printed.output)
    assert (document["user_id"], document["account"]["email"]) == (user_id, email)
    assert document["preferences"]["regions"] == ["Rioja"]
    target = tmp_path / "export.json"
    written = privacy(settings, "export", email, "--output", str(target))
    assert written.exit_code == 0, written.output
    assert json.loads(target.read_text())["user_id"] == user_id
    assert target.stat().st_mode & 0o077 == 0


def test_erase_asks_first_then_removes_the_account(settings: Settings) -> None:
    _, email = asyncio.run(customer(settings))
    declined = privacy(settings, "erase", email, input="n\n")
    assert declined.exit_code == 1 and "Aborted" in declined.output
    assert asyncio.run(login_status(settings, email)) == 200
    done = privacy(settings, "erase", email, "--yes")
    assert done.exit_code == 0, done.output
    assert done.output.startswith("erased: request ") and "1 account" in done.output
    assert asyncio.run(login_status(settings, email)) == 401


def test_an_unknown_email_is_one_line_and_a_failure(settings: Settings) -> None:
    for args in (["export", "nobody@example.com"], ["erase", "nobody@example.com", "--yes"]):
        result = privacy(settings, *args)
        assert result.exit_code == 1
        assert result.output.strip() == "Error: account with this email not found"
