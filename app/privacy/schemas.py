"""Privacy API models: the export document, the erasure confirmation and its receipt, audit entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from app.accounts.schemas import MAX_PASSWORD, Password
from app.schemas import Input
from documents import AuditEntry

EXPORT_FORMAT = "cuvee.export/1"


class ErasureInput(Input):
    password: Password = Field(min_length=1, max_length=MAX_PASSWORD, description="Your current password, to confirm.")


class AuditEntryRead(BaseModel):
    """One line of the audit trail: who (`actor_id`, null for the system or an operator), did what, to what."""

    id: str
    actor_id: str | None
    action: str
    target_type: str
    target_id: str | None
    details: dict[str, Any]
    at: datetime

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryRead:
        return cls.model_validate(entry.model_dump())


class ErasureRead(BaseModel):
    """Proof that the erasure ran: quote `request_id` to the shop; what was removed, counted per store."""

    request_id: str
    completed_at: datetime
    removed: dict[str, int]


class SearchIndexSection(BaseModel):
    documents: list[dict[str, Any]]
    note: str


class EventStreamSection(BaseModel):
    stream: list[dict[str, Any]] = Field(description="Your events still in the Redis stream (processed or not).")
    dead_letter: list[dict[str, Any]] = Field(description="Your events the worker could not apply, kept for repair.")


class RecommendationsSection(BaseModel):
    logs: list[dict[str, Any]] = Field(description="Every list served to you, its items and what followed.")
    segment: int | None = Field(description="The customer segment you were placed in at the last training.")
    signals: dict[str, Any] | None = Field(description="What the recommender holds about you in memory.")


class UserExport(BaseModel):
    """Everything Cuvée holds about you, from every store; docs/privacy.md explains each field."""

    format: str = EXPORT_FORMAT
    generated_at: datetime
    user_id: str
    account: dict[str, Any]
    preferences: dict[str, Any]
    taste_profile: dict[str, Any]
    consent: dict[str, Any]
    cart: dict[str, Any] | None
    orders: list[dict[str, Any]]
    wishlist: list[dict[str, Any]]
    reviews: list[dict[str, Any]]
    browsing_history: list[dict[str, Any]]
    search_history: list[dict[str, Any]]
    recommendations: RecommendationsSection
    event_stream: EventStreamSection
    search_index: SearchIndexSection
    audit_log: list[dict[str, Any]]
    privacy_requests: list[dict[str, Any]]
