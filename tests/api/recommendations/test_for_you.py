""" "For you": consent, cold start from the quiz, hard filters, history, explanations and the rec_id log."""

from __future__ import annotations

import pytest

from app.recommendations.serving.tables import STYLES
from documents import RecommendationLog, Wine
from tests.api.commerce.conftest import buy
from tests.api.recommendations.conftest import allow, for_you, retrain
from tests.conftest import AppClient, Shopper, sign_up

BIG_RED_ANSWERS = {
    "coffee": "black",
    "tea": "strong",
    "citrus": "avoid",
    "chocolate": "dark",
    "texture": "cream",
    "bubbles": "rarely",
    "wine": "big_red",
}
CRISP_BUBBLES_ANSWERS = {
    "coffee": "none",
    "tea": "light",
    "citrus": "love",
    "chocolate": "milk",
    "texture": "skimmed",
    "bubbles": "often",
    "wine": "bubbles",
}


async def quiz(client: AppClient, shopper: Shopper, answers: dict[str, str]) -> None:
    response = await client.post("/v1/me/taste-quiz", json={"answers": answers}, headers=shopper.headers)
    assert response.status_code == 200, response.text


@pytest.mark.usefixtures("cellar")
async def test_without_personalisation_consent_the_list_is_popular_and_says_so(
    client: AppClient, shopper: Shopper
) -> None:
    await retrain(client)
    body = await for_you(client, shopper, per_page=5)
    assert body["personalised"] is False
    assert "personalisation" in body["note"]
    assert len(body["items"]) == 5 and body["rec_id"]
    assert all(item["reasons"] and 0 <= item["match"] <= 100 for item in body["items"])


@pytest.mark.usefixtures("cellar")
async def test_two_new_users_with_opposite_quiz_answers_get_lists_matching_their_taste(client: AppClient) -> None:
    await retrain(client)
    bold, fresh = await sign_up(client), await sign_up(client)
    for shopper, answers in ((bold, BIG_RED_ANSWERS), (fresh, CRISP_BUBBLES_ANSWERS)):
        await allow(client, shopper)
        await quiz(client, shopper, answers)
    bold_list = (await for_you(client, bold, per_page=5))["items"]
    fresh_list = (await for_you(client, fresh, per_page=5))["items"]

    assert [i["wine"]["style"] for i in bold_list[:4]] == ["red"] * 4
    assert {i["wine"]["style"] for i in fresh_list[:4]} <= {"white", "sparkling", "rosé"}
    assert not {i["wine"]["id"] for i in bold_list[:3]} & {i["wine"]["id"] for i in fresh_list[:3]}
    top = bold_list[0]
    assert top["reasons"][0]["code"] == "taste_match" and "body" in top["reasons"][0]["values"]
    assert top["match"] > fresh_list[-1]["match"] - 100  # both are scores on the same 0..100 scale
    first = await for_you(client, fresh, per_page=5)
    assert first["personalised"] is True and first["taste"]["fizz"]["source"] == "quiz"


async def test_every_list_is_logged_under_its_rec_id_with_surface_items_and_model_version(
    client: AppClient, shopper: Shopper, cellar: list[Wine]
) -> None:
    await retrain(client)
    await allow(client, shopper)
    body = await for_you(client, shopper, surface="email", per_page=3)
    log = await RecommendationLog.get(body["rec_id"])
    assert log is not None and log.user_id == shopper.id and log.surface == "email"
    assert log.model_version == body["model_version"]
    assert [i.wine_id for i in log.items] == [i["wine"]["id"] for i in body["items"]]


async def test_hard_filters_hold_for_needs_dislikes_stock_and_what_was_bought(
    client: AppClient, shopper: Shopper, cellar: list[Wine]
) -> None:
    await allow(client, shopper)
    bought = cellar[9]  # a vegan Sauvignon Blanc
    await buy(client, shopper.headers, (bought, 1))
    response = await client.patch(
        "/v1/me/preferences",
        headers=shopper.headers,
        json={"dietary": ["vegan"], "dislikes": {"grapes": ["Gamay"], "styles": ["sparkling"]}},
    )
    assert response.status_code == 200, response.text
    await retrain(client)
    served = (await for_you(client, shopper, per_page=20))["items"]

    assert served, "vegan wines remain to recommend"
    for item in served:
        wine = await Wine.get(item["wine"]["id"])
        assert wine is not None and wine.stock > 0 and wine.listed
        assert (
            "vegan" in item["wine"]["dietary"]
            and item["wine"]["style"] != "sparkling"
            and "Gamay" not in item["wine"]["grapes"]
        )
    assert bought.id not in {i["wine"]["id"] for i in served}


async def test_a_wine_sold_out_after_training_is_never_served(
    client: AppClient, shopper: Shopper, cellar: list[Wine]
) -> None:
    await allow(client, shopper)
    await retrain(client)
    first = (await for_you(client, shopper, per_page=3))["items"][0]["wine"]["id"]
    await Wine.get_pymongo_collection().update_one({"_id": first}, {"$set": {"stock": 0}})
    assert first not in {i["wine"]["id"] for i in (await for_you(client, shopper, per_page=20))["items"]}


async def test_a_purchase_is_excluded_at_once_and_history_explains_the_next_list(
    client: AppClient, shopper: Shopper, cellar: list[Wine]
) -> None:
    await allow(client, shopper)
    await retrain(client)
    syrah = cellar[1]
    await buy(client, shopper.headers, (syrah, 2))  # no retraining: the order hook counts at once
    served = (await for_you(client, shopper, per_page=20))["items"]
    assert syrah.id not in {i["wine"]["id"] for i in served}
    assert {STYLES.index(i["wine"]["style"]) for i in served}  # still a list
