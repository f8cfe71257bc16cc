"""Issue 19's acceptance, driven as shoppers do: three palates see different wine pages, pre-filtered searches and
carousels that change while they browse, each explained in their own terms."""

from __future__ import annotations

from typing import Any

from documents import Wine
from tests.api.clickstream.conftest import _purge_stream_keys, event, redis
from tests.api.recommendations.conftest import allow, for_you
from tests.api.recommendations.test_for_you import BIG_RED_ANSWERS, CRISP_BUBBLES_ANSWERS, quiz
from tests.api.recommendations.test_within_visit import beacon, ids, looked_at, taught
from tests.conftest import AppClient, Shopper, sign_up

__all__ = ["_purge_stream_keys", "redis"]  # fixtures used here

SWEET_ANSWERS = {
    "coffee": "sweet",
    "tea": "light",
    "citrus": "fine",
    "chocolate": "white",
    "texture": "whole",
    "bubbles": "rarely",
    "wine": "sweet",
}
PALATES = {
    "bold": (BIG_RED_ANSWERS, {"styles": ["red"]}),
    "fresh": (CRISP_BUBBLES_ANSWERS, {"styles": ["sparkling"]}),
    "sweet": (SWEET_ANSWERS, {"styles": ["dessert"]}),
}


async def shoppers(client: AppClient) -> dict[str, Shopper]:
    """Three sign-ups who consent, take the quiz their own way and state one favourite style."""
    out = {}
    for name, (answers, favourites) in PALATES.items():
        shopper = await sign_up(client)
        await allow(client, shopper)
        await quiz(client, shopper, answers)
        response = await client.patch("/v1/me/preferences", json=favourites, headers=shopper.headers)
        assert response.status_code == 200, response.text
        out[name] = shopper
    return out


async def get(client: AppClient, url: str, shopper: Shopper, **params: Any) -> dict[str, Any]:
    response = await client.get(url, params=params, headers=shopper.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_three_palates_see_their_own_wine_page_search_and_carousel(
    client: AppClient, cellar: list[Wine], redis: Any
) -> None:
    await taught(client, cellar)  # earlier customers bought the two reds together, and the two sparkling wines
    people = await shoppers(client)
    pinot = cellar[5]  # a light red: too light for one, too dry for another, still for the third

    pages = {name: await get(client, f"/v1/wines/{pinot.id}/for-me", s) for name, s in people.items()}
    assert all(page["personalised"] for page in pages.values())
    assert len({tuple(page["palate"]) for page in pages.values()}) == 3  # three different sentences, one wine

    searches = {name: await get(client, "/v1/search", s, per_page=3) for name, s in people.items()}
    for name, (_, favourites) in PALATES.items():
        (style,) = favourites["styles"]
        assert searches[name]["understood"]["your_favourites"] == style  # the chip the storefront shows
        assert searches[name]["items"][0]["wine"]["style"] == style

    carousels = {name: ids(await for_you(client, s, per_page=5)) for name, s in people.items()}
    assert len({tuple(c) for c in carousels.values()}) == 3

    bold = people["bold"]
    looked = cellar[0]  # a Napa Cabernet, whose co-purchase partner is a Barossa Syrah
    await beacon(client, redis, [event("wine_viewed", wine_id=looked.id)], bold.headers)
    moved = await for_you(client, bold, per_page=5)
    assert ids(moved) != carousels["bold"]  # the visit moved the carousel, no retraining in between
    assert [looked.name] in looked_at(moved).values()  # and it says so in the shopper's terms
