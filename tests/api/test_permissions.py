"""The permission matrix: every route of the app, called as anonymous, user A, user B and an admin.

Add one line to MATRIX for each new route: method, path template exactly as Litestar prints it (with the
`:str` converters), access level, and — when the path has parameters — an async builder of them.
A route without a line fails `test_every_route_has_a_declared_expectation`.

Access levels and what each caller must get:
- PUBLIC: nobody gets 401 or 403 (nor a 5xx).
- USER: anonymous 401; A, B and the admin are let through (any status but 401/403/5xx).
- OWNED: a USER route about one object B owns (the builder makes it for B): anonymous 401, A and the admin
  404 (under /v1/me/ the admin is just another customer), B is let through and does not get 404.
- ADMIN: anonymous 401, A and B 403, the admin is let through.
And for every route: what A (or the admin outside /v1/admin/) gets never contains B's id, email or order id.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from litestar import Controller, Litestar, get
from litestar.datastructures import State
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from app.errors import EXCEPTION_HANDLERS
from app.security import PUBLIC as OPEN
from app.security import TokenCodec, authorize
from documents import Order, OrderItem, RecommendationItem, RecommendationLog, WishlistEntry, utcnow
from documents.models import PriceRule
from tests.conftest import Shopper, make_admin, sign_up
from tests.factories import insert_wines, make_wine


@dataclass(frozen=True)
class Access:
    name: str
    declared: str  # what the route's `opt` must say


PUBLIC = Access("PUBLIC", "public")
USER = Access("USER", "user")
OWNED = Access("OWNED", "user")  # a USER route about one object of B's: A and the admin get 404
ADMIN = Access("ADMIN", "admin")
WRITE_KEY = Access("WRITE_KEY", "public")  # Segment's routes: only a source's write key opens them, no account


@dataclass
class World:
    """What the builders may use: the client, the customer B who owns things, and B's order."""

    client: AsyncTestClient[Litestar]
    owner: Shopper
    admin: Shopper
    order_id: str = ""


Params = Callable[[World], Awaitable[dict[str, str]]]
Check = Callable[[World, dict[str, str]], Awaitable[None]]


async def no_params(world: World) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Expect:
    method: str
    path: str
    access: Access
    params: Params = no_params
    body: Any = field(default_factory=dict)  # JSON for POST, PUT, PATCH; or a function of the params
    # Runs after A and the admin have called an OWNED/USER route on B's object, before B does.
    others_left_alone: Check | None = None


# ---------------------------------------------------------------- builders of path parameters
async def a_wine(world: World) -> dict[str, str]:
    (wine,) = await insert_wines(make_wine())
    return {"wine_id": wine.id}


async def owner_id(world: World) -> dict[str, str]:
    return {"user_id": world.owner.id}


async def owners_order(world: World) -> dict[str, str]:
    (wine,) = await insert_wines(make_wine())
    order = Order(
        user_id=world.owner.id,
        items=[OrderItem(wine_id=wine.id, name=wine.name, unit_price_cents=wine.price_cents, quantity=1)],
        total_cents=wine.price_cents,
    )
    await order.insert()
    return {"order_id": order.id}


async def owners_wishlisted_wine(world: World) -> dict[str, str]:
    (wine,) = await insert_wines(make_wine())
    await WishlistEntry(
        user_id=world.owner.id, wine_id=wine.id, price_cents_at_add=wine.price_cents, in_stock_at_add=True
    ).insert()
    return {"wine_id": wine.id}


async def owners_wishlist_entry_kept(world: World, params: dict[str, str]) -> None:
    kept = await WishlistEntry.find_one({"user_id": world.owner.id, "wine_id": params["wine_id"]})
    assert kept is not None, "another customer's DELETE removed B's wishlist entry"


async def owners_recommendation_list(world: World) -> dict[str, str]:
    (wine,) = await insert_wines(make_wine())
    log = RecommendationLog(
        user_id=world.owner.id,
        surface="home",
        model_version="test",
        items=[RecommendationItem(wine_id=wine.id, position=0, score=0.9)],
    )
    await log.insert()
    return {"rec_id": log.id, "wine_id": wine.id}


async def a_price_rule(world: World) -> dict[str, str]:
    rule = PriceRule(name="Test", kind="promotion", percent_off=10, starts_at=utcnow())
    await rule.insert()
    return {"rule_id": rule.id}


async def a_static_file(world: World) -> dict[str, str]:
    return {"file_path": "css/style.css"}


async def a_schema_asset(world: World) -> dict[str, str]:
    return {"name": "swagger-init.js"}


async def a_schema_file(world: World) -> dict[str, str]:
    return {"path": "openapi.yaml"}


def DISMISS_BODY(params: dict[str, str]) -> dict[str, str]:
    return {"wine_id": params["wine_id"]}


