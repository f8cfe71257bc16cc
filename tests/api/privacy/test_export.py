"""Export: one JSON document with everything held about the caller, from every store, and only theirs."""

from __future__ import annotations

import json

from documents import PrivacyRequest
from tests.api.privacy.conftest import ok, use_everything
from tests.conftest import AppClient, Shopper, sign_up


async def test_the_export_holds_everything_from_every_store(
    client: AppClient, shopper: Shopper, admin: Shopper
) -> None:
    fp = await use_everything(client, shopper, admin)
    export = await ok(await client.get("/v1/me/export", headers=shopper.headers))

    assert export["format"] == "cuvee.export/1" and export["user_id"] == shopper.id
    assert export["account"]["email"] == shopper.email and export["account"]["anonymous_ids"] == [fp.anonymous_id]
    assert "password_hash" not in json.dumps(export)
    assert export["preferences"]["styles"] == ["red"] and export["preferences"]["extra"] == {"note": fp.extra}
    assert export["taste_profile"]["tannin"]["source"] == "quiz"
    assert {c["kind"] for c in export["consent"]["ledger"]} == {"personalisation", "analytics", "marketing"}
    assert [o["id"] for o in export["orders"]] == [fp.order_id]
    assert export["orders"][0]["gift"] == {"recipient_name": fp.gift_name, "message": fp.gift_message}
    assert [i["wine_id"] for i in export["cart"]["items"]] == [fp.wines[4].id]
    assert [w["wine_id"] for w in export["wishlist"]] == [fp.wines[5].id]
    assert [r["text"] for r in export["reviews"]] == [fp.review_text]
    # anonymous browsing before the link is there too, and searches are apart from browsing
    assert [s["query"] for s in export["search_history"]] == [fp.query]
    browsed = export["browsing_history"]
    assert {e["type"] for e in browsed} == {"wine_viewed", "recommendation_clicked"}
    assert fp.wines[0].id in {e.get("wine_id") for e in browsed}
    logs = export["recommendations"]["logs"]
    assert fp.rec_id in [log["id"] for log in logs]
    actions = {a["type"] for log in logs for a in log["actions"]}
    assert {"click", "purchase"} <= actions
    # still in the Redis stream: everything sent (processed or not), and the dead-lettered one
    in_stream = {e["event"]["event_id"] for e in export["event_stream"]["stream"]}
    assert set(fp.event_ids) <= in_stream
    assert [e["error"] for e in export["event_stream"]["dead_letter"]] == ["test"]
    assert export["search_index"]["documents"] == [] and "wines only" in export["search_index"]["note"]
    assert [e["action"] for e in export["audit_log"]] == ["admin.request"]  # the admin who looked
    assert export["audit_log"][0]["actor_id"] == admin.id


async def test_the_export_is_recorded_without_personal_data(client: AppClient, shopper: Shopper) -> None:
    await ok(await client.get("/v1/me/export", headers=shopper.headers))
    again = await ok(await client.get("/v1/me/export", headers=shopper.headers))
    assert [r["kind"] for r in again["privacy_requests"]] == ["export"]  # the earlier one; this one is filed after
    (first, _) = await PrivacyRequest.find({"kind": "export"}).to_list()
    stored = first.model_dump_json()
    assert shopper.id not in stored and shopper.email not in stored
    assert first.subject == client.app.state.services.privacy.subject(shopper.id)
    assert first.outcome["orders"] == 0 and first.status == "completed"


async def test_the_export_holds_nothing_of_anyone_else(client: AppClient, shopper: Shopper, admin: Shopper) -> None:
    other = await use_everything(client, shopper, admin)
    newcomer = await sign_up(client)
    text = (await client.get("/v1/me/export", headers=newcomer.headers)).text
    assert not [trace for trace in [*other.traces, other.order_id, other.rec_id] if trace in text]
    admins = (await client.get("/v1/me/export", headers=admin.headers)).json()
    assert admins["audit_log"] and all(e["target_id"] is None for e in admins["audit_log"])
    assert shopper.id not in json.dumps(admins)  # whom the admin looked at is the other person's business


async def test_exports_are_limited_per_hour(client: AppClient, shopper: Shopper) -> None:
    for _ in range(10):
        await ok(await client.get("/v1/me/export", headers=shopper.headers))
    refused = await client.get("/v1/me/export", headers=shopper.headers)
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_requests"
    assert refused.headers["retry-after"]


async def test_the_export_is_never_cached(client: AppClient, shopper: Shopper) -> None:
    response = await client.get("/v1/me/export", headers=shopper.headers)
    assert response.headers["cache-control"] == "no-store"
