"""The cart over the API: one per user, catalog prices, clear refusals, and the abandoned-carts report."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.commerce.cart import MAX_LINES
from documents import Cart, CartItem, User, utcnow
from tests.api.commerce.conftest import quick_shopper
from tests.conftest import AppClient, Shopper
from tests.factories import insert_wines, make_wine

Client = AppClient


async def test_a_new_user_has_an_empty_cart(client: Client, shopper: Shopper) -> None:
    body = (await client.get("/v1/me/cart", headers=shopper.headers)).json()
    assert body["items"] == [] and body["total"]["amount_minor"] == 0 and body["total"]["amount"] == "0.00"


async def test_cart_lines_show_catalog_prices_and_totals_in_cents(client: Client, shopper: Shopper) -> None:
    a, b = await insert_wines(make_wine(name="Alpha", price_cents=1250), make_wine(name="Beta", price_cents=999))
    await client.put(f"/v1/me/cart/items/{a.id}", json={"quantity": 2}, headers=shopper.headers)
    response = await client.put(
        f"/v1/me/cart/items/{b.id}", json={"quantity": 1, "rec_id": "rec42"}, headers=shopper.headers
    )
    assert response.status_code == 200
    body = response.json()
    assert [(i["wine"]["name"], i["quantity"], i["line_total"]["amount_minor"]) for i in body["items"]] == [
        ("Alpha", 2, 2500),
        ("Beta", 1, 999),
    ]
    assert body["total"]["amount_minor"] == 3499 and body["total"]["amount"] == "34.99" and body["bottles"] == 3
    assert body["items"][1]["rec_id"] == "rec42"


async def test_putting_a_wine_again_sets_its_quantity_and_zero_removes_it(client: Client, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    url = f"/v1/me/cart/items/{wine.id}"
    await client.put(url, json={"quantity": 2, "rec_id": "r1"}, headers=shopper.headers)
    body = (await client.put(url, json={"quantity": 5}, headers=shopper.headers)).json()
    assert [(i["quantity"], i["rec_id"]) for i in body["items"]] == [(5, "r1")]  # attribution kept
    body = (await client.put(url, json={"quantity": 0}, headers=shopper.headers)).json()
    assert body["items"] == []
    assert await Cart.find({}).count() == 1


async def test_deleting_a_line_removes_it_and_is_harmless_when_absent(client: Client, shopper: Shopper) -> None:
    a, b = await insert_wines(make_wine(), make_wine())
    await client.put(f"/v1/me/cart/items/{a.id}", json={"quantity": 1}, headers=shopper.headers)
    await client.put(f"/v1/me/cart/items/{b.id}", json={"quantity": 1}, headers=shopper.headers)
    response = await client.delete(f"/v1/me/cart/items/{a.id}", headers=shopper.headers)
    assert response.status_code == 200
    assert [i["wine"]["id"] for i in response.json()["items"]] == [b.id]
    again = await client.delete(f"/v1/me/cart/items/{a.id}", headers=shopper.headers)
    assert again.status_code == 200 and len(again.json()["items"]) == 1


async def test_unknown_delisted_and_short_wines_are_refused_naming_them(client: Client, shopper: Shopper) -> None:
    gone, short = await insert_wines(make_wine(name="Gone", listed=False), make_wine(name="Rare", stock=2))
    unknown = await client.put("/v1/me/cart/items/nope", json={"quantity": 1}, headers=shopper.headers)
    assert unknown.status_code == 404 and unknown.json()["code"] == "wine_not_found"
    delisted = await client.put(f"/v1/me/cart/items/{gone.id}", json={"quantity": 1}, headers=shopper.headers)
    assert delisted.status_code == 409 and delisted.json()["code"] == "wine_unavailable"
    assert "Gone" in delisted.json()["detail"]
    too_many = await client.put(f"/v1/me/cart/items/{short.id}", json={"quantity": 3}, headers=shopper.headers)
    assert too_many.status_code == 409 and "only 2 bottles of «Rare»" in too_many.json()["detail"]
    assert (await client.get("/v1/me/cart", headers=shopper.headers)).json()["items"] == []


async def test_bad_quantities_and_unknown_fields_are_422(client: Client, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    url = f"/v1/me/cart/items/{wine.id}"
    for body in (
        {"quantity": -1},
        {"quantity": 1000},
        {"quantity": 1, "price_cents": 1},
        {},
        {"quantity": 1, "rec_id": "has spaces"},
    ):
        response = await client.put(url, json=body, headers=shopper.headers)
        assert response.status_code == 422, body
    assert await Cart.find({"items.0": {"$exists": True}}).count() == 0


async def test_each_user_sees_only_their_own_cart(client: Client, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    other = await quick_shopper(client.app)
    await client.put(f"/v1/me/cart/items/{wine.id}", json={"quantity": 3}, headers=other)
    assert (await client.get("/v1/me/cart", headers=shopper.headers)).json()["items"] == []
    assert (await client.get("/v1/me/cart")).status_code == 401


async def test_a_delisted_wine_stays_in_the_cart_marked_unavailable_and_out_of_the_total(
    client: Client, shopper: Shopper
) -> None:
    a, b = await insert_wines(make_wine(price_cents=1000), make_wine(price_cents=500))
    for wine in (a, b):
        await client.put(f"/v1/me/cart/items/{wine.id}", json={"quantity": 1}, headers=shopper.headers)
    await a.set({"listed": False})
    body = (await client.get("/v1/me/cart", headers=shopper.headers)).json()
    assert [(i["wine"]["id"], i["available"]) for i in body["items"]] == [(a.id, False), (b.id, True)]
    assert body["total"]["amount_minor"] == 500


async def test_abandoned_carts_list_idle_carts_with_owner_value_and_idle_time(client: Client, admin: Shopper) -> None:
    (wine,) = await insert_wines(make_wine(price_cents=2000))
    idle, fresh, empty = [await quick_shopper(client.app) for _ in range(3)]
    for headers in (idle, fresh, empty):
        await client.put(f"/v1/me/cart/items/{wine.id}", json={"quantity": 2}, headers=headers)
    await client.delete(f"/v1/me/cart/items/{wine.id}", headers=empty)
    long_ago = utcnow() - timedelta(hours=30)
    for headers in (idle, empty):  # the carts' last activity, 30 hours ago
        await Cart.get_pymongo_collection().update_one(
            {"user_id": headers["X-Test-User"]}, {"$set": {"updated_at": long_ago}}
        )
    await User.get_pymongo_collection().update_one({"_id": idle["X-Test-User"]}, {"$set": {"consent.marketing": True}})
    response = await client.get("/v1/admin/carts/abandoned", headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    (row,) = body["items"]
    assert row["user_id"] == idle["X-Test-User"] and row["marketing_consent"] is True
    assert row["email"].endswith("@example.com")
    assert row["value"]["amount_minor"] == 4000 and row["value"]["amount"] == "40.00"
    assert [(i["wine"]["id"], i["quantity"]) for i in row["items"]] == [(wine.id, 2)]
    assert 29.9 < row["idle_hours"] < 30.1


async def test_abandoned_carts_are_for_admins_only(client: Client, shopper: Shopper) -> None:
    assert (await client.get("/v1/admin/carts/abandoned", headers=shopper.headers)).status_code == 403
    assert (await client.get("/v1/admin/carts/abandoned")).status_code == 401


async def test_concurrent_puts_of_one_wine_make_one_cart_with_one_line(client: Client, networked: None) -> None:
    (wine,) = await insert_wines(make_wine(stock=50))
    headers = await quick_shopper(client.app)
    url = f"/v1/me/cart/items/{wine.id}"
    responses = await asyncio.gather(*(client.put(url, json={"quantity": q}, headers=headers) for q in range(1, 11)))
    assert {r.status_code for r in responses} == {200}
    carts = await Cart.find({"user_id": headers["X-Test-User"]}).to_list()
    assert len(carts) == 1 and len(carts[0].items) == 1


async def test_a_full_cart_refuses_another_wine_but_still_changes_its_lines(client: Client, shopper: Shopper) -> None:
    wines = await insert_wines(*(make_wine() for _ in range(MAX_LINES + 1)))
    await Cart(user_id=shopper.id, items=[CartItem(wine_id=w.id, quantity=1) for w in wines[:MAX_LINES]]).insert()
    full = await client.put(f"/v1/me/cart/items/{wines[-1].id}", json={"quantity": 1}, headers=shopper.headers)
    assert full.status_code == 409 and full.json()["code"] == "cart_full"
    changed = await client.put(f"/v1/me/cart/items/{wines[0].id}", json={"quantity": 4}, headers=shopper.headers)
    assert changed.status_code == 200 and changed.json()["bottles"] == MAX_LINES + 3


async def test_a_quantity_must_be_a_json_integer(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    for quantity in ("1", True, 1.5):
        response = await client.put(
            f"/v1/me/cart/items/{wine.id}", json={"quantity": quantity}, headers=shopper.headers
        )
        assert response.status_code == 422, (quantity, response.text)
    assert (await client.get("/v1/me/cart", headers=shopper.headers)).json()["items"] == []