# ---------------------------------------------------------------- the matrix: one line per route
MATRIX: list[Expect] = [
    # health, storefront page, static files, API docs
    Expect("GET", "/health/live", PUBLIC),
    Expect("GET", "/v1/recommendations/visitor", PUBLIC),  # the issued anonymous id is the key (422 otherwise)
    Expect("GET", "/health/ready", PUBLIC),
    Expect("GET", "/", PUBLIC),
    Expect("GET", "/static/{file_path:path}", PUBLIC, a_static_file),
    Expect("HEAD", "/static/{file_path:path}", PUBLIC, a_static_file),
    Expect("GET", "/schema", PUBLIC),
    Expect("GET", "/schema/swagger", PUBLIC),
    Expect("GET", "/schema/openapi.json", PUBLIC),
    Expect("GET", "/schema/assets/{name:str}", PUBLIC, a_schema_asset),
    Expect("GET", "/schema/{path:str}", PUBLIC, a_schema_file),
    # accounts
    Expect("POST", "/v1/auth/register", PUBLIC),
    Expect("POST", "/v1/auth/login", PUBLIC),
    Expect("GET", "/v1/taste-quiz", PUBLIC),
    Expect("GET", "/v1/me/profile", USER),
    Expect("PATCH", "/v1/me/preferences", USER),
    Expect("PUT", "/v1/me/taste-profile", USER, body={"body": 0.5}),
    Expect("POST", "/v1/me/taste-quiz", USER, body={"answers": {"coffee": "black"}}),
    Expect("PUT", "/v1/me/consent", USER, body={"analytics": True}),
    Expect("GET", "/v1/admin/users/{user_id:str}", ADMIN, owner_id),
    Expect("GET", "/v1/admin/audit", ADMIN),
    # catalog and search
    Expect("GET", "/v1/wines", PUBLIC),
    Expect("GET", "/v1/wines/{wine_id:str}", PUBLIC, a_wine),
    Expect("GET", "/v1/wines/{wine_id:str}/for-me", USER, a_wine),  # about the caller only
    Expect("GET", "/v1/wines/for-me", USER),  # the cards' short form: about the caller only
    Expect("POST", "/v1/admin/wines", ADMIN),
    Expect("PATCH", "/v1/admin/wines/{wine_id:str}", ADMIN, a_wine),
    Expect("DELETE", "/v1/admin/wines/{wine_id:str}", ADMIN, a_wine),
    Expect("POST", "/v1/admin/wines/import", ADMIN),
    Expect("GET", "/v1/admin/wines/{wine_id:str}", ADMIN, a_wine),
    Expect("GET", "/v1/admin/wines/drafts", ADMIN),
    Expect("GET", "/v1/admin/wines/demo-data", ADMIN),
    # pricing
    Expect("POST", "/v1/admin/price-rules", ADMIN, body={"name": "x", "kind": "promotion", "percent_off": 5}),
    Expect("GET", "/v1/admin/price-rules", ADMIN),
    Expect("GET", "/v1/admin/price-rules/{rule_id:str}", ADMIN, a_price_rule),
    Expect("DELETE", "/v1/admin/price-rules/{rule_id:str}", ADMIN, a_price_rule),
    Expect("GET", "/v1/admin/wines/{wine_id:str}/price-history", ADMIN, a_wine),
    Expect("GET", "/v1/search", PUBLIC),
    Expect("GET", "/v1/search/suggest", PUBLIC),
    # commerce
    Expect("GET", "/v1/me/cart", USER),
    Expect("PUT", "/v1/me/cart/items/{wine_id:str}", USER, a_wine),
    Expect("DELETE", "/v1/me/cart/items/{wine_id:str}", USER, a_wine),
    Expect("POST", "/v1/me/checkout", USER),
    Expect("GET", "/v1/me/orders", USER),
    Expect("GET", "/v1/me/orders/{order_id:str}", OWNED, owners_order),
    Expect("POST", "/v1/me/orders/{order_id:str}/cancel", OWNED, owners_order),
    Expect("GET", "/v1/me/purchases", USER),
    Expect("GET", "/v1/me/wishlist", USER),
    Expect("GET", "/v1/me/reviews", USER),
    Expect("GET", "/v1/me/wishlist/{wine_id:str}", USER, owners_wishlisted_wine),  # others: `entry: null`
    Expect("PUT", "/v1/me/wishlist/{wine_id:str}", USER, a_wine),
    Expect(
        "DELETE",
        "/v1/me/wishlist/{wine_id:str}",
        USER,
        owners_wishlisted_wine,
        others_left_alone=owners_wishlist_entry_kept,
    ),
    Expect("GET", "/v1/wines/{wine_id:str}/reviews", PUBLIC, a_wine),
    Expect("GET", "/v1/wines/{wine_id:str}/reviews/me", USER, a_wine),
    Expect("PUT", "/v1/wines/{wine_id:str}/reviews/me", USER, a_wine),
    Expect("DELETE", "/v1/wines/{wine_id:str}/reviews/me", USER, a_wine),
    Expect("GET", "/v1/admin/carts/abandoned", ADMIN),
    Expect("GET", "/v1/admin/orders", ADMIN),
    Expect("GET", "/v1/admin/orders/{order_id:str}", ADMIN, owners_order),
    Expect("POST", "/v1/admin/orders/{order_id:str}/status", ADMIN, owners_order),
    # clickstream
    Expect("POST", "/v1/events", PUBLIC),
    Expect("POST", "/v1/anonymous-ids", PUBLIC),
    # Segment's Tracking API: public, authenticated by the source's write key inside the route (no account's token)
    Expect("POST", "/v1/batch", WRITE_KEY, body={"batch": []}),
    Expect("POST", "/v1/b", WRITE_KEY, body={"batch": []}),
    Expect("POST", "/v1/import", WRITE_KEY, body={"batch": []}),
    Expect("POST", "/v1/track", WRITE_KEY),
    Expect("POST", "/v1/t", WRITE_KEY),
    Expect("POST", "/v1/page", WRITE_KEY),
    Expect("POST", "/v1/p", WRITE_KEY),
    Expect("POST", "/v1/screen", WRITE_KEY),
    Expect("POST", "/v1/s", WRITE_KEY),
    Expect("POST", "/v1/identify", WRITE_KEY),
    Expect("POST", "/v1/i", WRITE_KEY),
    Expect("POST", "/v1/group", WRITE_KEY),
    Expect("POST", "/v1/g", WRITE_KEY),
    Expect("POST", "/v1/alias", WRITE_KEY),
    Expect("POST", "/v1/a", WRITE_KEY),
    Expect("POST", "/v1/me/anonymous-id", USER),
    Expect("GET", "/v1/me/history", USER),
    Expect("GET", "/v1/admin/clickstream/stats", ADMIN),
    # recommendations
    Expect("GET", "/v1/me/recommendations", USER),
    Expect("POST", "/v1/me/recommendations/{rec_id:str}/dismiss", OWNED, owners_recommendation_list, body=DISMISS_BODY),
    Expect("GET", "/v1/me/reorder", USER),
    Expect("GET", "/v1/me/segment", USER),
    Expect("GET", "/v1/recommendations/popular", PUBLIC),
    Expect("GET", "/v1/wines/{wine_id:str}/similar", PUBLIC, a_wine),
    Expect("GET", "/v1/wines/{wine_id:str}/bought-together", PUBLIC, a_wine),
    Expect("GET", "/v1/trending", PUBLIC),
    Expect("GET", "/v1/admin/analytics/recommendations", ADMIN),
    Expect("GET", "/v1/admin/analytics/segments", ADMIN),
    Expect("GET", "/v1/admin/analytics/search", ADMIN),
    Expect("POST", "/v1/admin/recommendations/retrain", ADMIN),
    # privacy: without the password nobody's erasure runs (B is erased by the privacy tests, not here)
    Expect("GET", "/v1/me/export", USER),
    Expect("DELETE", "/v1/me", USER),
]

