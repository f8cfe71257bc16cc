"""Beacon → Redis stream → worker → profile, against a real `cuvee` server process and the real Redis.

The server runs in the embedded mode (in-process MongoDB, the worker inside the server) on the demo
catalog; its Redis keys live under a fresh prefix in db 15 and are deleted afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("CUVEE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHROMIUM = "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, base_url: str, prefix: str) -> None:
        self.base_url = base_url
        self.prefix = prefix
        self.redis = redis.Redis.from_url(REDIS_URL)

    def stream_ids(self) -> list[str]:
        return [json.loads(fields[b"e"])["event_id"] for _, fields in self.redis.xrange(f"{self.prefix}:events")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port, prefix = _free_port(), f"cuvee-e2e:{uuid4().hex[:10]}"
    env = {
        **os.environ,
        "CUVEE_DATA_DIR": str(tmp_path_factory.mktemp("e2e")),
        "CUVEE_REDIS_URL": REDIS_URL,
        "CUVEE_STREAM_PREFIX": prefix,
        "CUVEE_SNAPSHOT_INTERVAL_S": "0",
        "CUVEE_LOG_LEVEL": "WARNING",
        "CUVEE_SECRET_KEY": "e2e-secret-0123456789abcdef0123456789abcdef",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("CUVEE_MONGODB_URL", None)  # the worker must share the server's (in-process) MongoDB
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--factory",
            "--workers",
            "1",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "app.main:create_app",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if proc.poll() is not None:
                pytest.fail("the server exited at start")
            try:
                if httpx.get(f"{base_url}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            pytest.fail("the server did not become ready")
        srv = Server(base_url, prefix)
        yield srv
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"{prefix}:*"))
        if keys:
            redis.Redis.from_url(REDIS_URL).delete(*keys)


def _signed_in_shopper(client: httpx.Client, anonymous_id: str) -> dict[str, str]:
    """Sign up, give analytics consent, and link the browser's anonymous id (what the storefront does)."""
    body = client.post(
        "/v1/auth/register", json={"email": f"{uuid4().hex[:10]}@example.com", "password": "correct horse battery"}
    ).json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.put("/v1/me/consent", json={"analytics": True}, headers=headers).status_code == 200
    link = client.post("/v1/me/anonymous-id", json={"anonymous_id": anonymous_id}, headers=headers)
    assert link.json()["linked"] is True
    return headers


def _wait_for_viewed(client: httpx.Client, headers: dict[str, str], wanted: list[str]) -> list[str]:
    viewed: list[str] = []
    for _ in range(100):
        viewed = [w["wine"]["id"] for w in client.get("/v1/me/profile", headers=headers).json()["recently_viewed"]]
        if viewed == wanted:
            break
        time.sleep(0.1)
    return viewed


def _event(anonymous_id: str, seconds_ago: float = 0, **fields: Any) -> dict[str, Any]:
    at = datetime.now(UTC) - timedelta(seconds=seconds_ago)  # spaced: MongoDB keeps milliseconds
    return {"event_id": str(uuid4()), "occurred_at": at.isoformat(), "anonymous_id": anonymous_id, **fields}


def test_a_text_plain_beacon_reaches_the_stream_once_and_the_profile_through_the_worker(server: Server) -> None:
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        first, second = (w["id"] for w in client.get("/v1/wines", params={"per_page": 2}).json()["items"])
        anonymous_id = client.post("/v1/anonymous-ids").json()["anonymous_id"]
        headers = _signed_in_shopper(client, anonymous_id)
        batch = [
            _event(anonymous_id, 2, type="wine_viewed", wine_id=first),
            _event(anonymous_id, 1, type="wine_viewed", wine_id=second),
            _event(anonymous_id, type="search_performed", query="tawny", results_count=4),
        ]
        beacon = json.dumps(batch)  # sendBeacon(url, string): text/plain, no Authorization header
        response = client.post("/v1/events", content=beacon, headers={"Content-Type": "text/plain;charset=UTF-8"})
        assert response.status_code == 202
        assert [r["status"] for r in response.json()["results"]] == ["accepted"] * 3
        again = client.post("/v1/events", content=beacon, headers={"Content-Type": "text/plain;charset=UTF-8"})
        assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 3

        assert _wait_for_viewed(client, headers, [second, first]) == [second, first]
        ids = server.stream_ids()
        assert all(ids.count(e["event_id"]) == 1 for e in batch)


@pytest.mark.browser
def test_a_browser_beacon_sent_on_pagehide_is_recorded(server: Server) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM):
        pytest.skip("no chromium at /usr/bin/chromium")
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        wine = client.get("/v1/wines", params={"per_page": 1}).json()["items"][0]["id"]
        anonymous_id = client.post("/v1/anonymous-ids").json()["anonymous_id"]
        headers = _signed_in_shopper(client, anonymous_id)
        beacon = json.dumps([_event(anonymous_id, type="wine_viewed", wine_id=wine)])
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"{server.base_url}/health/live")
            page.evaluate(
                """beacon => addEventListener('pagehide',
                () => navigator.sendBeacon('/v1/events', beacon))""",
                beacon,
            )
            page.goto("about:blank")  # leaving the page fires pagehide, and the browser sends the beacon
            browser.close()
        assert _wait_for_viewed(client, headers, [wine]) == [wine]
