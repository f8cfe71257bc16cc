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
    body = await get(client, f"/v1/wines/{riesling.id}/similar", per_page=3)
    assert body["surface"] == "similar" and body["rec_id"]
    assert riesling.id not in {i["wine"]["id"] for i in body["items"]}
    assert {i["wine"]["style"] for i in body["items"]} == {"white"}
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
    items = (await get(client, f"/v1/wines/{rioja.id}/bought-together", per_page=4))["items"]
    assert [i["wine"]["id"] for i in items] == [albarino.id, cava.id]  # never filled up with merely similar wines
    assert items[0]["reasons"][0]["code"] == "bought_with" and items[0]["reasons"][0]["values"][1] == "3"
    assert all([r["code"] for r in i["reasons"]] == ["bought_with"] for i in items)
    alone = await get(client, f"/v1/wines/{cellar[5].id}/bought-together", per_page=4)
    assert alone["items"] == []  # no shared orders yet: nothing, rather than similar wines under this title
    assert (await get(client, f"/v1/wines/{cellar[5].id}/similar", per_page=4))["items"]


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
    assert [i["wine"]["id"] for i in body["items"]] == [often.id, rarely.id]
    first = body["items"][0]["reasons"]
    assert first[0]["text"] == "you reorder this every ~6 weeks" and first[1]["code"] == "reorder_due"
    assert body["items"][1]["reasons"][1]["code"] == "reorder_soon"
    assert all(i["conflicts"] == [] for i in body["items"])


async def test_reorder_keeps_repeat_buys_that_cross_a_need_stated_since_and_marks_them(
    client: AppClient, shopper: Shopper, cellar: list[Wine]
) -> None:
    vegan, syrah, malbec = cellar[0], cellar[1], cellar[3]  # Syrah and Malbec are not vegan
    for days in (84, 42):
        order = await buy(client, shopper.headers, (vegan, 1), (syrah, 1), (malbec, 1))
        await backdate(order["id"], days)
    response = await client.patch(
        "/v1/me/preferences",
        headers=shopper.headers,
        json={"dietary": ["vegan"], "dislikes": {"wine_ids": [malbec.id]}},
    )
    assert response.status_code == 200, response.text
    await retrain(client)
    items = {i["wine"]["id"]: i for i in (await get(client, "/v1/me/reorder", shopper.headers))["items"]}
    assert set(items) == {vegan.id, syrah.id}  # the one dismissed as "not for me" stays out
    assert items[vegan.id]["conflicts"] == []
    assert items[syrah.id]["conflicts"] == [
        {"code": "conflicts_dietary", "text": "no longer matches your 'vegan' need", "values": ["vegan"]}
    ]
    assert items[syrah.id]["reasons"][0]["code"] == "reorder_interval"
    popular = await get(client, "/v1/recommendations/popular", shopper.headers, per_page=30)
    assert syrah.id not in {i["wine"]["id"] for i in popular["items"]}  # every other list still filters it


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
    served = {i["wine"]["id"] for i in (await for_you(client, shopper, per_page=20))["items"]}
    assert not served & {w.id for w in (*reds, sweet, port, sparkling)}  # bought, gifts included


async def test_a_stated_axis_is_kept_when_learning_and_the_list_says_which_is_which(
    client: AppClient, shopper: Shopper, cellar: list[Wine]
) -> None:
    await allow(client, shopper)
    assert (await client.put("/v1/me/taste-profile", json={"body": 0.2}, headers=shopper.headers)).status_code == 200
    for wine in cellar[:4]:
        await buy(client, shopper.headers, (wine, 1))
    await retrain(client)
    taste = (await for_you(client, shopper, per_page=3))["taste"]
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
    assert by_style["white"]["label"] == "Crisp white lovers"
    white_segment = by_style["white"]["id"]
    trending = await get(client, "/v1/trending", segment=white_segment, per_page=4)
    assert trending["segment"] == white_segment
    assert {i["wine"]["style"] for i in trending["items"]} == {"white"}
    reason = trending["items"][0]["reasons"][0]
    assert reason["code"] == "trending_in_segment" and reason["text"] == "trending among crisp white lovers"
    # "customers like you": only a signed-in member of that segment hears it
    red_fan, white_fan = red_fans[0], white_fans[0]
    mine = await get(client, "/v1/trending", white_fan.headers, segment=white_segment, per_page=4)
    assert mine["items"][0]["reasons"][0]["code"] == "trending_like_you"
    theirs = await get(client, "/v1/trending", red_fan.headers, segment=white_segment, per_page=4)
    assert all("like you" not in r["text"] for i in theirs["items"] for r in i["reasons"])
    overall = await get(client, "/v1/trending", per_page=10)
    assert {i["wine"]["style"] for i in overall["items"][:8]} == {"red", "white"}
    assert (await client.get("/v1/trending", params={"segment": 99})).status_code == 404