SKIPPED_METHODS = {"OPTIONS"}  # Litestar answers these itself (CORS preflight), with no handler of ours


def routes_of(app: Litestar) -> dict[tuple[str, str], str]:
    """(method, path template) → the access the handler declares, for every route the app serves."""
    found: dict[tuple[str, str], str] = {}
    for route in app.routes:
        assert isinstance(route, HTTPRoute), f"{route.path}: add a matrix kind for {type(route).__name__}"
        for handler in route.route_handlers:
            for method in handler.http_methods - SKIPPED_METHODS:
                found[(method, route.path)] = str(handler.opt.get("access"))
    return found


def test_every_route_has_a_declared_expectation(app: Litestar) -> None:
    served = routes_of(app)
    table = {(e.method, e.path): e for e in MATRIX}
    assert len(table) == len(MATRIX), "a route is listed twice"
    missing = sorted(set(served) - set(table))
    assert not missing, f"routes with no line in MATRIX (tests/api/test_permissions.py): {missing}"
    stale = sorted(set(table) - set(served))
    assert not stale, f"MATRIX lines for routes the app does not serve: {stale}"
    wrong = sorted(
        f"{m} {p}: declares {served[(m, p)]!r}, MATRIX says {e.access.declared!r}"
        for (m, p), e in table.items()
        if served[(m, p)] != e.access.declared
    )
    assert not wrong, wrong


