"""Recommendation endpoints' latency with 10k users x 1k wines x 150k interactions loaded, as a table.

    python bench/recommendations.py                       # 10,000 users, the 1,007 demo wines, 150,000 interactions
    python bench/recommendations.py --users 2000 --interactions 30000 --requests 200
    CUVEE_MONGODB_URL=mongodb://localhost:27017 python bench/recommendations.py   # a real server

Everything runs in one process: the app on the in-process MongoDB (unless CUVEE_MONGODB_URL is set),
requests through HTTP via httpx's ASGITransport (routing, auth, validation, JSON), no network hop.
Interactions are split 60% ratings (reviews), 15% purchased order lines (10% of orders are gifts),
25% wine views. The model is trained once before timing; each request reads the user document (signed-in
routes), the served wines by id, and writes its recommendation log.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

import httpx  # noqa: E402

from app.catalog.demo import seed_demo_catalog  # noqa: E402
from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402
from documents import Interaction, Order, Review, User, Wine  # noqa: E402
from documents.models import TASTE_AXES  # noqa: E402
from tests.conftest import running  # noqa: E402  (the app + a client in this event loop)

STYLES = ["red", "white", "rosé", "sparkling"]


def user_doc(n: int, rng: random.Random, now: datetime) -> dict[str, Any]:
    taste = {
        axis: {"value": round(rng.random(), 2), "source": rng.choice(["quiz", "stated"]), "updated_at": now}
        for axis in rng.sample(TASTE_AXES, rng.randint(0, 5))
    }
    dietary = ["vegan"] if rng.random() < 0.1 else []
    return {
        "_id": f"u{n}",
        "email": f"u{n}@bench.example",
        "password_hash": "-",
        "roles": ["customer"],
        "preferences": {
            "styles": rng.sample(STYLES, rng.randint(0, 2)),
            "regions": [],
            "countries": [],
            "grapes": [],
            "wineries": [],
            "price_range": {"min_cents": None, "max_cents": None},
            "dietary": dietary,
            "dislikes": {"styles": [], "grapes": [], "wineries": [], "wine_ids": []},
            "extra": {},
        },
        "taste_profile": {**taste, "learned_from": 0},
        "consent": {"personalisation": rng.random() < 0.9, "analytics": True, "marketing": False, "ledger": []},
        "anonymous_ids": [],
        "created_at": now,
        "updated_at": now,
    }


async def load(users: int, interactions: int, seed: int = 1) -> tuple[list[str], list[str]]:
    """Users, the demo catalog, and interactions drawn with a popularity skew; returns (user ids, wine ids)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    await seed_demo_catalog(progress=False)
    wine_ids = sorted([doc["_id"] async for doc in Wine.get_pymongo_collection().find({}, {"_id": 1})])
    weights = [1.0 / (1 + n) ** 0.7 for n in range(len(wine_ids))]
    await User.get_pymongo_collection().insert_many([user_doc(n, rng, now) for n in range(users)])
    user_ids = [f"u{n}" for n in range(users)]
    n_ratings, n_lines = int(interactions * 0.6), int(interactions * 0.15)
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < n_ratings:
        pairs.add((rng.choice(user_ids), rng.choices(wine_ids, weights)[0]))
    await Review.get_pymongo_collection().insert_many(
        [
            {
                "_id": f"r{n}",
                "user_id": u,
                "wine_id": w,
                "rating": rng.choice([2.5, 3.0, 3.5, 4.0, 4.5, 5.0]),
                "text": "",
                "verified": False,
                "created_at": now,
                "updated_at": now,
            }
            for n, (u, w) in enumerate(pairs)
        ]
    )
    orders = []
    for n in range(n_lines // 2):
        lines = rng.choices(wine_ids, weights, k=2)
        at = now - timedelta(days=rng.random() * 120)
        orders.append(
            {
                "_id": f"o{n}",
                "user_id": rng.choice(user_ids),
                "status": "delivered",
                "items": [
                    {"wine_id": w, "name": w, "unit_price_cents": 1500, "quantity": 1, "rec_id": None}
                    for w in dict.fromkeys(lines)
                ],
                "total_cents": 3000,
                "currency": "EUR",
                "placed_at": at,
                "idempotency_key": f"k{n}",
                "gift": {"recipient_name": "x", "message": None} if rng.random() < 0.1 else None,
                "history": [],
                "anonymised": False,
                "created_at": at,
                "updated_at": at,
            }
        )
    await Order.get_pymongo_collection().insert_many(orders)
    views = interactions - n_ratings - n_lines
    await Interaction.get_pymongo_collection().insert_many(
        [
            {
                "_id": f"e{n}",
                "type": "wine_viewed",
                "user_id": rng.choice(user_ids),
                "wine_id": rng.choices(wine_ids, weights)[0],
                "occurred_at": now - timedelta(days=rng.random() * 30),
                "recorded_at": now,
            }
            for n in range(views)
        ]
    )
    return user_ids, wine_ids


async def visits(
    services: Any, users: list[str], wines: list[str], rng: random.Random, n: int = 200
) -> tuple[list[str], list[str]]:
    """Five views each since the training for n users and n issued anonymous ids: the within-visit part."""
    signed_in, anonymous = (
        rng.sample(users, min(n, len(users))),
        [services.clickstream.issue_anonymous_id().anonymous_id for _ in range(n)],
    )
    now = services.clock()
    docs = [
        {
            "_id": f"visit-{k}-{m}",
            "type": "wine_viewed",
            **({"user_id": owner} if k < len(signed_in) else {"anonymous_id": owner}),
            "wine_id": rng.choice(wines),
            "occurred_at": now,
            "recorded_at": now,
        }
        for k, owner in enumerate([*signed_in, *anonymous])
        for m in range(5)
    ]
    await Interaction.get_pymongo_collection().insert_many(docs)
    return signed_in, anonymous


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    client: httpx.AsyncClient, name: str, urls: list[tuple[str, dict[str, str]]]
) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per request (CPU time shows the cost when other work shares the cores)."""
    latencies, cpu = [], []
    for url, headers in urls:
        started, started_cpu = time.perf_counter(), time.process_time()
        response = await client.get(url, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {url} answered {response.status_code}: {response.text[:200]}")
    return latencies, cpu


async def main(args: argparse.Namespace) -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            search_url=f"tantivy://{tmp}/search",
            seed_demo=False,
            run_worker=False,
            snapshot_interval_s=0,
            retrain_interval_s=0,
            stream_prefix=f"bench-recs-{time.time_ns()}",
        )
        app = create_app(settings)
        async with running(app) as client:
            started = time.perf_counter()
            users, wines = await load(args.users, args.interactions)
            print(
                f"loaded {len(users)} users, {len(wines)} wines, {args.interactions} interactions "
                f"in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            services = app.state.services
            report = await services.recommendations.retrain()
            print(f"trained {report.version} in {report.seconds:.1f} s on {report.counts}", flush=True)
            segments = len((await services.recommendations.segments())[0])
            # the loaded data are long-lived: keep the collector from walking them again and again (a full
            # collection over 150k in-process documents otherwise lands in some request's latency)
            gc.collect()
            gc.freeze()
            rng = random.Random(7)
            now = services.clock()

            def auth() -> dict[str, str]:
                user = rng.choice(users)
                return {"Authorization": f"Bearer {services.tokens.issue(user, ['customer'], now)}"}

            n = args.requests
            visiting, anonymous = await visits(services, users, wines, rng)

            def visitor() -> dict[str, str]:
                user = rng.choice(visiting)
                return {"Authorization": f"Bearer {services.tokens.issue(user, ['customer'], now)}"}

            plans = {
                "GET /v1/me/recommendations": [("/v1/me/recommendations?per_page=10", auth()) for _ in range(n)],
                "GET /v1/recommendations/popular": [("/v1/recommendations/popular?per_page=10", {}) for _ in range(n)],
                "GET /v1/wines/{id}/similar": [
                    (f"/v1/wines/{rng.choice(wines)}/similar?per_page=10", {}) for _ in range(n)
                ],
                "GET /v1/wines/{id}/bought-together": [
                    (f"/v1/wines/{rng.choice(wines)}/bought-together?per_page=10", {}) for _ in range(n)
                ],
                "GET /v1/trending": [("/v1/trending?per_page=10", {}) for _ in range(n)],
                "GET /v1/trending?segment=": [
                    (f"/v1/trending?segment={rng.randrange(max(segments, 1))}&per_page=10", {}) for _ in range(n)
                ]
                if segments
                else [],
                "GET /v1/me/reorder": [("/v1/me/reorder?per_page=10", auth()) for _ in range(n)],
                "for you, 5 views this visit": [("/v1/me/recommendations?per_page=10", visitor()) for _ in range(n)],
                "visitor, 5 views this visit": [
                    (f"/v1/recommendations/visitor?anonymous_id={rng.choice(anonymous)}&per_page=10", {})
                    for _ in range(n)
                ],
                "similar, 5 views this visit": [
                    (f"/v1/wines/{rng.choice(wines)}/similar?anonymous_id={rng.choice(anonymous)}&per_page=10", {})
                    for _ in range(n)
                ],
            }
            print(
                f"\n{'endpoint':38} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'CPU p50':>8} "
                f"{'CPU p99':>8}"
            )
            for name, urls in plans.items():
                if not urls:
                    continue
                await measure(client, name, urls[:20])  # warm-up
                latencies, cpu = await measure(client, name, urls)
                print(
                    f"{name:38} {len(latencies):8d} {statistics.median(latencies):8.2f} "
                    f"{percentile(latencies, 0.99):8.2f} {max(latencies):8.2f} {statistics.median(cpu):8.2f} "
                    f"{percentile(cpu, 0.99):8.2f}",
                    flush=True,
                )
            print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=150_000)
    parser.add_argument("--requests", type=int, default=500)
    asyncio.run(main(parser.parse_args()))
