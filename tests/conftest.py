"""Backends for the tests: real Redis, the in-process MongoDB and tantivy by default; real MongoDB and
Elasticsearch join when CUVEE_MONGODB_URL / CUVEE_SEARCH_URL are set. Every test gets its own database name,
Redis key prefix and index directory (or Elasticsearch namespace)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import uuid4

import httpx
import pymongo
import pytest
from litestar import Litestar

from app.main import create_app
from app.settings import Settings

REDIS_URL = os.environ.get("CUVEE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
MONGODB_URL = os.environ.get("CUVEE_MONGODB_URL", "memory://")
SEARCH_URL = os.environ.get("CUVEE_SEARCH_URL", "")
ON_SERVER = MONGODB_URL.startswith("mongodb")
_server_databases: list[str] = []  # made by this test on the server: dropped after it


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for one test, isolated from every other test and from the developer's environment."""
    ns = f"t{uuid4().hex[:12]}"
    search_url = SEARCH_URL if SEARCH_URL.startswith("http") else f"tantivy://{tmp_path / 'search'}"
    values: dict[str, object] = {
        "mongodb_url": MONGODB_URL,
        "mongodb_db": ns,
        "search_url": search_url,
        "search_namespace": ns,
        "redis_url": REDIS_URL,
        "stream_prefix": f"cuvee-test:{ns}",
        "data_dir": tmp_path / "data",
        "secret_key": "test-secret-" + ns + "-0123456789abcdef0123456789",
        "seed_demo": False,
        "run_worker": False,
        "snapshot_interval_s": 0,
        "cors_origins": [],
        # A busy CI machine may take longer than production's 1 s to answer; the tests of those bounds set
        # their own (tests/api/test_timeouts.py).
        "redis_timeout_s": 10.0,
        "mongodb_timeout_s": 10.0,
    }
    values.update(overrides)
    if ON_SERVER:
        _server_databases.append(str(values["mongodb_db"]))
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _drop_server_databases() -> Iterator[None]:
    """On a server every test drops the databases it made, so a suite run leaves nothing behind."""
    yield
    if not _server_databases:
        return
    with pymongo.MongoClient(MONGODB_URL, serverSelectionTimeoutMS=5000) as server:
        while _server_databases:
            server.drop_database(_server_databases.pop())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


class AppClient(httpx.AsyncClient):
    """An HTTP client wired to the app in the test's own event loop (real concurrency; tests may await the
    app's Redis and MongoDB objects). Litestar's AsyncTestClient runs the app in another thread and loop."""

    def __init__(self, app: Litestar) -> None:
        super().__init__(
            transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 50000)), base_url="http://testserver"
        )
        self.app = app


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[AppClient]:
    """The app with its lifespan run (backends open), and a client for it.

    The lifespan runs in a task of its own: it holds an anyio task group, which must be entered and left in
    the same task, and pytest-asyncio sets fixtures up and tears them down in different tasks."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():  # start-up failed: raise its error here, out of the lifespan's task group
        error = task.exception()
        while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
            error = error.exceptions[0]
        assert error is not None
        raise error
    try:
        async with AppClient(app) as c:
            yield c
    finally:
        stop.set()
        await task


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AppClient]:
    async with running(app) as c:
        yield c


PASSWORD = "correct horse battery"


class Shopper:
    """A signed-up user as a test drives it: id, email, and the Authorization header."""

    def __init__(self, user_id: str, email: str, token: str) -> None:
        self.id = user_id
        self.email = email
        self.token = token
        self.headers = {"Authorization": f"Bearer {token}"}


async def sign_up(client: AppClient, email: str | None = None) -> Shopper:
    email = email or f"{uuid4().hex[:10]}@example.com"
    response = await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    return Shopper(body["user_id"], email, body["access_token"])


async def make_admin(client: AppClient) -> Shopper:
    accounts = client.app.state.services.accounts
    user = await accounts.register(
        f"admin-{uuid4().hex[:8]}@example.com", PASSWORD, "admin", roles=["customer", "admin"]
    )
    return Shopper(user.id, user.email, accounts.issue_token(user))


@pytest.fixture
async def shopper(client: AppClient) -> Shopper:
    return await sign_up(client)


@pytest.fixture
async def admin(client: AppClient) -> Shopper:
    return await make_admin(client)
