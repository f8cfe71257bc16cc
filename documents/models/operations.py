"""The audit log and the record of privacy requests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import Field
from pymongo import IndexModel

from documents.models.base import StringId, utcnow


class AuditEntry(StringId):
    actor_id: str | None
    action: str
    target_type: str
    target_id: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "audit_log"
        indexes: ClassVar = [IndexModel([("at", -1)], name="time"), IndexModel([("actor_id", 1)], name="actor")]


class PrivacyRequest(StringId):
    kind: str = Field(pattern="^(export|erasure)$")
    subject: str  # a keyed hash of the user id: proves the request without keeping who it was
    status: str = "completed"
    requested_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
    outcome: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "privacy_requests"
        indexes: ClassVar = [IndexModel([("requested_at", -1)], name="time")]
