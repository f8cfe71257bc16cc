"""Redis stopped or hung → 503 at once, then recovery; the in-process worker; the in-process Redis path."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fakeredis
import pytest
import redis as sync_redis
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.clickstream.service import ClickstreamService
from app.clickstream.worker import WorkerConfig
from app.errors import TooMany
from app.main import create_app
from app.recommendations.logs import record_actions
from documents import Interaction, Wine, utcnow
from tests.api.clickstream.conftest import event
from tests.conftest import make_settings, running
from tests.factories import insert_wines, make_wine

pytestmark = pytest.mark.timing

AppClient = AsyncTestClient[Litestar]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(port: int) -> subprocess.Popen[bytes]:
    """A throwaway redis-server (never the shared one on 6379), ready when this returns."""
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    probe = sync_redis.Redis(port=port, socket_connect_timeout=0.2)
    for _ in range(100):
        try:
            probe.ping()
            return proc
        except sync_redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


@pytest.fixture
def own_redis() -> Iterator[tuple[int, list[subprocess.Popen[bytes]]]]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: cannot stop and restart a Redis of our own")
    port = free_port()
    procs = [start_redis(port)]
    yield port, procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def timed_post(client: AppClient, batch: list[dict[str, Any]]) -> tuple[int, float, dict[str, Any]]:
    started = time.monotonic()
    response = await client.post("/v1/events", content=json.dumps(batch), headers={"Content-Type": "text/plain"})
    return response.status_code, time.monotonic() - started, response.json()


async def test_redis_stopped_answers_503_at_once_and_recovers_when_back(
    tmp_path: Path, own_redis: tuple[int, list[subprocess.Popen[bytes]]]
) -> None:
    port, procs = own_redis
    async with AsyncTestClient(
        app=create_app(make_settings(tmp_path, redis_url=f"redis://127.0.0.1:{port}/0"))
    ) as client:
        assert (await timed_post(client, [event()]))[0] == 202
        procs[0].terminate()
        procs[0].wait()
        retried = [event()]
        status, elapsed, body = await timed_post(client, retried)
        assert (status, body["code"]) == (503, "stream_unavailable")
        assert elapsed < 4.0  # at once: no retry loop (a generous bound, not a speed)
        ready = await client.get("/health/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["redis"].startswith("down")

        procs.append(start_redis(port))
        status, _, body = await timed_post(client, retried)  # the client's retry is not taken for a duplicate
        assert (status, body["accepted"]) == (202, 1)
        assert (await client.get("/health/ready")).status_code == 200


async def test_a_hung_redis_answers_503_within_the_deadline_and_recovers(
    tmp_path: Path, own_redis: tuple[int, list[subprocess.Popen[bytes]]]
) -> None:
    port, procs = own_redis
    async with AsyncTestClient(
        app=create_app(make_settings(tmp_path, redis_url=f"redis://127.0.0.1:{port}/0", redis_timeout_s=1.0))
    ) as client:
        assert (await timed_post(client, [event()]))[0] == 202
        procs[0].send_signal(signal.SIGSTOP)
        try:
            status, elapsed, _ = await timed_post(client, [event()])
            assert status == 503
            assert elapsed < 5.0  # bounded by the 1 s Redis timeout (a generous bound), not hung
        finally:
            procs[0].send_signal(signal.SIGCONT)
        for _ in range(3):  # the late reply of the abandoned call must not be read as anyone's answer
            status, _, body = await timed_post(client, [event(), event()])
            assert (status, body["accepted"]) == (202, 2)


async def test_the_in_process_worker_drains_the_stream_and_stops_cleanly(tmp_path: Path, redis: Any) -> None:
    settings = make_settings(tmp_path, run_worker=True)
    async with running(create_app(settings)) as client:  # in this loop: a server's driver is bound to it
        (wine,) = await insert_wines(make_wine())
        batch = [event(wine_id=wine.id) for _ in range(5)]
        await client.post("/v1/events", json=batch)
        deadline = time.monotonic() + 60  # a condition with a generous deadline, not a speed
        while time.monotonic() < deadline:
            if await Interaction.find({"wine_id": wine.id}).count() == 5:
                break
            await asyncio.sleep(0.05)
        assert (await Wine.get(wine.id)).view_count == 5  # type: ignore[union-attr]
    stream = f"{settings.stream_prefix}:events"
    assert await redis.xinfo_consumers(stream, "history-writers") == []  # it left the group on shutdown
    assert (await redis.xpending(stream, "history-writers"))["pending"] == 0


async def test_the_in_process_redis_takes_beacons_without_lua(client: AppClient) -> None:
    """fakeredis has no Lua: the pipelined path must give the same verdicts and limits."""
    fake = fakeredis.FakeAsyncRedis()
    service = ClickstreamService(
        fake,
        "embedded",
        client.app.state.services.accounts,
        client.app.state.services.catalog,
        utcnow,
        feedback=record_actions,
        maxlen=1000,
        dedup_ttl_s=86_400,
        events_per_minute=5,
        secret="s",
    )
    first, second = event(), event()
    receipt = await service.ingest(json.dumps([first, second, first]).encode(), None, "10.0.0.1")
    assert [v.status for v in receipt.results] == ["accepted", "accepted", "duplicate"]
    receipt = await service.ingest(json.dumps([first]).encode(), None, "10.0.0.2")
    assert [v.status for v in receipt.results] == ["duplicate"]
    with pytest.raises(TooMany):
        await service.ingest(json.dumps([event(), event(), event()]).encode(), None, "10.0.0.1")
    assert await fake.xlen("embedded:events") == 2
    worker = service.new_worker()
    await worker.ensure_group()
    assert await worker.poll_once() == 2
    assert await Interaction.find({"_id": {"$in": [first["event_id"], second["event_id"]]}}).count() == 2


async def test_the_in_process_redis_wakes_a_worker_waiting_in_xreadgroup(client: AppClient) -> None:
    """What the embedded mode relies on from fakeredis: XREADGROUP … BLOCK either answers at once (< 2.41) or
    wakes when an entry is appended (2.41) — never sits out the whole block time with an entry waiting."""
    fake = fakeredis.FakeAsyncRedis()
    service = ClickstreamService(
        fake,
        "embedded",
        client.app.state.services.accounts,
        client.app.state.services.catalog,
        utcnow,
        feedback=record_actions,
        maxlen=1000,
        dedup_ttl_s=86_400,
        events_per_minute=100,
        secret="s",
    )
    worker = service.new_worker(WorkerConfig(block_ms=600_000, reclaim_every_s=600))
    await worker.ensure_group()
    worker.start()
    try:
        for _ in range(3):  # let it reach XREADGROUP before anything is appended
            await asyncio.sleep(0)
        one = event()
        await service.ingest(json.dumps([one]).encode(), None, "10.0.0.1")
        async with asyncio.timeout(60):  # far below the 600 s block time, far above any loaded machine's delay
            while worker.counters["applied"] < 1:  # noqa: ASYNC110 (a counter, not an event)
                await asyncio.sleep(0.02)
    finally:
        await worker.stop()
    assert await Interaction.find({"_id": one["event_id"]}).count() == 1
