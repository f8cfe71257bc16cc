"""GET /v1/wines/{id}/for-me: one wine against the caller's palate, foods and stated needs."""

from __future__ import annotations

from typing import Any

from documents import Dietary, Style, TasteStructure, Wine
from tests.api.commerce.conftest import buy
from tests.api.recommendations.conftest import allow, retrain
from tests.api.recommendations.test_for_you import BIG_RED_ANSWERS, CRISP_BUBBLES_ANSWERS, quiz
from tests.conftest import AppClient, Shopper, sign_up
from tests.factories import insert_wines, make_wine


async def light_red(**overrides: Any) -> Wine:
    values: dict[str, Any] = {
        "style": Style.red,
        "grapes": ["Pinot Noir"],
        "taste": TasteStructure(sweetness=0.05, acidity=0.6, tannin=0.3, body=0.4, fizz=0.0),
        "food_pairings": ["Poultry", "Mushrooms", "Lean Fish"],
        "dietary": [Dietary.organic],
    }
    values.update(overrides)
    (wine,) = await insert_wines(make_wine(**values))
    return wine


async def for_me(client: AppClient, shopper: Shopper, wine: Wine) -> dict[str, Any]:
    response = await client.get(f"/v1/wines/{wine.id}/for-me", headers=shopper.headers)
    assert response.status_code == 200, response.text
    assert "no-store" in response.headers["cache-control"]  # one shopper's answer is never cached
    return response.json()  # type: ignore[no-any-return]


async def test_opposite_palates_read_different_sentences_about_the_same_wine(client: AppClient) -> None:
    wine = await light_red()
    bold, fresh = await sign_up(client), await sign_up(client)
    for shopper, answers in ((bold, BIG_RED_ANSWERS), (fresh, CRISP_BUBBLES_ANSWERS)):
        await allow(client, shopper)
        await quiz(client, shopper, answers)

    to_bold, to_fresh = await for_me(client, bold, wine), await for_me(client, fresh, wine)

    assert to_bold["wine"] == {"id": wine.id, "name": wine.name}
    assert to_bold["personalised"] is True and to_bold["note"] is None
    (bold_sentence,) = to_bold["palate"]
    (fresh_sentence,) = to_fresh["palate"]
    assert bold_sentence == (
        "Much less tannic, much lighter and much crisper than your taste profile; close on bubbles and sweetness."
    )
    assert fresh_sentence == "Much less sparkling, much drier and softer than your taste profile; close on tannin."
    assert to_bold["based_on"]["taste_profile"] == ["sweetness", "acidity", "tannin", "body", "fizz"]


async def test_the_palate_is_compared_with_what_the_shopper_usually_buys(client: AppClient) -> None:
    wine = await light_red()
    (usual,) = await insert_wines(
        make_wine(taste=TasteStructure(sweetness=0.05, acidity=0.45, tannin=0.85, body=0.9, fizz=0.0))
    )
    shopper = await sign_up(client)
    await allow(client, shopper)
    await buy(client, shopper.headers, (usual, 2))
    await retrain(client)

    body = await for_me(client, shopper, wine)

    assert body["palate"] == [
        "Much less tannic and much lighter than what you usually buy; close on acidity, sweetness and bubbles."
    ]
    assert body["based_on"]["purchases"] == 1 and body["based_on"]["taste_profile"] == []


