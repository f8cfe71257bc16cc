"""Clickstream benchmark: events/s through HTTP into the Redis stream (batches of 1, 20, 100) with one API
process, side by side with raw XADD and the append script alone from this process; the latency of batches
of 20 offered at the target rate; then the worker's drain rate from the stream into MongoDB. Prints a table.

    python bench/events.py                    # 5 s per batch size, 16 connections, drain up to 100k events
    python bench/events.py --seconds 3 --connections 8 --drain 50000 --rate 20000 --rounds 3
    python bench/events.py --drain-only --drain 50000   # the worker's drain alone, from a stream filled directly

Two ways to load the API, both over the same keep-alive connections. Closed loop (the throughput table):
every connection sends its next batch as soon as the last is answered, so the server runs flat out and the
latency is mostly time queued behind the other 15 connections. Open loop (the target-rate line): batches
leave on a fixed schedule whatever the server does, and each latency counts from the moment its batch was
due, so a server that falls behind is charged for the wait (no coordinated omission).

Needs a Redis server (CUVEE_BENCH_REDIS_URL, default redis://127.0.0.1:6379/15); everything is written
under a fresh key prefix and deleted afterwards. MongoDB is the in-process engine unless CUVEE_MONGODB_URL
is set. The load generator is a minimal keep-alive HTTP/1.1 client on asyncio, so that the client, not
the server, is not the bottleneck on a 2-core machine (httpx costs more CPU per request than the server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import redis.asyncio as aioredis  # noqa: E402

REDIS_URL = os.environ.get("CUVEE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
WINES = [f"bench-wine-{i:04d}" for i in range(500)]
ANONS = [f"bench-anon-{i:05d}" for i in range(2000)]


# ---------------------------------------------------------------- events
class EventFactory:
    """Batches of valid, unique events built from byte templates (cheap: the client must not be the limit)."""

    def __init__(self) -> None:
        self._run = uuid4().hex[:10]
        self._n = 0
        self._at = datetime.now(UTC).isoformat().encode()

    def events(self, size: int) -> list[tuple[str, bytes]]:
        """(event_id, JSON object) of `size` new view events."""
        out = []
        for _ in range(size):
            self._n += 1
            n = self._n
            event_id = f"{self._run}-{n:010d}"
            out.append(
                (
                    event_id,
                    b'{"event_id":"%s","type":"wine_viewed","occurred_at":"%s","anonymous_id":"%s","wine_id":"%s"}'
                    % (event_id.encode(), self._at, ANONS[n % len(ANONS)].encode(), WINES[n % len(WINES)].encode()),
                )
            )
        return out

    def batch(self, size: int) -> bytes:
        return b"[" + b",".join(payload for _, payload in self.events(size)) + b"]"


# ---------------------------------------------------------------- the API process
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, prefix: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CUVEE_DATA_DIR": str(data_dir),
        "CUVEE_REDIS_URL": REDIS_URL,
        "CUVEE_STREAM_PREFIX": prefix,
        "CUVEE_SEED_DEMO": "false",
        "CUVEE_RUN_WORKER": "false",
        "CUVEE_SNAPSHOT_INTERVAL_S": "0",
        "CUVEE_LOG_LEVEL": "WARNING",
        "CUVEE_EVENTS_MAXLEN": "5000000",
        "CUVEE_EVENTS_PER_MINUTE": "100000000",
        "PYTHONPATH": str(ROOT),
        "CUVEE_SECRET_KEY": "bench-secret-0123456789abcdef0123456789abcdef",
    }
    cmd = [
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
        "--no-ws",
        "app.main:create_app",
    ]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)


async def wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("the API process exited at start")
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /health/live HTTP/1.1\r\nHost: bench\r\n\r\n")
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit("the API process did not answer")


def session_cpu_s(sid: int) -> float:
    """CPU seconds (user + system) used so far by every process of a session (the server and its worker)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:  # field 6 of stat: the session id
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


async def redis_cpu_s(redis: Any) -> float:
    info = await redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


