"""Training data from MongoDB: ratings, own purchases (gifts kept apart), views and recommendation feedback.

Reads go through the owning domain's service where one exists (reviews: `CommerceService`); orders,
interactions and users are read here with narrow projections because their services have no bulk
reader yet. Every reader pauses now and then: the in-process MongoDB never yields on its own, and
serving must go on while a retraining reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from app.commerce.orders import BOUGHT
from app.commerce.service import CommerceService
from app.recommendations.popularity import Event
from app.recommendations.signals import INTERACTION_KINDS, UserSignals
from app.recommendations.snapshot import TrainingData
from app.recommendations.tables import WineTable
from documents import Interaction, Order, User
from documents.models import TASTE_AXES

Progress = Callable[[int], None]
DEMO_RATINGS = "xwines_dev_ratings.npz"
DEMO_USER_PREFIX = "xwines:"
MIN_TASTE_EVIDENCE = 3  # wines liked or bought before a learned axis replaces the quiz's guess
_PAUSE_EVERY = 100


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def _paced(source: AsyncIterator[Any], progress: Progress | None) -> AsyncIterator[Any]:
    n = 0
    async for item in source:
        yield item
        n += 1
        if n % _PAUSE_EVERY == 0:
            if progress is not None:
                progress(_PAUSE_EVERY)
            await asyncio.sleep(0)
    if progress is not None:
        progress(n % _PAUSE_EVERY)


async def collect(
    commerce: CommerceService, table: WineTable, *, demo_ratings: bool = False, progress: Progress | None = None
) -> TrainingData:
    """Read every signal the recommenders learn from; `counts` says how many of each were read."""
    data = TrainingData()
    user = _signals_of(data)
    async for user_id, wine_id, stars in _paced(commerce.ratings_for_training(), progress):
        user(user_id).ratings[wine_id] = stars
    data.counts["ratings"] = sum(len(s.ratings) for s in data.signals.values())
    await _read_orders(data, progress)
    await _read_interactions(data, progress)
    await _read_customers(data, progress)
    if demo_ratings:
        data.external = [row for row in bundled_ratings() if row[1] in table.index]
    data.counts["demo_ratings"] = len(data.external)
    data.counts["customers"] = sum(1 for s in data.signals.values() if not s.empty)
    return data


def _signals_of(data: TrainingData) -> Callable[[str], UserSignals]:
    def get(user_id: str) -> UserSignals:
        found = data.signals.get(user_id)
        if found is None:
            found = data.signals[user_id] = UserSignals()
        return found

    return get


async def _read_orders(data: TrainingData, progress: Progress | None) -> None:
    user = _signals_of(data)
    cursor = Order.get_pymongo_collection().find(
        {"status": {"$in": BOUGHT}}, {"user_id": 1, "items.wine_id": 1, "items.quantity": 1, "gift": 1, "placed_at": 1}
    )
    purchases = gifts = 0
    async for order in _paced(cursor, progress):
        at, gift = _aware(order["placed_at"]), order.get("gift") is not None
        wines = [item["wine_id"] for item in order["items"]]
        data.baskets.append(wines)
        for item in order["items"]:
            user(order["user_id"]).add_purchase(order["_id"], item["wine_id"], int(item["quantity"]), at, gift)
            data.events.append(Event(item["wine_id"], at, "purchase", order["user_id"]))
        purchases += 0 if gift else len(wines)
        gifts += len(wines) if gift else 0
    data.counts["purchases"] = purchases
    data.counts["gift_purchases_left_out_of_taste"] = gifts


async def _read_interactions(data: TrainingData, progress: Progress | None) -> None:
    user = _signals_of(data)
    cursor = Interaction.get_pymongo_collection().find(
        {"type": {"$in": list(INTERACTION_KINDS)}},
        {"type": 1, "user_id": 1, "wine_id": 1, "occurred_at": 1},
    )
    counts = dict.fromkeys(("view", "click", "cart", "dismiss"), 0)
    async for raw in _paced(cursor, progress):
        kind = INTERACTION_KINDS[raw["type"]]
        counts[kind] += 1
        wine_id, user_id = raw.get("wine_id"), raw.get("user_id")
        if wine_id and user_id and kind == "dismiss":
            user(user_id).dismissed.add(wine_id)
        if not wine_id or kind == "dismiss":
            continue
        data.events.append(Event(wine_id, _aware(raw["occurred_at"]), kind, user_id))
        if user_id:
            signals = user(user_id)
            if kind == "view":
                signals.views[wine_id] = signals.views.get(wine_id, 0) + 1
            else:
                (signals.clicks if kind == "click" else signals.carts).add(wine_id)
    data.counts["views"] = counts["view"]
    data.counts["recommendation_feedback"] = counts["click"] + counts["cart"] + counts["dismiss"]


async def _read_customers(data: TrainingData, progress: Progress | None) -> None:
    """Each customer's taste axes (for segments) and who allows personalisation (for learned taste)."""
    cursor = User.get_pymongo_collection().find({}, {"taste_profile": 1, "consent.personalisation": 1})
    async for raw in _paced(cursor, progress):
        profile = raw.get("taste_profile") or {}
        data.customers[raw["_id"]] = {a: float(profile[a]["value"]) for a in TASTE_AXES if profile.get(a)}
        data.taste_sources[raw["_id"]] = {a: str(profile[a]["source"]) for a in TASTE_AXES if profile.get(a)}
        if (raw.get("consent") or {}).get("personalisation"):
            data.personalisable.add(raw["_id"])
    data.counts["users"] = len(data.customers)


