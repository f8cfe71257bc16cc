"""Linking anonymous history at sign-in, and the lag as operators see it (stats and readiness)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from documents import Interaction, User
from tests.api.clickstream.conftest import (
    ago,
    consent,
    event,
    issued_anonymous_id,
    post,
    signed_in_with_consent,
    worker_for,
)
from tests.conftest import Shopper, sign_up
from tests.factories import insert_wines, make_wine

AppClient = AsyncTestClient[Litestar]


async def test_anonymous_history_becomes_the_users_at_sign_in(client: AppClient, shopper: Shopper, redis: Any) -> None:
    old, new = await insert_wines(make_wine(name="Before Login"), make_wine(name="After Login"))
    anon, other_browser = await issued_anonymous_id(client), await issued_anonymous_id(client)
    await post(
        client,
        [
            event(wine_id=old.id, anonymous_id=anon, occurred_at=ago(5)),
            event(wine_id=old.id, anonymous_id=other_browser),
        ],
    )
    worker = worker_for(client, redis, "w")
    await worker.ensure_group()
    await worker.poll_once()

    await signed_in_with_consent(client, shopper)
    response = await client.post("/v1/me/anonymous-id", json={"anonymous_id": anon}, headers=shopper.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"linked": True, "interactions": 1}
    assert anon in (await User.get(shopper.id)).anonymous_ids  # type: ignore[union-attr]

    # sendBeacon cannot send the token: later anonymous beacons from that browser count for the user
    await post(client, [event(wine_id=new.id, anonymous_id=anon)])
    await worker.poll_once()
    profile = (await client.get("/v1/me/profile", headers=shopper.headers)).json()
    assert [w["wine"]["name"] for w in profile["recently_viewed"]] == ["After Login", "Before Login"]
    assert await Interaction.find({"anonymous_id": other_browser, "user_id": None}).count() == 1


async def test_nothing_is_linked_without_analytics_consent(client: AppClient, shopper: Shopper) -> None:
    response = await client.post(
        "/v1/me/anonymous-id", json={"anonymous_id": await issued_anonymous_id(client)}, headers=shopper.headers
    )
    assert response.json() == {"linked": False, "interactions": 0}
    assert (await User.get(shopper.id)).anonymous_ids == []  # type: ignore[union-attr]


async def test_an_anonymous_id_of_another_account_is_refused(client: AppClient, shopper: Shopper) -> None:
    other = await sign_up(client)
    for user in (shopper, other):
        await consent(client, user.headers, analytics=True)
    shared = await issued_anonymous_id(client)
    assert (
        await client.post("/v1/me/anonymous-id", json={"anonymous_id": shared}, headers=shopper.headers)
    ).status_code == 200
    response = await client.post("/v1/me/anonymous-id", json={"anonymous_id": shared}, headers=other.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "anonymous_id_taken"


async def test_linking_needs_a_signed_in_user_and_a_well_formed_id(client: AppClient, shopper: Shopper) -> None:
    issued = await issued_anonymous_id(client)
    assert (await client.post("/v1/me/anonymous-id", json={"anonymous_id": issued})).status_code == 401
    bad = await client.post("/v1/me/anonymous-id", json={"anonymous_id": "x"}, headers=shopper.headers)
    assert bad.status_code == 422


async def test_only_an_id_the_shop_issued_can_be_linked(client: AppClient, shopper: Shopper, redis: Any) -> None:
    """A browser's history cannot be absorbed by linking an id someone chose or forged: the victim's events
    stay anonymous, and the attacker's later beacons under that id are nobody's."""
    await signed_in_with_consent(client, shopper)
    (wine,) = await insert_wines(make_wine())
    issued = await issued_anonymous_id(client)
    nonce, _, signature = issued.partition(".")
    forged = f"{nonce}.{signature[::-1]}"
    for chosen in ("browser-cookie-1234", forged, f"{nonce[::-1]}.{signature}"):
        await post(client, [event(wine_id=wine.id, anonymous_id=chosen)])
        response = await client.post("/v1/me/anonymous-id", json={"anonymous_id": chosen}, headers=shopper.headers)
        assert response.status_code == 422, chosen
        assert response.json()["code"] in {"anonymous_id_not_issued", "validation_failed"}
    worker = worker_for(client, redis, "w")
    await worker.ensure_group()
    await worker.poll_once()
    assert await Interaction.find({"user_id": shopper.id}).count() == 0
    assert (await User.get(shopper.id)).anonymous_ids == []  # type: ignore[union-attr]


async def test_an_id_issued_by_another_shop_is_not_linkable(client: AppClient, shopper: Shopper) -> None:
    from app.clickstream.consent import AnonymousIds

    await signed_in_with_consent(client, shopper)
    elsewhere = AnonymousIds("another shop's secret key 0123456789").issue()
    response = await client.post("/v1/me/anonymous-id", json={"anonymous_id": elsewhere}, headers=shopper.headers)
    assert response.status_code == 422


async def test_operators_see_length_pending_lag_and_dead_letters(
    client: AppClient, admin: Shopper, shopper: Shopper, redis: Any
) -> None:
    await post(client, [event() for _ in range(5)])
    worker = worker_for(client, redis, "reader", batch_size=2)
    await worker.ensure_group()
    await worker.read_new()  # two delivered, not acknowledged
    stats = (await client.get("/v1/admin/clickstream/stats", headers=admin.headers)).json()
    assert stats["length"] == 5 and stats["pending"] == 2 and stats["lag"] == 3 and stats["dead_letter"] == 0
    assert [(c["name"], c["pending"]) for c in stats["consumers"]] == [("reader", 2)]
    assert (await client.get("/v1/admin/clickstream/stats", headers=shopper.headers)).status_code == 403

    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"]["clickstream"] == {
        "pending": 2,
        "lag": 3,
        "dead_letter": 0,
        "consumers": 1,
        "length": 5,
    }


async def test_stats_before_any_event_report_an_empty_stream(client: AppClient, admin: Shopper) -> None:
    stats = (await client.get("/v1/admin/clickstream/stats", headers=admin.headers)).json()
    assert (stats["length"], stats["pending"], stats["lag"], stats["consumers"]) == (0, 0, 0, [])
