"""Commerce test helpers: quick shoppers, and an in-process MongoDB that lets concurrent requests interleave.

The in-process engine answers every call synchronously, so a request never yields to the event loop
between two database operations and concurrent checkouts would simply run one after another. The
`networked` fixture makes each call yield first, as a round trip to a real server does; with the `client`
(which drives the app on the test's own loop) 50 gathered checkouts then interleave between their reads
and writes, the condition under which a read-then-write would oversell. On a real MongoDB
(CUVEE_MONGODB_URL) the interleaving is real anyway, and the fixture changes nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import uuid4

import pymongo_async_mock
import pytest
from litestar import Litestar

from app.container import Services
from documents import User, Wine
from tests.conftest import ON_SERVER, AppClient

_YIELDING_COLLECTION_METHODS = (
    "find_one",
    "find_one_and_update",
    "find_one_and_delete",
    "update_one",
    "update_many",
    "insert_one",
    "delete_one",
    "count_documents",
    "aggregate",
)


def _yielding(original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(0)  # a network round trip: other requests run meanwhile
        return await original(self, *args, **kwargs)

    return call


@pytest.fixture
def networked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every in-process MongoDB call a point where other tasks may run (third-party classes only)."""
    if ON_SERVER:
        return
    collection = pymongo_async_mock.AsyncMongoMockCollection
    for name in _YIELDING_COLLECTION_METHODS:
        monkeypatch.setattr(collection, name, _yielding(getattr(collection, name)))
    cursor = pymongo_async_mock.AsyncCursor
    monkeypatch.setattr(cursor, "to_list", _yielding(cursor.to_list))


def services_of(app: Litestar) -> Services:
    return app.state.services  # type: ignore[no-any-return]


async def quick_shopper(
    app: Litestar, *, username: str | None = None, roles: tuple[str, ...] = ("customer",)
) -> dict[str, str]:
    """A user created directly (no password hashing: 50 buyers in milliseconds); returns auth headers
    with the user id under "X-Test-User" for assertions."""
    services = services_of(app)
    user = User(email=f"{uuid4().hex[:12]}@example.com", username=username, password_hash="-", roles=list(roles))
    await user.insert()
    token = services.tokens.issue(user.id, user.roles, services.clock())
    return {"Authorization": f"Bearer {token}", "X-Test-User": user.id}


async def fill(client: AppClient, headers: dict[str, str], *lines: tuple[Wine, int]) -> None:
    """Put these (wine, quantity) lines in the caller's cart."""
    for wine, quantity in lines:
        response = await client.put(f"/v1/me/cart/items/{wine.id}", json={"quantity": quantity}, headers=headers)
        assert response.status_code == 200, response.text


async def buy(
    client: AppClient, headers: dict[str, str], *lines: tuple[Wine, int], gift: dict[str, str] | None = None
) -> dict[str, Any]:
    """Fill the cart and check out; returns the order as the API shows it."""
    await fill(client, headers, *lines)
    response = await client.post("/v1/me/checkout", json={"gift": gift} if gift else {}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def stock_of(wine: Wine) -> int:
    raw = await Wine.get_pymongo_collection().find_one({"_id": wine.id}, {"stock": 1})
    return int(raw["stock"])
