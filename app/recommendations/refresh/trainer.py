"""Keeping the serving snapshot fresh: retrain on a schedule in a thread, swap it in whole, learn tastes.

Serving only ever reads `trainer.snapshot`; a retraining builds a new one beside it and replaces the
reference in one assignment, so a request sees either the old state or the new one, never a mix.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from app.accounts.service import AccountService
from app.commerce.service import CommerceService
from app.errors import AppError
from app.recommendations.model.signals import UserSignals
from app.recommendations.refresh.build import TrainingData, build
from app.recommendations.refresh.sources import Progress, bundled_ratings, collect
from app.recommendations.serving import snapshot as snapshots
from app.recommendations.serving.snapshot import Snapshot
from app.recommendations.serving.tables import WineTable, load_table
from documents import Order, Wine
from documents.models import TASTE_AXES

log = logging.getLogger("cuvee.recommendations")
STOCK_REFRESH_S = 60.0
MIN_TASTE_EVIDENCE = 3  # wines liked or bought before a learned axis replaces the quiz's guess
EXTRA_RATINGS = "extra_ratings.npz"


def extra_ratings_path(model_dir: Path) -> Path:
    """Where `cuvee train --xwines-ratings` keeps its ratings for every later training."""
    return model_dir / EXTRA_RATINGS


@dataclass(frozen=True)
class TrainReport:
    version: str
    counts: dict[str, int]
    learned_tastes: int
    seconds: float
    saved_to: Path | None


class Trainer:
    def __init__(
        self,
        commerce: CommerceService,
        accounts: AccountService,
        clock: Callable[[], datetime],
        *,
        model_dir: Path,
        interval_s: float,
        demo_ratings: bool,
    ) -> None:
        self._commerce = commerce
        self._accounts = accounts
        self._clock = clock
        self.model_dir = model_dir
        self.interval_s = interval_s
        self.demo_ratings = demo_ratings
        self.snapshot: Snapshot | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._orders_while_training: list[Order] | None = None

    async def current(self) -> Snapshot:
        """The snapshot to serve from; the first call builds an untrained one (saved model, catalog)."""
        if self.snapshot is None:
            table = await load_table()
            model = await asyncio.to_thread(snapshots.load, self.model_dir)
            segments = await asyncio.to_thread(snapshots.load_segments, self.model_dir)
            if self.snapshot is None:
                self.snapshot = snapshots.untrained(table, model, segments)
        return self.snapshot

    async def retrain(self, progress: Progress | None = None) -> TrainReport:
        """Read everything, fit in a worker thread, swap the snapshot in, save the model, learn tastes."""
        async with self._lock:
            started = time.perf_counter()
            self._orders_while_training = []
            try:
                table = await load_table()
                read_at = self._clock()
                data = await collect(self._commerce, table, demo_ratings=self.demo_ratings, progress=progress)
                data.read_at = read_at
                extra = extra_ratings_path(self.model_dir)
                if extra.exists():
                    rows = await asyncio.to_thread(bundled_ratings, extra)
                    data.external += [row for row in rows if row[1] in table.index]
                    data.counts["extra_ratings"] = len(data.external) - data.counts.get("demo_ratings", 0)
                previous = (
                    self.snapshot.segments
                    if self.snapshot is not None
                    else await asyncio.to_thread(snapshots.load_segments, self.model_dir)
                )
                fresh = await asyncio.to_thread(build, table, data, self._clock(), previous)
                for order in self._orders_while_training:  # placed after the orders were read
                    record_order(fresh, order)
                self.snapshot = fresh
            finally:
                self._orders_while_training = None
            saved = await asyncio.to_thread(snapshots.save, fresh, self.model_dir)
            learned = await self._learn_tastes(fresh, data)
            log.info(
                "recommender %s trained on %s in %.1f s", fresh.version, data.counts, time.perf_counter() - started
            )
            return TrainReport(fresh.version, data.counts, learned, time.perf_counter() - started, saved)

    async def _learn_tastes(self, snap: Snapshot, data: TrainingData) -> int:
        """Write learned axes for customers who allow personalisation and have enough evidence."""
        written = 0
        for user_id in sorted(data.personalisable):
            signals = snap.signals.get(user_id)
            learned = learned_axes(snap.table, signals.taste_evidence()) if signals is not None else None
            if learned is None or not _changes(
                learned[0], data.taste_sources.get(user_id, {}), data.customers.get(user_id, {})
            ):
                continue
            with contextlib.suppress(AppError):  # an account erased meanwhile
                await self._accounts.set_learned_taste(user_id, *learned)
                written += 1
            await asyncio.sleep(0)  # each write is a full scan on the in-process MongoDB: let requests in
        return written

    def order_placed(self, order: Order) -> None:
        if self.snapshot is not None:
            record_order(self.snapshot, order)
        if self._orders_while_training is not None:
            self._orders_while_training.append(order)

    async def refresh_stock(self) -> bool:
        """Bring stock, listing and prices of the in-memory catalog up to date (between trainings);
        True when the catalog has wines the snapshot does not know yet (time to retrain)."""
        snap = self.snapshot
        if snap is None:
            return True
        table = snap.table
        unknown = False
        available, price = table.available.copy(), table.price_cents.copy()
        n = 0
        async for doc in Wine.get_pymongo_collection().find({}, {"stock": 1, "listed": 1, "price_cents": 1}):
            row = table.index.get(doc["_id"])
            if row is not None:
                available[row] = bool(doc.get("listed", True)) and int(doc.get("stock", 0)) > 0
                price[row] = int(doc.get("price_cents") or 0)
            unknown = unknown or row is None
            n += 1
            if n % 500 == 0:
                await asyncio.sleep(0)
        table.available, table.price_cents = available, price
        return unknown

    def start(self) -> None:
        if self._task is None and self.interval_s > 0:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="recommendations-trainer")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        next_training = 0.0  # train once at start, then every interval
        while True:
            try:
                if time.monotonic() >= next_training or await self.refresh_stock():
                    await self.retrain()
                    next_training = time.monotonic() + self.interval_s
            except asyncio.CancelledError:
                raise
            except Exception:  # the last good snapshot keeps serving
                log.exception("recommender retraining failed; serving the previous model")
                next_training = time.monotonic() + self.interval_s
            await asyncio.sleep(min(STOCK_REFRESH_S, self.interval_s))


def record_order(snap: Snapshot, order: Order) -> None:
    """A new order counts as bought at once in this process (training picks it up from MongoDB later)."""
    signals = snap.signals.setdefault(order.user_id, UserSignals())
    for item in order.items:
        signals.add_purchase(order.id, item.wine_id, item.quantity, order.placed_at, order.gift is not None)


def _changes(learned: dict[str, float], sources: dict[str, str], current: dict[str, float]) -> bool:
    """True when writing would change an axis (stated axes are never replaced, so they never count)."""
    return any(
        sources.get(axis) != "stated"
        and (sources.get(axis) != "learned" or abs(current.get(axis, -1.0) - value) >= 0.01)
        for axis, value in learned.items()
    )


def learned_axes(table: WineTable, evidence: dict[str, float]) -> tuple[dict[str, float], int] | None:
    """The taste the user's liked and bought wines point at (weighted mean per axis), and on how many."""
    rows = [table.index[w] for w in evidence if w in table.index]
    if len(rows) < MIN_TASTE_EVIDENCE:
        return None
    weights = np.array([evidence[table.ids[r]] for r in rows])
    mean = weights @ table.taste[rows] / weights.sum()
    return {axis: round(float(min(max(mean[n], 0.0), 1.0)), 2) for n, axis in enumerate(TASTE_AXES)}, len(rows)
