"""What training reads: ratings, own purchases (gifts kept apart), views, feedback, tastes and the demo ratings.

Every read goes through the owning domain: reviews through `CommerceService`, orders, interactions and users
through their domains' read models (`app/commerce/read_model.py`, `app/clickstream/read_model.py`,
`app/accounts/read_model.py`). Every reader pauses now and then: the in-process MongoDB never yields on its own,
and serving must go on while a retraining reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import TypeVar

import numpy as np

from app.accounts.read_model import customer_tastes
from app.clickstream.read_model import interactions
from app.commerce.read_model import bought_orders
from app.commerce.service import CommerceService
from app.recommendations.model.signals import INTERACTION_KINDS, UserSignals
from app.recommendations.refresh.build import TrainingData
from app.recommendations.serving.popularity import Event
from app.recommendations.serving.tables import WineTable

Progress = Callable[[int], None]
DEMO_RATINGS = "xwines_dev_ratings.npz"
DEMO_USER_PREFIX = "xwines:"
_PAUSE_EVERY = 100
T = TypeVar("T")


async def _paced(source: AsyncIterator[T], progress: Progress | None) -> AsyncIterator[T]:
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
    purchases = gifts = 0
    async for order in _paced(bought_orders(), progress):
        wines = [wine_id for wine_id, _ in order.lines]
        data.baskets.append(wines)
        for wine_id, quantity in order.lines:
            user(order.user_id).add_purchase(order.order_id, wine_id, quantity, order.placed_at, order.gift)
            data.events.append(Event(wine_id, order.placed_at, "purchase", order.user_id))
        purchases += 0 if order.gift else len(wines)
        gifts += len(wines) if order.gift else 0
    data.counts["purchases"] = purchases
    data.counts["gift_purchases_left_out_of_taste"] = gifts


async def _read_interactions(data: TrainingData, progress: Progress | None) -> None:
    user = _signals_of(data)
    counts = dict.fromkeys(("view", "click", "cart", "dismiss"), 0)
    async for row in _paced(interactions(INTERACTION_KINDS), progress):
        kind = INTERACTION_KINDS[row.type]
        counts[kind] += 1
        wine_id, user_id = row.wine_id, row.user_id
        if wine_id and user_id and kind == "dismiss":
            user(user_id).dismissed.add(wine_id)
        if not wine_id or kind == "dismiss":
            continue
        data.events.append(Event(wine_id, row.occurred_at, kind, user_id))
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
    async for customer in _paced(customer_tastes(), progress):
        data.customers[customer.user_id] = {axis: value for axis, (value, _) in customer.axes.items()}
        data.taste_sources[customer.user_id] = {axis: source for axis, (_, source) in customer.axes.items()}
        if customer.personalisation:
            data.personalisable.add(customer.user_id)
    data.counts["users"] = len(data.customers)


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
