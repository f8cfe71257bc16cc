"""A real server for the fuzzers: the app under uvicorn on a free port, in a thread with its own event loop,
with a customer and an admin, a few wines and a trained recommender."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import redis
import requests
import schemathesis
import uvicorn

from app.main import create_app
from app.settings import Settings
from tests.conftest import PASSWORD, REDIS_URL, make_settings

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    """The running server: its URL, the headers of each caller, and a way to run code on its loop."""

    url: str
    settings: Settings
    app: Any
    loop: asyncio.AbstractEventLoop
    customer: dict[str, str]
    admin: dict[str, str]

    def run(self, coro: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)  # type: ignore[arg-type]


def _seed(url: str, admin: dict[str, str]) -> None:
    for n, style in enumerate(["red", "white", "rosé", "sparkling", "dessert", "fortified"]):
        response = requests.post(
            f"{url}/v1/admin/wines",
            headers=admin,
            timeout=10,
            json={
                "name": f"Fuzz {style} {n}",
                "winery": f"Domaine {n}",
                "style": style,
                "price": f"{10 + n}.50",
                "stock": 5 + n,
                "grapes": ["Merlot"],
                "country": "France",
                "region": "Bordeaux",
                "taste": {"sweetness": 0.1, "acidity": 0.5, "tannin": 0.4, "body": 0.6, "fizz": 0.0},
            },
        )
        assert response.status_code == 201, response.text
    assert requests.post(f"{url}/v1/admin/recommendations/retrain", headers=admin, timeout=60).status_code == 200


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    settings = make_settings(Path(tmp_path_factory.mktemp("fuzz")), run_worker=True)
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning", access_log=False)
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fuzz-server", daemon=True)
    thread.start()
    serving = asyncio.run_coroutine_threadsafe(server.serve(), loop)
    deadline = time.monotonic() + 30
    while not server.started:
        assert not serving.done(), serving.exception()
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    registered = requests.post(
        f"{url}/v1/auth/register", timeout=10, json={"email": "fuzz-customer@example.com", "password": PASSWORD}
    ).json()
    accounts = app.state.services.accounts
    admin_user, _ = asyncio.run_coroutine_threadsafe(
        accounts.ensure_admin("fuzz-admin@example.com", PASSWORD), loop
    ).result(30)
    admin = {"Authorization": f"Bearer {accounts.issue_token(admin_user)}"}
    _seed(url, admin)
    try:
        yield Live(url, settings, app, loop, {"Authorization": f"Bearer {registered['access_token']}"}, admin)
    finally:
        server.should_exit = True
        serving.result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        keys = redis.Redis.from_url(REDIS_URL)
        stale = list(keys.scan_iter(f"{settings.stream_prefix}:*", count=1000))
        if stale:
            keys.delete(*stale)
        keys.close()


@pytest.fixture(scope="module")
def api_schema(live: Live) -> Any:
    schema = schemathesis.openapi.from_url(f"{live.url}/schema/openapi.json")
    # Unknown query parameters are refused with a 422 (unknown_parameter), so negative cases may add them.
    # The callers' tokens are the fixtures' own (live.customer, live.admin): no made-up Authorization headers.
    schema.config.generation.update(allow_extra_parameters=True, with_security_parameters=False)
    return schema
