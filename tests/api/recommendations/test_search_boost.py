"""Personalised search: vague queries are ordered by the shopper's taste; names of wines and producers never."""

from __future__ import annotations

from typing import Any

import pytest

from app.recommendations.boost import is_vague
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
