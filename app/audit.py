"""The audit trail: who did what (admin actions, privacy requests), kept without personal data once erased."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from beanie.odm.enums import SortDirection

from documents import AuditEntry

ASC = SortDirection.ASCENDING


class AuditLog:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock

    async def record(
        self, actor_id: str | None, action: str, target_type: str, target_id: str | None = None, **details: Any
    ) -> None:
        await AuditEntry(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=details,
            at=self._clock(),
        ).insert()

    async def about(self, user_id: str) -> list[dict[str, Any]]:
        """Entries the user acted in or was the subject of, oldest first, JSON-ready. What the user acted on
        is left out unless it is the user: it may be someone else's record."""
        entries = (
            await AuditEntry.find({"$or": [{"actor_id": user_id}, {"target_id": user_id}]})
            .sort([("at", ASC), ("_id", ASC)])
            .to_list()
        )
        return [_own_view(entry, user_id) for entry in entries]

    async def pseudonymise(self, user_id: str, pseudonym: str) -> int:
        """Replace the user's id by `pseudonym` wherever it appears (returns the entries touched): the trail
        stays, the person goes."""
        collection = AuditEntry.get_pymongo_collection()
        entries = await collection.count_documents(
            {"$or": [{"actor_id": user_id}, {"target_id": user_id}, {"details.params.user_id": user_id}]}
        )
        await collection.update_many({"actor_id": user_id}, {"$set": {"actor_id": pseudonym}})
        await collection.update_many({"target_id": user_id}, {"$set": {"target_id": pseudonym}})
        await collection.update_many(
            {"details.params.user_id": user_id}, {"$set": {"details.params.user_id": pseudonym}}
        )
        return int(entries)


def _own_view(entry: AuditEntry, user_id: str) -> dict[str, Any]:
    data = entry.model_dump(mode="json")
    if entry.target_id != user_id:
        data["target_id"] = None
        data["details"] = {k: v for k, v in data["details"].items() if k in ("method", "path", "status")}
    return data
