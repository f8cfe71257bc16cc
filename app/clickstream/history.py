"""Interactions in MongoDB: events applied idempotently (keyed by event_id), bounded per user, read back.

Idempotency without transactions: the interaction's `_id` is the client's event_id, so a redelivered event
is a duplicate-key no-op, and feedback on a served list carries the event id as its `ref`, which the
recommendations' log applies once (app/recommendations/logs.py). A view is counted exactly once across
crashes, like a checkout's stock holds, in three steps:
1. views whose interaction is not stored yet get `$inc view_count` on their wine, in the same update as
   pushing their event ids onto the wine's `counting` list, guarded by the ids' absence;
2. the interactions are inserted;
3. the ids are pulled from the wines.
A redelivered view with a stored interaction got past step 1 before: it is not counted. One without got
past step 1 or not: if it did, its id is still on the wine's list (step 3 comes after step 2), and the guard
stops a second `$inc`. Steps 1 and 3 are updates of the wines, which catalog owns: app/catalog/counters.py.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from app.catalog.counters import WineCounters
from app.clickstream.events import Event
from documents import Interaction

log = logging.getLogger("cuvee.clickstream")

# Event types that feed back into the recommendation log that served the list (rec_id).
REC_ACTIONS = {"recommendation_clicked": "click", "recommendation_dismissed": "dismiss", "cart_item_added": "cart"}
_DUPLICATE_KEY = 11000
_MAX_TRACKED_USERS = 100_000


@dataclass(frozen=True)
class Attributed:
    """An event and the user it belongs to (None: anonymous)."""

    event: Event
    user_id: str | None


@dataclass(frozen=True)
class ListAction:
    """What a shopper did with a wine of a served list (rec_id), and who did it (the event's owner)."""

    rec_id: str
    kind: str  # click, dismiss, cart
    wine_id: str | None
    at: datetime
    ref: str  # the event id: the log applies an action once
    user_id: str | None
    anonymous_id: str | None


# The recommendations' log of served lists (app/recommendations/logs.py, filled in by build_services): one bulk
# write per batch; raises when MongoDB fails, so the batch is not acknowledged and comes back.
ListFeedback = Callable[[Sequence[ListAction]], Awaitable[None]]


@dataclass(frozen=True)
class HistoryBounds:
    per_user: int = 500  # interactions kept per signed-in user, newest first
    slack: int = 50  # trimmed once a user passes per_user + slack, so trimming is occasional
    anonymous_retention: timedelta = timedelta(days=30)


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _document(item: Attributed, now: datetime) -> dict[str, Any]:
    ev = item.event
    doc: dict[str, Any] = {
        "_id": ev.event_id,
        "type": ev.type,
        "occurred_at": _aware(ev.occurred_at),
        "recorded_at": now,
    }
    for name in ("anonymous_id", "wine_id", "query", "results_count", "rec_id", "position", "surface"):
        value = getattr(ev, name)
        if value is not None:
            doc[name] = value
    if item.user_id is not None:
        doc["user_id"] = item.user_id
    return doc


def _by_wine(views: list[Event]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ev in views:
        if ev.wine_id is not None:  # always: a view names its wine (events.py)
            out.setdefault(ev.wine_id, []).append(ev.event_id)
    return out


class History:
    """Writes and reads the `interactions` collection (and the counters events feed elsewhere)."""

    def __init__(
        self,
        clock: Callable[[], datetime],
        counters: WineCounters,
        feedback: ListFeedback,
        bounds: HistoryBounds | None = None,
    ) -> None:
        self._clock = clock
        self._counters = counters  # the wines' view counts
        self._feedback = feedback  # the served lists' log
        self.bounds = bounds or HistoryBounds()
        self._sizes: dict[str, int] = {}  # per user: interactions held, as far as this process knows

    @staticmethod
    def _interactions() -> AsyncCollection[dict[str, Any]]:
        return Interaction.get_pymongo_collection()

    async def apply(self, items: Sequence[Attributed]) -> dict[str, str]:
        """Store a batch; returns {event_id: error} for the events that could not be stored.

        Raises only when MongoDB itself fails (then nothing may be acknowledged).
        """
        if not items:
            return {}
        docs = [_document(item, self._clock()) for item in items]
        views = [i.event for i in items if i.event.type == "wine_viewed"]
        await self._count_views(views)  # before the insert: see the module docstring
        inserted, failed = await self._insert(docs)
        # Failed inserts will be retried: their ids stay on the wines' lists to guard their next count.
        await self._release_views([ev for ev in views if ev.event_id not in failed])
        await self._feed_back([i for i in items if i.event.event_id not in failed])
        await self._bound(Counter(i.user_id for i in items if i.user_id is not None and i.event.event_id in inserted))
        return failed

    async def _insert(self, docs: list[dict[str, Any]]) -> tuple[set[str], dict[str, str]]:
        ids = {d["_id"] for d in docs}
        try:
            await self._interactions().insert_many(docs, ordered=False)
        except BulkWriteError as exc:
            duplicates: set[str] = set()
            failed: dict[str, str] = {}
            for error in exc.details.get("writeErrors", []):
                event_id = docs[error["index"]]["_id"]
                if error.get("code") == _DUPLICATE_KEY:
                    duplicates.add(event_id)
                else:
                    failed[event_id] = str(error.get("errmsg", "write failed"))
            return ids - duplicates - failed.keys(), failed
        return ids, {}

    async def _count_views(self, events: list[Event]) -> None:
        """Step 1: +1 on each viewed wine's view_count per view not counted before (module docstring)."""
        if not events:
            return
        events = list({ev.event_id: ev for ev in events}.values())  # an id twice in a batch is one view
        stored = {
            doc["_id"]
            async for doc in self._interactions().find({"_id": {"$in": [ev.event_id for ev in events]}}, {"_id": 1})
        }
        await self._counters.count_views(_by_wine([ev for ev in events if ev.event_id not in stored]))

    async def _release_views(self, events: list[Event]) -> None:
        """Step 3: the views are stored, their ids leave the wines' lists."""
        await self._counters.views_counted(_by_wine(events))

    async def _feed_back(self, items: list[Attributed]) -> None:
        """Clicks, dismissals and carts on a served list go to its log (which checks whom it was served to)."""
        actions = [
            ListAction(
                rec_id=item.event.rec_id,
                kind=REC_ACTIONS[item.event.type],
                wine_id=item.event.wine_id,
                at=_aware(item.event.occurred_at),
                ref=item.event.event_id,
                user_id=item.user_id,
                anonymous_id=item.event.anonymous_id,
            )
            for item in items
            if item.event.rec_id and item.event.type in REC_ACTIONS
        ]
        if actions:
            await self._feedback(actions)

    async def _bound(self, added: Counter[str]) -> None:
        """Keep each user's history near `per_user`, counting in memory and trimming now and then."""
        if len(self._sizes) > _MAX_TRACKED_USERS:
            self._sizes.clear()
        for user_id, n in added.items():
            size = self._sizes.get(user_id)
            size = await self._interactions().count_documents({"user_id": user_id}) if size is None else size + n
            if size > self.bounds.per_user + self.bounds.slack:
                await self.trim_user(user_id)
                size = self.bounds.per_user
            self._sizes[user_id] = size

    async def trim_user(self, user_id: str) -> int:
        """Delete all but the user's `per_user` newest interactions; returns how many went."""
        cursor = (
            self._interactions()
            .find({"user_id": user_id}, {"occurred_at": 1})
            .sort([("occurred_at", -1), ("_id", -1)])
            .skip(self.bounds.per_user)
            .limit(1)
        )
        edge = await cursor.to_list(1)
        if not edge:
            return 0
        at, eid = edge[0]["occurred_at"], edge[0]["_id"]
        result = await self._interactions().delete_many(
            {"user_id": user_id, "$or": [{"occurred_at": {"$lt": at}}, {"occurred_at": at, "_id": {"$lte": eid}}]}
        )
        return int(result.deleted_count)

    async def sweep_anonymous(self) -> int:
        """Delete anonymous interactions past their retention (they are never linked after that)."""
        cutoff = self._clock() - self.bounds.anonymous_retention
        result = await self._interactions().delete_many({"user_id": None, "occurred_at": {"$lt": cutoff}})
        return int(result.deleted_count)

    async def link(self, user_id: str, anonymous_id: str) -> int:
        """Attribute the anonymous id's retained history to the user; returns interactions linked."""
        result = await self._interactions().update_many(
            {"anonymous_id": anonymous_id, "user_id": None}, {"$set": {"user_id": user_id}}
        )
        self._sizes.pop(user_id, None)
        if result.modified_count:
            await self.trim_user(user_id)
        return int(result.modified_count)

    def forget_user(self, user_id: str) -> None:
        """Drop what this process counted for the user (after their history was deleted)."""
        self._sizes.pop(user_id, None)

    async def recent(self, user_id: str, types: tuple[str, ...], limit: int, skip: int = 0) -> list[dict[str, Any]]:
        """The user's newest interactions of the given types, newest first (raw documents)."""
        cursor = (
            self._interactions()
            .find({"user_id": user_id, "type": {"$in": list(types)}})
            .sort([("occurred_at", -1), ("_id", -1)])
            .skip(skip)
            .limit(limit)
        )
        return await cursor.to_list(limit)

    async def since(
        self,
        owner: dict[str, Any],
        types: tuple[str, ...],
        recorded_after: datetime | None,
        limit: int,
    ) -> list[tuple[str, str]]:
        """(type, wine id) of the owner's newest interactions of `types` recorded after `recorded_after`,
        newest first: one read on the user_time or anon_time index, at most `limit` entries."""
        query: dict[str, Any] = {**owner, "type": {"$in": list(types)}, "wine_id": {"$ne": None}}
        if recorded_after is not None:
            query["recorded_at"] = {"$gt": recorded_after}
        cursor = (
            self._interactions()
            .find(query, {"type": 1, "wine_id": 1})
            .sort([("occurred_at", -1), ("_id", -1)])
            .limit(limit)
        )
        return [(doc["type"], doc["wine_id"]) async for doc in cursor]

    async def count(self, user_id: str, types: tuple[str, ...]) -> int:
        return int(await self._interactions().count_documents({"user_id": user_id, "type": {"$in": list(types)}}))
