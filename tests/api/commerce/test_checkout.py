"""Checkout over the API: snapshots, all-or-nothing reservation, idempotent retries, and races."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pymongo_async_mock
import pytest
from pymongo.errors import AutoReconnect

from documents import Order, RecommendationLog, Wine
from tests.api.commerce.conftest import buy, fill, quick_shopper, services_of, stock_of
from tests.conftest import ON_SERVER, AppClient, Shopper
from tests.factories import insert_wines, make_wine

pytestmark = pytest.mark.concurrency

CHECKOUT = "/v1/me/checkout"


async def test_checkout_places_an_order_with_snapshots_and_empties_the_cart(
    client: AppClient, shopper: Shopper
) -> None:
    a, b = await insert_wines(
        make_wine(name="Alpha", price_cents=1250, stock=10), make_wine(name="Beta", price_cents=999, stock=3)
    )
    await fill(client, shopper.headers, (a, 2), (b, 3))
    response = await client.post(CHECKOUT, json={}, headers=shopper.headers)
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending" and order["is_gift"] is False and order["can_cancel"] is True
    assert sorted((i["wine"]["name"], i["quantity"], i["unit_price"]["amount_minor"]) for i in order["items"]) == [
        ("Alpha", 2, 1250),
        ("Beta", 3, 999),
    ]
    assert order["total"]["amount_minor"] == 5497 and order["total"]["amount"] == "54.97"
    assert [h["status"] for h in order["history"]] == ["pending"]
    assert (await stock_of(a), await stock_of(b)) == (8, 0)
    assert (await client.get("/v1/me/cart", headers=shopper.headers)).json()["items"] == []
    await a.set({"price_cents": 5000, "name": "Alpha renamed"})  # the order keeps what was bought
    again = (await client.get(f"/v1/me/orders/{order['id']}", headers=shopper.headers)).json()
    assert ("Alpha", 1250) in [(i["wine"]["name"], i["unit_price"]["amount_minor"]) for i in again["items"]]


async def test_checkout_without_a_body_works_and_an_empty_cart_is_409(client: AppClient, shopper: Shopper) -> None:
    empty = await client.post(CHECKOUT, headers=shopper.headers)
    assert empty.status_code == 409 and empty.json()["code"] == "cart_empty"
    (wine,) = await insert_wines(make_wine())
    await fill(client, shopper.headers, (wine, 1))
    assert (await client.post(CHECKOUT, headers=shopper.headers)).status_code == 201


async def test_a_short_line_gives_back_the_lines_already_reserved_and_names_the_wine(
    client: AppClient, shopper: Shopper
) -> None:
    # ids fix the reservation order (by wine id): "a…" is reserved before "b…" runs short
    first, short = await insert_wines(make_wine(id="a-first", stock=5), make_wine(id="b-short", name="Rare", stock=2))
    await fill(client, shopper.headers, (first, 2), (short, 2))
    await short.set({"stock": 1})  # another buyer took one meanwhile
    response = await client.post(CHECKOUT, json={}, headers=shopper.headers)
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "insufficient_stock" and "«Rare»" in problem["detail"] and "1 left" in problem["detail"]
    assert problem["errors"] == [{"field": "items.b-short", "source": "cart", "message": "1 left"}]
    assert (await stock_of(first), await stock_of(short)) == (5, 1)
    assert await Order.find({}).count() == 0
    assert len((await client.get("/v1/me/cart", headers=shopper.headers)).json()["items"]) == 2


async def test_a_wine_delisted_after_it_was_added_blocks_checkout_by_name(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine(name="Withdrawn"))
    await fill(client, shopper.headers, (wine, 1))
    await wine.set({"listed": False})
    response = await client.post(CHECKOUT, json={}, headers=shopper.headers)
    assert response.status_code == 409 and response.json()["code"] == "wine_unavailable"
    assert "«Withdrawn»" in response.json()["detail"]
    assert await stock_of(wine) == 10


async def test_a_gift_order_is_marked_with_its_recipient(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    await fill(client, shopper.headers, (wine, 1))
    gift = {"recipient_name": "Aunt May", "message": "Happy birthday"}
    order = (await client.post(CHECKOUT, json={"gift": gift}, headers=shopper.headers)).json()
    assert order["is_gift"] is True and order["gift"] == gift


async def test_bad_gift_and_unknown_fields_are_422_and_change_nothing(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    await fill(client, shopper.headers, (wine, 1))
    for body in (
        {"gift": {"recipient_name": ""}},
        {"gift": {"recipient_name": "x", "message": "m" * 1001}},
        {"total_cents": 1},
    ):
        response = await client.post(CHECKOUT, json=body, headers=shopper.headers)
        assert response.status_code == 422, body
    bad_key = await client.post(CHECKOUT, json={}, headers={**shopper.headers, "Idempotency-Key": "k" * 201})
    assert bad_key.status_code == 422
    assert await Order.find({}).count() == 0 and await stock_of(wine) == 10


async def test_a_retried_key_returns_the_same_order_without_buying_twice(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine(stock=10))
    await fill(client, shopper.headers, (wine, 2))
    headers = {**shopper.headers, "Idempotency-Key": "attempt-1"}
    first = await client.post(CHECKOUT, json={}, headers=headers)
    await fill(client, shopper.headers, (wine, 3))  # the cart changes before the retry arrives
    retry = await client.post(CHECKOUT, json={}, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    assert await Order.find({}).count() == 1 and await stock_of(wine) == 8
    assert len((await client.get("/v1/me/cart", headers=shopper.headers)).json()["items"]) == 1


async def test_a_reused_key_with_a_different_body_is_422(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine(stock=10))
    await fill(client, shopper.headers, (wine, 1))
    headers = {**shopper.headers, "Idempotency-Key": "attempt-2"}
    assert (await client.post(CHECKOUT, json={}, headers=headers)).status_code == 201
    await fill(client, shopper.headers, (wine, 1))
    reused = await client.post(CHECKOUT, json={"gift": {"recipient_name": "Bob"}}, headers=headers)
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert await Order.find({}).count() == 1 and await stock_of(wine) == 9


async def test_keys_belong_to_their_user(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine(stock=10))
    other = await quick_shopper(client.app)
    for headers in (shopper.headers, other):
        await fill(client, headers, (wine, 1))
        response = await client.post(CHECKOUT, json={}, headers={**headers, "Idempotency-Key": "same"})
        assert response.status_code == 201
    assert await Order.find({}).count() == 2


async def test_concurrent_retries_with_one_key_make_one_order(client: AppClient, networked: None) -> None:
    (wine,) = await insert_wines(make_wine(stock=10))
    headers = await quick_shopper(client.app)
    await fill(client, headers, (wine, 2))
    keyed = {**headers, "Idempotency-Key": "double-click"}
    responses = await asyncio.gather(*(client.post(CHECKOUT, json={}, headers=keyed) for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await Order.find({}).count() == 1 and await stock_of(wine) == 8


async def test_fifty_buyers_racing_for_five_bottles_buy_exactly_five(client: AppClient, networked: None) -> None:
    (wine,) = await insert_wines(make_wine(name="Last Case", stock=5))
    buyers = [await quick_shopper(client.app) for _ in range(50)]
    for headers in buyers:
        await fill(client, headers, (wine, 1))
    lowest, racing = [5], True

    async def watch() -> None:  # samples the stock between the racers' database calls
        while racing:
            lowest[0] = min(lowest[0], await stock_of(wine))
            await asyncio.sleep(0)

    watcher = asyncio.create_task(watch())
    responses = await asyncio.gather(*(client.post(CHECKOUT, json={}, headers=h) for h in buyers))
    racing = False
    await watcher
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 5 and codes.count(409) == 45
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "insufficient_stock" and "«Last Case»" in refused.json()["detail"]
    assert await stock_of(wine) == 0 and lowest[0] >= 0
    assert await Order.find({"status": "pending"}).count() == 5 and await Order.find({}).count() == 5


async def test_racing_two_line_carts_never_oversell_and_give_back_half_reservations(
    client: AppClient, networked: None
) -> None:
    plenty, scarce = await insert_wines(make_wine(id="a-plenty", stock=10), make_wine(id="b-scarce", stock=3))
    buyers = [await quick_shopper(client.app) for _ in range(10)]
    for headers in buyers:
        await fill(client, headers, (plenty, 1), (scarce, 1))
    responses = await asyncio.gather(*(client.post(CHECKOUT, json={}, headers=h) for h in buyers))
    assert [r.status_code for r in responses].count(201) == 3
    # every refused buyer had reserved "a-plenty" first: each of those bottles came back
    assert (await stock_of(plenty), await stock_of(scarce)) == (7, 0)


async def test_a_placed_order_joins_the_recommendation_log_its_rec_id_names(
    client: AppClient, shopper: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine())
    served = RecommendationLog(user_id=shopper.id, surface="home", model_version="v1")
    await served.insert()
    await client.put(f"/v1/me/cart/items/{wine.id}", json={"quantity": 1, "rec_id": served.id}, headers=shopper.headers)
    order = (await client.post(CHECKOUT, json={}, headers=shopper.headers)).json()
    assert order["items"][0]["rec_id"] == served.id
    log = await RecommendationLog.get(served.id)
    assert log is not None
    purchase = ("purchase", wine.id, f"order:{order['id']}:{wine.id}")
    assert [(a.type, a.wine_id, a.ref) for a in log.actions] == [purchase]


@pytest.mark.skipif(ON_SERVER, reason="injects a failure into the in-process MongoDB")
async def test_a_failing_reaction_is_logged_and_never_undoes_the_order(
    client: AppClient, shopper: Shopper, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (wine,) = await insert_wines(make_wine(stock=5))
    collection = pymongo_async_mock.AsyncMongoMockCollection
    original = collection.bulk_write

    async def down_for_logs(self: Any, *args: Any, **kwargs: Any) -> Any:
        if self.name == RecommendationLog.Settings.name:
            raise AutoReconnect("recommendation logs unreachable")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(collection, "bulk_write", down_for_logs)
    await client.put(f"/v1/me/cart/items/{wine.id}", json={"quantity": 2, "rec_id": "rec-1"}, headers=shopper.headers)
    response = await client.post(CHECKOUT, json={}, headers=shopper.headers)
    assert response.status_code == 201
    assert (await Order.get(response.json()["id"])) is not None and await stock_of(wine) == 3
    told = [r.getMessage() for r in caplog.records if "RecommendationService.order_placed" in r.getMessage()]
    assert [m.rsplit("; ", 1)[1] for m in told] == ["trying again", "the change stands"]  # retried once, then logged


async def test_search_sees_stock_run_out_and_come_back(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine(name="Zweigelt Reserve", stock=2))
    await services_of(client.app).catalog.sync_to_index([wine.id])

    async def in_stock_hits() -> list[str]:
        body = (await client.get("/v1/search", params={"q": "Zweigelt", "in_stock": "true"})).json()
        return [h["wine"]["id"] for h in body["items"]]

    assert await in_stock_hits() == [wine.id]
    order = await buy(client, shopper.headers, (wine, 2))
    assert await in_stock_hits() == []
    await client.post(f"/v1/me/orders/{order['id']}/cancel", headers=shopper.headers)
    assert await in_stock_hits() == [wine.id]


# ---------------------------------------------------------------- checkouts that die half-way
@contextlib.asynccontextmanager
async def frozen_checkout(
    client: AppClient, headers: dict[str, str], *, at: str
) -> AsyncIterator[tuple[asyncio.Task[Any], asyncio.Event]]:
    """A checkout whose process stops at one point: `at="placing"` after every line is reserved, before the
    order is placed; `at="dropping_holds"` after it is placed, before its holds are dropped. The request's
    task is parked there, as if killed (no clean-up of ours runs), unless the test sets the event it gets."""
    reached, never = asyncio.Event(), asyncio.Event()
    collection = type(Wine.get_pymongo_collection())  # the driver's class on a server, the engine's in-process
    originals = {"placing": collection.find_one_and_update, "dropping_holds": collection.update_many}
    original = originals[at]

    async def stop_there(self: Any, query: dict[str, Any], update: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        first = not reached.is_set()
        if first and at == "placing" and query.get("status") == "reserving" and "$set" in update:
            reached.set()
            await never.wait()
        if first and at == "dropping_holds" and "$pull" in update:
            reached.set()
            await never.wait()
        return await original(self, query, update, *args, **kwargs)

    name = "find_one_and_update" if at == "placing" else "update_many"
    setattr(collection, name, stop_there)
    task = asyncio.create_task(client.post(CHECKOUT, json={}, headers=headers))
    try:
        await asyncio.wait_for(reached.wait(), 5)
        yield task, never
    finally:
        setattr(collection, name, original)
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


async def test_a_checkout_that_died_before_placing_gives_its_stock_back_to_the_retry(
    client: AppClient, shopper: Shopper
) -> None:
    a, b = await insert_wines(make_wine(id="a-died", stock=5), make_wine(id="b-died", stock=3))
    await fill(client, shopper.headers, (a, 2), (b, 1))
    keyed = {**shopper.headers, "Idempotency-Key": "died-once"}
    async with frozen_checkout(client, keyed, at="placing"):
        assert (await stock_of(a), await stock_of(b)) == (3, 2)  # reserved, and held for the dead claim
        checkouts = services_of(client.app).commerce.checkouts
        checkouts.stale_after = timedelta(seconds=-1)  # as if five minutes had passed

        retry = await client.post(CHECKOUT, json={}, headers=keyed)

        assert retry.status_code == 201, retry.text
        assert (await stock_of(a), await stock_of(b)) == (3, 2)  # sold once: the dead claim's hold came back
        assert await Order.find({}).count() == 1
        assert [w.holds for w in await Wine.find({}).to_list()] == [[], []]


async def test_the_sweeper_gives_back_what_a_dead_checkout_held_when_nobody_retries(
    client: AppClient, shopper: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine(stock=4))
    await fill(client, shopper.headers, (wine, 3))
    async with frozen_checkout(client, shopper.headers, at="placing"):
        checkouts = services_of(client.app).commerce.checkouts
        assert await checkouts.release_stale() == 0  # young claims are live checkouts: left alone
        assert await stock_of(wine) == 1
        checkouts.stale_after = timedelta(seconds=-1)  # as if five minutes had passed

        assert await checkouts.release_stale() == 1
        assert await checkouts.release_stale() == 0  # once only

        assert await stock_of(wine) == 4
        assert await Order.find({}).count() == 0 and (await Wine.get(wine.id)).holds == []  # type: ignore[union-attr]


async def test_the_sweeper_drops_the_holds_of_a_placed_order_without_restocking(
    client: AppClient, shopper: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine(stock=4))
    await fill(client, shopper.headers, (wine, 3))
    async with frozen_checkout(client, shopper.headers, at="dropping_holds"):
        checkouts = services_of(client.app).commerce.checkouts
        checkouts.stale_after = timedelta(seconds=-1)  # as if five minutes had passed

        assert await checkouts.release_stale() == 0  # no claim: the order was placed

        assert await stock_of(wine) == 1  # the three bottles are sold
        assert (await Wine.get(wine.id)).holds == []  # type: ignore[union-attr]
        assert [o.status for o in await Order.find({}).to_list()] == ["pending"]


async def test_a_checkout_that_stalls_past_its_release_answers_409_and_holds_nothing(
    client: AppClient, shopper: Shopper
) -> None:
    a, b = await insert_wines(make_wine(id="a-stall", stock=5), make_wine(id="b-stall", stock=3))
    await fill(client, shopper.headers, (a, 2), (b, 1))
    async with frozen_checkout(client, shopper.headers, at="placing") as (stalled, resume):
        checkouts = services_of(client.app).commerce.checkouts
        checkouts.stale_after = timedelta(seconds=-1)  # as if five minutes had passed
        assert await checkouts.release_stale() == 1
        resume.set()

        response = await stalled

        assert response.status_code == 409 and response.json()["code"] == "checkout_expired"
        assert (await stock_of(a), await stock_of(b)) == (5, 3)
        assert await Order.find({}).count() == 0
        assert [w.holds for w in await Wine.find({}).to_list()] == [[], []]
        assert len((await client.get("/v1/me/cart", headers=shopper.headers)).json()["items"]) == 2
