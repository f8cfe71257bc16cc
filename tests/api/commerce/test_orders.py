"""Orders over the API: history, cancelling, admin transitions, gifts, repeat purchases, the profile."""

from __future__ import annotations

from datetime import timedelta

from documents import Order, OrderItem, OrderStatus, utcnow
from tests.api.commerce.conftest import buy, quick_shopper, services_of, stock_of
from tests.conftest import AppClient, Shopper
from tests.factories import insert_wines, make_wine


async def test_orders_are_listed_newest_first_in_pages(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine(stock=50))
    ids = [(await buy(client, shopper.headers, (wine, 1)))["id"] for _ in range(3)]
    for age, order_id in enumerate(reversed(ids)):  # distinct placing times, the last bought newest
        await Order.get_pymongo_collection().update_one(
            {"_id": order_id}, {"$set": {"placed_at": utcnow() - timedelta(minutes=age)}}
        )
    first = (await client.get("/v1/me/orders", params={"per_page": 2}, headers=shopper.headers)).json()
    second = (await client.get("/v1/me/orders", params={"per_page": 2, "page": 2}, headers=shopper.headers)).json()
    assert first["total"] == 3
    assert [o["id"] for o in first["items"] + second["items"]] == list(reversed(ids))


async def test_another_users_order_and_an_unfinished_claim_are_404(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    order = await buy(client, shopper.headers, (wine, 1))
    other = await quick_shopper(client.app)
    for path in (f"/v1/me/orders/{order['id']}", f"/v1/me/orders/{order['id']}/cancel"):
        response = await (client.get(path, headers=other) if "cancel" not in path else client.post(path, headers=other))
        assert response.status_code == 404 and response.json()["code"] == "order_not_found"
        assert wine.name not in response.text and "items" not in response.json()
    claim = Order(
        user_id=shopper.id,
        status=OrderStatus.reserving,
        total_cents=1,
        items=[OrderItem(wine_id=wine.id, name="x", unit_price_cents=1, quantity=1)],
    )
    await claim.insert()
    assert (await client.get(f"/v1/me/orders/{claim.id}", headers=shopper.headers)).status_code == 404
    assert (await client.get("/v1/me/orders", headers=shopper.headers)).json()["total"] == 1


async def test_cancelling_returns_the_bottles_once_and_only_before_shipping(
    client: AppClient, shopper: Shopper, admin: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine(stock=10))
    order = await buy(client, shopper.headers, (wine, 4))
    cancelled = await client.post(f"/v1/me/orders/{order['id']}/cancel", headers=shopper.headers)
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert body["status"] == "cancelled" and body["can_cancel"] is False
    assert [h["status"] for h in body["history"]] == ["pending", "cancelled"]
    assert await stock_of(wine) == 10
    again = await client.post(f"/v1/me/orders/{order['id']}/cancel", headers=shopper.headers)
    assert again.status_code == 409 and again.json()["code"] == "order_not_cancellable"
    assert await stock_of(wine) == 10
    shipped = await buy(client, shopper.headers, (wine, 1))
    for status in ("paid", "shipped"):
        await client.post(f"/v1/admin/orders/{shipped['id']}/status", json={"status": status}, headers=admin.headers)
    late = await client.post(f"/v1/me/orders/{shipped['id']}/cancel", headers=shopper.headers)
    assert late.status_code == 409 and "shipped" in late.json()["detail"]
    assert await stock_of(wine) == 9


async def test_admin_moves_an_order_along_its_life_and_it_is_all_in_the_history(
    client: AppClient, shopper: Shopper, admin: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine(stock=10))
    order = await buy(client, shopper.headers, (wine, 2))
    url = f"/v1/admin/orders/{order['id']}/status"
    for status in ("paid", "shipped", "delivered", "refunded"):
        response = await client.post(url, json={"status": status}, headers=admin.headers)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == status and response.json()["user_id"] == shopper.id
    seen = (await client.get(f"/v1/me/orders/{order['id']}", headers=shopper.headers)).json()
    assert [h["status"] for h in seen["history"]] == ["pending", "paid", "shipped", "delivered", "refunded"]
    assert await stock_of(wine) == 8  # refunded after delivery: the bottles did not come back


async def test_illegal_transitions_are_409_and_change_nothing(
    client: AppClient, shopper: Shopper, admin: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine(stock=10))
    order = await buy(client, shopper.headers, (wine, 1))
    url = f"/v1/admin/orders/{order['id']}/status"
    skipped = await client.post(url, json={"status": "shipped"}, headers=admin.headers)
    assert skipped.status_code == 409 and skipped.json()["code"] == "illegal_transition"
    assert "allowed: cancelled, paid" in skipped.json()["detail"]
    assert (await client.post(url, json={"status": "refunded"}, headers=admin.headers)).status_code == 409
    for bad in ("reserving", "pending", "lost"):
        assert (await client.post(url, json={"status": bad}, headers=admin.headers)).status_code == 422
    await client.post(url, json={"status": "cancelled"}, headers=admin.headers)
    final = await client.post(url, json={"status": "paid"}, headers=admin.headers)
    assert final.status_code == 409 and "none (final state)" in final.json()["detail"]
    assert (await client.get(f"/v1/me/orders/{order['id']}", headers=shopper.headers)).json()["status"] == "cancelled"


async def test_a_refund_before_shipping_returns_the_bottles(
    client: AppClient, shopper: Shopper, admin: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine(stock=10))
    order = await buy(client, shopper.headers, (wine, 3))
    url = f"/v1/admin/orders/{order['id']}/status"
    await client.post(url, json={"status": "paid"}, headers=admin.headers)
    await client.post(url, json={"status": "refunded"}, headers=admin.headers)
    assert await stock_of(wine) == 10


async def test_admins_list_every_order_by_status_and_customers_cannot(
    client: AppClient, shopper: Shopper, admin: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine(stock=10))
    paid = await buy(client, shopper.headers, (wine, 1))
    await buy(client, await quick_shopper(client.app), (wine, 1))
    await client.post(f"/v1/admin/orders/{paid['id']}/status", json={"status": "paid"}, headers=admin.headers)
    every = (await client.get("/v1/admin/orders", headers=admin.headers)).json()
    only_paid = (await client.get("/v1/admin/orders", params={"status": "paid"}, headers=admin.headers)).json()
    assert every["total"] == 2 and [o["id"] for o in only_paid["items"]] == [paid["id"]]
    assert (await client.get(f"/v1/admin/orders/{paid['id']}", headers=admin.headers)).json()["status"] == "paid"
    assert (await client.get("/v1/admin/orders", headers=shopper.headers)).status_code == 403
    assert (
        await client.post(f"/v1/admin/orders/{paid['id']}/status", json={"status": "shipped"}, headers=shopper.headers)
    ).status_code == 403


async def test_repeat_purchases_count_own_orders_and_leave_out_gifts_and_cancellations(
    client: AppClient, shopper: Shopper
) -> None:
    usual, once, gifted, regret = await insert_wines(
        *(make_wine(name=n, stock=20) for n in ("Usual", "Once", "Gifted", "Regret"))
    )
    await buy(client, shopper.headers, (usual, 2), (once, 1))
    await buy(client, shopper.headers, (usual, 3))
    await buy(client, shopper.headers, (gifted, 1), gift={"recipient_name": "Sam"})
    cancelled = await buy(client, shopper.headers, (regret, 1))
    await client.post(f"/v1/me/orders/{cancelled['id']}/cancel", headers=shopper.headers)
    body = (await client.get("/v1/me/purchases", headers=shopper.headers)).json()
    assert [(p["wine"]["name"], p["times_bought"], p["bottles"]) for p in body["items"]] == [
        ("Usual", 2, 5),
        ("Once", 1, 1),
    ]
    assert body["items"][0]["last_bought_at"] >= body["items"][0]["first_bought_at"]
    repeats = (await client.get("/v1/me/purchases", params={"min_times": 2}, headers=shopper.headers)).json()
    assert [p["wine"]["name"] for p in repeats["items"]] == ["Usual"]
    commerce = services_of(client.app).commerce
    taste = await commerce.purchases_for_taste(shopper.id)
    assert sorted((p.wine_id, p.quantity) for p in taste) == sorted([(usual.id, 2), (once.id, 1), (usual.id, 3)])
    counts = await commerce.purchase_counts(shopper.id)
    assert set(counts) == {usual.id, once.id} and counts[usual.id].times_bought == 2


async def test_the_profile_shows_recent_orders_and_the_wishlist_with_the_api_names(
    client: AppClient, shopper: Shopper
) -> None:
    bought, wanted = await insert_wines(make_wine(name="Bought", price_cents=1200), make_wine(name="Wanted"))
    order = await buy(client, shopper.headers, (bought, 2), gift={"recipient_name": "Kim"})
    await client.put(f"/v1/me/wishlist/{wanted.id}", headers=shopper.headers)
    profile = (await client.get("/v1/me/profile", headers=shopper.headers)).json()
    (entry,) = profile["purchase_history"]
    assert entry["id"] == order["id"] and entry["is_gift"] is True and entry["status"] == "pending"
    twelve = {"amount": "12.00", "amount_minor": 1200, "currency": "EUR"}
    assert entry["items"] == [{"wine": {"id": bought.id, "name": "Bought"}, "quantity": 2, "unit_price": twelve}]
    assert entry["total"]["amount"] == "24.00" and entry["placed_at"] == order["placed_at"]
    assert [(w["wine"]["id"], w["wine"]["name"]) for w in profile["wishlist"]] == [(wanted.id, "Wanted")]
    assert profile["wishlist"][0]["added_at"]


async def test_erasing_a_customer_keeps_orders_anonymised_and_corrects_ratings(
    client: AppClient, shopper: Shopper
) -> None:
    wine, other = await insert_wines(make_wine(stock=10), make_wine())
    order = await buy(client, shopper.headers, (wine, 1), gift={"recipient_name": "Lee", "message": "Cheers"})
    await client.put(f"/v1/me/wishlist/{other.id}", headers=shopper.headers)
    await client.put(f"/v1/me/cart/items/{other.id}", json={"quantity": 1}, headers=shopper.headers)
    await client.put(f"/v1/wines/{wine.id}/reviews/me", json={"rating": 5}, headers=shopper.headers)
    commerce = services_of(client.app).commerce
    exported = await commerce.export_user(shopper.id)
    assert [o["id"] for o in exported["orders"]] == [order["id"]]
    assert exported["orders"][0]["gift"]["recipient_name"] == "Lee"
    assert len(exported["wishlist"]) == len(exported["reviews"]) == 1 and exported["cart"]["items"]
    counts = await commerce.erase_user(shopper.id, "anon-1")
    assert counts == {"reviews": 1, "wishlist": 1, "carts": 1, "orders": 1}
    assert await commerce.export_user(shopper.id) == {"cart": None, "orders": [], "wishlist": [], "reviews": []}
    kept = await Order.get(order["id"])
    assert kept is not None and (kept.user_id, kept.anonymised) == ("anon-1", True)
    assert kept.total_cents == order["total"]["amount_minor"]
    assert kept.gift is not None and "Lee" not in kept.model_dump_json() and "Cheers" not in kept.model_dump_json()
    rated = (await client.get(f"/v1/wines/{wine.id}")).json()
    assert (rated["rating_count"], rated["rating_mean"]) == (0, None)
