"""Catalog administration through the API: create, change, delist, with validation, access and audit."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from documents import AuditEntry, Wine
from tests.conftest import Shopper

Client = AsyncTestClient[Litestar]


def new_wine(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Clos des Fées Rouge",
        "winery": "Domaine du Clos des Fées",
        "vintage": 2019,
        "grapes": ["Grenache", "Syrah", "Carignan"],
        "region": "Roussillon",
        "country": "France",
        "style": "red",
        "taste": {"sweetness": 0.05, "acidity": 0.5, "tannin": 0.6, "body": 0.75, "fizz": 0.0},
        "food_pairings": ["Lamb", "Game Meat"],
        "abv": 14.5,
        "dietary": ["organic"],
        "price": "24.90",
        "stock": 12,
    }
    body.update(overrides)
    return body


async def create(client: Client, admin: Shopper, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/admin/wines", json=new_wine(**overrides), headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_admin_creates_a_wine_priced_in_currency_units(client: Client, admin: Shopper) -> None:
    wine = await create(client, admin)
    assert wine["price"]["amount"] == "24.90" and wine["price"]["amount_minor"] == 2490
    assert wine["grapes"] == ["Grenache", "Syrah", "Carignan"] and wine["listed"] is True
    assert wine["tasting_notes"] == "" and wine["demo_fields"] == []  # nothing made up when none are given
    public = (await client.get(f"/v1/wines/{wine['id']}")).json()
    assert public["name"] == "Clos des Fées Rouge" and public["stock"] == 12


async def test_given_tasting_notes_are_kept(client: Client, admin: Shopper) -> None:
    wine = await create(client, admin, tasting_notes="Garrigue and black olive.")
    assert wine["tasting_notes"] == "Garrigue and black olive."


BAD_FIELDS: list[tuple[dict[str, Any], str]] = [
    ({"vintage": 1700}, "vintage"),
    ({"vintage": 2300}, "vintage"),
    ({"price": "-1"}, "price"),
    ({"price": "12.999"}, "price"),
    ({"style": "orange"}, "style"),
    ({"taste": {"sweetness": 1.2, "acidity": 0.5, "tannin": 0.6, "body": 0.7, "fizz": 0}}, "taste"),
    ({"taste": {"sweetness": 0.2}}, "taste"),
    ({"stock": -3}, "stock"),
    ({"grapes": [f"Grape {i}" for i in range(21)]}, "grapes"),
    ({"grapes": [""]}, "grapes"),
    ({"name": ""}, "name"),
    ({"abv": 95}, "abv"),
    ({"currency": "euro"}, "currency"),
    ({"listed_price": 3}, "listed_price"),
]


async def test_every_field_is_validated_and_bad_input_is_a_422_naming_it(client: Client, admin: Shopper) -> None:
    for overrides, field in BAD_FIELDS:
        response = await client.post("/v1/admin/wines", json=new_wine(**overrides), headers=admin.headers)
        assert response.status_code == 422, (overrides, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert field in response.json()["detail"], overrides
    assert (await client.get("/v1/wines")).json()["total"] == 0


async def test_a_vintage_later_than_next_year_is_refused(client: Client, admin: Shopper) -> None:
    year = client.app.state.services.clock().year
    response = await client.post("/v1/admin/wines", json=new_wine(vintage=year + 2), headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "vintage"
    assert (
        await client.post("/v1/admin/wines", json=new_wine(vintage=year + 1), headers=admin.headers)
    ).status_code == 201


async def test_a_taken_source_id_is_a_conflict(client: Client, admin: Shopper) -> None:
    first = await create(client, admin, source_id="cellar:42")
    response = await client.post("/v1/admin/wines", json=new_wine(source_id="cellar:42"), headers=admin.headers)
    assert response.status_code == 409
    assert first["id"] in response.json()["detail"]


async def test_an_admin_changes_only_the_fields_sent(client: Client, admin: Shopper) -> None:
    wine = await create(client, admin)
    response = await client.patch(
        f"/v1/admin/wines/{wine['id']}",
        headers=admin.headers,
        json={"price": 19.5, "stock": 3, "taste": {"acidity": 0.8}, "vintage": None},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["price"]["amount"] == "19.50" and body["stock"] == 3 and body["vintage"] is None
    assert body["taste"] == {**wine["taste"], "acidity": 0.8}
    assert body["name"] == wine["name"] and body["grapes"] == wine["grapes"]
    assert body["updated_at"] >= wine["updated_at"]


async def test_stock_delta_adds_and_takes_but_never_below_zero(client: Client, admin: Shopper) -> None:
    wine = await create(client, admin, stock=5)
    url = f"/v1/admin/wines/{wine['id']}"
    assert (await client.patch(url, json={"stock_delta": 7}, headers=admin.headers)).json()["stock"] == 12
    refused = await client.patch(url, json={"stock_delta": -13}, headers=admin.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_stock"
    assert (await client.patch(url, json={"stock_delta": -12}, headers=admin.headers)).json()["stock"] == 0


async def test_bad_updates_are_422_and_change_nothing(client: Client, admin: Shopper) -> None:
    wine = await create(client, admin)
    bodies: list[dict[str, Any]] = [
        {"name": None},
        {"price": None},
        {"stock": 1, "stock_delta": 1},
        {"stock": -1},
        {"colour": "red"},
        {"taste": {"umami": 0.3}},
    ]
    for body in bodies:
        response = await client.patch(f"/v1/admin/wines/{wine['id']}", json=body, headers=admin.headers)
        assert response.status_code == 422, (body, response.text)
    assert (await client.get(f"/v1/wines/{wine['id']}")).json()["updated_at"] == wine["updated_at"]


async def test_changing_an_unknown_wine_is_a_404(client: Client, admin: Shopper) -> None:
    response = await client.patch("/v1/admin/wines/nope", json={"stock": 1}, headers=admin.headers)
    assert response.status_code == 404 and response.json()["code"] == "wine_not_found"
    assert (await client.delete("/v1/admin/wines/nope", headers=admin.headers)).status_code == 404


async def test_delisting_hides_a_wine_but_keeps_it_for_order_history(client: Client, admin: Shopper) -> None:
    wine = await create(client, admin)
    url = f"/v1/admin/wines/{wine['id']}"
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    assert (await client.delete(url, headers=admin.headers)).status_code == 204  # idempotent
    assert (await client.get("/v1/wines")).json()["total"] == 0
    kept = (await client.get(f"/v1/wines/{wine['id']}")).json()
    assert kept["listed"] is False and kept["in_stock"] is False
    relisted = await client.patch(url, json={"listed": True}, headers=admin.headers)
    assert relisted.json()["listed"] is True
    assert (await client.get("/v1/wines")).json()["total"] == 1


async def test_admin_actions_are_audited_with_actor_action_and_target(client: Client, admin: Shopper) -> None:
    wine = await create(client, admin)
    await client.patch(f"/v1/admin/wines/{wine['id']}", json={"price": "30"}, headers=admin.headers)
    await client.delete(f"/v1/admin/wines/{wine['id']}", headers=admin.headers)
    entries = await AuditEntry.find({"target_id": wine["id"], "target_type": "wine"}).sort([("at", 1)]).to_list()
    assert [e.action for e in entries] == ["wine.created", "wine.updated", "wine.delisted"]
    assert {e.actor_id for e in entries} == {admin.id}
    assert entries[1].details["list_price_cents"] == 3000 and entries[1].details["fields"] == ["list_price_cents"]
    routes = await AuditEntry.find({"target_id": wine["id"], "target_type": "route"}).to_list()
    assert sorted(e.details["method"] for e in routes) == ["DELETE", "PATCH"]  # and every admin request as such


async def test_shoppers_are_refused_and_anonymous_callers_must_sign_in(client: Client, shopper: Shopper) -> None:
    calls = [
        ("POST", "/v1/admin/wines"),
        ("PATCH", "/v1/admin/wines/x"),
        ("DELETE", "/v1/admin/wines/x"),
        ("POST", "/v1/admin/wines/import"),
    ]
    for method, url in calls:
        as_shopper = await client.request(method, url, json={}, headers=shopper.headers)
        assert as_shopper.status_code == 403, (method, url)
        anonymous = await client.request(method, url, json={})
        assert anonymous.status_code == 401, (method, url)


async def test_numbers_flags_amounts_and_currencies_are_taken_only_as_json_and_iso_4217_says(
    client: Client, admin: Shopper
) -> None:
    base = new_wine(name="Strict Red", price="12.90")
    for change, field in [
        ({"stock": "5"}, "stock"),
        ({"stock": True}, "stock"),
        ({"listed": "true"}, "listed"),
        ({"price": True}, "price"),
        ({"vintage": "2019"}, "vintage"),
        ({"currency": "XXX"}, "currency"),  # not an ISO 4217 code this shop knows
        ({"currency": "USD"}, "currency"),  # ISO 4217, but the shop prices in EUR only (CUVEE_CURRENCIES)
    ]:
        response = await client.post("/v1/admin/wines", json={**base, **change}, headers=admin.headers)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["errors"][0]["field"] == field, change
    for change, field in [({"taste": {**base["taste"], "body": "0.5"}}, "taste.body")]:
        response = await client.post("/v1/admin/wines", json={**base, **change}, headers=admin.headers)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, response.text
    assert await Wine.count() == 0  # nothing of it was stored
    created = await client.post("/v1/admin/wines", json={**base, "price": 12.9}, headers=admin.headers)
    assert created.status_code == 201 and created.json()["price"] == {
        "amount": "12.90",
        "amount_minor": 1290,
        "currency": "EUR",
    }