async def call(
    client: AsyncTestClient[Litestar], expect: Expect, url: str, params: dict[str, str], who: Shopper | None
) -> Any:
    headers = who.headers if who else {}
    if expect.method in ("POST", "PUT", "PATCH"):
        body = expect.body(params) if callable(expect.body) else expect.body
        return await client.request(expect.method, url, json=body, headers=headers)
    return await client.request(expect.method, url, headers=headers)


def fill(path: str, params: dict[str, str]) -> str:
    for name, value in params.items():
        path = path.replace("{" + name + ":str}", value).replace("{" + name + ":path}", value)
    assert "{" not in path, f"{path}: the builder left a parameter unfilled"
    return path


def judge(expect: Expect, who: str, status: int) -> str | None:
    """The broken rule, if any, for `who` (anonymous, A, B, admin) getting `status`."""
    if status >= 500:
        return f"{who} got {status}"
    let_through = status not in (401, 403)
    rules: dict[Access, dict[str, Callable[[int], bool]]] = {
        PUBLIC: {
            "anonymous": lambda s: let_through,
            "A": lambda s: let_through,
            "B": lambda s: let_through,
            "admin": lambda s: let_through,
        },
        USER: {
            "anonymous": lambda s: s == 401,
            "A": lambda s: let_through,
            "B": lambda s: let_through,
            "admin": lambda s: let_through,
        },
        OWNED: {
            "anonymous": lambda s: s == 401,
            "A": lambda s: s == 404,
            "B": lambda s: let_through and s != 404,
            "admin": lambda s: s == 404,
        },
        ADMIN: {
            "anonymous": lambda s: s == 401,
            "A": lambda s: s == 403,
            "B": lambda s: s == 403,
            "admin": lambda s: let_through,
        },
        WRITE_KEY: {who: (lambda s: s == 401) for who in ("anonymous", "A", "B", "admin")},
    }
    return None if rules[expect.access][who](status) else f"{who} got {status}"


async def check_route(world: World, a: Shopper, expect: Expect) -> list[str]:
    params = await expect.params(world)
    url = fill(expect.path, params)
    secrets = [world.owner.id, world.owner.email, world.order_id]
    problems = []
    for who, caller in [("anonymous", None), ("A", a), ("admin", world.admin), ("B", world.owner)]:
        if who == "B" and expect.others_left_alone:
            await expect.others_left_alone(world, params)
        response = await call(world.client, expect, url, params, caller)
        if (broken := judge(expect, who, response.status_code)) is not None:
            problems.append(f"{expect.method} {url} [{expect.access.name}]: {broken}: {response.text[:200]}")
        sees_everything = who == "B" or (who == "admin" and expect.path.startswith("/v1/admin/"))
        leaked = [s for s in secrets if not sees_everything and s not in url and s in response.text]
        if leaked:
            problems.append(f"{expect.method} {url}: {who} sees B's {leaked}")
    return problems


async def test_every_route_gives_each_caller_exactly_the_access_it_should(
    client: AsyncTestClient[Litestar], app: Litestar
) -> None:
    a, b = await sign_up(client), await sign_up(client)
    world = World(client, owner=b, admin=await make_admin(client))
    world.order_id = (await owners_order(world))["order_id"]  # B owns things A must never see
    await owners_wishlisted_wine(world)
    await client.put("/v1/me/consent", json={"marketing": True}, headers=b.headers)
    served = routes_of(app)
    problems: list[str] = []
    for expect in MATRIX:
        if (expect.method, expect.path) in served:  # a stale line is reported by the test above
            problems += await check_route(world, a, expect)
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- deny by default
@get("/forgotten", sync_to_thread=False)
def forgotten() -> str:
    return "this must never be served"


@get("/open", sync_to_thread=False, opt=OPEN)
def open_route() -> str:
    return "anyone"


class Undeclared(Controller):
    path = "/controller"

    @get("/", sync_to_thread=False)
    def inside(self) -> str:
        return "this must never be served either"


async def test_a_route_that_declares_no_access_is_refused_even_to_an_admin(tmp_path: Path) -> None:
    codec = TokenCodec("throwaway-secret-0123456789abcdef0123456789", 60)
    services = SimpleNamespace(tokens=codec)
    app = Litestar(
        route_handlers=[forgotten, open_route, Undeclared],
        guards=[authorize],
        exception_handlers=EXCEPTION_HANDLERS,
        state=State({"services": services}),
    )
    admin = {"Authorization": f"Bearer {codec.issue('root', ['customer', 'admin'], utcnow())}"}
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/open")).text == "anyone"
        for path in ["/forgotten", "/controller"]:
            for headers in [{}, admin]:
                response = await client.get(path, headers=headers)
                assert response.status_code == 403, (path, headers)
                assert response.json()["code"] == "access_undeclared"
                assert "never be served" not in response.text
