"""The audit trail: who did what (admin actions, privacy requests), kept without personal data once erased."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from beanie.odm.enums import SortDirection

from app.errors import Invalid
from documents import AuditEntry

ASC = SortDirection.ASCENDING
DESC = SortDirection.DESCENDING


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

    async def list_entries(
        self,
        *,
        actor_id: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page: int,
        per_page: int,
    ) -> tuple[list[AuditEntry], int]:
        """Entries matching every filter given, newest first: `since` inclusive, `until` exclusive."""
        query: dict[str, Any] = {}
        if actor_id is not None:
            query["actor_id"] = actor_id
        if action is not None:
            query["action"] = action
        if since is not None or until is not None:
            query["at"] = {k: v for k, v in (("$gte", since), ("$lt", until)) if v is not None}
        total = await AuditEntry.find(query).count()
        entries = (
            await AuditEntry.find(query)
            .sort([("at", DESC), ("_id", DESC)])
            .skip((page - 1) * per_page)
            .limit(per_page)
            .to_list()
        )
        return entries, total

    async def read(
        self,
        reader_id: str,
        *,
        actor_id: str | None,
        action: str | None,
        since: datetime | None,
        until: datetime | None,
        page: int,
        per_page: int,
        client: str,
    ) -> tuple[list[AuditEntry], int]:
        """A page of the trail for an admin; the reading itself goes into the trail (after the page is taken,
        so it shows from the next read on)."""
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.utcoffset() is None:
                raise Invalid(
                    f"{name} needs a time zone, e.g. 2025-01-31T12:00:00Z",
                    code="time_zone_missing",
                    errors=[{"field": name, "source": "query", "message": "no time zone offset"}],
                )
        if since is not None and until is not None and since > until:
            raise Invalid(
                "since must not be later than until",
                code="time_range_invalid",
                errors=[{"field": "since", "source": "query", "message": "later than until"}],
            )
        found = await self.list_entries(
            actor_id=actor_id, action=action, since=since, until=until, page=page, per_page=per_page
        )
        filters = {"actor_id": actor_id, "action": action, "since": since, "until": until}
        await self.record(
            reader_id,
            "audit.read",
            "audit_log",
            None,
            filters={k: v.isoformat() if isinstance(v, datetime) else v for k, v in filters.items() if v is not None},
            page=page,
            per_page=per_page,
            returned=len(found[0]),
            client=client,
        )
        return found

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
    data: dict[str, Any] = entry.model_dump(mode="json")
    if entry.target_id != user_id:
        data["target_id"] = None
        data["details"] = {k: v for k, v in data["details"].items() if k in ("method", "path", "status")}
    return data
