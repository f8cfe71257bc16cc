"""Taste profile: stated axes, the quiz, learned axes, and where each axis came from."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.errors import Invalid, NotFound
from documents import User
from tests.conftest import Shopper


async def stored_taste(user_id: str) -> dict[str, Any]:
    raw = await User.get_pymongo_collection().find_one({"_id": user_id})
    assert raw is not None
    return raw["taste_profile"]  # type: ignore[no-any-return]


async def test_the_quiz_is_public_and_lists_questions_without_their_points(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/v1/taste-quiz")
    assert response.status_code == 200
    quiz = response.json()
    assert quiz["version"] >= 1 and len(quiz["questions"]) >= 5
    coffee = next(q for q in quiz["questions"] if q["id"] == "coffee")
    assert {"id": "black", "label": "Black, no sugar"} in coffee["options"]
    assert "points" not in response.text


async def test_stating_taste_sets_only_the_axes_sent(client: AsyncTestClient[Litestar], shopper: Shopper) -> None:
    first = await client.put("/v1/me/taste-profile", json={"sweetness": 0.8, "tannin": 0.3}, headers=shopper.headers)
    assert first.status_code == 200
    body = (
        await client.put("/v1/me/taste-profile", json={"acidity": 0.5, "tannin": None}, headers=shopper.headers)
    ).json()
    assert (body["sweetness"], body["acidity"], body["tannin"], body["body"]) == (0.8, 0.5, None, None)
    assert body["sources"] == {"sweetness": "stated", "acidity": "stated"}
    assert set(body["updated_at"]) == {"sweetness", "acidity"}


async def test_the_quiz_scores_answers_and_keeps_stated_axes(
    client: AsyncTestClient[Litestar], shopper: Shopper
) -> None:
    await client.put("/v1/me/taste-profile", json={"sweetness": 0.8}, headers=shopper.headers)
    response = await client.post(
        "/v1/me/taste-quiz",
        headers=shopper.headers,
        json={"answers": {"coffee": "black", "texture": "cream", "bubbles": "rarely"}},
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["scored"] == {"sweetness": 0.1, "tannin": 0.8, "body": 0.9, "fizz": 0.1}
    assert result["kept_stated"] == ["sweetness"]
    assert sorted(result["applied"]) == ["body", "fizz", "tannin"]
    taste = result["taste_profile"]
    assert taste["sweetness"] == 0.8 and taste["sources"]["sweetness"] == "stated"
    assert taste["tannin"] == 0.8 and taste["sources"]["tannin"] == "quiz"
    assert taste["acidity"] is None


async def test_retaking_the_quiz_with_override_replaces_stated_axes(
    client: AsyncTestClient[Litestar], shopper: Shopper
) -> None:
    await client.put("/v1/me/taste-profile", json={"sweetness": 0.8}, headers=shopper.headers)
    result = (
        await client.post(
            "/v1/me/taste-quiz",
            headers=shopper.headers,
            json={"answers": {"chocolate": "dark"}, "override_stated": True},
        )
    ).json()
    assert result["taste_profile"]["sweetness"] == 0.1
    assert result["taste_profile"]["sources"]["sweetness"] == "quiz"


async def test_learned_axes_replace_quiz_values_but_not_stated_ones(
    client: AsyncTestClient[Litestar], shopper: Shopper
) -> None:
    await client.put("/v1/me/taste-profile", json={"sweetness": 0.8}, headers=shopper.headers)
    await client.post("/v1/me/taste-quiz", headers=shopper.headers, json={"answers": {"texture": "skimmed"}})
    accounts = client.app.state.services.accounts
    change = await accounts.set_learned_taste(shopper.id, {"sweetness": 0.2, "body": 0.7}, learned_from=12)
    assert change.applied == ["body"] and change.kept_stated == ["sweetness"]
    taste = (await client.get("/v1/me/profile", headers=shopper.headers)).json()["taste_profile"]
    assert (taste["body"], taste["sources"]["body"]) == (0.7, "learned")
    assert (taste["sweetness"], taste["sources"]["sweetness"]) == (0.8, "stated")
    assert taste["learned_from"] == 12


async def test_learning_refuses_bad_axes_and_unknown_users(client: AsyncTestClient[Litestar], shopper: Shopper) -> None:
    accounts = client.app.state.services.accounts
    before = await stored_taste(shopper.id)
    for axes, learned_from in [({"umami": 0.3}, 1), ({"body": 1.3}, 1), ({"body": 0.3}, -1)]:
        with pytest.raises(Invalid):
            await accounts.set_learned_taste(shopper.id, axes, learned_from)
    with pytest.raises(NotFound):
        await accounts.set_learned_taste("no-such-user", {"body": 0.5}, 1)
    assert await stored_taste(shopper.id) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"sweetness": 1.5}, "sweetness"),
        ({"sweetness": -0.1}, "sweetness"),
        ({"sweetness": "0.5"}, "sweetness"),
        ({"sweetness": True}, "sweetness"),
        ({"umami": 0.5}, "umami"),
        ({"sweetness": 0.5, "source": "learned"}, "source"),
    ],
)
async def test_bad_taste_profiles_are_a_422_and_change_nothing(
    client: AsyncTestClient[Litestar], shopper: Shopper, body: dict[str, Any], field: str
) -> None:
    await client.put("/v1/me/taste-profile", json={"body": 0.4}, headers=shopper.headers)
    before = await stored_taste(shopper.id)
    response = await client.put("/v1/me/taste-profile", json=body, headers=shopper.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in response.json()["detail"]
    assert await stored_taste(shopper.id) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": {}}, "answers"),
        ({"answers": {"coffee": "espresso"}}, "answers.coffee"),
        ({"answers": {"coffee": "black", "horoscope": "leo"}}, "answers.horoscope"),
        ({"answers": ["black"]}, "answers"),
        ({"answers": {"coffee": "black"}, "override_stated": "yes"}, "override_stated"),
        ({"answers": {"coffee": "black"}, "sweetness": 1}, "sweetness"),
    ],
)
async def test_bad_quiz_answers_are_a_422_naming_the_answer_and_change_nothing(
    client: AsyncTestClient[Litestar], shopper: Shopper, body: dict[str, Any], field: str
) -> None:
    await client.post("/v1/me/taste-quiz", headers=shopper.headers, json={"answers": {"tea": "strong"}})
    before = await stored_taste(shopper.id)
    response = await client.post("/v1/me/taste-quiz", json=body, headers=shopper.headers)
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await stored_taste(shopper.id) == before
