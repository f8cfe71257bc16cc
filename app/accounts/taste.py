"""Who may set a taste axis: what the customer states outranks the quiz and what we learn from behaviour.

- `stated` (PUT /v1/me/taste-profile) always wins and is only changed by the customer: by stating again, or
  by retaking the quiz with `override_stated: true`.
- `quiz` and `learned` replace each other, newest first: a retaken quiz is the customer's latest word, and
  later learning refines the quiz's guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from documents.models import TASTE_AXES, TasteAxis, TasteProfile

SOURCES = ("quiz", "stated", "learned")


@dataclass
class TasteChange:
    """The new profile and, per axis asked for, whether it was written or kept (a stated value)."""

    profile: TasteProfile
    applied: list[str] = field(default_factory=list)
    kept_stated: list[str] = field(default_factory=list)


def check_axes(axes: dict[str, float | None]) -> None:
    """Names must be the five axes and values within 0..1 (None clears an axis)."""
    for axis, value in axes.items():
        if axis not in TASTE_AXES:
            raise ValueError(f"unknown taste axis {axis!r}; use {', '.join(TASTE_AXES)}")
        if value is not None and (not math.isfinite(value) or not 0.0 <= value <= 1.0):
            raise ValueError(f"{axis} must be between 0 and 1, not {value}")


def apply_axes(
    profile: TasteProfile, axes: dict[str, float | None], source: str, now: datetime, *, override_stated: bool = False
) -> TasteChange:
    """Write `axes` from `source` over `profile` following the precedence above; the input is not changed."""
    if source not in SOURCES:
        raise ValueError(f"unknown taste source {source!r}")
    check_axes(axes)
    new = profile.model_copy(deep=True)
    change = TasteChange(new)
    for axis, value in axes.items():
        current: TasteAxis | None = getattr(new, axis)
        may_write = source == "stated" or override_stated or current is None or current.source != "stated"
        if not may_write:
            change.kept_stated.append(axis)
            continue
        setattr(new, axis, None if value is None else TasteAxis(value=round(value, 4), source=source, updated_at=now))
        change.applied.append(axis)
    return change
