"""Consent end to end: withdrawn analytics deletes stored behaviour; no personalisation means nothing personal."""

from __future__ import annotations

from typing import Any

from app.settings import Settings
from documents import Cart, Interaction, Order, RecommendationLog, Review, User, WishlistEntry, utcnow
from tests.api.privacy.conftest import event, ok, redis_text, use_everything
from tests.api.recommendations.conftest import cellar_wines
from tests.conftest import AppClient, Shopper
from tests.factories import insert_wines


async def theirs_in_mongodb(user_id: str, anonymous_id: str) -> dict[str, int]:
    owned = {"$or": [{"user_id": user_id}, {"anonymous_id": anonymous_id}]}
    return {
        "interactions": await Interaction.find(owned).count(),
        "recommendation_logs": await RecommendationLog.find(owned).count(),
    }


async def test_withdrawing_analytics_deletes_behaviour_everywhere_and_keeps_the_rest(
    client: AppClient, shopper: Shopper, admin: Shopper, settings: Settings
) -> None:
    fp = await use_everything(client, shopper, admin)
    assert (await theirs_in_mongodb(shopper.id, fp.anonymous_id))["interactions"] >= 5

    await ok(await client.put("/v1/me/consent", json={"analytics": False}, headers=shopper.headers))

    assert await theirs_in_mongodb(shopper.id, fp.anonymous_id) == {"interactions": 0, "recommendation_logs": 0}
    stream = "".join(
        text
        for key, text in (await redis_text(client, settings)).items()
        if key.endswith("events") or key.endswith(":dead")
    )
    assert not [t for t in [shopper.id, fp.anonymous_id, *fp.event_ids] if t in stream]
    assert not await RecommendationLog.find({"actions.ref": {"$in": fp.event_ids}}).count()
    user = await User.get(shopper.id)
    assert user is not None and user.anonymous_ids == [] and user.preferences.extra == {"note": fp.extra}
    # purchases, reviews, wishlist and cart are not behavioural tracking: they stay
    for document in (Order, Review, WishlistEntry, Cart):
        assert await document.find({"user_id": shopper.id}).count() == 1, document.__name__
    profile = await ok(await client.get("/v1/me/profile", headers=shopper.headers))
    assert profile["recently_viewed"] == []
    refused = await client.post(
        "/v1/events", json=[event("wine_viewed", wine_id=fp.wines[0].id)], headers=shopper.headers
    )
    assert refused.json()["results"][0]["reason"] == "no_consent"


async def test_a_withdrawal_asked_again_cleans_again(client: AppClient, shopper: Shopper) -> None:
    await ok(await client.put("/v1/me/consent", json={"analytics": False}, headers=shopper.headers))
    # a late write, as from a worker in another process that had not heard of the withdrawal yet
    await Interaction(
        id="late-event-0001", type="wine_viewed", user_id=shopper.id, wine_id="w", occurred_at=utcnow()
    ).insert()
    await ok(await client.put("/v1/me/consent", json={"analytics": False}, headers=shopper.headers))
    assert await Interaction.find({"user_id": shopper.id}).count() == 0


async def test_other_consents_leave_behaviour_alone(client: AppClient, shopper: Shopper, admin: Shopper) -> None:
    fp = await use_everything(client, shopper, admin)
    before = await theirs_in_mongodb(shopper.id, fp.anonymous_id)
    await ok(
        await client.put("/v1/me/consent", json={"marketing": False, "personalisation": False}, headers=shopper.headers)
    )
    assert await theirs_in_mongodb(shopper.id, fp.anonymous_id) == before


async def ids(client: AppClient, url: str, shopper: Shopper | None, **params: Any) -> list[str]:
    body = await ok(await client.get(url, params=params, headers=shopper.headers if shopper else {}))
    return [item["wine"]["id"] for item in body["items"]]  # one shape: recommendation and search items


async def test_without_personalisation_consent_nothing_is_personalised(client: AppClient, shopper: Shopper) -> None:
    wines = await insert_wines(*cellar_wines())
    assert await client.app.state.services.catalog.sync_to_index([w.id for w in wines], strict=True)
    await client.app.state.services.recommendations.retrain()
    await ok(await client.patch("/v1/me/preferences", json={"styles": ["sparkling"]}, headers=shopper.headers))
    await ok(
        await client.post(
            "/v1/me/taste-quiz", json={"answers": {"coffee": "sweet", "citrus": "avoid"}}, headers=shopper.headers
        )
    )

    async def personalised() -> tuple[bool, bool]:
        mine = await ok(await client.get("/v1/me/recommendations", params={"per_page": 8}, headers=shopper.headers))
        popular = await ids(client, "/v1/recommendations/popular", shopper, per_page=8)
        searched = await ids(client, "/v1/search", shopper, per_page=10)
        return (
            mine["personalised"] or [i["wine"]["id"] for i in mine["items"]] != popular,
            searched != await ids(client, "/v1/search", None, per_page=10),
        )

    assert await personalised() == (False, False)  # consent starts withheld
    await ok(await client.put("/v1/me/consent", json={"personalisation": True}, headers=shopper.headers))
    assert await personalised() == (True, True)
    await ok(await client.put("/v1/me/consent", json={"personalisation": False}, headers=shopper.headers))
    assert await personalised() == (False, False)
