"""Reviews over the API: one per user and wine, verified buyers, and a rating aggregate that stays exact."""

from __future__ import annotations

import asyncio

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
    assert mine.status_code == 200 and mine.json() == {"wine_id": wine.id, "review": None}
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


async def test_my_review_is_an_explicit_empty_answer_until_written_and_only_an_unknown_wine_is_404(
    client: AppClient, shopper: Shopper
) -> None:
    (wine,) = await insert_wines(make_wine())
    other = await quick_shopper(client.app)
    url = f"/v1/wines/{wine.id}/reviews/me"
    await client.put(url, json={"rating": 3, "text": "Not mine."}, headers=other)
    empty = await client.get(url, headers=shopper.headers)
    assert empty.status_code == 200 and empty.json() == {"wine_id": wine.id, "review": None}
    await client.put(url, json={"rating": 4, "text": "Mine."}, headers=shopper.headers)
    mine = (await client.get(url, headers=shopper.headers)).json()
    assert mine["wine_id"] == wine.id and (mine["review"]["rating"], mine["review"]["text"]) == (4, "Mine.")
    missing = await client.get("/v1/wines/no-such-wine/reviews/me", headers=shopper.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "wine_not_found"
