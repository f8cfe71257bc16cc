"""Consent: each real change is kept with its time, and shows in the profile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from documents import User, utcnow
from tests.conftest import Shopper


async def stored_consent(user_id: str) -> dict[str, Any]:
    raw = await User.get_pymongo_collection().find_one({"_id": user_id})
    assert raw is not None
    return raw["consent"]  # type: ignore[no-any-return]


async def put(client: AsyncTestClient[Litestar], shopper: Shopper, body: dict[str, Any]) -> Any:
    return await client.put("/v1/me/consent", json=body, headers=shopper.headers)


async def test_consent_starts_withheld(client: AsyncTestClient[Litestar], shopper: Shopper) -> None:
    consent = (await client.get("/v1/me/profile", headers=shopper.headers)).json()["consent"]
    assert consent == {"personalisation": False, "analytics": False, "marketing": False, "history": []}


async def test_each_real_change_is_appended_with_its_time(client: AsyncTestClient[Litestar], shopper: Shopper) -> None:
    started = utcnow()
    await put(client, shopper, {"personalisation": True, "analytics": True})
    await put(client, shopper, {"personalisation": True, "marketing": False})  # no real change
    body = (await put(client, shopper, {"analytics": False})).json()
    assert (body["personalisation"], body["analytics"], body["marketing"]) == (True, False, False)
    assert [(c["kind"], c["granted"]) for c in body["history"]] == [
        ("analytics", True),
        ("personalisation", True),
        ("analytics", False),
    ]
    times = [datetime.fromisoformat(c["at"]) for c in body["history"]]
    assert times == sorted(times)
    assert started.replace(microsecond=0) <= times[0] <= utcnow()
    profile = (await client.get("/v1/me/profile", headers=shopper.headers)).json()
    assert profile["consent"] == body


async def test_other_domains_read_consent_from_the_service(client: AsyncTestClient[Litestar], shopper: Shopper) -> None:
    await put(client, shopper, {"marketing": True})
    consent = await client.app.state.services.accounts.get_consent(shopper.id)
    assert consent.marketing is True and consent.analytics is False
    assert consent.ledger[-1].kind == "marketing"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"marketing": "yes"}, "marketing"),
        ({"marketing": 1}, "marketing"),
        ({"marketing": None}, "marketing"),
        ({"newsletter": True}, "newsletter"),
        ({"marketing": True, "ledger": []}, "ledger"),
    ],
)
async def test_bad_consent_is_a_422_and_changes_nothing(
    client: AsyncTestClient[Litestar], shopper: Shopper, body: dict[str, Any], field: str
) -> None:
    await put(client, shopper, {"analytics": True})
    before = await stored_consent(shopper.id)
    response = await put(client, shopper, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.json()["detail"]
    assert await stored_consent(shopper.id) == before
