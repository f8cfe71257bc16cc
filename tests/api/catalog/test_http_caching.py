"""HTTP caching of the public reads: ETags, 304s, tags that follow every change a shopper could see, and
nothing a signed-in caller was given left for a shared cache."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.caching import MAX_AGE_S
from documents import Wine
from tests.conftest import SEARCH_URL, AppClient, Shopper
from tests.factories import insert_wines, make_wine

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PUBLIC = f"public, max-age={MAX_AGE_S}"


async def shelf(client: AppClient) -> Wine:
    wine, other = await insert_wines(
        make_wine(name="Viña Cacheable Reserva", region="Rioja", country="Spain", price_cents=2000, stock=5),
        make_wine(name="Château Bystander", price_cents=2500, stock=5),
    )
    await client.app.state.services.catalog.sync_to_index([wine.id, other.id])
    return wine


def reads(wine_id: str) -> list[tuple[str, dict[str, str]]]:
    """Every cached public read that shows this wine's price or stock."""
    return [
        ("/v1/wines", {}),
        (f"/v1/wines/{wine_id}", {}),
        ("/v1/search", {"q": "cacheable"}),
        (f"/v1/wines/{wine_id}/reviews", {}),
    ]


async def tags(client: AppClient, wine_id: str) -> dict[str, str]:
    out = {}
    for path, params in reads(wine_id):
        response = await client.get(path, params=params)
        assert response.status_code == 200, response.text
        out[path] = response.headers["etag"]
    return out


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/wines", {}),
        ("/v1/wines/{id}", {}),
        ("/v1/wines/{id}/reviews", {}),
        ("/v1/search", {"q": "reserva"}),
        ("/v1/search/suggest", {"q": "cache"}),
    ],
)
async def test_public_reads_carry_an_etag_and_answer_304_to_a_matching_if_none_match(
    client: AppClient, path: str, params: dict[str, str]
) -> None:
    wine = await shelf(client)
    url = path.format(id=wine.id)
    first = await client.get(url, params=params)
    assert first.status_code == 200 and first.json()
    tag = first.headers["etag"]
    assert tag.startswith('W/"') and tag.endswith('"')
    assert first.headers["cache-control"] == PUBLIC
    assert first.headers["vary"] == "Authorization"

    again = await client.get(url, params=params, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert "content-type" not in again.headers and again.headers.get("content-length", "0") == "0"
    assert (again.headers["etag"], again.headers["cache-control"], again.headers["vary"]) == (
        tag,
        PUBLIC,
        "Authorization",
    )


async def test_if_none_match_compares_weakly_and_accepts_lists_and_star(client: AppClient) -> None:
    wine = await shelf(client)
    url = f"/v1/wines/{wine.id}"
    tag = (await client.get(url)).headers["etag"]
    strong = tag.removeprefix("W/")
    for header in (strong, f'"other", {tag}', f'W/"a,b", {strong}', "*"):
        assert (await client.get(url, headers={"If-None-Match": header})).status_code == 304, header
    for header in ('W/"other"', '"other", W/"more"', tag[:-2] + '"'):
        response = await client.get(url, headers={"If-None-Match": header})
        assert response.status_code == 200 and response.json()["id"] == wine.id, header


async def test_a_price_tick_changes_the_tag_of_every_read_that_shows_the_price(
    client: AppClient, admin: Shopper
) -> None:
    pricing = client.app.state.services.pricing
    await pricing.stop()  # the test moves time and runs the scheduler's tick itself
    now = T0
    pricing.clock = lambda: now
    wine = await shelf(client)
    rule = await client.post(
        "/v1/admin/price-rules",
        headers=admin.headers,
        json={
            "name": "Cache week",
            "kind": "promotion",
            "selector": {"wine_ids": [wine.id]},
            "percent_off": 20,
            "starts_at": (T0 + timedelta(hours=1)).isoformat(),
        },
    )
    assert rule.status_code == 201, rule.text
    before = await tags(client, wine.id)

    now = T0 + timedelta(hours=1)
    assert await pricing.tick() == 1
    after = await tags(client, wine.id)
    changed = {path for path in before if path != f"/v1/wines/{wine.id}/reviews"}  # reviews show no price
    assert {path for path in before if before[path] != after[path]} == changed
    page = await client.get(f"/v1/wines/{wine.id}", headers={"If-None-Match": before[f"/v1/wines/{wine.id}"]})
    assert page.status_code == 200 and page.json()["price"]["amount_minor"] == 1600


async def test_a_stock_change_by_checkout_or_by_an_operator_changes_the_tag(
    client: AppClient, admin: Shopper, shopper: Shopper
) -> None:
    wine = await shelf(client)
    page = f"/v1/wines/{wine.id}"
    first = (await client.get(page)).headers["etag"]
    await client.put(f"/v1/me/cart/items/{wine.id}", json={"quantity": 1}, headers=shopper.headers)
    placed = await client.post("/v1/me/checkout", json={}, headers=shopper.headers)
    assert placed.status_code == 201, placed.text
    sold = await client.get(page, headers={"If-None-Match": first})
    assert sold.status_code == 200 and sold.json()["stock"] == 4
    patched = await client.patch(f"/v1/admin/wines/{wine.id}", json={"stock_delta": 10}, headers=admin.headers)
    assert patched.status_code == 200, patched.text
    restocked = await client.get(page, headers={"If-None-Match": sold.headers["etag"]})
    assert restocked.status_code == 200 and restocked.json()["stock"] == 14


async def test_a_new_wine_changes_the_tags_of_the_catalog_search_and_suggestions(
    client: AppClient, admin: Shopper
) -> None:
    await shelf(client)
    urls = [("/v1/wines", {}), ("/v1/search", {"q": "reserva"}), ("/v1/search/suggest", {"q": "cach"})]
    before = [(await client.get(u, params=p)).headers["etag"] for u, p in urls]
    created = await client.post(
        "/v1/admin/wines",
        headers=admin.headers,
        json={
            "name": "Cachette Reserva",
            "winery": "Bodega Nueva",
            "style": "red",
            "taste": {"sweetness": 0.1, "acidity": 0.5, "tannin": 0.5, "body": 0.6, "fizz": 0.0},
            "price": "12.00",
            "stock": 3,
        },
    )
    assert created.status_code == 201, created.text
    for (url, params), tag in zip(urls, before, strict=True):
        response = await client.get(url, params=params, headers={"If-None-Match": tag})
        assert response.status_code == 200, url
        assert "Cachette Reserva" in response.text, url


async def test_a_new_review_changes_the_tag_of_the_reviews_list(client: AppClient, shopper: Shopper) -> None:
    wine = await shelf(client)
    url = f"/v1/wines/{wine.id}/reviews"
    tag = (await client.get(url)).headers["etag"]
    put = await client.put(f"{url}/me", json={"rating": 4, "text": "Lovely."}, headers=shopper.headers)
    assert put.status_code == 201, put.text
    response = await client.get(url, headers={"If-None-Match": tag})
    assert response.status_code == 200 and response.json()["total"] == 1


@pytest.mark.parametrize("path", ["/v1/search", "/v1/wines/{id}", "/v1/wines", "/v1/search/suggest"])
async def test_a_signed_in_caller_gets_a_private_uncached_answer_without_a_tag(
    client: AppClient, shopper: Shopper, path: str
) -> None:
    wine = await shelf(client)
    url = path.format(id=wine.id)
    params = {"q": "cacheable"} if path.startswith("/v1/search") else {}
    public_tag = (await client.get(url, params=params)).headers["etag"]
    mine = await client.get(url, params=params, headers={**shopper.headers, "If-None-Match": public_tag})
    assert mine.status_code == 200 and mine.json()
    assert mine.headers["cache-control"] == "private, no-store"
    assert mine.headers["vary"] == "Authorization"
    assert "etag" not in mine.headers


async def test_errors_and_personal_reads_stay_no_store(client: AppClient, shopper: Shopper) -> None:
    for response in (
        await client.get("/v1/wines/no-such-wine"),
        await client.get("/v1/search", params={"price_min": "-1"}),
        await client.get("/v1/me/cart", headers=shopper.headers),
    ):
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert "etag" not in response.headers


@pytest.mark.skipif(SEARCH_URL.startswith("http"), reason="stops the embedded engine")
async def test_a_search_engine_outage_is_never_cached(client: AppClient) -> None:
    await client.app.state.services.backends.search.close()
    for url in ("/v1/search?q=merlot", "/v1/search/suggest?q=mer"):
        response = await client.get(url)
        assert response.status_code == 503
        assert response.headers["cache-control"] == "no-store" and "etag" not in response.headers


async def test_the_openapi_document_declares_the_conditional_get(client: AppClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    for path in ("/v1/wines", "/v1/wines/{wine_id}", "/v1/search", "/v1/search/suggest"):
        operation = paths[path]["get"]
        assert "304" in operation["responses"], path
        assert "ETag" in operation["responses"]["200"]["headers"], path
        assert any(p["name"] == "If-None-Match" and p["in"] == "header" for p in operation["parameters"]), path
    assert "304" not in paths["/v1/me/cart"]["get"]["responses"]
