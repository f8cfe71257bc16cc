"""Within the visit: a view, cart add or dismissal sent through the beacon and the worker changes the next
"for you" and "similar" answer without a retraining, and the reasons say which wine led there."""

from __future__ import annotations

from typing import Any

from documents import RecommendationLog, Wine
from tests.api.clickstream.conftest import _purge_stream_keys, event, issued_anonymous_id, post, redis, worker_for
from tests.api.commerce.conftest import buy
from tests.api.recommendations.conftest import allow, for_you, retrain
from tests.conftest import AppClient, Shopper, sign_up

__all__ = ["_purge_stream_keys", "redis"]  # fixtures used here


async def taught(client: AppClient, cellar: list[Wine]) -> None:
    """Co-purchases the model learns from: the two reds go together, and so do the two sparkling wines."""
    for n in range(8):
        buyer = await sign_up(client)
        pair = (cellar[0], cellar[1]) if n % 2 else (cellar[14], cellar[15])
        await buy(client, buyer.headers, (pair[0], 1), (pair[1], 1))
    await retrain(client)


async def beacon(
    client: AppClient, redis: Any, batch: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> None:
    """Events as the storefront sends them, applied by a worker (the embedded one is off in tests)."""
    await post(client, batch, headers)
    worker = worker_for(client, redis, "visit")
    await worker.ensure_group()
    assert await worker.poll_once() == len(batch)


async def get(client: AppClient, url: str, headers: dict[str, str] | None = None, **params: Any) -> dict[str, Any]:
    response = await client.get(url, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def ids(body: dict[str, Any]) -> list[str]:
    return [item["wine"]["id"] for item in body["items"]]


def looked_at(body: dict[str, Any]) -> dict[str, list[str]]:
    """wine id -> the wines its "because you looked at" reason names."""
    return {
        item["wine"]["id"]: reason["values"]
        for item in body["items"]
        for reason in item["reasons"]
        if reason["code"] == "because_you_looked_at"
    }


async def test_a_view_moves_the_next_for_you_without_a_retrain_and_the_reason_names_the_wine(
    client: AppClient, shopper: Shopper, cellar: list[Wine], redis: Any
) -> None:
    await taught(client, cellar)
    await allow(client, shopper)
    snapshot = client.app.state.services.recommendations.trainer.snapshot
    before = await for_you(client, shopper, per_page=6)
    champagne, prosecco = cellar[14], cellar[15]
    assert not looked_at(before)

    await beacon(client, redis, [event("wine_viewed", wine_id=champagne.id)], shopper.headers)
    after = await for_you(client, shopper, per_page=6)

    assert client.app.state.services.recommendations.trainer.snapshot is snapshot  # no retraining
    assert after["model_version"] == before["model_version"]
    assert ids(after) != ids(before) and champagne.id not in ids(after)
    assert ids(after)[0] == prosecco.id
    reason = after["items"][0]["reasons"][0]
    assert reason == {
        "code": "because_you_looked_at",
        "text": f"because you looked at {champagne.name}",
        "values": [champagne.name],
    }


async def test_a_cart_add_and_a_beacon_dismissal_count_at_once_too(
    client: AppClient, shopper: Shopper, cellar: list[Wine], redis: Any
) -> None:
    await taught(client, cellar)
    await allow(client, shopper)
    first = await for_you(client, shopper, per_page=6)
    dismissed = next(w for w in ids(first) if w not in {cellar[0].id, cellar[1].id})
    await beacon(
        client,
        redis,
        [
            event("cart_item_added", wine_id=cellar[0].id),
            event("recommendation_dismissed", rec_id=first["rec_id"], wine_id=dismissed),
        ],
        shopper.headers,
    )
    after = await for_you(client, shopper, per_page=6)
    assert dismissed not in ids(after) and cellar[0].id not in ids(after)
    assert looked_at(after).get(cellar[1].id) == [cellar[0].name]
    similar = await get(client, f"/v1/wines/{cellar[2].id}/similar", shopper.headers, per_page=19)
    assert dismissed not in ids(similar)


async def test_without_personalisation_consent_the_visit_only_filters(
    client: AppClient, shopper: Shopper, cellar: list[Wine], redis: Any
) -> None:
    await taught(client, cellar)
    await allow(client, shopper, personalisation=False)
    before = await get(client, f"/v1/wines/{cellar[16].id}/similar", shopper.headers, per_page=8)
    await beacon(client, redis, [event("wine_viewed", wine_id=cellar[0].id)], shopper.headers)
    after = await get(client, f"/v1/wines/{cellar[16].id}/similar", shopper.headers, per_page=8)
    assert ids(after) == ids(before) and not looked_at(after)
    assert (await for_you(client, shopper))["personalised"] is False


async def test_an_anonymous_visitor_gets_a_list_from_their_own_visit_and_nobody_else_does(
    client: AppClient, cellar: list[Wine], redis: Any
) -> None:
    await taught(client, cellar)
    mine, other = await issued_anonymous_id(client), await issued_anonymous_id(client)
    url = "/v1/recommendations/visitor"
    popular = await get(client, url, anonymous_id=mine, per_page=6)
    assert popular["personalised"] is False and "sign in" in popular["note"]
    champagne, prosecco = cellar[14], cellar[15]
    similar_before = await get(client, f"/v1/wines/{cellar[16].id}/similar", anonymous_id=mine, per_page=19)

    await beacon(client, redis, [event("wine_viewed", wine_id=champagne.id, anonymous_id=mine)])
    visit = await get(client, url, anonymous_id=mine, per_page=6)

    assert visit["personalised"] is True and "this visit" in visit["note"]
    assert champagne.id not in ids(visit) and ids(visit)[0] == prosecco.id
    assert looked_at(visit)[prosecco.id] == [champagne.name]
    log = await RecommendationLog.get(visit["rec_id"])
    assert log is not None and log.anonymous_id == mine and log.user_id is None
    similar_after = await get(client, f"/v1/wines/{cellar[16].id}/similar", anonymous_id=mine, per_page=19)
    assert ids(similar_after) != ids(similar_before)
    assert looked_at(similar_after) and set(map(tuple, looked_at(similar_after).values())) == {(champagne.name,)}
    # another browser's id, or none, sees nothing of it
    assert ids(await get(client, url, anonymous_id=other, per_page=6)) == ids(popular)
    assert not looked_at(await get(client, f"/v1/wines/{cellar[16].id}/similar", per_page=19))


async def test_a_retraining_keeps_an_anonymous_visit_the_model_never_learns(
    client: AppClient, cellar: list[Wine], redis: Any
) -> None:
    """A member's earlier interactions pass into the next training; a visitor's never do, so the visit must
    not be cut at the training's read of the history."""
    await taught(client, cellar)
    mine = await issued_anonymous_id(client)
    champagne, prosecco = cellar[14], cellar[15]
    await beacon(client, redis, [event("wine_viewed", wine_id=champagne.id, anonymous_id=mine)])
    before = await get(client, "/v1/recommendations/visitor", anonymous_id=mine, per_page=6)

    await retrain(client)
    after = await get(client, "/v1/recommendations/visitor", anonymous_id=mine, per_page=6)

    assert before["personalised"] is True
    assert after["personalised"] is True and looked_at(after)[prosecco.id] == [champagne.name]


async def test_an_anonymous_id_must_be_issued_and_once_linked_its_visit_is_the_accounts(
    client: AppClient, cellar: list[Wine], redis: Any
) -> None:
    await taught(client, cellar)
    forged = "A" * 22 + ".forgedsignature0000"
    response = await client.get("/v1/recommendations/visitor", params={"anonymous_id": forged})
    assert response.status_code == 422 and response.json()["code"] == "anonymous_id_not_issued"
    response = await client.get(f"/v1/wines/{cellar[0].id}/similar", params={"anonymous_id": forged})
    assert response.status_code == 422 and response.json()["code"] == "anonymous_id_not_issued"
    assert (await client.get("/v1/recommendations/visitor")).status_code == 422

    anonymous_id = await issued_anonymous_id(client)
    await beacon(client, redis, [event("wine_viewed", wine_id=cellar[14].id, anonymous_id=anonymous_id)])
    shopper = await sign_up(client)
    await allow(client, shopper)
    linked = await client.post("/v1/me/anonymous-id", json={"anonymous_id": anonymous_id}, headers=shopper.headers)
    assert linked.status_code == 200 and linked.json()["interactions"] == 1, linked.text
    # the holder of the id now reads it signed in; the id alone no longer opens the account's history
    assert (await get(client, "/v1/recommendations/visitor", anonymous_id=anonymous_id))["personalised"] is False
    assert looked_at(await for_you(client, shopper, per_page=6))[cellar[15].id] == [cellar[14].name]


async def test_a_beacon_dismissal_drops_the_wine_from_the_next_trending_and_popular_lists(
    client: AppClient, shopper: Shopper, cellar: list[Wine], redis: Any
) -> None:
    await taught(client, cellar)
    await allow(client, shopper)
    visitor = await issued_anonymous_id(client)
    lists = ("/v1/trending", "/v1/recommendations/popular")
    for url in lists:
        first = await get(client, url, per_page=19)
        theirs, mine = ids(first)[0], ids(first)[1]
        await beacon(
            client,
            redis,
            [event("recommendation_dismissed", rec_id=first["rec_id"], wine_id=theirs, anonymous_id=visitor)],
        )
        await beacon(
            client, redis, [event("recommendation_dismissed", rec_id=first["rec_id"], wine_id=mine)], shopper.headers
        )

        as_visitor = await get(client, url, anonymous_id=visitor, per_page=19)
        signed_in = await get(client, url, shopper.headers, per_page=19)

        assert theirs not in ids(as_visitor) and mine in ids(as_visitor), url
        assert mine not in ids(signed_in) and theirs in ids(signed_in), url
        assert {theirs, mine} <= set(ids(await get(client, url, per_page=19))), url  # nobody else's list
        log = await RecommendationLog.get(as_visitor["rec_id"])
        assert log is not None and log.anonymous_id == visitor and log.user_id is None
    forged = "A" * 22 + ".forgedsignature0000"
    for url in (*lists, f"/v1/wines/{cellar[0].id}/similar"):
        response = await client.get(url, params={"anonymous_id": forged})
        assert response.status_code == 422 and response.json()["code"] == "anonymous_id_not_issued"
        # not an id at all: refused by its bounds, even signed in (where a real id is ignored)
        response = await client.get(url, params={"anonymous_id": "false"}, headers=shopper.headers)
        assert response.status_code == 422 and response.json()["code"] == "validation_failed", url
