"""GET /v1/me/history: the shopper's own views and searches, from beacon to worker to the API, and gone when
consent is withdrawn or the account erased."""

from __future__ import annotations

from typing import Any

from documents import Interaction
from tests.api.clickstream.conftest import ago, consent, event, post, signed_in_with_consent, worker_for
from tests.conftest import PASSWORD, AppClient, Shopper, sign_up
from tests.factories import insert_wines, make_wine


async def browse(client: AppClient, shopper: Shopper, redis: Any, *events: dict[str, Any]) -> None:
    """The storefront's beacon for `shopper`, applied by a worker."""
    await post(client, list(events), shopper.headers)
    worker = worker_for(client, redis, f"w-{shopper.id}")
    await worker.ensure_group()
    assert await worker.poll_once() == len(events)


async def history(client: AppClient, shopper: Shopper, query: str = "") -> dict[str, Any]:
    response = await client.get(f"/v1/me/history{query}", headers=shopper.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_my_history_lists_views_and_searches_newest_first_paged_and_by_kind(
    client: AppClient, shopper: Shopper, redis: Any
) -> None:
    merlot, syrah = await insert_wines(make_wine(name="History Merlot"), make_wine(name="History Syrah"))
    await signed_in_with_consent(client, shopper)
    await browse(
        client,
        shopper,
        redis,
        event(wine_id=merlot.id, occurred_at=ago(50)),
        event("search_performed", query="syrah", results_count=4, occurred_at=ago(40)),
        event(wine_id=syrah.id, occurred_at=ago(30)),
        event("cart_item_added", wine_id=syrah.id, occurred_at=ago(25)),  # neither a view nor a search
        event(wine_id=merlot.id, occurred_at=ago(20)),
        event("search_performed", query="merlot", results_count=0, occurred_at=ago(10)),
    )

    everything = await history(client, shopper)
    assert (everything["total"], everything["page"], everything["per_page"]) == (5, 1, 20)
    assert [(h["kind"], (h["wine"] or {}).get("name") or h["query"]) for h in everything["items"]] == [
        ("search", "merlot"),
        ("view", "History Merlot"),
        ("view", "History Syrah"),
        ("search", "syrah"),
        ("view", "History Merlot"),
    ]
    views = await history(client, shopper, "?kind=view&per_page=2&page=2")
    assert views["total"] == 3 and [(h["wine"]["id"], h["wine"]["name"]) for h in views["items"]] == [
        (merlot.id, "History Merlot")
    ]
    searches = await history(client, shopper, "?kind=search")
    assert [(h["query"], h["results_count"], h["wine"]) for h in searches["items"]] == [
        ("merlot", 0, None),
        ("syrah", 4, None),
    ]
    for bad in ("?kind=purchase", "?page=0", "?per_page=101"):
        answer = await client.get(f"/v1/me/history{bad}", headers=shopper.headers)
        assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")


async def test_only_the_owner_sees_their_history(client: AppClient, shopper: Shopper, redis: Any) -> None:
    (wine,) = await insert_wines(make_wine(name="Private Pinot"))
    await signed_in_with_consent(client, shopper)
    await browse(client, shopper, redis, event(wine_id=wine.id), event("search_performed", query="pinot"))
    stranger = await signed_in_with_consent(client, await sign_up(client))
    assert await history(client, stranger) == {"items": [], "page": 1, "per_page": 20, "total": 0}
    assert (await client.get("/v1/me/history")).status_code == 401
    assert (await history(client, shopper))["total"] == 2


async def test_export_holds_the_history_and_withdrawing_consent_or_erasure_removes_it(
    client: AppClient, shopper: Shopper, redis: Any
) -> None:
    (wine,) = await insert_wines(make_wine())
    await signed_in_with_consent(client, shopper)
    await browse(client, shopper, redis, event(wine_id=wine.id), event("search_performed", query="tempranillo"))
    export = (await client.get("/v1/me/export", headers=shopper.headers)).json()
    assert [i["wine_id"] for i in export["browsing_history"]] == [wine.id]
    assert [i["query"] for i in export["search_history"]] == ["tempranillo"]

    await consent(client, shopper.headers, analytics=False)
    assert (await history(client, shopper))["total"] == 0

    await signed_in_with_consent(client, shopper)
    await browse(client, shopper, redis, event(wine_id=wine.id))
    assert (await history(client, shopper))["total"] == 1
    erased = await client.request("DELETE", "/v1/me", json={"password": PASSWORD}, headers=shopper.headers)
    assert erased.status_code == 200 and erased.json()["removed"]["interactions"] == 1
    assert await Interaction.find({"user_id": shopper.id}).count() == 0
    assert (await history(client, shopper))["items"] == []  # reads with a leftover token find nothing