async def test_liked_foods_are_matched_to_the_wines_pairings_only(client: AppClient, shopper: Shopper) -> None:
    wine = await light_red()
    await allow(client, shopper)
    response = await client.patch(
        "/v1/me/preferences", json={"foods": ["Roast Chicken", "ribeye", "truffles"]}, headers=shopper.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["foods"] == ["roast chicken", "ribeye", "truffles"]

    body = await for_me(client, shopper, wine)

    assert body["pairs_with_your_foods"] == [
        {"food": "roast chicken", "pairings": ["Poultry"]},
        {"food": "truffles", "pairings": ["Mushrooms"]},
    ]
    assert body["based_on"]["foods"] == ["roast chicken", "ribeye", "truffles"]


async def test_an_unknown_food_is_refused_and_changes_nothing(client: AppClient, shopper: Shopper) -> None:
    response = await client.patch("/v1/me/preferences", json={"foods": ["steak", "xyzzy"]}, headers=shopper.headers)
    assert response.status_code == 422
    assert "unknown food 'xyzzy'" in response.text
    profile = await client.get("/v1/me/profile", headers=shopper.headers)
    assert profile.json()["preferences"]["foods"] == []


async def test_a_stated_dislike_or_dietary_need_is_a_warning(client: AppClient, shopper: Shopper) -> None:
    wine = await light_red()
    await allow(client, shopper)
    response = await client.patch(
        "/v1/me/preferences",
        json={"dietary": ["vegan"], "dislikes": {"grapes": ["Spätburgunder"]}},
        headers=shopper.headers,
    )
    assert response.status_code == 200, response.text

    body = await for_me(client, shopper, wine)

    assert [(w["code"], w["values"]) for w in body["warnings"]] == [
        ("crosses_dietary", ["vegan"]),
        ("crosses_grape", ["Pinot Noir"]),
    ]
    assert body["warnings"][1]["text"] == "made with Pinot Noir, a grape you said you avoid"
    assert body["based_on"]["dietary"] == ["vegan"] and body["based_on"]["dislikes"] == ["grapes"]


async def test_without_consent_there_is_no_tailored_part(client: AppClient, shopper: Shopper) -> None:
    wine = await light_red()
    await quiz(client, shopper, BIG_RED_ANSWERS)
    await client.patch(
        "/v1/me/preferences", json={"foods": ["roast chicken"], "dietary": ["vegan"]}, headers=shopper.headers
    )

    body = await for_me(client, shopper, wine)

    assert body["personalised"] is False and "allow personalisation" in body["note"]
    assert body["palate"] == [] and body["pairs_with_your_foods"] == []
    assert body["based_on"]["taste_profile"] == [] and body["based_on"]["foods"] == []
    # stated needs hold without personalisation consent, as on every list
    assert [w["code"] for w in body["warnings"]] == ["crosses_dietary"]


async def test_anonymous_callers_are_refused_and_no_one_reads_another_shoppers_notes(
    client: AppClient, shopper: Shopper
) -> None:
    wine = await light_red()
    anonymous = await client.get(f"/v1/wines/{wine.id}/for-me")
    assert anonymous.status_code == 401
    other = await client.get(f"/v1/wines/{wine.id}/for-me", params={"user_id": shopper.id}, headers=shopper.headers)
    assert other.status_code == 422 and other.json()["code"] == "unknown_parameter"
    missing = await client.get("/v1/wines/nope/for-me", headers=shopper.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "wine_not_found"


async def cards(client: AppClient, shopper: Shopper, *wines: Wine) -> dict[str, Any]:
    response = await client.get("/v1/wines/for-me", params={"wine_id": [w.id for w in wines]}, headers=shopper.headers)
    assert response.status_code == 200, response.text
    assert "no-store" in response.headers["cache-control"]
    return response.json()  # type: ignore[no-any-return]


async def test_cards_get_one_short_line_each_from_palate_foods_and_warnings(
    client: AppClient, shopper: Shopper
) -> None:
    wine = await light_red()
    chardonnay = await light_red(style=Style.white, grapes=["Chardonnay"], food_pairings=["Pork"], dietary=[])
    (usual,) = await insert_wines(
        make_wine(taste=TasteStructure(sweetness=0.05, acidity=0.45, tannin=0.85, body=0.9, fizz=0.0))
    )
    await allow(client, shopper)
    await buy(client, shopper.headers, (usual, 2))
    response = await client.patch(
        "/v1/me/preferences",
        json={"foods": ["roast chicken"], "dislikes": {"grapes": ["Chardonnay"]}},
        headers=shopper.headers,
    )
    assert response.status_code == 200, response.text

    body = await cards(client, shopper, wine, chardonnay, wine)

    assert body["personalised"] is True and body["note"] is None
    assert body["items"] == [
        {
            "wine": {"id": wine.id, "name": wine.name},
            "line": "much less tannic and much lighter than what you usually buy · suits your roast chicken",
            "warning": False,
        },
        {
            "wine": {"id": chardonnay.id, "name": chardonnay.name},
            "line": "made with Chardonnay, a grape you said you avoid · much less tannic and much lighter than "
            "what you usually buy",
            "warning": True,
        },
    ]
    # the card's line says nothing the wine page's notes do not
    page = await for_me(client, shopper, wine)
    assert page["palate"][0].startswith("Much less tannic and much lighter than what you usually buy")
    assert page["pairs_with_your_foods"] == [{"food": "roast chicken", "pairings": ["Poultry"]}]


async def test_cards_without_consent_only_warn_and_without_a_profile_say_nothing(
    client: AppClient, shopper: Shopper
) -> None:
    wine, vegan = await light_red(), await light_red(dietary=[Dietary.vegan])
    await quiz(client, shopper, BIG_RED_ANSWERS)
    await client.patch(
        "/v1/me/preferences", json={"foods": ["roast chicken"], "dietary": ["vegan"]}, headers=shopper.headers
    )

    body = await cards(client, shopper, wine, vegan)

    assert body["personalised"] is False and "allow personalisation" in body["note"]
    assert [(i["line"], i["warning"]) for i in body["items"]] == [
        ("not marked vegan — one of your dietary needs", True),
        (None, False),
    ]
    newcomer = await sign_up(client)
    await allow(client, newcomer)
    assert [i["line"] for i in (await cards(client, newcomer, wine))["items"]] == [None]


async def test_cards_are_for_the_caller_only_and_refuse_unknown_wines_and_too_many(
    client: AppClient, shopper: Shopper
) -> None:
    wine = await light_red()
    assert (await client.get("/v1/wines/for-me", params={"wine_id": wine.id})).status_code == 401
    other = await client.get(
        "/v1/wines/for-me", params={"wine_id": wine.id, "user_id": shopper.id}, headers=shopper.headers
    )
    assert other.status_code == 422 and other.json()["code"] == "unknown_parameter"
    missing = await client.get("/v1/wines/for-me", params={"wine_id": [wine.id, "nope"]}, headers=shopper.headers)
    assert missing.status_code == 404 and missing.json()["code"] == "wine_not_found" and "nope" in missing.text
    for params in ({}, {"wine_id": [wine.id] * 101}):
        refused = await client.get("/v1/wines/for-me", params=params, headers=shopper.headers)
        assert refused.status_code == 422 and refused.json()["code"] == "validation_failed", params
    # the wine's own page still answers under /v1/wines/{wine_id}
    assert (await client.get(f"/v1/wines/{wine.id}")).json()["id"] == wine.id
