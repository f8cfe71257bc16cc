"""Browser tests: the real app on a free port (uvicorn in a thread, demo catalog, in-process worker) and
Debian's Chromium driven by Playwright. Skipped cleanly when /usr/bin/chromium or Playwright is missing."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from uuid import uuid4

import pytest

from app.main import create_app
from tests.conftest import PASSWORD, make_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_S = 60
EXPECT_TIMEOUT_MS = 10_000
T = TypeVar("T")


@dataclass
class Beacon:
    """A clickstream request as the server received it."""

    content_type: str
    events: list[dict[str, Any]]


def recording_beacons(app: Any, received: list[Beacon]) -> Any:
    """The app, noting every POST /v1/events it receives: the browser's own request events miss a beacon sent
    while its page goes away (DESIGN §1), the server does not."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != "/v1/events" or scope["method"] != "POST":
            await app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def tap() -> Any:
            message = await receive()
            chunks.append(message.get("body", b""))
            return message

        await app(scope, tap, send)
        headers = dict(scope["headers"])
        try:
            events = json.loads(b"".join(chunks))
        except ValueError:
            events = []
        received.append(Beacon(headers.get(b"content-type", b"").decode(), events if isinstance(events, list) else []))

    return asgi


class LiveServer:
    """The whole app served over real HTTP (sendBeacon needs one), in a thread of this process."""

    def __init__(self, tmp_path: Path, **overrides: Any) -> None:
        import uvicorn

        settings = make_settings(tmp_path, **({"seed_demo": True, "run_worker": True} | overrides))
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.beacons: list[Beacon] = []
        self.app = create_app(settings)
        self._recorded = recording_beacons(self.app, self.beacons)
        self.loop: asyncio.AbstractEventLoop | None = None
        config = uvicorn.Config(self._asgi, interface="asgi3", log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    async def _asgi(self, scope: Any, receive: Any, send: Any) -> None:
        self.loop = asyncio.get_running_loop()  # the server's own: its database clients belong to it
        await self._recorded(scope, receive, send)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop: set-up that no shopper can do through the page."""
        assert self.loop is not None, "the server has not started"
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=START_TIMEOUT_S)

    def admin_token(self) -> str:
        """A bearer token of a new administrator (as `cuvee create-admin` makes one)."""
        accounts = self.app.state.services.accounts

        async def make() -> str:
            email = f"admin-{uuid4().hex[:8]}@example.com"
            user = await accounts.register(email, PASSWORD, "admin", roles=["customer", "admin"])
            return str(accounts.issue_token(user))

        return self.run(make())

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the app did not start; see the log above")
            time.sleep(0.05)
        # The recommender builds its first model on the first list asked for: do it before any page waits.
        self.call("GET", "/v1/trending?per_page=1")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.socket.close()

    def call(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        """The API as any client sees it, to check what the page did (server side)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def has_route(self, path: str) -> bool:
        _, schema = self.call("GET", "/schema/openapi.json")
        return path in schema["paths"]

    def beacons_from(self, anonymous_id: str) -> list[Beacon]:
        return [b for b in self.beacons if any(e.get("anonymous_id") == anonymous_id for e in b.events)]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("storefront"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Assertions wait up to 10 s (not 5): the machine may be busy with other suites; a pass is still quick.
    sync_api.expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_api.sync_playwright() as playwright:
        # launch() gives the browser a fresh temporary user-data dir, removed when it closes.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context (empty storage: a new visitor) for each test."""
    ctx = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(EXPECT_TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # checked by tests: a script error is a failure even when the page looks right
    return page
