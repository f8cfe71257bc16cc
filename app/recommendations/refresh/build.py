"""Fitting a new snapshot from what training read: the model, popularity, trending, co-purchases, segments."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from app.recommendations.model.model import HybridRecommender
from app.recommendations.model.signals import UserSignals
from app.recommendations.serving.popularity import Event, co_purchases, popularity, trending_scores
from app.recommendations.serving.segments import Segments, build_segments
from app.recommendations.serving.snapshot import Snapshot, content_version
from app.recommendations.serving.tables import WineTable


@dataclass
class TrainingData:
    """Everything training reads from MongoDB (and the bundled demo ratings), already in plain Python."""

    signals: dict[str, UserSignals] = field(default_factory=dict)  # customers
    external: list[tuple[str, str, float]] = field(default_factory=list)  # demo raters: (user, wine, stars)
    events: list[Event] = field(default_factory=list)
    baskets: list[list[str]] = field(default_factory=list)
    customers: dict[str, dict[str, float]] = field(default_factory=dict)  # user -> stated/quiz/learned axes
    taste_sources: dict[str, dict[str, str]] = field(default_factory=dict)  # user -> axis -> source
    personalisable: set[str] = field(default_factory=set)  # customers who allow personalisation
    counts: dict[str, int] = field(default_factory=dict)
    read_at: datetime | None = None  # when reading began: later interactions are the within-visit part

    def triples(self) -> tuple[list[str], list[str], list[float]]:
        users, items, strengths = [], [], []
        for user_id, signals in self.signals.items():
            for wine_id, strength in signals.strengths().items():
                users.append(user_id)
                items.append(wine_id)
                strengths.append(strength)
        for user_id, wine_id, stars in self.external:
            users.append(user_id)
            items.append(wine_id)
            strengths.append(stars)
        return users, items, strengths


def build(table: WineTable, data: TrainingData, now: datetime, previous: Segments | None = None) -> Snapshot:
    """Fit the model and every table from `data` (CPU-bound: call it in a worker thread); segments keep the
    ids of `previous` (the serving snapshot's) where they match."""
    users, items, strengths = data.triples()
    model = None
    if users:
        model = HybridRecommender().fit(
            users, items, strengths, item_features=dict(zip(table.ids, table.tokens, strict=True)), catalog=table.ids
        )
    rows = np.arange(len(table))
    counts = model.counts[rows] if model is not None else None
    loved = model.loved_share[rows] if model is not None else None
    segment_input = {
        user_id: (signals.taste_evidence() or signals.strengths(), data.customers.get(user_id, {}))
        for user_id, signals in data.signals.items()
        if not signals.empty
    }
    for user_id, axes in data.customers.items():
        segment_input.setdefault(user_id, ({}, axes))
    segments = build_segments(table, {u: v for u, v in segment_input.items() if v[0] or v[1]}, previous=previous)
    return Snapshot(
        table=table,
        model=model,
        popularity=popularity(table, counts, loved),
        trending=trending_scores(table, data.events, now, segments.members),
        copurchase=co_purchases(table, data.baskets),
        segments=segments,
        signals=data.signals,
        signals_ready=True,
        version=model.version if model is not None else content_version(table),
        trained_at=now,
        counts=dict(data.counts),
        history_until=data.read_at or now,
    )
