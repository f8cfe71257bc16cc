"""The clickstream's read model for the recommender's training: the stored interactions of some kinds, in bulk."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from documents import Interaction


@dataclass(frozen=True)
class InteractionRow:
    """One stored interaction, as training needs it: its type, who (if signed in), which wine and when."""

    type: str
    user_id: str | None
    wine_id: str | None
    occurred_at: datetime  # aware UTC


async def interactions(types: Iterable[str]) -> AsyncIterator[InteractionRow]:
    """Every stored interaction of `types`, streamed with a narrow projection."""
    cursor = Interaction.get_pymongo_collection().find(
        {"type": {"$in": list(types)}}, {"type": 1, "user_id": 1, "wine_id": 1, "occurred_at": 1}
    )
    async for raw in cursor:
        at = raw["occurred_at"]
        yield InteractionRow(
            type=raw["type"],
            user_id=raw.get("user_id"),
            wine_id=raw.get("wine_id"),
            occurred_at=at.replace(tzinfo=UTC) if at.tzinfo is None else at,
        )