# ---------------------------------------------------------------- the load loop
async def _connection(
    port: int,
    factory: EventFactory,
    size: int,
    until: float,
    latencies: list[float],
    statuses: dict[int, int],
    *,
    first: float = 0.0,
    every: float = 0.0,
) -> None:
    """Closed loop (every=0): the next batch as soon as the last is answered, latency from its sending.
    Open loop: batches due at first, first + every, ... whatever the server does; latency from when due."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = b"POST /v1/events HTTP/1.1\r\nHost: bench\r\nContent-Type: text/plain;charset=UTF-8\r\n"
    due = first
    while True:
        now = time.perf_counter()
        if not every:
            due = now
        elif due > now:
            await asyncio.sleep(due - now)
        if due >= until:
            break
        body = factory.batch(size)
        writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        headers = await reader.readuntil(b"\r\n\r\n")
        length = int(headers.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        latencies.append(time.perf_counter() - due)
        status = int(headers[9:12])
        statuses[status] = statuses.get(status, 0) + 1
        due += every
    writer.close()


async def http_load(port: int, sid: int, redis: Any, size: int, seconds: float, connections: int) -> dict[str, float]:
    factory = EventFactory()
    warm: list[float] = []
    await asyncio.gather(
        *(_connection(port, factory, size, time.perf_counter() + 0.5, warm, {}) for _ in range(connections))
    )
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cpu, redis_cpu = session_cpu_s(sid), await redis_cpu_s(redis)
    started = time.perf_counter()
    await asyncio.gather(
        *(_connection(port, factory, size, started + seconds, latencies, statuses) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    cpu, redis_cpu = session_cpu_s(sid) - cpu, await redis_cpu_s(redis) - redis_cpu
    if set(statuses) != {202}:
        print(f"  warning: statuses {statuses}", file=sys.stderr)
    latencies.sort()
    events = len(latencies) * size
    return {
        "events_s": events / elapsed,
        "req_s": len(latencies) / elapsed,
        "p50": 1000 * statistics.median(latencies),
        "p99": 1000 * latencies[int(len(latencies) * 0.99)],
        "api_cpu_ms": 1000 * cpu / len(latencies),
        "events_per_api_cpu_s": events / max(cpu, 1e-9),
        "redis_cpu_us_event": 1e6 * redis_cpu / events,
    }


async def paced_load(port: int, size: int, events_per_s: float, seconds: float, connections: int) -> dict[str, float]:
    """Batches offered at a fixed rate, spread evenly over the connections; latency from when each was due."""
    factory = EventFactory()
    every = size / events_per_s  # between two batches, all connections together
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter() + 0.05
    await asyncio.gather(
        *(
            _connection(
                port,
                factory,
                size,
                started + seconds,
                latencies,
                statuses,
                first=started + k * every,
                every=every * connections,
            )
            for k in range(connections)
        )
    )
    elapsed = time.perf_counter() - started
    if set(statuses) != {202}:
        print(f"  warning: statuses {statuses}", file=sys.stderr)
    latencies.sort()
    return {
        "offered": events_per_s,
        "events_s": len(latencies) * size / elapsed,
        "p50": 1000 * statistics.median(latencies),
        "p99": 1000 * latencies[int(len(latencies) * 0.99)],
        "max": 1000 * latencies[-1],
    }


# ---------------------------------------------------------------- raw ceilings from this process
async def events_per_s(step: Any, size: int, seconds: float, concurrency: int) -> float:
    """Events/s of `concurrency` loops each awaiting `step()` (which handles `size` events) for `seconds`."""
    count = 0

    async def loop(until: float) -> None:
        nonlocal count
        while time.perf_counter() < until:
            await step()
            count += size

    started = time.perf_counter()
    await asyncio.gather(*(loop(started + seconds) for _ in range(concurrency)))
    return count / (time.perf_counter() - started)


async def raw_xadd(redis: Any, stream: str, size: int, seconds: float, concurrency: int) -> float:
    """Events/s of plain pipelined XADDs (one pipeline per batch): the client library's ceiling."""
    factory = EventFactory()

    async def step() -> None:
        payload = factory.batch(1)
        async with redis.pipeline(transaction=False) as pipe:
            for _ in range(size):
                pipe.xadd(stream, {"e": payload}, maxlen=5_000_000, approximate=True)
            await pipe.execute()

    return await events_per_s(step, size, seconds, concurrency)


