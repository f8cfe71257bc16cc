"""Health probes and the public wine pages, through the app on the embedded backends."""

from __future__ import annotations

import redis.asyncio

from documents import Style
from tests.conftest import AppClient
from tests.factories import insert_wines, make_wine


async def test_liveness_answers_without_touching_backends(client: AppClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_checks_every_backend(client: AppClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert {checks["mongodb"], checks["search"], checks["redis"]} == {"ok"}


async def test_readiness_is_503_naming_redis_when_it_is_down(client: AppClient) -> None:
    backends = client.app.state.services.backends
    await backends.redis.aclose()
    backends.redis = redis.asyncio.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)  # nobody there
    response = await client.get("/health/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["redis"].startswith("down")
    assert "redis" in body["detail"]


async def test_wines_are_listed_in_pages_ordered_by_name(client: AppClient) -> None:
    await insert_wines(*(make_wine(name=f"Wine {c}") for c in "EDCBA"))
    first = (await client.get("/v1/wines", params={"per_page": 2})).json()
    second = (await client.get("/v1/wines", params={"per_page": 2, "page": 2})).json()
    assert first["total"] == 5
    assert [w["name"] for w in first["items"]] == ["Wine A", "Wine B"]
    assert [w["name"] for w in second["items"]] == ["Wine C", "Wine D"]
    assert first["items"][0]["price"]["amount"] == "15.00"


async def test_wines_filter_by_style_and_country(client: AppClient) -> None:
    await insert_wines(
        make_wine(name="Red FR"),
        make_wine(name="White FR", style=Style.white),
        make_wine(name="Red IT", country="Italy"),
    )
    body = (await client.get("/v1/wines", params={"style": "red", "country": "France"})).json()
    assert [w["name"] for w in body["items"]] == ["Red FR"]


async def test_a_wine_is_read_by_id_with_its_taste_structure(client: AppClient) -> None:
    (wine,) = await insert_wines(make_wine(name="Solo", stock=0))
    body = (await client.get(f"/v1/wines/{wine.id}")).json()
    assert body["name"] == "Solo"
    assert body["taste"]["tannin"] == 0.6
    assert body["in_stock"] is False


async def test_unknown_wine_is_a_404_problem(client: AppClient) -> None:
    response = await client.get("/v1/wines/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404 and body["code"] == "wine_not_found" and "nope" in body["detail"]


async def test_bad_parameters_are_a_422_problem_naming_the_parameter(client: AppClient) -> None:
    for params, name in [({"per_page": 101}, "per_page"), ({"page": 0}, "page"), ({"style": "blue"}, "style")]:
        response = await client.get("/v1/wines", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert name in body["detail"]
        assert body["errors"][0]["field"] == name


async def test_every_response_carries_a_request_id_and_security_headers(client: AppClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_openapi_schema_is_served(client: AppClient) -> None:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    assert "/v1/wines" in response.json()["paths"]
