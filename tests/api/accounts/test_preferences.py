"""PATCH /v1/me/preferences: partial, normalised, bounded, and nothing changes on bad input."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from documents import User
from tests.conftest import Shopper


async def stored(user_id: str) -> dict[str, Any]:
    """The user document exactly as MongoDB holds it."""
    raw = await User.get_pymongo_collection().find_one({"_id": user_id})
    assert raw is not None
    return raw  # type: ignore[no-any-return]


async def patch(client: AsyncTestClient[Litestar], shopper: Shopper, body: dict[str, Any]) -> Any:
    return await client.patch("/v1/me/preferences", json=body, headers=shopper.headers)


async def test_preferences_are_normalised_to_the_known_vocabulary(
    client: AsyncTestClient[Litestar], shopper: Shopper
) -> None:
    response = await patch(
        client,
        shopper,
        {
            "styles": ["Rose", "RED", "red"],
            "grapes": ["shiraz", "pinot grigio", "Syrah"],
            "regions": ["saint emilion", "napa valley"],
            "countries": ["usa", "espana"],
            "wineries": ["domaine leflaive"],
            "dietary": ["Sulphite free", "VEGAN"],
            "dislikes": {"styles": ["sweet"], "grapes": ["cab sauv"]},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["styles"] == ["rosé", "red"]
    assert body["grapes"] == ["Syrah", "Pinot Gris"]
    assert body["regions"] == ["Saint-Émilion", "Napa Valley"]
    assert body["countries"] == ["United States", "Spain"]
    assert body["wineries"] == ["Domaine Leflaive"]
    assert body["dietary"] == ["sulfite-free", "vegan"]
    assert body["dislikes"]["styles"] == ["dessert"] and body["dislikes"]["grapes"] == ["Cabernet Sauvignon"]
    raw = (await stored(shopper.id))["preferences"]
    assert raw["styles"] == ["rosé", "red"] and raw["grapes"] == ["Syrah", "Pinot Gris"]


async def test_prices_are_currency_units_on_the_api_and_cents_in_storage(
    client: AsyncTestClient[Litestar], shopper: Shopper
) -> None:
    response = await patch(client, shopper, {"price_range": {"min": 20, "max": "100.5"}})
    assert response.json()["price_range"] == {
        "min": {"amount": "20.00", "amount_minor": 2000, "currency": "EUR"},
        "max": {"amount": "100.50", "amount_minor": 10050, "currency": "EUR"},
    }
    raw = (await stored(shopper.id))["preferences"]["price_range"]
    assert raw == {"min_cents": 2000, "max_cents": 10050}


async def test_only_the_fields_sent_change(client: AsyncTestClient[Litestar], shopper: Shopper) -> None:
    await patch(
        client,
        shopper,
        {
            "styles": ["red"],
            "regions": ["Rioja"],
            "price_range": {"min": 10, "max": 50},
            "dislikes": {"grapes": ["Merlot"]},
            "extra": {"food": "cheese"},
        },
    )
    response = await patch(
        client,
        shopper,
        {
            "regions": ["Douro"],
            "price_range": {"max": 80},
            "dislikes": {"wineries": ["Bad Winery"]},
            "extra": {"glass": "tulip"},
        },
    )
    body = response.json()
    assert body["styles"] == ["red"]
    assert body["regions"] == ["Douro"]
    assert body["price_range"] == {
        "min": {"amount": "10.00", "amount_minor": 1000, "currency": "EUR"},
        "max": {"amount": "80.00", "amount_minor": 8000, "currency": "EUR"},
    }
    assert body["dislikes"]["grapes"] == ["Merlot"] and body["dislikes"]["wineries"] == ["Bad Winery"]
    assert body["extra"] == {"food": "cheese", "glass": "tulip"}


async def test_null_removes_a_price_bound_or_an_extra_key_and_an_empty_list_clears(
    client: AsyncTestClient[Litestar], shopper: Shopper
) -> None:
    await patch(
        client,
        shopper,
        {"grapes": ["Merlot"], "price_range": {"min": 10, "max": 50}, "extra": {"food": "cheese", "glass": "tulip"}},
    )
    body = (await patch(client, shopper, {"grapes": [], "price_range": {"min": None}, "extra": {"glass": None}})).json()
    assert body["grapes"] == []
    assert body["price_range"] == {"min": None, "max": {"amount": "50.00", "amount_minor": 5000, "currency": "EUR"}}
    assert body["extra"] == {"food": "cheese"}
    body = (await patch(client, shopper, {"price_range": None})).json()
    assert body["price_range"] == {"min": None, "max": None}


async def test_an_empty_patch_changes_nothing(client: AsyncTestClient[Litestar], shopper: Shopper) -> None:
    await patch(client, shopper, {"regions": ["Rioja"]})
    before = await stored(shopper.id)
    response = await patch(client, shopper, {})
    assert response.status_code == 200 and response.json()["regions"] == ["Rioja"]
    assert await stored(shopper.id) == before


BAD_PATCHES: list[tuple[dict[str, Any], str]] = [
    ({"role": "admin"}, "role"),
    ({"preferences": {"styles": ["red"]}}, "preferences"),
    ({"styles": ["blue"]}, "styles.0"),
    ({"styles": "red"}, "styles"),
    ({"styles": None}, "styles"),
    ({"dietary": ["keto"]}, "dietary.0"),
    ({"grapes": [""]}, "grapes.0"),
    ({"grapes": [42]}, "grapes.0"),
    ({"regions": ["x" * 81]}, "regions.0"),
    ({"countries": [f"C{i}" for i in range(31)]}, "countries"),
    ({"price_range": {"min": -1}}, "price_range.min"),
    ({"price_range": {"min": 50, "max": 10}}, "price_range"),
    ({"price_range": {"min": "1.234"}}, "price_range.min"),
    ({"price_range": {"min": "cheap"}}, "price_range.min"),
    ({"price_range": {"avg": 3}}, "price_range.avg"),
    ({"price_range": {"min": 9000}}, "price_range"),  # crosses the stored max of 100
    ({"dislikes": {"wine_ids": ["../etc/passwd"]}}, "dislikes.wine_ids.0"),
    ({"dislikes": {"colours": ["red"]}}, "dislikes.colours"),
    ({"extra": {f"k{i}": i for i in range(21)}}, "extra"),
    ({"extra": {"a": {"b": {"c": {"d": 1}}}}}, "extra"),
    ({"extra": {"$set": 1}}, "extra"),
    ({"extra": {"note": "x" * 5000}}, "extra"),
    ({"extra": {f"k{i}": i for i in range(15)}}, "extra"),  # 20 stored + 15 new would pass the key limit
    ({"extra": "not an object"}, "extra"),
]


@pytest.mark.parametrize(("body", "field"), BAD_PATCHES)
async def test_bad_preferences_are_a_422_naming_the_field_and_change_nothing(
    client: AsyncTestClient[Litestar], shopper: Shopper, body: dict[str, Any], field: str
) -> None:
    setup = await patch(
        client, shopper, {"regions": ["Rioja"], "price_range": {"max": 100}, "extra": {f"s{i}": i for i in range(10)}}
    )
    assert setup.status_code == 200
    before = await stored(shopper.id)
    response = await patch(client, shopper, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert field in [e["field"] for e in problem["errors"]], problem
    assert await stored(shopper.id) == before


async def test_a_body_that_is_not_json_is_a_4xx_problem_and_changes_nothing(
    client: AsyncTestClient[Litestar], shopper: Shopper
) -> None:
    before = await stored(shopper.id)
    for content in [b"{not json", b"[]", b"null"]:
        response = await client.patch(
            "/v1/me/preferences", content=content, headers={**shopper.headers, "Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (content, response.status_code)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await stored(shopper.id) == before


@pytest.mark.concurrency
async def test_concurrent_updates_of_different_fields_are_all_kept(
    client: AsyncTestClient[Litestar], shopper: Shopper
) -> None:
    bodies = [
        {"regions": ["Rioja"]},
        {"countries": ["Spain"]},
        {"grapes": ["Tempranillo"]},
        {"wineries": ["Muga"]},
        {"dietary": ["vegan"]},
        {"price_range": {"max": 30}},
        *({"extra": {f"k{i}": i}} for i in range(6)),
    ]
    responses = await asyncio.gather(*(patch(client, shopper, b) for b in bodies))
    assert all(r.status_code == 200 for r in responses)
    prefs = (await stored(shopper.id))["preferences"]
    assert prefs["regions"] == ["Rioja"] and prefs["countries"] == ["Spain"]
    assert prefs["grapes"] == ["Tempranillo"] and prefs["wineries"] == ["Muga"]
    assert prefs["dietary"] == ["vegan"] and prefs["price_range"]["max_cents"] == 3000
    assert prefs["extra"] == {f"k{i}": i for i in range(6)}


async def test_dismissed_wines_join_the_dislikes_once_in_order_and_bounded(
    client: AsyncTestClient[Litestar], shopper: Shopper
) -> None:
    accounts = client.app.state.services.accounts
    await patch(client, shopper, {"regions": ["Rioja"]})
    for wine_id in ["w1", "w2", "w1", "w3"]:
        prefs = await accounts.dislike_wine(shopper.id, wine_id, keep_last=2)
    assert prefs.dislikes.wine_ids == ["w1", "w3"]
    assert prefs.regions == ["Rioja"]
    assert (await stored(shopper.id))["preferences"]["dislikes"]["wine_ids"] == ["w1", "w3"]
