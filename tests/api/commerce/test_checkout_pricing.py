"""Checkout racing price changes for real (every MongoDB call yields, as over a network): whatever interleaving
happens, nobody is charged more than the price they were shown."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.container import Services
from documents import Order, Wine
from documents.models import PriceRule
from tests.api.commerce.conftest import quick_shopper, services_of, stock_of
from tests.conftest import AppClient
from tests.factories import insert_wines, make_wine

pytestmark = pytest.mark.concurrency


async def checkout(client: AppClient, headers: dict[str, str], wine_id: str) -> int:
    response = await client.post("/v1/me/checkout", json={"seen_prices": {wine_id: 2000}}, headers=headers)
    assert response.status_code in (201, 409), response.text
    if response.status_code == 409:
        assert response.json()["code"] == "price_changed"
    return response.status_code


async def price_rise(services: Services, wine_id: str, delay_s: float) -> None:
    await asyncio.sleep(delay_s)  # moves the rise through the checkouts' steps from one round to the next
    rule = PriceRule(
        name="rise",
        kind="scheduled",
        price_cents=2600,
        selector={"wine_ids": [wine_id]},
        starts_at=services.pricing.now() - timedelta(seconds=1),
    )
    await services.pricing.create_rule(rule, None)


async def test_concurrent_price_rises_and_checkouts_never_charge_an_unseen_price(
    client: AppClient, networked: None
) -> None:
    services = services_of(client.app)
    await services.pricing.stop()
    for round_ in range(6):
        (wine,) = await insert_wines(make_wine(price_cents=2000, list_price_cents=2000, stock=20))
        buyers = [await quick_shopper(client.app) for _ in range(3)]
        for headers in buyers:
            put = await client.put(f"/v1/me/cart/items/{wine.id}", json={"quantity": 1}, headers=headers)
            assert put.status_code == 200
        codes = await asyncio.gather(
            price_rise(services, wine.id, 0.001 * round_), *(checkout(client, h, wine.id) for h in buyers)
        )
        orders = await Order.find({"items.wine_id": wine.id, "status": "pending"}).to_list()
        assert all(o.items[0].unit_price_cents == 2000 for o in orders)  # never the unseen 26.00
        assert len(orders) == codes.count(201)
        assert await stock_of(wine) == 20 - len(orders)
        assert (await Wine.get(wine.id)).price_cents == 2600  # type: ignore[union-attr]
