"""“For you”: the model's fold-in of the shopper's history blended with their taste, signed in or visiting.

score = (1 - w) · collaborative percentile + w · content match, times the soft price factor. The content match
is the stated and quiz taste and liked attributes (w falls from 0.7 to 0.25 as the history grows). Content is
blended once per source: the history's content is the model's own content term, so the axes *learned* from that
history join the match only when no model scores the history (docs/recommendations-serving.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.recommendations.model.signals import UserSignals, Visit
from app.recommendations.serving.snapshot import Snapshot
from app.recommendations.surfaces import explain, popular
from app.recommendations.surfaces.candidates import (
    Candidate,
    Plan,
    percentiles,
    rating_reason,
    shopper_filters,
    shopper_focus,
    table_rows,
    top_rows,
)
from app.recommendations.surfaces.content import TasteIntent, content_scores, price_factor
from app.recommendations.surfaces.explain import Reason
from app.recommendations.surfaces.filters import HardFilters, allowed_rows
from documents import User

CONTENT_WEIGHT_NEW = 0.7  # a user with no history: taste and preferences lead
CONTENT_WEIGHT_MIN = 0.25  # a user with a long history: behaviour leads, taste still counts
NO_CONSENT = "not personalised: you have not allowed personalisation; these are popular wines"
FROM_VISIT = "from what you looked at on this visit; sign in for recommendations that remember you"


def plan(snap: Snapshot, user: User, visit: Visit, signals: UserSignals | None, surface: str, month: int) -> Plan:
    """The shopper's list; without personalisation consent (`signals` None) the popular list, saying so.
    The visit's wines are left out: they are in "recently viewed" and the cart already."""
    if not user.consent.personalisation or signals is None:
        filters = shopper_filters(snap, user, visit.dismissed)
        return popular.instead(snap, surface, filters, month, NO_CONSENT, user_id=user.id)
    signals = signals.with_visit(visit)
    exclude = signals.any_bought | set(signals.ratings) | signals.dismissed | set(visit.looked_at)
    filters = shopper_filters(snap, user, exclude)
    intent = TasteIntent.of(user.taste_profile, user.preferences)
    history = signals.strengths()
    looked = table_rows(snap, visit.looked_at)
    return Plan(
        surface=surface,
        filters=filters,
        rank=lambda n, skip: rank(snap, history, intent, filters, n, skip, looked),
        focus=shopper_focus(snap, user, history),
        personalised=True,
        user_id=user.id,
        taste=intent.axes,
    )


def visitor_plan(snap: Snapshot, anonymous_id: str, visit: Visit, surface: str, month: int) -> Plan:
    """ "For you" for a visitor who is not signed in, from this visit alone; the popular list until it did
    something (views, clicks, cart adds)."""
    filters = HardFilters.of(None, visit.dismissed | set(visit.looked_at))
    if not visit.looked_at:
        return popular.instead(snap, surface, filters, month, popular.ANONYMOUS, anonymous_id=anonymous_id)
    history = UserSignals().with_visit(visit).strengths()
    intent, looked = TasteIntent(), table_rows(snap, visit.looked_at)
    return Plan(
        surface=surface,
        filters=filters,
        rank=lambda n, skip: rank(snap, history, intent, filters, n, skip, looked),
        focus=shopper_focus(snap, None),
        personalised=True,
        note=FROM_VISIT,
        anonymous_id=anonymous_id,
    )


def rank(
    snap: Snapshot,
    history: dict[str, float],
    intent: TasteIntent,
    filters: HardFilters,
    n: int,
    skip: int = 0,
    looked_at: Sequence[int] = (),
) -> list[Candidate]:
    """Collaborative signals (fold-in) blended with content match; popularity stands in without history.
    `looked_at`: table rows of the current visit, newest first, named in the reasons where they lead here."""
    table = snap.table
    mask = allowed_rows(table, filters)
    model = snap.model_scores(history) if history else None
    collab = np.zeros(len(table))
    collab[mask] = _collaborative_ranks(model[mask] if model is not None else None, snap.popularity[mask])
    content = content_scores(table, intent if model is None else intent.without_learned())
    weight = 0.0 if content is None else max(CONTENT_WEIGHT_MIN, CONTENT_WEIGHT_NEW - 0.045 * len(history))
    score = (1 - weight) * collab + (weight * content if content is not None else 0.0)
    score = score * price_factor(table, intent)
    rows = top_rows(score, mask, n, skip)
    visit = set(looked_at)  # named as "looked at", even when put in the cart
    liked = [row for w, s in history.items() if (row := table.index.get(w)) is not None and s >= 4.0]
    liked = [row for row in liked if row not in visit]
    return [
        Candidate(int(r), float(score[r]), _reasons(snap, int(r), intent, liked, looked_at, model is None))
        for r in rows
    ]


def _collaborative_ranks(model: np.ndarray | None, popularity: np.ndarray) -> np.ndarray:
    """Percentiles of the model's scores; wines it cannot score rank last, by popularity among themselves."""
    if model is None or not np.isfinite(model).any():
        return percentiles(popularity)
    finite = np.isfinite(model)
    floor = model[finite].min() - 1.0
    return percentiles(np.where(finite, model, floor + popularity * 0.5))


def _reasons(
    snap: Snapshot, row: int, intent: TasteIntent, liked: list[int], looked_at: Sequence[int], cold: bool
) -> list[Reason]:
    table = snap.table
    reasons = explain.taste_reasons(table, row, intent)
    because = _closest_liked(snap, row, liked)
    if because is not None:
        reasons.insert(0, explain.because_reason(table, because))
    seen = _closest_liked(snap, row, looked_at)
    if seen is not None:
        reasons.insert(0, explain.looked_at_reason(table, seen))
    elif because is None and cold:
        reasons.append(explain.popular_reason())
    for extra in (rating_reason(snap, row), explain.price_reason(table, row, intent)):
        if extra is not None:
            reasons.append(extra)
    return reasons[:4]


def _closest_liked(snap: Snapshot, row: int, liked: Sequence[int]) -> int | None:
    """Which liked (or looked-at) wine points at this one most strongly in the model ("because you liked X")."""
    model = snap.model
    col = int(snap.model_cols[row])
    if model is None or col < 0 or not liked:
        return None
    cols = snap.model_cols[liked]
    known = cols >= 0
    if not known.any():
        return None
    weights = model.b_rating[cols[known], col]
    best = int(np.argmax(weights))
    return int(np.array(liked)[known][best]) if weights[best] > 0 else None
