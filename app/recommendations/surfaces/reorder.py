"""Reorder: the shopper's own repeat buys, the most due first, from their own interval between purchases.

The one list that keeps wines crossing a need or dislike stated since buying them (each is marked in
`conflicts`); only what cannot be bought or was dismissed as "not for me" is left out. Never re-ranked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.recommendations.model.signals import UserSignals
from app.recommendations.serving.snapshot import Snapshot
from app.recommendations.surfaces.candidates import Candidate, Plan, shopper_filters
from app.recommendations.surfaces.explain import reorder_reasons
from app.recommendations.surfaces.filters import HardFilters
from documents import User


def plan(snap: Snapshot, user: User, signals: UserSignals, now: datetime) -> Plan:
    """Wines bought at least twice; availability and "not for me" filter, the other needs only mark."""
    needs = shopper_filters(snap, user)
    ranked = due(snap, signals, now)
    return Plan(
        surface="reorder",
        filters=HardFilters(wine_ids=needs.wine_ids, exclude_ids=needs.exclude_ids),
        rank=lambda n, skip: ranked[skip : skip + n],
        personalised=True,
        user_id=user.id,
        conflicts=needs,
    )


def due(snap: Snapshot, signals: UserSignals, now: datetime) -> list[Candidate]:
    """The repeat buys by how overdue each is against the shopper's own interval, most overdue first."""
    found = []
    for wine_id, bought in signals.own.items():
        row = snap.table.index.get(wine_id)
        if bought.times < 2 or row is None or bought.first_at is None or bought.last_at is None:
            continue
        interval = max((bought.last_at - bought.first_at) / (bought.times - 1), timedelta(days=1))
        overdue = (now - bought.last_at) / interval
        score = min(1.0, overdue) * 0.9 + 0.1 * min(1.0, bought.times / 10)
        reasons = reorder_reasons(bought.times, interval, bought.last_at, now)
        found.append((overdue, Candidate(row, score, reasons)))
    found.sort(key=lambda pair: -pair[0])
    return [candidate for _, candidate in found]
