"""The merchant's search report: searches and result clicks through the beacon and the worker, then read back."""

from __future__ import annotations

from typing import Any

from tests.api.clickstream.conftest import _purge_stream_keys, event, post, redis, worker_for
from tests.conftest import AppClient, Shopper, make_admin
from tests.factories import insert_wines, make_wine

__all__ = ["_purge_stream_keys", "redis"]  # fixtures used here


async def test_the_report_shows_top_queries_dead_ends_and_clicks_with_todays_reading(
    client: AppClient, shopper: Shopper, redis: Any
) -> None:
    await insert_wines(
        make_wine(id="duck-red", name="Bourgogne Rouge", region="Burgundy", country="France", grapes=["Pinot Noir"]),
        make_wine(id="white", name="Sancerre", style="white", region="Loire", country="France"),
    )
    assert await client.app.state.services.catalog.sync_to_index(["duck-red", "white"])
    searches = [
        event("search_performed", query="french red", results_count=1),
        event("search_performed", query="French  RED", results_count=1),  # the same query, worded alike
        event("search_performed", query="french red", results_count=1),
        event("search_result_clicked", query="french red", wine_id="duck-red", position=0),
        event("search_performed", query="unicorn tears", results_count=0),
        event("search_performed", query="unicorn tears", results_count=0),
        event("search_performed", query="sancerre", results_count=1),
    ]
    await post(client, searches)
    worker = worker_for(client, redis, "search-report")
    await worker.ensure_group()
    assert await worker.poll_once() == len(searches)

    assert (await client.get("/v1/admin/analytics/search", headers=shopper.headers)).status_code == 403
    admin = await make_admin(client)
    response = await client.get("/v1/admin/analytics/search", params={"days": 7}, headers=admin.headers)
    assert response.status_code == 200, response.text
    report = response.json()

    assert (report["searches"], report["distinct_queries"], report["empty_searches"], report["clicks"]) == (6, 3, 2, 1)
    top = report["top_queries"][0]
    assert (top["query"].casefold().split(), top["searches"], top["clicks"]) == (["french", "red"], 3, 1)
    assert top["click_through"] == round(1 / 3, 4) and top["shoppers"] == 3
    assert top["understood"] == {"country": "France", "style": "red"} and top["found_now"] == 1
    dead_end = report["no_results"][0]
    assert (dead_end["query"], dead_end["empty_searches"], dead_end["found_now"]) == ("unicorn tears", 2, 0)
    assert [q["query"] for q in report["no_clicks"]] == ["sancerre"]  # found a wine, nobody opened it


async def test_report_parameters_are_bounded(client: AppClient) -> None:
    admin = await make_admin(client)
    for params in ({"days": 0}, {"days": 400}, {"limit": 0}, {"limit": 101}):
        response = await client.get("/v1/admin/analytics/search", params=params, headers=admin.headers)
        assert response.status_code == 400 or response.status_code == 422, (params, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
