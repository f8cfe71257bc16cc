"""Similar, bought together, trending (global and per segment), reorder, popular; segments and learning."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from documents import Order, User, Wine
from tests.api.commerce.conftest import buy
from tests.api.recommendations.conftest import allow, for_you, retrain
from tests.conftest import AppClient, Shopper, make_admin, sign_up


async def get(client: AppClient, url: str, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    response = await client.get(url, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def backdate(order_id: str, days: float) -> None:
    """Move an order into the past (repeat intervals need purchases weeks apart)."""
    order = await Order.get(order_id)
    assert order is not None
    await Order.get_pymongo_collection().update_one(
        {"_id": order_id}, {"$set": {"placed_at": order.placed_at - timedelta(days=days)}}
    )


async def test_similar_wines_share_structure_and_attributes_and_explain_it(
    client: AppClient, cellar: list[Wine]
) -> None:
    await retrain(client)
    riesling = cellar[10]
    body = await get(client, f"/v1/wines/{riesling.id}/similar", limit=3)
    assert body["surface"] == "similar" and body["rec_id"]
    assert riesling.id not in {i["wine_id"] for i in body["items"]}
    assert {i["style"] for i in body["items"]} == {"white"}
    assert body["items"][0]["reasons"][0]["code"] == "similar_to"
    assert (await client.get("/v1/wines/nope/similar")).status_code == 404


async def test_bought_together_comes_from_shared_orders_with_how_often(client: AppClient, cellar: list[Wine]) -> None:
    rioja, albarino, cava = cellar[2], cellar[11], cellar[16]
    for _ in range(3):
        buyer = await sign_up(client)
        await buy(client, buyer.headers, (rioja, 1), (albarino, 1))
    buyer = await sign_up(client)
    await buy(client, buyer.headers, (rioja, 1), (cava, 1))
    await retrain(client)
    items = (await get(client, f"/v1/wines/{rioja.id}/bought-together", limit=4))["items"]
    assert [i["wine_id"] for i in items[:2]] == [albarino.id, cava.id]
    assert items[0]["reasons"][0]["code"] == "bought_with" and items[0]["reasons"][0]["values"][1] == "3"
    assert len(items) == 4  # filled up with wines liked by the same people


async def test_reorder_ranks_repeat_purchases_by_how_due_they_are(
    client: AppClient, shopper: Shopper, cellar: list[Wine]
) -> None:
    often, rarely, once = cellar[0], cellar[5], cellar[10]
    for days in (84, 42):  # every 6 weeks; the last one 6 weeks ago: due now
        order = await buy(client, shopper.headers, (often, 1))
        await backdate(order["id"], days)
    for days in (70, 10):  # every 2 months; last one 10 days ago: not due
        order = await buy(client, shopper.headers, (rarely, 1))
        await backdate(order["id"], days)
    await buy(client, shopper.headers, (once, 1))
    await retrain(client)
    body = await get(client, "/v1/me/reorder", shopper.headers)
    assert [i["wine_id"] for i in body["items"]] == [often.id, rarely.id]
    first = body["items"][0]["reasons"]
    assert first[0]["text"] == "you reorder this every ~6 weeks" and first[1]["code"] == "reorder_due"
    assert body["items"][1]["reasons"][1]["code"] == "reorder_soon"


async def test_gifts_never_teach_taste_but_own_purchases_and_ratings_do(
    client: AppClient, shopper: Shopper, cellar: list[Wine]
) -> None:
    await allow(client, shopper)
    reds = cellar[:4]
    for wine in reds:
        await buy(client, shopper.headers, (wine, 1))
    sweet, port, sparkling = cellar[18], cellar[19], cellar[14]
    for wine in (sweet, port, sparkling):
        await buy(client, shopper.headers, (wine, 1), gift={"recipient_name": "Aunt May"})
    response = await client.put(f"/v1/wines/{cellar[4].id}/reviews/me", json={"rating": 5}, headers=shopper.headers)
    assert response.status_code in (200, 201), response.text
    report = await retrain(client)
    assert report.counts["gift_purchases_left_out_of_taste"] == 3 and report.learned_tastes == 1
    user = await User.get(shopper.id)
    assert user is not None
    profile = user.taste_profile
    assert profile.body is not None and profile.body.source == "learned" and profile.body.value >= 0.8
    assert profile.sweetness is not None and profile.sweetness.value < 0.2  # the sweet gifts left no trace
    assert profile.learned_from == 5
    served = {i["wine_id"] for i in (await for_you(client, shopper, limit=20))["items"]}
    assert not served & {w.id for w in (*reds, sweet, port, sparkling)}  # bought, gifts included


async def test_a_stated_axis_is_kept_when_learning_and_the_list_says_which_is_which(
    client: AppClient, shopper: Shopper, cellar: list[Wine]
) -> None:
    await allow(client, shopper)
    assert (await client.put("/v1/me/taste-profile", json={"body": 0.2}, headers=shopper.headers)).status_code == 200
    for wine in cellar[:4]:
        await buy(client, shopper.headers, (wine, 1))
    await retrain(client)
    taste = (await for_you(client, shopper, limit=3))["taste"]
    assert taste["body"] == {"value": 0.2, "source": "stated"}
    assert taste["tannin"]["source"] == "learned" and taste["tannin"]["value"] >= 0.7


async def test_segments_group_customers_by_taste_and_trending_follows_each_segment(
    client: AppClient, cellar: list[Wine]
) -> None:
    reds, whites = cellar[:5], cellar[9:13]
    red_fans, white_fans = [], []
    for n in range(8):
        buyer = await sign_up(client)
        group, fans = (reds, red_fans) if n % 2 == 0 else (whites, white_fans)
        await buy(client, buyer.headers, *((w, 1) for w in group[n // 2 % len(group) :][:2] or group[:2]))
        fans.append(buyer)
    await retrain(client)
    admin = await make_admin(client)
    body = await get(client, "/v1/admin/analytics/segments", admin.headers)
    assert body["customers"] == 8 and len(body["segments"]) == 2
    by_style = {next(iter(s["styles"])): s for s in body["segments"]}
    assert by_style["red"]["size"] == 4 and by_style["white"]["size"] == 4
    assert "red" in by_style["red"]["summary"] and by_style["white"]["taste"]["acidity"] > 0.7
    white_segment = by_style["white"]["id"]
    trending = await get(client, "/v1/trending", segment=white_segment, limit=4)
    assert trending["segment"] == white_segment
    assert {i["style"] for i in trending["items"]} == {"white"}
    assert trending["items"][0]["reasons"][0]["code"] == "trending_in_segment"
    overall = await get(client, "/v1/trending", limit=10)
    assert {i["style"] for i in overall["items"][:8]} == {"red", "white"}
    assert (await client.get("/v1/trending", params={"segment": 99})).status_code == 404


@pytest.mark.usefixtures("cellar")
async def test_anonymous_visitors_get_popular_in_season_that_can_be_bought(client: AppClient) -> None:
    await retrain(client)
    body = await get(client, "/v1/recommendations/popular", limit=30)
    assert body["personalised"] is False and "sign in" in body["note"]
    assert len(body["items"]) == 18  # every wine but the sold-out and the delisted one
    assert all(i["in_stock"] for i in body["items"])


async def test_an_empty_catalog_gives_empty_lists_not_errors(client: AppClient, shopper: Shopper) -> None:
    await allow(client, shopper)
    for url in ("/v1/me/recommendations", "/v1/recommendations/popular", "/v1/trending", "/v1/me/reorder"):
        body = await get(client, url, shopper.headers)
        assert body["items"] == [] and body["rec_id"]
