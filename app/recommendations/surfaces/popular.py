"""Popular in season: for anyone, and the stand-in wherever a list cannot be personal."""

from __future__ import annotations

from collections.abc import Set

import numpy as np

from app.recommendations.model.diversity import Focus
from app.recommendations.serving.popularity import seasonal
from app.recommendations.serving.snapshot import Snapshot
from app.recommendations.surfaces import explain
from app.recommendations.surfaces.candidates import (
    Candidate,
    Plan,
    rating_reason,
    shopper_filters,
    shopper_focus,
    top_rows,
)
from app.recommendations.surfaces.filters import HardFilters, allowed_rows
from documents import User

ANONYMOUS = "not personalised: popular in season; sign in for recommendations for you"


def plan(
    snap: Snapshot,
    user: User | None,
    month: int,
    dismissed: Set[str] = frozenset(),
    anonymous_id: str | None = None,
) -> Plan:
    """Popular in season for anyone; a signed-in caller's dietary needs and dislikes still hold, and the
    visit's "not for me" (`dismissed`: the caller's, or the anonymous visitor's) drops a wine at once."""
    filters = shopper_filters(snap, user, dismissed)
    return Plan(
        surface="popular",
        filters=filters,
        rank=lambda n, skip: rank(snap, filters, month, n, skip),
        focus=shopper_focus(snap, user),
        note=ANONYMOUS,
        user_id=user.id if user else None,
        anonymous_id=anonymous_id,
    )


def instead(
    snap: Snapshot,
    surface: str,
    filters: HardFilters,
    month: int,
    note: str,
    *,
    user_id: str | None = None,
    anonymous_id: str | None = None,
) -> Plan:
    """The popular list served under another surface's name (`personalised` false, `note` says why)."""
    return Plan(
        surface=surface,
        filters=filters,
        rank=lambda n, skip: rank(snap, filters, month, n, skip),
        focus=Focus(),
        note=note,
        user_id=user_id,
        anonymous_id=anonymous_id,
    )


def rank(snap: Snapshot, filters: HardFilters, month: int, n: int, skip: int = 0) -> list[Candidate]:
    """All-time popularity and recent activity, nudged towards this month's styles."""
    trend = snap.trending.get(None, np.zeros(len(snap.table)))
    peak = float(trend.max(initial=0.0))
    recent = trend / peak if peak > 0 else np.zeros(len(snap.table))
    score = (0.7 * snap.popularity + 0.3 * recent) * seasonal(snap.table, month) / (1 + 0.15)
    rows = top_rows(score, allowed_rows(snap.table, filters), n, skip)
    out = []
    for r in rows:
        reasons = [explain.popular_reason()]
        rating = rating_reason(snap, int(r))
        if rating is not None:
            reasons.append(rating)
        out.append(Candidate(int(r), float(min(score[r], 1.0)), reasons))
    return out
