"""Every catalog change is in the search index when the call that made it returns."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.settings import Settings
from documents import Wine
from search import open_index
from tests.conftest import SEARCH_URL, Shopper
from tests.factories import insert_wines, make_wine

Client = AsyncTestClient[Litestar]
TASTE = {"sweetness": 0.1, "acidity": 0.6, "tannin": 0.5, "body": 0.6, "fizz": 0.0}


async def hits(client: Client, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    return [h["wine"] for h in response.json()["items"]]  # the cards


async def create(client: Client, admin: Shopper, **fields: Any) -> str:
    body = {
        "name": "Gevrey-Chambertin",
        "winery": "Domaine Trapet",
        "style": "red",
        "grapes": ["Pinot Noir"],
        "country": "France",
        "region": "Burgundy",
        "taste": TASTE,
        "price": "55",
        "stock": 4,
        **fields,
    }
    response = await client.post("/v1/admin/wines", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_admin_create_update_and_delist_reach_search_at_once(client: Client, admin: Shopper) -> None:
    wine_id = await create(client, admin)
    (hit,) = await hits(client, q="gevrey")
    assert hit["id"] == wine_id and hit["price"]["amount"] == "55.00" and hit["in_stock"] is True
    url = f"/v1/admin/wines/{wine_id}"

    await client.patch(url, json={"price": "39.90"}, headers=admin.headers)
    assert [h["price"]["amount"] for h in await hits(client, q="gevrey", price_max="40")] == ["39.90"]
    await client.patch(url, json={"stock_delta": -4}, headers=admin.headers)
    assert await hits(client, q="gevrey", in_stock="true") == []
    await client.patch(url, json={"name": "Chambolle-Musigny"}, headers=admin.headers)
    assert await hits(client, q="gevrey") == [] and len(await hits(client, q="chambolle")) == 1

    await client.delete(url, headers=admin.headers)
    assert await hits(client, q="chambolle") == []
    assert (await client.get("/v1/search/suggest", params={"q": "chambol"})).json()["items"] == []
    await client.patch(url, json={"listed": True}, headers=admin.headers)
    assert len(await hits(client, q="chambolle")) == 1


async def test_sync_to_index_shows_stock_and_rating_changed_elsewhere(client: Client) -> None:
    catalog = client.app.state.services.catalog
    low, high = await insert_wines(make_wine(name="Low Rated Rioja", stock=2), make_wine(name="High Rated Rioja"))
    await catalog.sync_to_index([low.id, high.id])
    # what checkout and reviews do: conditional updates straight on the documents, then a sync
    collection = Wine.get_pymongo_collection()
    await collection.update_one({"_id": low.id, "stock": {"$gte": 2}}, {"$inc": {"stock": -2}})
    await collection.update_one({"_id": low.id}, {"$inc": {"rating.count": 1, "rating.total": 2.0}})
    await collection.update_one({"_id": high.id}, {"$inc": {"rating.count": 1, "rating.total": 5.0}})
    assert [h["in_stock"] for h in await hits(client, q="rioja", sort="price_asc")] == [True, True]  # stale

    assert await catalog.sync_to_index([low.id, high.id]) is True
    by_rating = await hits(client, q="rioja", sort="rating")
    assert [h["id"] for h in by_rating] == [high.id, low.id]
    assert [h["rating_mean"] for h in by_rating] == [5.0, 2.0]
    assert [h["id"] for h in await hits(client, q="rioja", in_stock="true")] == [high.id]


async def test_sync_to_index_removes_wines_that_are_gone(client: Client) -> None:
    catalog = client.app.state.services.catalog
    (wine,) = await insert_wines(make_wine(name="Ephemeral Fiano"))
    await catalog.sync_to_index([wine.id])
    assert len(await hits(client, q="ephemeral")) == 1
    await wine.delete()
    await catalog.sync_to_index([wine.id, "never-existed"])
    assert await hits(client, q="ephemeral") == []


@pytest.mark.skipif(SEARCH_URL.startswith("http"), reason="takes the embedded engine's writer lock")
async def test_a_write_while_search_is_down_is_saved_and_says_search_lags(
    client: Client, admin: Shopper, settings: Settings
) -> None:
    other_process = open_index(settings.effective_search_url)  # tantivy allows one writer per index
    await other_process.delete(["nothing"])  # takes and keeps the writer
    try:
        body = {"name": "Offline Barolo", "winery": "Cascina", "style": "red", "taste": TASTE, "price": "70"}
        response = await client.post("/v1/admin/wines", json=body, headers=admin.headers)
        assert response.status_code == 503
        assert response.json()["code"] == "search_sync_failed" and "reindex" in response.json()["detail"]
        assert await Wine.find_one({"name": "Offline Barolo"}) is not None
        assert await client.app.state.services.catalog.sync_to_index(["whatever"]) is False
    finally:
        await other_process.close()