@pytest.mark.usefixtures("cellar")
async def test_anonymous_visitors_get_popular_in_season_that_can_be_bought(client: AppClient) -> None:
    await retrain(client)
    body = await get(client, "/v1/recommendations/popular", per_page=30)
    assert body["personalised"] is False and "sign in" in body["note"]
    assert len(body["items"]) == 18  # every wine but the sold-out and the delisted one
    assert all(i["wine"]["in_stock"] for i in body["items"])


async def test_an_empty_catalog_gives_empty_lists_not_errors(client: AppClient, shopper: Shopper) -> None:
    await allow(client, shopper)
    for url in ("/v1/me/recommendations", "/v1/recommendations/popular", "/v1/trending", "/v1/me/reorder"):
        body = await get(client, url, shopper.headers)
        assert body["items"] == [] and body["rec_id"]


async def test_a_shopper_sees_their_own_segment_and_it_keeps_its_id_across_retrainings(
    client: AppClient, cellar: list[Wine]
) -> None:
    reds, whites = cellar[:5], cellar[9:13]
    red_fans, white_fans = [], []
    for n in range(7):  # 4 red fans, 3 white fans: numbered by size, reds first
        buyer = await sign_up(client)
        group, fans = (reds, red_fans) if n < 4 else (whites, white_fans)
        await buy(client, buyer.headers, (group[n % 4], 1), (group[(n + 1) % 4], 1))
        fans.append(buyer)
    await retrain(client)
    mine = await get(client, "/v1/me/segment", white_fans[0].headers)
    white = mine["segment"]
    assert white["label"] == "Crisp white lovers" and white["size"] == 3 and mine["trained_at"]
    red = (await get(client, "/v1/me/segment", red_fans[0].headers))["segment"]
    assert red["size"] == 4 and red["id"] != white["id"]
    for n in range(3):  # the whites become the larger segment: the ids stay
        buyer = await sign_up(client)
        await buy(client, buyer.headers, (whites[n], 1), (whites[n + 1], 1))
    await retrain(client)
    again = (await get(client, "/v1/me/segment", white_fans[0].headers))["segment"]
    assert again["id"] == white["id"] and again["size"] == 6
    assert (await get(client, "/v1/me/segment", red_fans[0].headers))["segment"]["id"] == red["id"]
    newcomer = await sign_up(client)
    assert (await get(client, "/v1/me/segment", newcomer.headers))["segment"] is None
    assert (await client.get("/v1/me/segment")).status_code == 401


async def test_anonymous_callers_are_never_told_customers_like_you(client: AppClient, cellar: list[Wine]) -> None:
    for n in range(6):
        buyer = await sign_up(client)
        await buy(client, buyer.headers, *((w, 1) for w in (cellar[:2] if n % 2 else cellar[9:11])))
    await retrain(client)
    segments = (await get(client, "/v1/admin/analytics/segments", (await make_admin(client)).headers))["segments"]
    assert segments
    for segment in (None, *(s["id"] for s in segments)):
        params = {"per_page": 10} | ({"segment": segment} if segment is not None else {})
        body = await get(client, "/v1/trending", **params)
        assert body["items"]
        assert all("like you" not in r["text"] for i in body["items"] for r in i["reasons"])
