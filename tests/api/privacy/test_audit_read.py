"""The audit trail's admin read API: filters by actor, action and time, newest first, paged, itself audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from documents import AuditEntry
from tests.conftest import AppClient, Shopper, make_admin

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def trail() -> list[AuditEntry]:
    entries = [
        AuditEntry(actor_id="user-a", action="wine.created", target_type="wine", target_id="w1", at=T0),
        AuditEntry(
            actor_id="user-b", action="price_rule.created", target_type="price_rule", at=T0 + timedelta(hours=1)
        ),
        AuditEntry(
            actor_id="user-a", action="wine.updated", target_type="wine", target_id="w1", at=T0 + timedelta(hours=2)
        ),
        AuditEntry(actor_id=None, action="privacy.erasure", target_type="privacy_request", at=T0 + timedelta(hours=3)),
    ]
    for entry in entries:
        await entry.insert()
    return entries


async def read(client: AppClient, admin: Shopper, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/admin/audit", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def actions(page: dict[str, Any]) -> list[str]:
    return [item["action"] for item in page["items"]]


async def test_filters_combine_and_entries_come_newest_first(
    client: AppClient, admin: Shopper, trail: list[AuditEntry]
) -> None:
    until = (T0 + timedelta(hours=3)).isoformat()
    assert actions(await read(client, admin, until=until)) == ["wine.updated", "price_rule.created", "wine.created"]
    assert actions(await read(client, admin, actor="user-a", until=until)) == ["wine.updated", "wine.created"]
    assert actions(await read(client, admin, action="wine.created")) == ["wine.created"]
    window = await read(client, admin, since=(T0 + timedelta(minutes=30)).isoformat(), until=until)
    assert actions(window) == ["wine.updated", "price_rule.created"]  # since inclusive, until exclusive
    first = (await read(client, admin, actor="user-a"))["items"][0]
    assert first["id"] == trail[2].id and first["target_id"] == "w1"
    assert datetime.fromisoformat(first["at"]) == T0 + timedelta(hours=2)


async def test_the_trail_is_paged_like_the_other_admin_lists(
    client: AppClient, admin: Shopper, trail: list[AuditEntry]
) -> None:
    until = (T0 + timedelta(hours=4)).isoformat()
    second = await read(client, admin, until=until, page=2, per_page=3)
    assert (second["page"], second["per_page"], second["total"]) == (2, 3, 4)
    assert actions(second) == ["wine.created"]


async def test_reading_the_trail_is_itself_in_the_trail(
    client: AppClient, admin: Shopper, trail: list[AuditEntry]
) -> None:
    await read(client, admin, actor="user-a", since=T0.isoformat())
    reads = await read(client, admin, action="audit.read", actor=admin.id)
    assert reads["total"] == 1  # this read shows from the next one on
    entry = reads["items"][0]
    assert entry["actor_id"] == admin.id and entry["target_type"] == "audit_log"
    assert entry["details"]["filters"] == {"actor_id": "user-a", "since": T0.isoformat()}
    assert entry["details"]["returned"] == 2 and entry["details"]["client"] == "127.0.0.1"
    assert (await read(client, admin, action="audit.read"))["total"] == 2


async def test_only_admins_read_the_trail(client: AppClient, shopper: Shopper, trail: list[AuditEntry]) -> None:
    assert (await client.get("/v1/admin/audit", headers=shopper.headers)).status_code == 403
    assert (await client.get("/v1/admin/audit")).status_code == 401
    assert await AuditEntry.find({"action": "audit.read"}).count() == 0


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"since": "2025-03-01T12:00:00"}, 422, "time_zone_missing"),
        ({"since": "2025-03-02T00:00:00Z", "until": "2025-03-01T00:00:00Z"}, 422, "time_range_invalid"),
        ({"until": "yesterday"}, 422, "validation_failed"),
        ({"per_page": 101}, 422, "validation_failed"),
    ],
)
async def test_bad_filters_are_a_problem_and_read_nothing(
    client: AppClient, admin: Shopper, params: dict[str, Any], status: int, code: str
) -> None:
    response = await client.get("/v1/admin/audit", params=params, headers=admin.headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == code
    assert await AuditEntry.find({"action": "audit.read"}).count() == 0


async def test_times_are_iso_8601_text_not_numbers_and_an_impossible_date_is_a_422(client: AppClient) -> None:
    admin = await make_admin(client)
    for value in ("-44111", "1700000000", "2025-13-45T00:00:00Z", "yesterday"):
        response = await client.get("/v1/admin/audit", params={"until": value}, headers=admin.headers)
        assert response.status_code == 422, (value, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
