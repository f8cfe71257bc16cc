"""Erasure: a customer who used every feature is erased, and nothing about them is left in any store."""

from __future__ import annotations

from app.settings import Settings
from documents import AuditEntry, Cart, Order, PrivacyRequest, Review, Wine, WishlistEntry
from tests.api.privacy.conftest import drain, index_text, mongodb_text, ok, redis_text, use_everything
from tests.conftest import PASSWORD, AppClient, Shopper, sign_up
from tests.factories import insert_wines, make_wine


async def test_erasure_leaves_nothing_in_any_collection_stream_key_or_index(
    client: AppClient, shopper: Shopper, admin: Shopper, settings: Settings
) -> None:
    bystander = await sign_up(client)
    fp = await use_everything(client, shopper, admin)
    reviewed = (await Order.get(fp.order_id)).items[0].wine_id  # type: ignore[union-attr]
    before = {
        name: text for name, text in (await mongodb_text(client)).items() if any(trace in text for trace in fp.traces)
    }
    assert {
        "users",
        "orders",
        "carts",
        "wishlist",
        "reviews",
        "interactions",
        "recommendation_logs",
        "audit_log",
    } <= set(before)  # the footprint really is everywhere before
    assert any(fp.shopper.id in text for text in (await redis_text(client, settings)).values())

    receipt = await ok(await client.request("DELETE", "/v1/me", json={"password": PASSWORD}, headers=shopper.headers))

    removed = receipt["removed"]
    assert removed["account"] == 1 and removed["orders"] == 1 and removed["reviews"] == 1
    assert removed["interactions"] >= 5 and removed["stream_entries"] >= 2 and removed["dead_letter_entries"] == 1
    assert removed["recommendation_logs"] >= 1
    for name, text in (await mongodb_text(client)).items():
        left = [trace for trace in fp.traces if trace in text]
        assert not left, f"collection {name} still holds {left}"
    for key, text in (await redis_text(client, settings)).items():
        left = [trace for trace in [*fp.traces, *fp.event_ids] if trace in key or trace in text]
        assert not left, f"Redis key {key} still holds {left}"
    index = await index_text(client)
    assert index and not [trace for trace in fp.traces if trace in index]
    assert "'rating_count': 0" in index or "rating_count=0" in index

    # what stays, stays without the person: the order for the accounts, the wine without the rating
    order = await Order.get(fp.order_id)
    assert order is not None and order.anonymised and order.user_id.startswith("erased-")
    assert order.gift is not None and order.request_hash is None
    wine = await Wine.get(reviewed)
    assert wine is not None and (wine.rating.count, wine.rating.total) == (0, 0.0)
    request = await PrivacyRequest.get(receipt["request_id"])
    assert request is not None and (request.kind, request.status) == ("erasure", "completed")
    assert request.subject == client.app.state.services.privacy.subject(shopper.id) != shopper.id
    assert await AuditEntry.find({"action": "privacy.erasure", "target_id": request.id}).count() == 1
    snapshot = client.app.state.services.recommendations.trainer.snapshot
    assert snapshot is None or shopper.id not in snapshot.signals
    # the bystander is untouched, and the erased token opens nothing
    assert (await client.get("/v1/me/profile", headers=bystander.headers)).status_code == 200
    assert (await client.get("/v1/me/profile", headers=shopper.headers)).status_code == 404
    assert await drain(client) == 0  # nothing of theirs was waiting for the worker any more


async def test_a_wrong_password_erases_nothing_and_tries_are_limited(client: AppClient, shopper: Shopper) -> None:
    for _ in range(5):
        response = await client.request(
            "DELETE", "/v1/me", json={"password": "wrong password"}, headers=shopper.headers
        )
        assert (response.status_code, response.json()["code"]) == (403, "password_mismatch")
    response = await client.request("DELETE", "/v1/me", json={"password": PASSWORD}, headers=shopper.headers)
    assert response.status_code == 429 and int(response.headers["retry-after"]) > 0
    assert (await client.get("/v1/me/profile", headers=shopper.headers)).status_code == 200
    assert await PrivacyRequest.find({"kind": "erasure"}).count() == 0


async def test_erasure_needs_a_password_and_a_signed_in_user(client: AppClient, shopper: Shopper) -> None:
    assert (await client.request("DELETE", "/v1/me", json={"password": PASSWORD})).status_code == 401
    missing = await client.request("DELETE", "/v1/me", json={}, headers=shopper.headers)
    assert missing.status_code == 422 and "password" in missing.text
    extra = await client.request(
        "DELETE", "/v1/me", json={"password": PASSWORD, "user_id": "someone"}, headers=shopper.headers
    )
    assert extra.status_code == 422
    assert (await client.get("/v1/me/profile", headers=shopper.headers)).status_code == 200


async def test_a_token_that_outlives_its_erased_account_cannot_write(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    await ok(await client.request("DELETE", "/v1/me", json={"password": PASSWORD}, headers=shopper.headers))
    writes = [
        ("PUT", f"/v1/me/cart/items/{wine.id}", {"quantity": 1}),
        ("PUT", f"/v1/me/wishlist/{wine.id}", None),
        ("PUT", f"/v1/wines/{wine.id}/reviews/me", {"rating": 5}),
        ("PATCH", "/v1/me/preferences", {}),
        ("POST", "/v1/me/checkout", {}),
    ]
    for method, path, body in writes:
        response = await client.request(method, path, json=body, headers=shopper.headers)
        assert (response.status_code, response.json()["code"]) == (401, "account_gone"), (method, path)
    for document in (Cart, WishlistEntry, Review, Order):
        assert await document.find({"user_id": shopper.id}).count() == 0


async def test_erasing_without_a_body_says_which_body_is_needed_and_erases_nothing(
    client: AppClient, shopper: Shopper
) -> None:
    for body in ({}, {"content": b""}):
        response = await client.request("DELETE", "/v1/me", headers=shopper.headers, **body)
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "validation_failed"
        assert "password" in problem["detail"] and "'data'" not in response.text
        assert problem["errors"] == [
            {"field": "body", "source": "body", "message": "required: a JSON object with password"}
        ]
    assert (await client.get("/v1/me/profile", headers=shopper.headers)).status_code == 200
