"""Reviews over the API: one per user and wine, verified buyers, and a rating aggregate that stays exact."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from documents import Review, Wine
from tests.api.commerce.conftest import buy, quick_shopper, services_of
from tests.conftest import AppClient, Shopper
from tests.factories import insert_wines, make_wine


async def rating_of(wine: Wine) -> tuple[int, float]:
    raw = await Wine.get_pymongo_collection().find_one({"_id": wine.id}, {"rating": 1})
    return raw["rating"]["count"], raw["rating"]["total"]


async def test_a_review_is_created_then_replaced_and_the_mean_follows(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    url = f"/v1/wines/{wine.id}/reviews/me"
    created = await client.put(url, json={"rating": 4.5, "text": "Silky."}, headers=shopper.headers)
    assert created.status_code == 201 and created.json()["verified"] is False
    replaced = await client.put(url, json={"rating": 2}, headers=shopper.headers)
    assert replaced.status_code == 200 and replaced.json()["id"] == created.json()["id"]
    assert replaced.json()["text"] == "" and replaced.json()["rating"] == 2
    assert await rating_of(wine) == (1, 2.0)
    page = (await client.get(f"/v1/wines/{wine.id}/reviews")).json()  # public
    assert page["rating_count"] == 1 and page["rating_mean"] == 2.0 and page["total"] == 1
    assert (await client.get(f"/v1/wines/{wine.id}", headers=shopper.headers)).json()["rating_mean"] == 2.0


async def test_deleting_a_review_takes_it_out_of_the_aggregate(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    other = await quick_shopper(client.app, username="cora")
    await client.put(f"/v1/wines/{wine.id}/reviews/me", json={"rating": 5}, headers=shopper.headers)
    await client.put(f"/v1/wines/{wine.id}/reviews/me", json={"rating": 3}, headers=other)
    assert (await client.delete(f"/v1/wines/{wine.id}/reviews/me", headers=shopper.headers)).status_code == 204
    assert (await client.delete(f"/v1/wines/{wine.id}/reviews/me", headers=shopper.headers)).status_code == 204
    assert await rating_of(wine) == (1, 3.0)
    mine = await client.get(f"/v1/wines/{wine.id}/reviews/me", headers=shopper.headers)
    assert mine.status_code == 200 and mine.json() == {"wine": {"id": wine.id, "name": wine.name}, "review": None}
    page = (await client.get(f"/v1/wines/{wine.id}/reviews")).json()
    assert [(r["reviewer"], r["rating"]) for r in page["items"]] == [("cora", 3.0)]
    assert "user_id" not in page["items"][0]


async def test_ratings_must_be_half_steps_from_one_to_five_and_text_is_bounded(
    client: AppClient, shopper: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine())
    url = f"/v1/wines/{wine.id}/reviews/me"
    for body in (
        {"rating": 0.5},
        {"rating": 5.5},
        {"rating": 3.3},
        {"rating": 4, "text": "x" * 2001},
        {"rating": 4, "verified": True},
        {},
        {"rating": "4"},
        {"rating": True},
    ):
        assert (await client.put(url, json=body, headers=shopper.headers)).status_code == 422, body
    assert (
        await client.put("/v1/wines/nope/reviews/me", json={"rating": 3}, headers=shopper.headers)
    ).status_code == 404
    assert (await client.put(url, json={"rating": 3})).status_code == 401
    assert await rating_of(wine) == (0, 0.0) and await Review.find({}).count() == 0


async def test_a_review_is_verified_once_the_reviewer_has_a_paid_order_with_the_wine(
    client: AppClient, shopper: Shopper, admin: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine())
    url = f"/v1/wines/{wine.id}/reviews/me"
    order = await buy(client, shopper.headers, (wine, 1))
    early = await client.put(url, json={"rating": 4}, headers=shopper.headers)
    assert early.json()["verified"] is False  # pending: not paid yet
    await client.post(f"/v1/admin/orders/{order['id']}/status", json={"status": "paid"}, headers=admin.headers)
    assert (await client.get(url, headers=shopper.headers)).json()["review"]["verified"] is True
    other = await quick_shopper(client.app)
    again = await client.put(url, json={"rating": 1}, headers=other)
    assert again.json()["verified"] is False


async def test_concurrent_reviews_keep_count_and_mean_exact(client: AppClient, networked: None) -> None:
    (wine,) = await insert_wines(make_wine())
    reviewers = [await quick_shopper(client.app) for _ in range(12)]
    url = f"/v1/wines/{wine.id}/reviews/me"

    async def churn(i: int, headers: dict[str, str]) -> None:
        await client.put(url, json={"rating": 1 + (i % 9) / 2}, headers=headers)  # 1 .. 5
        await client.put(url, json={"rating": 5 - (i % 9) / 2}, headers=headers)  # replaced: +/- difference
        if i % 3 == 0:
            await client.delete(url, headers=headers)

    await asyncio.gather(*(churn(i, h) for i, h in enumerate(reviewers)))
    # the same user racing with themselves: one review, whoever wins
    doubled = reviewers[1]
    await asyncio.gather(*(client.put(url, json={"rating": r}, headers=doubled) for r in (1, 2, 3, 4, 5)))
    stored = await Review.find({"wine_id": wine.id}).to_list()
    assert len(stored) == 8
    assert await rating_of(wine) == (len(stored), sum(r.rating for r in stored))


async def test_ratings_stream_for_training(client: AppClient, shopper: Shopper) -> None:
    a, b = await insert_wines(make_wine(), make_wine())
    await client.put(f"/v1/wines/{a.id}/reviews/me", json={"rating": 4}, headers=shopper.headers)
    await client.put(f"/v1/wines/{b.id}/reviews/me", json={"rating": 1.5}, headers=shopper.headers)
    rows = [row async for row in services_of(client.app).commerce.ratings_for_training()]
    assert sorted(rows) == sorted([(shopper.id, a.id, 4.0), (shopper.id, b.id, 1.5)])


async def pay(client: AppClient, admin: Shopper, order: dict[str, Any], status: str = "paid") -> None:
    response = await client.post(
        f"/v1/admin/orders/{order['id']}/status", json={"status": status}, headers=admin.headers
    )
    assert response.status_code == 200, response.text


async def test_a_verified_review_weighs_four_times_an_unverified_one_in_every_mean_shown(
    client: AppClient, shopper: Shopper, admin: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine(name="Weighted Barolo"))
    await pay(client, admin, await buy(client, shopper.headers, (wine, 1)))
    drive_by = await quick_shopper(client.app, username="never-tasted")
    await client.put(f"/v1/wines/{wine.id}/reviews/me", json={"rating": 5}, headers=shopper.headers)
    await client.put(f"/v1/wines/{wine.id}/reviews/me", json={"rating": 1, "text": "never tasted it"}, headers=drive_by)

    weighted = round((5 * 1.0 + 1 * 0.25) / 1.25, 3)  # 4.2, where the plain mean would be 3.0
    page = (await client.get(f"/v1/wines/{wine.id}/reviews")).json()
    assert (page["rating_mean"], page["rating_count"]) == (weighted, 2)
    assert (page["rating_verified_count"], page["rating_unverified_count"]) == (1, 1)
    assert sorted((r["rating"], r["verified"]) for r in page["items"]) == [(1.0, False), (5.0, True)]
    shown = (await client.get(f"/v1/wines/{wine.id}")).json()
    assert (shown["rating_mean"], shown["rating_verified_count"], shown["rating_unverified_count"]) == (weighted, 1, 1)
    hits = (await client.get("/v1/search", params={"q": "Weighted Barolo"})).json()["items"]
    assert [h["wine"]["rating_mean"] for h in hits if h["wine"]["id"] == wine.id] == [weighted]


async def test_unverified_reviews_alone_keep_their_plain_mean(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    other = await quick_shopper(client.app)
    await client.put(f"/v1/wines/{wine.id}/reviews/me", json={"rating": 4}, headers=shopper.headers)
    await client.put(f"/v1/wines/{wine.id}/reviews/me", json={"rating": 2.5}, headers=other)
    page = (await client.get(f"/v1/wines/{wine.id}/reviews")).json()
    assert (page["rating_mean"], page["rating_verified_count"], page["rating_unverified_count"]) == (3.25, 0, 2)


async def test_a_refund_takes_the_mark_back_unless_another_paid_order_holds_the_wine(
    client: AppClient, shopper: Shopper, admin: Shopper
) -> None:
    wine, other_wine = await insert_wines(make_wine(), make_wine())
    first = await buy(client, shopper.headers, (wine, 1), (other_wine, 1))
    await pay(client, admin, first)
    second = await buy(client, shopper.headers, (wine, 1))
    await pay(client, admin, second)
    for w in (wine, other_wine):
        await client.put(f"/v1/wines/{w.id}/reviews/me", json={"rating": 2}, headers=shopper.headers)
    drive_by = await quick_shopper(client.app)
    await client.put(f"/v1/wines/{other_wine.id}/reviews/me", json={"rating": 5}, headers=drive_by)
    assert (await client.get(f"/v1/wines/{other_wine.id}")).json()["rating_mean"] == 2.6  # (2 + 1.25) / 1.25

    await pay(client, admin, first, "refunded")
    mine = f"/v1/wines/{other_wine.id}/reviews/me"
    assert (await client.get(mine, headers=shopper.headers)).json()["review"]["verified"] is False  # no other order
    own = (await client.get(f"/v1/wines/{wine.id}/reviews/me", headers=shopper.headers)).json()
    assert own["review"]["verified"] is True
    shown = (await client.get(f"/v1/wines/{other_wine.id}")).json()
    assert (shown["rating_mean"], shown["rating_verified_count"]) == (3.5, 0)
    raw = await Wine.get_pymongo_collection().find_one({"_id": other_wine.id}, {"rating": 1})
    assert raw["rating"] == {"count": 2, "total": 7.0, "verified_count": 0, "verified_total": 0.0}
    assert (await client.get(f"/v1/wines/{wine.id}")).json()["rating_verified_count"] == 1


async def test_recounting_rebuilds_aggregates_written_before_verified_sums_existed(
    client: AppClient, shopper: Shopper, admin: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine())
    await pay(client, admin, await buy(client, shopper.headers, (wine, 1)))
    await client.put(f"/v1/wines/{wine.id}/reviews/me", json={"rating": 5}, headers=shopper.headers)
    await client.put(f"/v1/wines/{wine.id}/reviews/me", json={"rating": 1}, headers=await quick_shopper(client.app))
    collection = Wine.get_pymongo_collection()
    await collection.update_one(
        {"_id": wine.id}, {"$unset": {"rating.verified_count": "", "rating.verified_total": ""}}
    )
    assert (await client.get(f"/v1/wines/{wine.id}")).json()["rating_mean"] == 3.0  # legacy: all weigh alike
    assert await services_of(client.app).commerce.reviews.recount_all() == 1
    assert (await client.get(f"/v1/wines/{wine.id}")).json()["rating_mean"] == 4.2


async def test_my_reviews_are_mine_only_newest_first_and_paged_with_the_wines_names(
    client: AppClient, shopper: Shopper
) -> None:
    wines = await insert_wines(*(make_wine(name=f"Mine {i}") for i in range(3)))
    for wine in wines:
        await client.put(f"/v1/wines/{wine.id}/reviews/me", json={"rating": 4}, headers=shopper.headers)
    someone = await quick_shopper(client.app)
    await client.put(f"/v1/wines/{wines[0].id}/reviews/me", json={"rating": 1}, headers=someone)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for i, wine in enumerate(wines):  # written a day apart, the last one newest
        await Review.get_pymongo_collection().update_one(
            {"user_id": shopper.id, "wine_id": wine.id}, {"$set": {"created_at": start + timedelta(days=i)}}
        )

    first = (await client.get("/v1/me/reviews", params={"per_page": 2}, headers=shopper.headers)).json()
    assert (first["total"], first["page"], first["per_page"]) == (3, 1, 2)
    assert [(r["wine"]["id"], r["wine"]["name"]) for r in first["items"]] == [
        (wines[2].id, "Mine 2"),
        (wines[1].id, "Mine 1"),
    ]
    second = (await client.get("/v1/me/reviews?page=2&per_page=2", headers=shopper.headers)).json()
    assert [r["wine"]["name"] for r in second["items"]] == ["Mine 0"] and second["items"][0]["rating"] == 4
    theirs = (await client.get("/v1/me/reviews", headers=someone)).json()
    assert [(r["wine"]["id"], r["rating"]) for r in theirs["items"]] == [(wines[0].id, 1.0)] and theirs["total"] == 1
    assert (await client.get("/v1/me/reviews")).status_code == 401
    for bad in ("page=0", "per_page=101", "page=x"):
        answer = await client.get(f"/v1/me/reviews?{bad}", headers=shopper.headers)
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")


async def test_my_review_is_an_explicit_empty_answer_until_written_and_only_an_unknown_wine_is_404(
    client: AppClient, shopper: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine())
    other = await quick_shopper(client.app)
    url = f"/v1/wines/{wine.id}/reviews/me"
    await client.put(url, json={"rating": 3, "text": "Not mine."}, headers=other)
    empty = await client.get(url, headers=shopper.headers)
    assert empty.status_code == 200 and empty.json() == {"wine": {"id": wine.id, "name": wine.name}, "review": None}
    await client.put(url, json={"rating": 4, "text": "Mine."}, headers=shopper.headers)
    mine = (await client.get(url, headers=shopper.headers)).json()
    assert mine["wine"]["id"] == wine.id and (mine["review"]["rating"], mine["review"]["text"]) == (4, "Mine.")
    missing = await client.get("/v1/wines/no-such-wine/reviews/me", headers=shopper.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "wine_not_found"
