"""Bought together: the wines in the same orders as one wine, and only those (a fact about orders)."""

from __future__ import annotations

from app.recommendations.model.signals import Visit
from app.recommendations.serving.popularity import bought_with
from app.recommendations.serving.snapshot import Snapshot
from app.recommendations.surfaces import explain
from app.recommendations.surfaces.candidates import Candidate, Plan, shopper_filters
from app.recommendations.surfaces.filters import HardFilters, allowed_rows
from documents import User


def plan(snap: Snapshot, wine_id: str, user: User | None, visit: Visit) -> Plan:
    """Co-purchases in the order of how often: never re-ranked for variety (dismissals still apply)."""
    filters = shopper_filters(snap, user, {wine_id} | visit.dismissed)
    seed = snap.table.index.get(wine_id)
    return Plan(
        surface="bought_together",
        filters=filters,
        rank=lambda n, skip: rank(snap, seed, filters, n + skip)[skip:] if seed is not None else [],
        user_id=user.id if user else None,
    )


def rank(snap: Snapshot, seed: int, filters: HardFilters, n: int) -> list[Candidate]:
    """Wines in the same orders as the seed, and only those: a shop without co-purchases yet gets an empty
    list rather than similar wines under the wrong title (similar has its own list)."""
    mask = allowed_rows(snap.table, filters)
    return [
        Candidate(row, min(1.0, 0.5 + cosine / 2), [explain.bought_with_reason(snap.table, seed, together)])
        for row, cosine, together in bought_with(snap.copurchase, seed)
        if mask[row]
    ][:n]
