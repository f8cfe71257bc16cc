"""The log of served lists beyond serving: the clickstream's feedback joining a list, and a user's lists
exported or forgotten (with what the serving snapshot holds for them in memory)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from beanie.odm.enums import SortDirection
from pymongo import UpdateOne

from app.clickstream.history import ListAction
from app.recommendations.serving.snapshot import Snapshot
from documents import RecommendationLog


async def record_actions(actions: Sequence[ListAction]) -> None:
    """The clickstream worker's feedback (its `ListFeedback`), one bulk write per batch. An action joins its
    list once (no action with its `ref` there yet), and only when it comes from whom the list was served to:
    the user, or for a list served anonymously an anonymous event (of that anonymous id when the log names
    one). Raises when MongoDB fails; the worker then delivers the batch again."""
    updates = [
        UpdateOne(
            {"_id": action.rec_id, **_served_to_actor(action), "actions.ref": {"$ne": action.ref}},
            {
                "$push": {
                    "actions": {"type": action.kind, "wine_id": action.wine_id, "at": action.at, "ref": action.ref}
                }
            },
        )
        for action in actions
    ]
    if updates:
        await RecommendationLog.get_pymongo_collection().bulk_write(updates, ordered=False)


def _served_to_actor(action: ListAction) -> dict[str, Any]:
    if action.user_id is not None:
        return {"user_id": action.user_id}
    return {"user_id": None, "anonymous_id": {"$in": [None, action.anonymous_id]}}


async def export_user(snap: Snapshot | None, user_id: str, anonymous_ids: list[str]) -> dict[str, Any]:
    """{logs, segment, signals}: every list served to the user and what followed, their customer segment,
    and the history the serving snapshot holds for them in memory; JSON-ready."""
    logs = (
        await RecommendationLog.find(_served_to(user_id, anonymous_ids))
        .sort([("served_at", SortDirection.ASCENDING), ("_id", SortDirection.ASCENDING)])
        .to_list()
    )
    signals = snap.signals.get(user_id) if snap is not None else None
    return {
        "logs": [entry.model_dump(mode="json") for entry in logs],
        "segment": snap.segments.members.get(user_id) if snap is not None else None,
        "signals": signals.as_json() if signals is not None else None,
    }


async def forget_user(
    snap: Snapshot | None, user_id: str, anonymous_ids: list[str], event_ids: set[str], *, behaviour_only: bool
) -> dict[str, int]:
    """Delete the logs of lists served to the user and the actions their events left on any list; drop
    them from the snapshot in memory — only their views, clicks and carts when `behaviour_only` (analytics
    consent withdrawn), everything on erasure. The saved model keeps no per-user state."""
    collection = RecommendationLog.get_pymongo_collection()
    deleted = await collection.delete_many(_served_to(user_id, anonymous_ids))
    refs = sorted(event_ids)
    pulled = (
        await collection.update_many({"actions.ref": {"$in": refs}}, {"$pull": {"actions": {"ref": {"$in": refs}}}})
        if refs
        else None
    )
    if snap is not None:
        if behaviour_only:
            if (signals := snap.signals.get(user_id)) is not None:
                signals.views, signals.clicks, signals.carts = {}, set(), set()
        else:
            snap.signals.pop(user_id, None)
            snap.segments.members.pop(user_id, None)
    return {
        "recommendation_logs": int(deleted.deleted_count),
        "actions_on_other_lists": int(pulled.modified_count) if pulled else 0,
    }


def _served_to(user_id: str, anonymous_ids: list[str]) -> dict[str, Any]:
    return {"$or": [{"user_id": user_id}, {"anonymous_id": {"$in": anonymous_ids}}]}