def learned_axes(table: WineTable, evidence: dict[str, float]) -> tuple[dict[str, float], int] | None:
    """The taste the user's liked and bought wines point at (weighted mean per axis), and on how many."""
    rows = [table.index[w] for w in evidence if w in table.index]
    if len(rows) < MIN_TASTE_EVIDENCE:
        return None
    weights = np.array([evidence[table.ids[r]] for r in rows])
    mean = weights @ table.taste[rows] / weights.sum()
    return {axis: round(float(min(max(mean[n], 0.0), 1.0)), 2) for n, axis in enumerate(TASTE_AXES)}, len(rows)


def bundled_ratings(path: Path | None = None) -> list[tuple[str, str, float]]:
    """Ratings packed by `pack_ratings`, as (user, wine id, stars); by default the X-Wines development
    ratings (CC0) of the demo wines shipped with Cuvée."""
    source = path or resources.files("app.recommendations").joinpath("data", DEMO_RATINGS)
    with source.open("rb") as handle, np.load(handle) as arrays:
        users, wines, halves = arrays["users"], arrays["wines"], arrays["half_stars"]
    return [
        (f"{DEMO_USER_PREFIX}{u}", f"xw{w}", h / 2.0)
        for u, w, h in zip(users.tolist(), wines.tolist(), halves.tolist(), strict=True)
    ]


def read_xwines_ratings(path: Path) -> list[tuple[str, str, float]]:
    """An X-Wines ratings CSV(.gz) as (user, wine id in our catalog, stars), for `cuvee train --xwines-ratings`."""
    from app.recommendations.evaluation import read_ratings

    ratings = read_ratings(path)
    return [
        (f"{DEMO_USER_PREFIX}{u}", f"xw{w}", float(r))
        for u, w, r in zip(ratings.users.tolist(), ratings.wines.tolist(), ratings.ratings.tolist(), strict=True)
    ]


def pack_ratings(rows: Iterable[tuple[str, str, float]], path: Path) -> int:
    """Write ratings compactly (int32 ids, half stars as uint8): how the bundled demo file is made."""
    triples = [(int(u.removeprefix(DEMO_USER_PREFIX)), int(w.removeprefix("xw")), round(s * 2)) for u, w, s in rows]
    users, wines, halves = zip(*triples, strict=True) if triples else ((), (), ())
    with path.open("wb") as out:
        np.savez_compressed(
            out,
            users=np.array(users, dtype=np.int32),
            wines=np.array(wines, dtype=np.int32),
            half_stars=np.array(halves, dtype=np.uint8),
        )
    return len(triples)
