"""Checkout benchmark: throughput and latency with 1, 10 and 50 concurrent buyers, through the whole app
(HTTP routing, auth, cart, reservation, order, search-index sync) on the in-process MongoDB, with an
oversell check after each run, printed as a table.

    python bench/checkout.py                         # 1, 10, 50 buyers, 600 checkouts each run
    python bench/checkout.py --buyers 1 50 --checkouts 300
    python bench/checkout.py --interleave            # in-process engine yields on every call (as a
                                                     # networked server would), so checkouts interleave
    CUVEE_MONGODB_URL=mongodb://localhost:27017 python bench/checkout.py   # a real server

Every round a buyer puts one bottle of another wine (ample stock) and one of a "hot" wine in the cart and
checks out. The hot wine's stock covers 80% of the rounds: near the end of a run its cart PUT is refused
("cart 409"), and with several buyers some checkouts lose the race for it between their PUT and their
checkout (a 409 naming it). Latency is
the checkout POST alone; throughput counts checkouts (201 and 409) per second of wall time, which also
includes each buyer's cart PUTs; "cpu ms/round" is this process's CPU time per round (two PUTs and a
checkout), the figure least disturbed by other work on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import httpx  # noqa: E402
from litestar import Litestar  # noqa: E402

from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402
from documents import Order, Style, User, Wine  # noqa: E402
from tests.conftest import running  # noqa: E402  (the app + a client in this event loop)

OTHER_WINES = 20


@dataclass
class Run:
    buyers: int
    checkouts: int
    ok: int
    refused: int
    cart_refused: int
    other: int
    wall_s: float
    cpu_s: float
    latencies_ms: list[float]
    sold_matches: bool
    lowest_stock: int

    @property
    def throughput(self) -> float:
        return (self.ok + self.refused) / self.wall_s

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def interleave() -> None:
    """Make every call of the in-process engine yield to the event loop first (a round trip)."""
    import pymongo_async_mock

    def yielding(original: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def call(self: Any, *args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(0)
            return await original(self, *args, **kwargs)

        return call

    collection = pymongo_async_mock.AsyncMongoMockCollection
    for name in (
        "find_one",
        "find_one_and_update",
        "find_one_and_delete",
        "update_one",
        "update_many",
        "insert_one",
        "delete_one",
        "count_documents",
        "aggregate",
    ):
        setattr(collection, name, yielding(getattr(collection, name)))
    pymongo_async_mock.AsyncCursor.to_list = yielding(pymongo_async_mock.AsyncCursor.to_list)


async def make_buyers(app: Litestar, n: int) -> list[dict[str, str]]:
    services = app.state.services
    headers = []
    for _ in range(n):
        user = User(email=f"{uuid4().hex[:12]}@bench.example", password_hash="-")
        await user.insert()
        headers.append({"Authorization": f"Bearer {services.tokens.issue(user.id, user.roles, services.clock())}"})
    return headers


async def stocks(ids: list[str]) -> dict[str, int]:
    rows = await Wine.get_pymongo_collection().find({"_id": {"$in": ids}}, {"stock": 1}).to_list()
    return {r["_id"]: r["stock"] for r in rows}


async def sold_per_wine() -> dict[str, int]:
    sold: dict[str, int] = {}
    for order in await Order.find({"status": {"$ne": "reserving"}}).to_list():
        for item in order.items:
            sold[item.wine_id] = sold.get(item.wine_id, 0) + item.quantity
    return sold


async def one_run(app: Litestar, client: httpx.AsyncClient, buyers: int, checkouts: int) -> Run:
    hot = Wine(
        name=f"Hot {uuid4().hex[:6]}", winery="Bench", style=Style.red, price_cents=2500, stock=int(checkouts * 0.8)
    )
    others = [
        Wine(name=f"Other {i}", winery="Bench", style=Style.white, price_cents=1000 + i, stock=checkouts)
        for i in range(OTHER_WINES)
    ]
    for wine in (hot, *others):
        await wine.insert()
    await app.state.services.catalog.sync_to_index([w.id for w in (hot, *others)])
    ids = [w.id for w in (hot, *others)]
    initial = await stocks(ids)
    before = await sold_per_wine()
    people = await make_buyers(app, buyers)
    latencies: list[float] = []
    codes: list[int] = []
    lowest = [min(initial.values())]
    cart_refusals = [0]
    rng = random.Random(buyers)

    async def buyer(headers: dict[str, str], rounds: int) -> None:
        for _ in range(rounds):
            for wine_id in (rng.choice(others).id, hot.id):  # once the hot wine is gone its PUT is a 409
                put = await client.put(f"/v1/me/cart/items/{wine_id}", json={"quantity": 1}, headers=headers)
                cart_refusals[0] += put.status_code == 409
            started = time.perf_counter()
            response = await client.post("/v1/me/checkout", json={}, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000)
            codes.append(response.status_code)
            if response.status_code != 201:  # a refused cart stays full: start the next round empty
                for wine_id in ids:
                    await client.delete(f"/v1/me/cart/items/{wine_id}", headers=headers)
            lowest[0] = min(lowest[0], min((await stocks([hot.id])).values()))

    rounds = [checkouts // buyers + (1 if i < checkouts % buyers else 0) for i in range(buyers)]
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(buyer(h, r) for h, r in zip(people, rounds, strict=True)))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    final, after = await stocks(ids), await sold_per_wine()
    sold_matches = all(after.get(i, 0) - before.get(i, 0) == initial[i] - final[i] for i in ids)
    return Run(
        buyers=buyers,
        checkouts=len(codes),
        ok=codes.count(201),
        refused=codes.count(409),
        cart_refused=cart_refusals[0],
        other=len(codes) - codes.count(201) - codes.count(409),
        wall_s=wall,
        cpu_s=cpu,
        latencies_ms=latencies,
        sold_matches=sold_matches,
        lowest_stock=min(lowest[0], *final.values()),
    )


def print_table(runs: list[Run], engine: str) -> None:
    print(f"\ncheckout through the app on {engine}")
    header = (
        f"{'buyers':>6} {'checkouts':>9} {'201':>5} {'409':>5} {'other':>5} {'cart 409':>8} {'checkouts/s':>11} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'cpu ms/round':>12}  oversell check"
    )
    print(header)
    print("-" * len(header))
    for r in runs:
        verdict = "ok" if r.sold_matches and r.lowest_stock >= 0 and r.other == 0 else "FAILED"
        check = f"{verdict} (sold == initial - final, lowest stock {r.lowest_stock})"
        print(
            f"{r.buyers:>6} {r.checkouts:>9} {r.ok:>5} {r.refused:>5} {r.other:>5} {r.cart_refused:>8} "
            f"{r.throughput:>11.0f} "
            f"{statistics.median(r.latencies_ms):>7.2f} {r.percentile(0.99):>7.2f} "
            f"{max(r.latencies_ms):>7.2f} {r.cpu_s * 1000 / r.checkouts:>12.2f}  {check}"
        )


async def main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    for name in ("httpx", "cuvee", "documents"):
        logging.getLogger(name).setLevel(logging.WARNING)
    if args.interleave:
        interleave()
    url = os.environ.get("CUVEE_MONGODB_URL", "memory://")
    with tempfile.TemporaryDirectory() as tmp:
        ns = f"bench{uuid4().hex[:8]}"
        settings = Settings(
            mongodb_url=url,
            mongodb_db=ns,
            search_url=f"tantivy://{tmp}/search",
            search_namespace=ns,
            stream_prefix=f"cuvee-bench:{ns}",
            data_dir=Path(tmp) / "data",
            secret_key="bench-" + ns + "-0123456789abcdef0123456789abcdef",
            seed_demo=False,
            run_worker=False,
            snapshot_interval_s=0,
        )
        app = create_app(settings)
        runs = []
        async with running(app) as client:
            for buyers in args.buyers:
                runs.append(await one_run(app, client, buyers, args.checkouts))
            if not url.startswith("memory://"):
                await app.state.services.backends.db.client.drop_database(ns)
    engine = ("the in-process MongoDB" if url.startswith("memory://") else url) + (
        ", every call yielding (--interleave)" if args.interleave else ""
    )
    print_table(runs, engine)
    return 0 if all(r.sold_matches and r.lowest_stock >= 0 and r.other == 0 for r in runs) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--buyers", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--checkouts", type=int, default=600, help="checkouts per run")
    parser.add_argument("--interleave", action="store_true")
    sys.exit(asyncio.run(main(parser.parse_args())))
