"""GET /v1/me/profile: everything about the caller in one call, with other domains plugged in as providers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.accounts.profile import ProfileService
from documents import Order, OrderItem
from tests.conftest import PASSWORD, Shopper, sign_up


async def test_a_new_customer_sets_everything_up_and_reads_it_back_in_one_call(
    client: AsyncTestClient[Litestar],
) -> None:
    registered = await client.post(
        "/v1/auth/register", json={"email": "Nina@Example.com", "password": PASSWORD, "username": "nina"}
    )
    assert registered.status_code == 201
    login = await client.post("/v1/auth/login", json={"email": "nina@example.com", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    quiz = (await client.get("/v1/taste-quiz")).json()
    answers = {q["id"]: q["options"][0]["id"] for q in quiz["questions"]}
    assert (await client.post("/v1/me/taste-quiz", json={"answers": answers}, headers=headers)).status_code == 200
    assert (
        await client.patch(
            "/v1/me/preferences",
            headers=headers,
            json={
                "styles": ["red", "rosé"],
                "regions": ["Bordeaux", "Tuscany"],
                "price_range": {"min": 20, "max": 100},
            },
        )
    ).status_code == 200
    assert (await client.put("/v1/me/consent", json={"personalisation": True}, headers=headers)).status_code == 200

    profile = (await client.get("/v1/me/profile", headers=headers)).json()
    assert profile["user_id"] == registered.json()["user_id"]
    assert profile["email"] == "nina@example.com" and profile["username"] == "nina"
    assert profile["preferences"]["styles"] == ["red", "rosé"]
    assert profile["preferences"]["regions"] == ["Bordeaux", "Toscana"]
    assert profile["preferences"]["price_range"] == {
        "min": {"amount": "20.00", "amount_minor": 2000, "currency": "EUR"},
        "max": {"amount": "100.00", "amount_minor": 10000, "currency": "EUR"},
    }
    assert set(profile["taste_profile"]["sources"].values()) == {"quiz"}
    assert profile["taste_profile"]["tannin"] is not None
    assert profile["consent"]["personalisation"] is True and len(profile["consent"]["history"]) == 1
    assert profile["purchase_history"] == [] and profile["wishlist"] == [] and profile["recently_viewed"] == []
    assert "password_hash" not in str(profile) and "argon2" not in str(profile)


async def test_other_domains_plug_their_lists_into_the_profile(
    client: AsyncTestClient[Litestar], shopper: Shopper
) -> None:
    placed = datetime(2024, 5, 1, 12, tzinfo=UTC)
    await Order(
        user_id=shopper.id,
        items=[OrderItem(wine_id="w123", name="Chateau Test", unit_price_cents=12000, quantity=2)],
        total_cents=24000,
        placed_at=placed,
    ).insert()
    await Order(
        user_id="someone-else",
        items=[OrderItem(wine_id="w9", name="Not Yours", unit_price_cents=100, quantity=1)],
        total_cents=100,
    ).insert()
    asked: list[tuple[str, int]] = []

    async def purchase_history(user_id: str, limit: int) -> Sequence[Any]:
        asked.append((user_id, limit))
        return await Order.find({"user_id": user_id}).limit(limit).to_list()

    async def wishlist(user_id: str, limit: int) -> Sequence[Any]:
        return [{"wine_id": "w456", "name": "Wish Wine", "added_at": placed, "ignored": "extra field"}]

    async def recently_viewed(user_id: str, limit: int) -> Sequence[Any]:
        return [{"wine_id": "w789", "name": "Seen Wine", "viewed_at": placed}]

    services = client.app.state.services
    services.profile = ProfileService(
        services.accounts, purchase_history=purchase_history, wishlist=wishlist, recently_viewed=recently_viewed
    )
    profile = (await client.get("/v1/me/profile", headers=shopper.headers)).json()
    assert asked == [(shopper.id, 20)]

    def eur(minor: int) -> dict[str, Any]:
        return {"amount": f"{minor / 100:.2f}", "amount_minor": minor, "currency": "EUR"}

    assert profile["purchase_history"] == [
        {
            "id": profile["purchase_history"][0]["id"],
            "placed_at": "2024-05-01T12:00:00Z",
            "status": "pending",
            "items": [{"wine": {"id": "w123", "name": "Chateau Test"}, "quantity": 2, "unit_price": eur(12000)}],
            "total": eur(24000),
            "is_gift": False,
        }
    ]
    wish = {"wine": {"id": "w456", "name": "Wish Wine"}, "added_at": "2024-05-01T12:00:00Z"}
    assert profile["wishlist"] == [wish]
    seen = {"wine": {"id": "w789", "name": "Seen Wine"}, "viewed_at": "2024-05-01T12:00:00Z"}
    assert profile["recently_viewed"] == [seen]


async def test_an_admin_reads_any_profile_and_a_customer_cannot(
    client: AsyncTestClient[Litestar], shopper: Shopper, admin: Shopper
) -> None:
    await client.patch("/v1/me/preferences", json={"regions": ["Rioja"]}, headers=shopper.headers)
    response = await client.get(f"/v1/admin/users/{shopper.id}", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["preferences"]["regions"] == ["Rioja"]
    other = await sign_up(client)
    assert (await client.get(f"/v1/admin/users/{shopper.id}", headers=other.headers)).status_code == 403
    missing = await client.get("/v1/admin/users/nobody", headers=admin.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "user_not_found"
