"""What shoppers did: clickstream interactions and the recommendation lists they were served."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field
from pymongo import IndexModel

from documents.models.base import Embedded, StringId, utcnow


class Interaction(StringId):
    """One clickstream event applied by the worker; `id` is the client's event_id (idempotency)."""

    id: str  # required: never generated here
    type: str
    user_id: str | None = None
    anonymous_id: str | None = None
    wine_id: str | None = None
    query: str | None = None
    results_count: int | None = None
    rec_id: str | None = None
    position: int | None = None
    surface: str | None = None
    occurred_at: datetime
    recorded_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "interactions"
        indexes: ClassVar = [
            IndexModel([("user_id", 1), ("occurred_at", -1)], name="user_time"),
            IndexModel([("anonymous_id", 1), ("occurred_at", -1)], name="anon_time"),
            IndexModel([("user_id", 1), ("wine_id", 1)], name="user_wine"),
            IndexModel([("type", 1), ("occurred_at", -1)], name="type_time"),
            IndexModel([("wine_id", 1)], name="wine"),
        ]


class RecommendationItem(Embedded):
    wine_id: str
    position: int
    score: float


class RecommendationAction(Embedded):
    type: str  # click, cart, purchase, dismiss
    wine_id: str | None = None
    at: datetime = Field(default_factory=utcnow)
    ref: str | None = None  # event id or order id: makes applying an action idempotent


class RecommendationLog(StringId):
    """One list of recommendations as served (its id is the rec_id clients send back) and what came of it."""

    user_id: str | None = None
    anonymous_id: str | None = None
    surface: str
    model_version: str
    items: list[RecommendationItem] = Field(default_factory=list)
    actions: list[RecommendationAction] = Field(default_factory=list)
    served_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "recommendation_logs"
        indexes: ClassVar = [
            IndexModel([("user_id", 1), ("served_at", -1)], name="user_time"),
            IndexModel([("anonymous_id", 1), ("served_at", -1)], name="anon_time"),  # export/erasure by beacon id
            IndexModel([("surface", 1), ("model_version", 1), ("served_at", -1)], name="surface_model"),
        ]
