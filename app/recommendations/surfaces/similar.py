"""Similar wines: the model's co-rating and content neighbours of one wine, tilted towards the caller's visit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.recommendations.model.diversity import Focus
from app.recommendations.model.signals import Visit
from app.recommendations.serving.snapshot import Snapshot
from app.recommendations.surfaces import explain
from app.recommendations.surfaces.candidates import (
    Candidate,
    Plan,
    shopper_filters,
    shopper_focus,
    table_rows,
    top_rows,
)
from app.recommendations.surfaces.filters import HardFilters, allowed_rows
from documents import User

VISIT_SIMILAR_WEIGHT = 0.3  # how far the visit's other wines tilt "similar"; the wine on the page leads
VISIT_SIMILAR_MAX = 5  # the visit's newest wines that tilt it


def plan(snap: Snapshot, wine_id: str, user: User | None, visit: Visit, anonymous_id: str | None) -> Plan:
    """Neighbours of the wine, varied in winery, grapes and region but kept in the wine's own style."""
    filters = shopper_filters(snap, user, {wine_id} | visit.dismissed)
    seed, looked = snap.table.index.get(wine_id), table_rows(snap, visit.looked_at)
    style = int(snap.attributes.style[seed]) if seed is not None else -1
    return Plan(
        surface="similar",
        filters=filters,
        rank=lambda n, skip: rank(snap, seed, filters, n + skip, looked)[skip:] if seed is not None else [],
        focus=Focus(style=style if style >= 0 else None, winery=shopper_focus(snap, user).winery),
        user_id=user.id if user else None,
        anonymous_id=None if user else anonymous_id,
    )


def rank(snap: Snapshot, seed: int, filters: HardFilters, n: int, looked_at: Sequence[int] = ()) -> list[Candidate]:
    """Item-to-item: the model's co-rating and content neighbours, else structure and attributes alone.
    `looked_at` (the visit's other wines, newest first) tilts the list towards what is like them too; a
    wine the tilt moved up says which of them it was."""
    table = snap.table
    mask = allowed_rows(table, filters)
    mask[seed] = False
    base = _likeness(snap, seed)
    visit = [r for r in dict.fromkeys(looked_at) if r != seed][:VISIT_SIMILAR_MAX]
    tilts = np.array([_likeness(snap, r) for r in visit]) if visit else np.zeros((0, len(table)))
    score = base + VISIT_SIMILAR_WEIGHT * tilts.mean(axis=0) if visit else base
    rows = top_rows(score, mask, n)
    moved: dict[int, int] = {}
    if visit:
        before = {int(r): pos for pos, r in enumerate(top_rows(base, mask, int(mask.sum())))}
        moved = {int(r): visit[int(np.argmax(tilts[:, r]))] for pos, r in enumerate(rows) if pos < before[int(r)]}
    peak = float(score[rows[0]]) if len(rows) and score[rows[0]] > 0 else 1.0
    out = []
    for r in rows:
        reasons = explain.similar_reasons(table, seed, int(r))
        if int(r) in moved:
            reasons.insert(0, explain.looked_at_reason(table, moved[int(r)]))
        out.append(Candidate(int(r), float(max(score[r], 0.0)) / peak * 0.95, reasons))
    return out


def _likeness(snap: Snapshot, row: int) -> np.ndarray:
    """How like `row` every wine is, 0..1 (the model's blend where it knows the wine); `row` itself 0."""
    col = int(snap.model_cols[row])
    if snap.model is not None and col >= 0:
        known = snap.model_cols >= 0
        score = np.zeros(len(snap.table))
        score[known] = snap.model.similarity(col)[snap.model_cols[known]]
    else:
        score = _content_similarity(snap, row)
    score[row] = 0.0
    return np.maximum(score, 0.0)


def _content_similarity(snap: Snapshot, seed: int) -> np.ndarray:
    """A wine the model does not know: likeness by taste structure and shared content tokens alone."""
    table = snap.table
    structure = 1.0 - np.abs(table.taste - table.taste[seed]).mean(axis=1)
    tokens = table.tokens[seed]
    shared = np.array([sum(w for t, w in tokens.items() if t in other) for other in table.tokens])
    return np.asarray(0.5 * structure + 0.5 * shared / max(sum(tokens.values()), 1.0))  # numpy: mean is Any
