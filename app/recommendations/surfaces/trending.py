"""Trending: time-decayed activity (half-life 14 days), in the whole shop or within one customer segment."""

from __future__ import annotations

from collections.abc import Set

import numpy as np

from app.errors import NotFound
from app.recommendations.serving.snapshot import Snapshot
from app.recommendations.surfaces import explain
from app.recommendations.surfaces.candidates import Candidate, Plan, shopper_filters, shopper_focus, top_rows
from app.recommendations.surfaces.filters import HardFilters, allowed_rows
from documents import User


def plan(
    snap: Snapshot,
    segment: int | None,
    user: User | None,
    dismissed: Set[str] = frozenset(),
    anonymous_id: str | None = None,
) -> Plan:
    """In one segment (404 for a segment the last training did not make) or the whole shop; "customers like
    you" only for a signed-in member of that segment, anyone else hears its name. The visit's "not for me"
    (`dismissed`) drops a wine at once, as on every list."""
    if segment is not None and segment not in {s.id for s in snap.segments.segments}:
        raise NotFound("segment", str(segment))
    filters = shopper_filters(snap, user, dismissed)
    yours = user is not None and segment is not None and snap.segments.members.get(user.id) == segment
    return Plan(
        surface="trending",
        filters=filters,
        rank=lambda n, skip: rank(snap, segment, filters, n, skip, yours=yours),
        focus=shopper_focus(snap, user),
        user_id=user.id if user else None,
        anonymous_id=anonymous_id,
        segment=segment,
    )


def rank(
    snap: Snapshot, segment: int | None, filters: HardFilters, n: int, skip: int = 0, *, yours: bool = False
) -> list[Candidate]:
    """Time-decayed activity in one segment (`yours`: the caller's own, signed in) or in the whole shop."""
    activity = snap.trending.get(segment)
    if activity is None or activity.max(initial=0.0) <= 0:
        activity = snap.trending.get(None, np.zeros(len(snap.table)))
        segment = None
    described = next((s for s in snap.segments.segments if s.id == segment), None)
    peak = float(activity.max(initial=0.0))
    # a quiet shop (no recent activity) still shows something sensible: the popular wines
    score = activity / peak + 0.05 * snap.popularity if peak > 0 else 0.9 * snap.popularity
    rows = top_rows(score, allowed_rows(snap.table, filters), n, skip)
    return [
        Candidate(
            int(r),
            float(min(score[r], 1.0)),
            [explain.trending_reason(float(activity[r]), described, yours=yours)]
            if activity[r] > 0
            else [explain.popular_reason()],
        )
        for r in rows
    ]
