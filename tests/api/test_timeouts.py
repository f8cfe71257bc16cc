"""Slow failure is bounded: a hung Redis or MongoDB costs a request one configured timeout (a 503, never a
hang or a 500), readiness answers at once whatever hangs, and a trickling request body is cut off.

A hung Redis is a throwaway redis-server of the test's own under SIGSTOP (the kernel still accepts its
connections; nothing answers). A hung MongoDB or search engine is a listener that accepts and never replies.
Elapsed times are only compared from below against a multiple of the configured timeout: the point is "one
timeout", not "the 5 s and 6 s it used to take"; a loaded machine makes nothing fail.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as sync_redis

from app.backends import BackendUnavailable, open_backends
from app.main import create_app
from documents.database import Database, server_client
from search import open_index
from tests.api.clickstream.conftest import event
from tests.conftest import PASSWORD, make_settings, running, sign_up
from tests.fuzz.conftest import free_port

pytestmark = pytest.mark.timing

TIMEOUT_S = 1.0  # CUVEE_REDIS_TIMEOUT_S / CUVEE_MONGODB_TIMEOUT_S in these tests (the defaults)
ONE_TIMEOUT = 3 * TIMEOUT_S + 1  # generous: one timeout plus scheduling on a busy machine, far below 5 s


class HungRedis:
    """A redis-server on a free port that the test freezes (SIGSTOP) and thaws (SIGCONT)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        probe = sync_redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(200):
            try:
                probe.ping()
                return
            except sync_redis.ConnectionError:
                time.sleep(0.05)
        self.proc.kill()
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def hang(self) -> None:
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.proc.send_signal(signal.SIGCONT)


@pytest.fixture
def hung_redis() -> Iterator[HungRedis]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = HungRedis()
    yield server
    server.thaw()
    server.proc.kill()
    server.proc.wait()


@pytest.fixture
async def black_hole() -> AsyncIterator[int]:
    """The port of a listener that accepts connections and never answers (a hung server)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()


async def timed(call: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = await call
    return response, time.monotonic() - started


async def test_a_hung_redis_makes_login_sign_up_and_the_beacon_answer_503_within_one_timeout(
    tmp_path: Path, hung_redis: HungRedis
) -> None:
    settings = make_settings(tmp_path, redis_url=hung_redis.url, redis_timeout_s=TIMEOUT_S)
    async with running(create_app(settings)) as client:
        shopper = await sign_up(client)
        hung_redis.hang()
        credentials = {"email": shopper.email, "password": PASSWORD}
        for method, url, body in (
            ("POST", "/v1/auth/login", credentials),
            ("POST", "/v1/auth/register", {"email": "new@example.com", "password": PASSWORD}),
            ("POST", "/v1/events", [event()]),
        ):
            response, elapsed = await timed(client.request(method, url, json=body))
            assert response.status_code == 503, (url, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            assert int(response.headers["retry-after"]) >= 1
            assert response.json()["code"] in ("redis_unavailable", "stream_unavailable")
            assert elapsed < ONE_TIMEOUT, (url, elapsed)
        # the rest of the shop needs no Redis and keeps answering
        assert (await client.get("/v1/wines")).status_code == 200

        hung_redis.thaw()
        assert (await client.post("/v1/auth/login", json=credentials)).status_code == 200


async def test_readiness_answers_503_at_once_when_every_backend_hangs_naming_each(
    tmp_path: Path, hung_redis: HungRedis, black_hole: int
) -> None:
    settings = make_settings(tmp_path, redis_url=hung_redis.url, redis_timeout_s=30.0)  # only the probe bounds it
    async with running(create_app(settings)) as client:
        backends = client.app.state.services.backends
        healthy_db, healthy_search = backends.db, backends.search
        hung_url = f"mongodb://127.0.0.1:{black_hole}/shop"
        hung_client = server_client(hung_url, 30.0)
        backends.db = Database(url=hung_url, name="shop", client=hung_client, db=hung_client["shop"])
        backends.search = open_index(f"http://127.0.0.1:{black_hole}")
        hung_redis.hang()
        try:
            response, elapsed = await timed(client.get("/health/ready"))
        finally:
            await backends.search.close()
            await hung_client.close()
            backends.db, backends.search = healthy_db, healthy_search
            hung_redis.thaw()
        assert response.status_code == 503
        body = response.json()
        assert body["detail"] == "backend down: clickstream, mongodb, redis, search"
        for name in ("mongodb", "redis", "search"):
            assert body["checks"][name] == "down: timed out after 1 s"
        assert elapsed < ONE_TIMEOUT  # the probes run at once: one timeout, not the sum of four


async def test_start_up_gives_up_on_a_hung_mongodb_within_its_timeout(tmp_path: Path, black_hole: int) -> None:
    settings = make_settings(
        tmp_path, mongodb_url=f"mongodb://127.0.0.1:{black_hole}/shop", mongodb_timeout_s=TIMEOUT_S
    )
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match=r"MongoDB at mongodb://127\.0\.0\.1:\d+/shop did not answer"):
        await open_backends(settings)
    assert time.monotonic() - started < ONE_TIMEOUT  # was 5 s: the server selection timeout alone


def test_the_mongodb_client_bounds_every_reply_and_the_url_can_say_otherwise() -> None:
    client = server_client("mongodb://127.0.0.1:1/shop", 1.0)
    assert client.options.pool_options.socket_timeout == 1.0
    assert client.options.pool_options.connect_timeout == 1.0
    assert client.options.server_selection_timeout == 1.0
    assert server_client("mongodb://127.0.0.1:1/shop", 1.0, 60.0).options.pool_options.socket_timeout == 60.0
    widened = server_client("mongodb://127.0.0.1:1/shop?socketTimeoutMS=5000", 1.0)
    assert widened.options.pool_options.socket_timeout == 5.0


async def asgi_post(app: Any, path: str, chunks: list[bytes], then_hang: bool) -> tuple[int, dict[str, str]]:
    """POST through the ASGI app itself with a body that arrives in `chunks` and then, if `then_hang`, stops
    arriving (a client trickling its body, or gone quiet)."""
    queue = list(chunks)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if queue:
            return {"type": "http.request", "body": queue.pop(0), "more_body": bool(queue) or then_hang}
        await asyncio.Event().wait()  # nothing more ever comes
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    async with asyncio.timeout(30):  # generous: the body deadline, not this one, must end the request
        await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}


async def test_a_request_body_that_stops_arriving_is_answered_408_and_the_connection_closed(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, body_timeout_s=0.2))
    async with running(app):
        status, headers = await asgi_post(app, "/v1/auth/login", [b'{"email": "a@', b"example.com"], then_hang=True)
        assert status == 408
        assert headers["connection"] == "close"
        assert headers["content-type"].startswith("application/problem+json")
        # a body that does arrive, in pieces, is read as usual
        body = [b'{"email": "nobody@example.com", ', b'"password": "wrong password here"}']
        status, _ = await asgi_post(app, "/v1/auth/login", body, then_hang=False)
        assert status == 401