async def script_only(redis: Any, prefix: str, size: int, seconds: float, concurrency: int) -> float:
    """Events/s of the API's append step (rate limit + dedup + XADD in one Lua call) without HTTP."""
    from app.clickstream.stream import Limits, StreamAppender, StreamKeys

    keys = StreamKeys(prefix)
    appender = StreamAppender(redis, keys, Limits(5_000_000, 86_400, 100_000_000))
    factory = EventFactory()

    async def step() -> None:
        payload = factory.batch(1)
        await appender.append(
            [(uuid4().hex, payload, None) for _ in range(size)], [keys.rate("events-ip", "bench")], size
        )

    return await events_per_s(step, size, seconds, concurrency)


# ---------------------------------------------------------------- the worker's drain
async def fill(redis: Any, prefix: str, count: int) -> None:
    """Append `count` view events the way the beacon does (one payload per event), without the API process."""
    from app.clickstream.stream import Limits, StreamAppender, StreamKeys

    keys = StreamKeys(prefix)
    appender = StreamAppender(redis, keys, Limits(5_000_000, 86_400, 100_000_000))
    factory = EventFactory()
    for start in range(0, count, 500):
        size = min(500, count - start)
        items = [(event_id, payload, None) for event_id, payload in factory.events(size)]
        await appender.append(items, [keys.rate("events-ip", "bench")], size)


async def drain(redis: Any, prefix: str, limit: int, batch: int) -> tuple[int, float, float]:
    """Events/s from the stream into MongoDB by one worker (the first `limit` entries of the HTTP runs)."""
    from app.accounts.service import AccountService
    from app.accounts.throttle import LoginThrottle
    from app.catalog.counters import WineCounters
    from app.clickstream.consent import ConsentGate
    from app.clickstream.history import History
    from app.clickstream.stream import StreamKeys
    from app.clickstream.worker import ClickstreamWorker, WorkerConfig
    from app.events import EventBus
    from app.ratelimit import RateLimiter
    from app.recommendations.logs import record_actions
    from app.security import Passwords, TokenCodec
    from documents import Wine, utcnow
    from documents.database import connect

    url = os.environ.get("CUVEE_MONGODB_URL", "memory://")
    db = await connect(url, name=f"bench_{uuid4().hex[:8]}")
    try:
        await Wine.get_pymongo_collection().insert_many(
            [Wine(id=w, name=w, winery="Bench", style="red", price_cents=1000).model_dump(by_alias=True) for w in WINES]
        )
        keys = StreamKeys(prefix)
        await redis.xtrim(keys.stream, maxlen=limit, approximate=False)
        total = await redis.xlen(keys.stream)
        throttle = LoginThrottle(redis, prefix, utcnow, free_per_pair=5, free_per_address=50, cap_s=60)
        accounts = AccountService(
            TokenCodec("bench-secret", 3600), Passwords(), RateLimiter(redis, prefix), throttle, events=EventBus()
        )
        worker = ClickstreamWorker(
            redis,
            keys,
            History(utcnow, WineCounters(), record_actions),
            ConsentGate(accounts),
            WorkerConfig(batch_size=batch),
            consumer="bench",
        )
        await worker.ensure_group()
        started, cpu = time.perf_counter(), time.process_time()
        done = 0
        while done < total:
            handled = await worker.poll_once()
            if not handled:
                break
            done += handled
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        if url != "memory://":
            await db.client.drop_database(db.name)
        return done, done / elapsed, done / cpu
    finally:
        await db.close()


# ---------------------------------------------------------------- main
async def run(args: argparse.Namespace) -> None:
    prefix = f"bench-{uuid4().hex[:8]}"
    redis = aioredis.from_url(REDIS_URL)
    rows: list[tuple[int, dict[str, float], float, float]] = []
    paced: list[dict[str, float]] = []
    if args.drain_only:
        try:
            await fill(redis, prefix, args.drain)
            drained, rate, per_cpu = await drain(redis, prefix, args.drain, args.worker_batch)
        finally:
            await redis.delete(*[k async for k in redis.scan_iter(f"{prefix}:*", count=10_000)])
            await redis.aclose()
        print_drain(drained, rate, per_cpu, args)
        return
    with tempfile.TemporaryDirectory(prefix="cuvee-bench-") as tmp:
        port = free_port()
        server = start_server(Path(tmp), prefix, port)
        try:
            await wait_ready(port, server)
            for size in args.batches:
                http = await http_load(port, server.pid, redis, size, args.seconds, args.connections)
                xadd = await raw_xadd(redis, f"{prefix}:raw", size, min(args.seconds, 3), args.connections)
                lua = await script_only(redis, f"{prefix}:script", size, min(args.seconds, 3), args.connections)
                rows.append((size, http, xadd, lua))
                print(f"  batch {size}: {http['events_s']:,.0f} events/s over HTTP", file=sys.stderr)
            for _ in range(args.rounds if args.rate else 0):
                paced.append(await paced_load(port, 20, args.rate, args.seconds, args.connections))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
    try:
        drained, rate, per_cpu = await drain(redis, prefix, args.drain, args.worker_batch)
    finally:
        keys = [k async for k in redis.scan_iter(f"{prefix}:*", count=10_000)]
        for i in range(0, len(keys), 10_000):
            await redis.delete(*keys[i : i + 10_000])
        await redis.aclose()
    print_table(rows, paced, args, drained, rate, per_cpu)


