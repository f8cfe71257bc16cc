"""Indexed lookups on the in-process MongoDB: the request-path queries at 1k / 10k / 100k / 1M interactions.

    python bench/lookups.py                   # 1k, 10k, 100k, 1M interactions; scans up to 100k
    python bench/lookups.py --max 100000      # stop at 100k
    python bench/lookups.py --scan-max 1000000 --reps 3   # also time the scan at 1M (seconds a query)

Shape at each size N: N interactions, N/10 users (1M interactions / 100k users), N/10 orders, N/10
recommendation logs, N/10 wishlist entries. Documents go straight into the store (as a snapshot load does:
every write path keeps the maps in step); the queries are the app's own, through PyMongo's async API as
the services run them. "ours" reads through documents/memory_indexes.py; "scan" is the same store with its
maps set aside, i.e. mongomock's own scan, timed side by side in one run. Medians of --reps runs, each over
--users random users; "flat" is ours at N over ours at the first size (target ≤ 2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from documents import ALL_DOCUMENTS  # noqa: E402
from documents.memory import memory_client  # noqa: E402
from documents.memory_indexes import _indexes  # noqa: E402

T0 = datetime(2026, 1, 1)  # noqa: DTZ001 - the store holds naive UTC
TYPES = ("wine_viewed", "search_performed", "recommendation_clicked", "cart_added")
Query = Callable[[Any, str], Awaitable[Any]]


async def profile(db: Any, user: str) -> Any:
    """GET /v1/me/profile: the user, latest orders, wishlist, recently viewed, searches (app/accounts/profile.py)."""
    await db.users.find_one({"_id": user})
    await orders(db, user)
    await db.wishlist.find({"user_id": user}).sort([("added_at", -1), ("_id", 1)]).limit(50).to_list()
    await history(db, user)
    return (
        await db.interactions.find({"user_id": user, "type": {"$in": ["search_performed"]}})
        .sort([("occurred_at", -1), ("_id", -1)])
        .limit(100)
        .to_list()
    )


async def history(db: Any, user: str) -> Any:
    """Recently viewed (app/clickstream/history.py `recent`)."""
    return (
        await db.interactions.find({"user_id": user, "type": {"$in": ["wine_viewed"]}})
        .sort([("occurred_at", -1), ("_id", -1)])
        .limit(100)
        .to_list()
    )


async def orders(db: Any, user: str) -> Any:
    """GET /v1/orders: count + first page (app/commerce/orders.py `list_orders`)."""
    query = {"user_id": user, "status": {"$ne": "reserving"}}
    await db.orders.count_documents(query)
    return await db.orders.find(query).sort([("placed_at", -1), ("_id", -1)]).skip(0).limit(20).to_list()


async def rec_logs(db: Any, user: str) -> Any:
    """The lists served to a user and their anonymous ids (app/recommendations/service.py `export_user`)."""
    query = {"$or": [{"user_id": user}, {"anonymous_id": {"$in": [f"anon-{user}"]}}]}
    return await db.recommendation_logs.find(query).sort([("served_at", 1), ("_id", 1)]).to_list()


QUERIES: dict[str, Query] = {
    "profile page": profile,
    "history": history,
    "orders": orders,
    "recommendation log": rec_logs,
}


def load(client: Any, n: int, rng: random.Random) -> Any:
    """A database with the models' indexes and n interactions over n/10 users."""
    db = client.get_database("bench").delegate
    for document in ALL_DOCUMENTS:
        settings = document.Settings
        for index in getattr(settings, "indexes", []):
            db[settings.name].create_indexes([index])
    users = max(n // 10, 1)
    stores = {name: db[name]._store for name in ("users", "interactions", "orders", "recommendation_logs", "wishlist")}
    for u in range(users):
        uid = f"u{u}"
        stores["users"][uid] = {"_id": uid, "email": f"{uid}@example.com", "anonymous_ids": [f"anon-{uid}"]}
        at = T0 + timedelta(seconds=u)
        stores["orders"][f"o{u}"] = {
            "_id": f"o{u}",
            "user_id": f"u{rng.randrange(users)}",
            "status": "paid",
            "placed_at": at,
            "items": [{"wine_id": f"w{u % 500}", "quantity": 1}],
            "idempotency_key": f"k{u}",
            "total_cents": 1200,
        }
        stores["recommendation_logs"][f"r{u}"] = {
            "_id": f"r{u}",
            "user_id": f"u{rng.randrange(users)}",
            "anonymous_id": None,
            "surface": "for_you",
            "model_version": "v1",
            "served_at": at,
            "items": [],
        }
        stores["wishlist"][f"l{u}"] = {
            "_id": f"l{u}",
            "user_id": f"u{rng.randrange(users)}",
            "wine_id": f"w{u % 500}",
            "added_at": at,
        }
    for i in range(n):
        stores["interactions"][f"e{i}"] = {
            "_id": f"e{i}",
            "type": TYPES[i % 4],
            "user_id": f"u{rng.randrange(users)}",
            "anonymous_id": None,
            "wine_id": f"w{i % 500}",
            "query": "merlot" if i % 4 == 1 else None,
            "occurred_at": T0 + timedelta(seconds=i),
            "recorded_at": T0,
        }
    for name in stores:  # build the maps now, as the first query after a start would
        db[name].find_one({"user_id": "none"})
    return client.get_database("bench")


@contextlib.contextmanager
def scanning(db: Any) -> Iterator[None]:
    """mongomock's own scan: every collection's maps set aside (nothing is written meanwhile)."""
    saved = []
    for name in db.delegate.list_collection_names():
        store = db.delegate[name]._store
        saved.append((store, store.indexes, dict(_indexes(store).fields)))
        store.indexes = {}
    try:
        yield
    finally:
        for store, declared, fields in saved:
            store.indexes = declared
            _indexes(store).fields.update(fields)


async def timed(db: Any, query: Query, users: list[str]) -> float:
    """Milliseconds per call, over the given users."""
    start = time.perf_counter()
    for user in users:
        await query(db, user)
    return (time.perf_counter() - start) * 1000 / len(users)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    parser.add_argument("--max", type=int, default=None, help="skip sizes above this")
    parser.add_argument("--scan-max", type=int, default=100_000, help="time the scan only up to this size")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--users", type=int, default=20, help="users per timed run")
    args = parser.parse_args()
    sizes = [n for n in args.sizes if args.max is None or n <= args.max]
    rng = random.Random(13)
    base: dict[str, float] = {}
    print(f"{'interactions':>12} {'query':<19} {'ours ms':>9} {'scan ms':>9} {'scan/ours':>9} {'flat':>6}")
    for n in sizes:
        started = time.perf_counter()
        db = load(memory_client(), n, rng)
        print(f"# {n:,} interactions loaded in {time.perf_counter() - started:.1f} s", flush=True)
        for name, query in QUERIES.items():
            users = [[f"u{rng.randrange(max(n // 10, 1))}" for _ in range(args.users)] for _ in range(args.reps)]
            await timed(db, query, users[0][:3])  # warm up
            ours = statistics.median([await timed(db, query, batch) for batch in users])
            scan = None
            if n <= args.scan_max:
                with scanning(db):
                    scan = statistics.median(
                        [await timed(db, query, batch[: max(1, args.users // 5)]) for batch in users]
                    )
            base.setdefault(name, ours)
            scan_text = f"{scan:9.2f} {scan / ours:8.1f}x" if scan is not None else f"{'-':>9} {'-':>9}"
            print(f"{n:>12,} {name:<19} {ours:9.3f} {scan_text} {ours / base[name]:5.2f}x", flush=True)
        del db


if __name__ == "__main__":
    asyncio.run(main())
