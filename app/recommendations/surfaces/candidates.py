"""What every surface shares: ranked candidates, the plan of a list the facade serves, and their helpers."""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import rankdata

from app.recommendations.model import diversity
from app.recommendations.model.diversity import Focus
from app.recommendations.serving.snapshot import Snapshot
from app.recommendations.surfaces import explain
from app.recommendations.surfaces.content import TasteIntent
from app.recommendations.surfaces.explain import Reason
from app.recommendations.surfaces.filters import HardFilters
from documents import User


@dataclass
class Candidate:
    row: int
    score: float  # 0..1, shown as the match
    reasons: list[Reason] = field(default_factory=list)


Rank = Callable[[int, int], list[Candidate]]
"""(n, skip) -> the next n candidates after the first `skip`, best first (the facade asks again when the live
re-check drops some)."""


@dataclass
class Plan:
    """One list as its surface decides it; the facade (`service.py`) picks, re-checks, varies, logs and serves it."""

    surface: str
    filters: HardFilters
    rank: Rank
    focus: Focus | None = None  # None: never re-ranked for variety (reorder, bought together)
    personalised: bool = False
    note: str | None = None
    user_id: str | None = None
    anonymous_id: str | None = None  # the visitor whose list it is, logged for attribution and export
    conflicts: HardFilters | None = None  # reorder: each wine is marked where it crosses these needs
    taste: dict[str, tuple[float, str]] = field(default_factory=dict)  # "for you": the axes and their sources
    segment: int | None = None  # trending: the segment asked for


def percentiles(values: np.ndarray) -> np.ndarray:
    """Rank of each value among `values`, scaled to 0..1; ties share their mean rank, so equal scores
    (no signal at all) never order wines by accident."""
    if len(values) < 2:
        return np.ones(len(values))
    return np.asarray((rankdata(values, method="average") - 1) / (len(values) - 1))  # scipy is untyped: Any


def top_rows(scores: np.ndarray, mask: np.ndarray, n: int, skip: int = 0) -> np.ndarray:
    rows = np.flatnonzero(mask)
    if len(rows) == 0:
        return rows
    order = np.argsort(-scores[rows], kind="stable")[skip : skip + n]
    return rows[order]


def rating_reason(snap: Snapshot, row: int) -> Reason | None:
    col = int(snap.model_cols[row])
    if snap.model is None or col < 0:
        return explain.rating_reason(snap.table, row)
    raters, loved = int(snap.model.counts[col]), int(snap.loved_counts[col])
    return explain.rating_reason(snap.table, row, raters, loved, snap.loved_typical)


def shopper_filters(snap: Snapshot, user: User | None, exclude: Set[str] | None = None) -> HardFilters:
    """The user's hard filters; wines dismissed through a beacon event (not the dismiss route) count too."""
    if user is None:
        return HardFilters.of(None, exclude or ())
    signals = snap.signals.get(user.id)
    dismissed = signals.dismissed if signals is not None else set()
    return HardFilters.of(user.preferences, (exclude or set()) | dismissed)


def shopper_focus(snap: Snapshot, user: User | None, history: dict[str, float] | None = None) -> Focus:
    """The style or winery the shopper likes only (stated, else learned from their history), which the
    re-ranking keeps; nothing personal without personalisation consent."""
    if user is None or not user.consent.personalisation:
        return Focus()
    if history is None:
        signals = snap.signals.get(user.id)
        history = signals.strengths() if signals is not None else {}
    liked = [snap.table.index[w] for w, s in history.items() if s >= diversity.LIKED and w in snap.table.index]
    stated = TasteIntent.of(None, user.preferences)
    return snap.attributes.focus(stated.styles, stated.wineries, liked)


def table_rows(snap: Snapshot, wine_ids: Sequence[str]) -> list[int]:
    """The snapshot's rows of `wine_ids`, in their order; wines it does not know are left out."""
    return [row for w in wine_ids if (row := snap.table.index.get(w)) is not None]
