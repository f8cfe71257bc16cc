"""The OpenAPI document as generated (app.openapi): no catch-all response, the problem codes per status,
both success statuses where a route has two, request bodies for the raw-body routes, links, readable ids."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from app.errors import PROBLEM_CODES
from app.main import create_app
from app.openapi import OPERATION_ID
from tests.conftest import make_settings

METHODS = ("get", "put", "post", "patch", "delete", "head")


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = create_app(make_settings(Path(tmp_path_factory.mktemp("openapi"))))
    return app.openapi_schema.to_schema()


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """operationId → operation, with its "METHOD /path" under "label"."""
    out = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                out[item[method]["operationId"]] = {**item[method], "label": f"{method.upper()} {path}"}
    return out


def codes(operation: dict[str, Any], status: str) -> list[str]:
    schema = operation["responses"][status]["content"]["application/problem+json"]["schema"]
    return schema["allOf"][1]["properties"]["code"]["enum"]


def test_operation_ids_are_unique_readable_camel_case(document: dict[str, Any]) -> None:
    ids = [item[m]["operationId"] for item in document["paths"].values() for m in METHODS if m in item]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    assert [i for i in ids if not OPERATION_ID.match(i)] == []
    assert {"cancelOrder", "getWine", "searchWines", "checkout", "adminGetWine", "segmentTrack"} <= set(ids)


def test_no_operation_has_a_catch_all_response(document: dict[str, Any]) -> None:
    for operation in operations(document).values():
        assert "default" not in operation["responses"], operation["label"]


def test_every_error_status_lists_registered_codes_of_that_status(document: dict[str, Any]) -> None:
    for operation in operations(document).values():
        for status, response in operation["responses"].items():
            if int(status) >= 400 and "application/problem+json" in (response.get("content") or {}):
                listed = codes(operation, status)
                assert listed and all(PROBLEM_CODES[c] == int(status) for c in listed), (operation["label"], status)
                assert all(f"`{c}`" in response["description"] for c in listed)


def test_route_problems_and_the_guards_problems_are_both_listed(document: dict[str, Any]) -> None:
    ops = operations(document)
    assert set(codes(ops["checkout"], "409")) >= {"insufficient_stock", "cart_empty", "price_changed"}
    assert set(codes(ops["checkout"], "422")) >= {"idempotency_key_reused", "validation_failed"}
    assert codes(ops["getWine"], "404") == ["wine_not_found"]
    assert set(codes(ops["getCart"], "401")) >= {"unauthorized", "token_invalid", "token_expired"}
    assert "account_gone" in codes(ops["setItem"], "401") and "account_gone" not in codes(ops["getCart"], "401")
    assert codes(ops["createWine"], "403") == ["admin_only"]
    assert "403" not in ops["getCart"]["responses"]
    assert set(codes(ops["register"], "429")) == {"too_many_requests"}
    assert set(codes(ops["postEvents"], "413")) >= {"batch_too_large", "too_many_events", "payload_too_large"}
    # nothing to validate but the query string itself: only an unknown parameter is a 422
    assert codes(ops["getQuiz"], "422") == ["unknown_parameter"]
    assert set(codes(ops["getWine"], "503")) >= {"database_unavailable"}


def test_create_or_replace_and_repeated_checkout_document_both_statuses(document: dict[str, Any]) -> None:
    ops = operations(document)
    for operation_id in ("addToWishlist", "putMyReview", "checkout"):
        responses = ops[operation_id]["responses"]
        assert {"200", "201"} <= set(responses), operation_id
        assert (
            responses["200"]["content"]["application/json"]["schema"]
            == (responses["201"]["content"]["application/json"]["schema"])
        )


def test_raw_body_routes_declare_what_they_read(document: dict[str, Any]) -> None:
    ops = operations(document)
    beacon = ops["postEvents"]["requestBody"]["content"]
    assert set(beacon) == {"application/json", "text/plain"}
    assert beacon["text/plain"]["schema"] == {"$ref": "#/components/schemas/EventBatch"}
    batch = document["components"]["schemas"]["EventBatch"]
    assert batch["oneOf"][0]["maxItems"] == 100
    assert "event_id" in document["components"]["schemas"]["Event"]["required"]
    assert set(ops["importWines"]["requestBody"]["content"]) == {"text/csv", "application/x-ndjson"}


def test_links_lead_from_what_is_created_to_reading_it(document: dict[str, Any]) -> None:
    ops = operations(document)
    order = ops["checkout"]["responses"]["201"]["links"]["getOrder"]
    assert order == {
        "operationId": "getOrder",
        "parameters": {"order_id": "$response.body#/id"},
        "description": "Read the order",
    }
    assert "getProfile" in ops["register"]["responses"]["201"]["links"]
    assert ops["addToWishlist"]["responses"]["201"]["links"]["getWishlistEntry"]["parameters"] == {
        "wine_id": "$request.path.wine_id"
    }
    for operation in ops.values():
        for response in operation["responses"].values():
            for link in (response.get("links") or {}).values():
                target = ops[link["operationId"]]  # every link names a real operation ...
                names = {p["name"] for p in target.get("parameters", [])}
                assert set(link.get("parameters") or {}) <= names  # ... and parameters it has
