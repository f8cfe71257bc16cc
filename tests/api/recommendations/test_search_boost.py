"""Personalised search: vague queries are ordered by the shopper's taste; names of wines and producers never."""

from __future__ import annotations

from typing import Any

import pytest

from app.recommendations.surfaces.boost import is_vague
from documents import Wine
from tests.api.recommendations.conftest import allow, retrain
from tests.conftest import AppClient, Shopper


async def styles_of(client: AppClient, shopper: Shopper | None, **params: Any) -> list[str]:
    response = await client.get("/v1/search", params=params, headers=shopper.headers if shopper else {})
    assert response.status_code == 200, response.text
    return [hit["wine"]["style"] for hit in response.json()["items"]]


async def like_sparkling(client: AppClient, shopper: Shopper) -> None:
    await allow(client, shopper)
    response = await client.patch("/v1/me/preferences", json={"styles": ["sparkling"]}, headers=shopper.headers)
    assert response.status_code == 200, response.text


@pytest.mark.usefixtures("cellar")
async def test_browsing_and_vague_queries_put_the_shoppers_styles_first(client: AppClient, shopper: Shopper) -> None:
    await retrain(client)
    await like_sparkling(client, shopper)
    assert (await styles_of(client, shopper))[:3] == ["sparkling"] * 3
    assert (await styles_of(client, shopper, q="France", per_page=3))[0] == "sparkling"  # one Champagne
    assert (await styles_of(client, None))[:3] != ["sparkling"] * 3  # anonymous: no boost


async def test_a_producer_or_wine_name_is_never_personalised(
    client: AppClient, shopper: Shopper, cellar: list[Wine]
) -> None:
    await retrain(client)
    await like_sparkling(client, shopper)
    index = client.app.state.services.backends.search
    assert await is_vague(index, "") and await is_vague(index, "red under 30")
    assert not await is_vague(index, "Winery 3")
    assert not await is_vague(index, cellar[5].name)
    anonymous = await client.get("/v1/search", params={"q": "Winery 3"})
    mine = await client.get("/v1/search", params={"q": "Winery 3"}, headers=shopper.headers)
    assert [h["wine"]["id"] for h in mine.json()["items"]] == [h["wine"]["id"] for h in anonymous.json()["items"]]


@pytest.mark.usefixtures("cellar")
async def test_without_personalisation_consent_search_is_not_boosted(client: AppClient, shopper: Shopper) -> None:
    await retrain(client)
    await like_sparkling(client, shopper)
    await allow(client, shopper, personalisation=False)
    assert await styles_of(client, shopper) == await styles_of(client, None)


# ---------------------------------------------------------------- favourites pre-applied, reported, removable
async def search_as(client: AppClient, shopper: Shopper | None, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/search", params=params, headers=shopper.headers if shopper else {})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def set_favourites(client: AppClient, shopper: Shopper, **preferences: Any) -> None:
    response = await client.patch("/v1/me/preferences", json=preferences, headers=shopper.headers)
    assert response.status_code == 200, response.text


FAVOURITES = {"styles": ["sparkling"], "regions": ["Champagne"], "price_range": {"min": 10, "max": 20}}


@pytest.mark.usefixtures("cellar")
async def test_browsing_starts_from_the_shoppers_favourites_and_says_which(client: AppClient, shopper: Shopper) -> None:
    await retrain(client)
    await allow(client, shopper)
    await set_favourites(client, shopper, **FAVOURITES)

    mine = await search_as(client, shopper, per_page=50)
    everyone = await search_as(client, None, per_page=50)

    assert mine["understood"]["your_favourites"] == "sparkling, Champagne, 10-20 EUR"
    wines = [hit["wine"] for hit in mine["items"]]
    assert wines[0]["style"] == "sparkling" and wines[0]["region"] == "Champagne"
    assert [w["style"] for w in wines[:3]] == ["sparkling"] * 3
    assert all(10 <= float(w["price"]["amount"]) <= 20 for w in wines[3:10])
    assert mine["total"] == everyone["total"] and mine["facets"] == everyone["facets"]  # ranked, nothing hidden
    assert "your_favourites" not in everyone["understood"]


@pytest.mark.usefixtures("cellar")
async def test_favourites_are_not_applied_without_personalisation_consent(client: AppClient, shopper: Shopper) -> None:
    await retrain(client)
    await allow(client, shopper, personalisation=False)
    await set_favourites(client, shopper, **FAVOURITES)

    mine = await search_as(client, shopper, per_page=50)

    assert "your_favourites" not in mine["understood"]
    assert mine["items"] == (await search_as(client, None, per_page=50))["items"]


@pytest.mark.usefixtures("cellar")
async def test_ignore_favourites_removes_them_and_nothing_else(client: AppClient, shopper: Shopper) -> None:
    await retrain(client)
    await allow(client, shopper)
    await set_favourites(client, shopper, **FAVOURITES)

    plain = await search_as(client, shopper, ignore="favourites", per_page=50)
    red = await search_as(client, shopper, q="red", ignore="favourites")

    assert "your_favourites" not in plain["understood"]
    assert plain["items"] == (await search_as(client, None, per_page=50))["items"]
    assert red["understood"] == {"style": "red"}  # the words are still read


@pytest.mark.usefixtures("cellar")
async def test_favourites_never_empty_a_page_and_only_name_what_can_reorder_it(
    client: AppClient, shopper: Shopper
) -> None:
    await retrain(client)
    await allow(client, shopper)
    await set_favourites(client, shopper, styles=["sparkling"], price_range={"min": 500})  # no wine costs that

    red = await search_as(client, shopper, q="red")
    browse = await search_as(client, shopper, per_page=50)
    by_price = await search_as(client, shopper, sort="price_asc")

    assert red["total"] == (await search_as(client, None, q="red"))["total"] > 0
    assert red["understood"]["your_favourites"] == "from 500 EUR"  # "red" fixes the style: sparkling cannot reorder
    assert browse["total"] == (await search_as(client, None))["total"]
    assert [hit["wine"]["style"] for hit in browse["items"][:3]] == ["sparkling"] * 3
    assert "your_favourites" not in by_price["understood"]  # sorted by price, favourites order nothing


@pytest.mark.usefixtures("cellar")
async def test_a_producer_name_is_never_ranked_by_favourites(client: AppClient, shopper: Shopper) -> None:
    await retrain(client)
    await allow(client, shopper)
    await set_favourites(client, shopper, **FAVOURITES)

    assert "your_favourites" not in (await search_as(client, shopper, q="Winery 14"))["understood"]
