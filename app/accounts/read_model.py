"""Accounts' read model for the recommender's training: each customer's taste axes and personalisation consent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from documents import User
from documents.models import TASTE_AXES


@dataclass(frozen=True)
class CustomerTaste:
    """One customer's taste profile as (value, source) per axis they have, and whether they allow personalisation."""

    user_id: str
    axes: dict[str, tuple[float, str]]
    personalisation: bool


async def customer_tastes() -> AsyncIterator[CustomerTaste]:
    """Every customer, streamed with a narrow projection (the recommender reads them all at each training)."""
    cursor = User.get_pymongo_collection().find({}, {"taste_profile": 1, "consent.personalisation": 1})
    async for raw in cursor:
        profile = raw.get("taste_profile") or {}
        yield CustomerTaste(
            user_id=raw["_id"],
            axes={a: (float(profile[a]["value"]), str(profile[a]["source"])) for a in TASTE_AXES if profile.get(a)},
            personalisation=bool((raw.get("consent") or {}).get("personalisation")),
        )
