"""The wishlist over the API: idempotent adds, per-user entries, back-in-stock and price-drop flags."""

from __future__ import annotations

from documents import WishlistEntry
from tests.api.commerce.conftest import quick_shopper
from tests.conftest import AppClient, Shopper
from tests.factories import insert_wines, make_wine


async def test_adding_a_wine_twice_keeps_one_entry_and_its_first_price(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine(name="Wish", price_cents=3000))
    url = f"/v1/me/wishlist/{wine.id}"
    first = await client.put(url, headers=shopper.headers)
    assert first.status_code == 201
    await wine.set({"price_cents": 3500})
    second = await client.put(url, headers=shopper.headers)
    assert second.status_code == 200
    assert (
        second.json()["price_when_added"]["amount"] == "30.00" and second.json()["wine"]["price"]["amount"] == "35.00"
    )
    assert await WishlistEntry.find({"user_id": shopper.id}).count() == 1


async def test_entries_say_when_a_wine_is_back_in_stock_or_cheaper(client: AppClient, shopper: Shopper) -> None:
    sold_out, pricey, same = await insert_wines(
        make_wine(name="Sold out", stock=0), make_wine(name="Pricey"), make_wine(name="Same")
    )
    for wine in (sold_out, pricey, same):
        await client.put(f"/v1/me/wishlist/{wine.id}", headers=shopper.headers)
    await sold_out.set({"stock": 6})
    await pricey.set({"price_cents": 1200})
    body = (await client.get("/v1/me/wishlist", headers=shopper.headers)).json()
    flags = {e["wine"]["name"]: (e["wine"]["in_stock"], e["back_in_stock"], e["price_dropped"]) for e in body["items"]}
    assert flags == {"Sold out": (True, True, False), "Pricey": (True, False, True), "Same": (True, False, False)}
    assert body["total"] == 3
    one = (await client.get(f"/v1/me/wishlist/{pricey.id}", headers=shopper.headers)).json()
    assert one["wine"]["id"] == pricey.id
    assert one["entry"]["wine"]["price"]["amount"] == "12.00" and one["entry"]["price_when_added"]["amount"] == "15.00"


async def test_removing_is_idempotent_and_entries_are_per_user(client: AppClient, shopper: Shopper) -> None:
    (wine,) = await insert_wines(make_wine())
    other = await quick_shopper(client.app)
    await client.put(f"/v1/me/wishlist/{wine.id}", headers=other)
    url = f"/v1/me/wishlist/{wine.id}"
    assert await status_of(client, url, shopper.headers) == (200, None)  # the other's entry is not hers
    assert (await client.get("/v1/me/wishlist", headers=shopper.headers)).json()["items"] == []
    for _ in range(2):
        assert (await client.delete(url, headers=shopper.headers)).status_code == 204
    assert await status_of(client, url, other) == (200, wine.id)  # untouched
    assert (await client.delete(url, headers=other)).status_code == 204
    assert await status_of(client, url, other) == (200, None)


async def status_of(client: AppClient, url: str, headers: dict[str, str]) -> tuple[int, str | None]:
    """The status and the wished-for wine's id (None: not on the wishlist) of GET /v1/me/wishlist/{id}."""
    response = await client.get(url, headers=headers)
    entry = response.json()["entry"]
    return response.status_code, None if entry is None else entry["wine"]["id"]


async def test_a_wine_not_on_the_wishlist_is_an_explicit_empty_answer_and_only_an_unknown_wine_is_404(
    client: AppClient, shopper: Shopper
) -> None:
    listed, delisted = await insert_wines(make_wine(), make_wine(listed=False))
    for wine in (listed, delisted):
        response = await client.get(f"/v1/me/wishlist/{wine.id}", headers=shopper.headers)
        assert response.status_code == 200
        assert response.json() == {"wine": {"id": wine.id, "name": wine.name}, "entry": None}
    missing = await client.get("/v1/me/wishlist/no-such-wine", headers=shopper.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "wine_not_found"


async def test_unknown_and_delisted_wines_cannot_be_wished_for(client: AppClient, shopper: Shopper) -> None:
    (gone,) = await insert_wines(make_wine(listed=False))
    assert (await client.put("/v1/me/wishlist/nope", headers=shopper.headers)).status_code == 404
    assert (await client.put(f"/v1/me/wishlist/{gone.id}", headers=shopper.headers)).status_code == 409
    assert (await client.get("/v1/me/wishlist")).status_code == 401