def print_table(
    rows: list[tuple[int, dict[str, float], float, float]],
    paced: list[dict[str, float]],
    args: argparse.Namespace,
    drained: int,
    rate: float,
    per_cpu: float,
) -> None:
    header = (
        f"{'batch':>5}  {'HTTP events/s':>13} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'API CPU ms/req':>14} {'events/API-CPU-s':>16} {'Redis CPU us/ev':>15}   "
        f"{'append script ev/s':>18} {'raw XADD ev/s':>13}"
    )
    print(header)
    print("-" * len(header))
    for size, http, xadd, lua in rows:
        print(
            f"{size:>5}  {http['events_s']:>13,.0f} {http['req_s']:>7,.0f} {http['p50']:>7.2f} "
            f"{http['p99']:>7.2f} {http['api_cpu_ms']:>14.3f} {http['events_per_api_cpu_s']:>16,.0f} "
            f"{http['redis_cpu_us_event']:>15.1f}   {lua:>18,.0f} {xadd:>13,.0f}"
        )
    if paced:
        print(
            f"\nopen loop, batches of 20 offered at {args.rate:,.0f} events/s, {len(paced)} rounds of "
            f"{args.seconds:g} s (latency from when each batch was due):"
        )
        print(f"{'round':>5}  {'answered ev/s':>13} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
        for i, r in enumerate(paced, 1):
            print(f"{i:>5}  {r['events_s']:>13,.0f} {r['p50']:>7.2f} {r['p99']:>7.2f} {r['max']:>7.2f}")
        print(
            f"{'median':>5}  {statistics.median(r['events_s'] for r in paced):>13,.0f} "
            f"{statistics.median(r['p50'] for r in paced):>7.2f} {statistics.median(r['p99'] for r in paced):>7.2f} "
            f"{statistics.median(r['max'] for r in paced):>7.2f}"
        )
    print_drain(drained, rate, per_cpu, args)
    print(
        f"one API process (granian), {args.connections} keep-alive connections, {args.seconds:g} s per batch "
        f"size; targets: >= 20,000 events/s in batches of 20 with p99 <= 20 ms; drain >= 5,000 events/s"
    )


def print_drain(drained: int, rate: float, per_cpu: float, args: argparse.Namespace) -> None:
    mongo = "in-process MongoDB" if not os.environ.get("CUVEE_MONGODB_URL") else "MongoDB server"
    print(
        f"\nworker drain into {mongo}: {rate:,.0f} events/s wall, {per_cpu:,.0f} events per worker CPU-second "
        f"({drained:,} events, batches of {args.worker_batch})"
    )
    print(
        f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(wall-clock rates need an otherwise idle machine; CPU-normalised ones do not)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 20, 100])
    parser.add_argument("--drain", type=int, default=100_000, help="events the worker drains (at most)")
    parser.add_argument("--worker-batch", type=int, default=500)
    parser.add_argument("--drain-only", action="store_true", help="fill the stream directly, measure the drain only")
    parser.add_argument(
        "--rate",
        type=float,
        default=20_000,
        help="events/s offered in batches of 20 for the open-loop rounds (0: skip them)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="open-loop rounds (the VM's tail latency varies)")
    args = parser.parse_args()
    try:  # the load generator shares the 2 cores with the server: the cheaper its loop, the fairer the test
        import uvloop

        uvloop.run(run(args))
    except ImportError:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
