"""Clickstream rules: take a beacon batch, link anonymous history at sign-in, read history, report lag."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import msgspec
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.accounts.service import AccountService
from app.catalog.service import CatalogService
from app.clickstream.consent import AnonymousIds, ConsentGate
from app.clickstream.events import EventsReceipt, Rejection, Verdict, check_event, parse_batch
from app.clickstream.history import History, HistoryBounds, ListFeedback
from app.clickstream.privacy import ClickstreamPrivacy, Forgotten
from app.clickstream.schemas import (
    AnonymousIdRead,
    ClickstreamStats,
    ConsumerRead,
    HistoryEntryRead,
    HistoryKind,
    LinkRead,
    SearchEntry,
    ViewedWine,
)
from app.clickstream.stream import (
    ACCEPTED,
    DUPLICATE,
    REDIS_DEADLINE_S,
    Limits,
    StreamAppender,
    StreamKeys,
    unavailable,
)
from app.clickstream.worker import ClickstreamWorker, WorkerConfig
from app.errors import Conflict, Invalid
from app.schemas import WineRef
from app.security import Principal

MAX_ANONYMOUS_IDS = 20  # per user: the browsers (cookies) a user signed in from, newest kept
# What GET /v1/me/history calls each kind, and the interaction type behind it.
HISTORY_KINDS: dict[HistoryKind, str] = {"view": "wine_viewed", "search": "search_performed"}
_KIND_OF = {t: k for k, t in HISTORY_KINDS.items()}


class _Candidate(NamedTuple):
    """An event that passed the checks, on its way to the stream."""

    pos: int  # in the batch
    event_id: str
    payload: bytes
    anonymous_id: str | None


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class ClickstreamService:
    def __init__(
        self,
        redis: Redis,
        prefix: str,
        accounts: AccountService,
        catalog: CatalogService,
        clock: Callable[[], datetime],
        *,
        feedback: ListFeedback,
        maxlen: int,
        dedup_ttl_s: int,
        events_per_minute: int,
        secret: str,
        bounds: HistoryBounds | None = None,
        worker_redis: Redis | None = None,
    ) -> None:
        self._redis = redis
        self._worker_redis = worker_redis or redis  # its XREADGROUP blocks longer than a request may wait
        self._anonymous_ids = AnonymousIds(secret)
        self.keys = StreamKeys(prefix)
        self._accounts = accounts
        self._catalog = catalog
        self._clock = clock
        self._max_age = timedelta(seconds=dedup_ttl_s)
        self._appender = StreamAppender(redis, self.keys, Limits(maxlen, dedup_ttl_s, events_per_minute))
        self.gate = ConsentGate(accounts)
        self.history = History(clock, catalog.counters, feedback, bounds)
        self.privacy = ClickstreamPrivacy(redis, self.keys, self.gate)
        self._worker: ClickstreamWorker | None = None

    # ------------------------------------------------------------ the beacon
    async def ingest(self, body: bytes, principal: Principal | None, client_address: str) -> EventsReceipt:
        """Check each event of a raw batch, drop duplicates, append the rest; one verdict per event."""
        return await self.ingest_events(parse_batch(body), principal, client_address)

    async def ingest_events(
        self, raws: list[msgspec.Raw], principal: Principal | None, client_address: str
    ) -> EventsReceipt:
        """The one way into the stream, for the beacon and for events translated from other formats (Segment)."""
        verdicts, candidates = self._check_all(raws, anonymous=principal is None)
        user_id = principal.user_id if principal else None
        if user_id and candidates and not await self.gate.allows_analytics(user_id):
            for c in candidates:
                verdicts[c.pos] = Verdict(
                    c.pos,
                    "rejected",
                    c.event_id,
                    "no_consent",
                    "analytics consent is not given: the event was not stored",
                )
            candidates = []
        codes = await self._appender.append(
            [(c.event_id, c.payload, user_id) for c in candidates],
            self._rate_keys(client_address, user_id, candidates),
            len(verdicts),
        )
        for c, code in zip(candidates, codes, strict=True):
            verdicts[c.pos] = (
                Verdict(c.pos, "accepted", c.event_id)
                if code == ACCEPTED
                else Verdict(c.pos, "duplicate", c.event_id)
                if code == DUPLICATE
                else Verdict(c.pos, "rejected", c.event_id, "not_stored", "the stream refused it; retry")
            )
        return _receipt([v for v in verdicts if v is not None])

    def _check_all(self, raws: list[msgspec.Raw], *, anonymous: bool) -> tuple[list[Verdict | None], list[_Candidate]]:
        """Verdicts for the events refused on sight; the others become candidates for the stream."""
        now = self._clock()
        verdicts: list[Verdict | None] = [None] * len(raws)
        candidates: list[_Candidate] = []
        in_batch: set[str] = set()
        for i, raw in enumerate(raws):
            checked = check_event(raw, now, self._max_age)
            if isinstance(checked, Rejection):
                verdicts[i] = Verdict(i, "rejected", checked.event_id, checked.reason, checked.detail)
            elif anonymous and checked.anonymous_id is None:
                verdicts[i] = Verdict(
                    i,
                    "rejected",
                    checked.event_id,
                    "anonymous_id_required",
                    "events sent without a token must carry an anonymous_id",
                )
            elif checked.event_id in in_batch:
                verdicts[i] = Verdict(i, "duplicate", checked.event_id)
            else:
                in_batch.add(checked.event_id)
                candidates.append(_Candidate(i, checked.event_id, bytes(raw), checked.anonymous_id))
        return verdicts, candidates

    def _rate_keys(self, client_address: str, user_id: str | None, candidates: list[_Candidate]) -> list[str]:
        keys = [self.keys.rate("events-ip", client_address)]
        if user_id:
            keys.append(self.keys.rate("events-user", user_id))
        anonymous = dict.fromkeys(c.anonymous_id for c in candidates if c.anonymous_id)
        keys.extend(self.keys.rate("events-anon", anon) for anon in list(anonymous)[:3])
        return keys

    # ------------------------------------------------------------ identity and consent
    def issue_anonymous_id(self) -> AnonymousIdRead:
        """A new anonymous id for a browser (stateless: nothing is stored until it sends events)."""
        return AnonymousIdRead(anonymous_id=self._anonymous_ids.issue())

    async def link_anonymous(self, user_id: str, anonymous_id: str) -> LinkRead:
        """Make the browser's anonymous history (and its future anonymous beacons) the user's.

        Nothing is linked without analytics consent. Only an id this server issued can be linked (one
        cannot be chosen or forged to absorb someone's history), and an id already linked to another account
        is refused (409): the storefront must start a new anonymous id when a user signs out.
        """
        if not self._anonymous_ids.is_issued(anonymous_id):
            raise Invalid(
                "this anonymous id was not issued by this shop; get one from POST /v1/anonymous-ids",
                code="anonymous_id_not_issued",
                errors=[{"field": "anonymous_id", "source": "body", "message": "not issued here"}],
            )
        self.gate.forget(user_id=user_id, anonymous_id=anonymous_id)
        if not await self.gate.allows_analytics(user_id):
            return LinkRead(linked=False, interactions=0)
        owner = await self.gate.owner_of(anonymous_id)
        if owner is not None and owner != user_id:
            raise Conflict(
                "this anonymous id belongs to another account; start a new one at sign-out", code="anonymous_id_taken"
            )
        await self._accounts.link_anonymous_id(user_id, anonymous_id, keep=MAX_ANONYMOUS_IDS)
        self.gate.forget(anonymous_id=anonymous_id)
        return LinkRead(linked=True, interactions=await self.history.link(user_id, anonymous_id))

    def consent_changed(self, user_id: str) -> None:
        """Reaction to ConsentChanged: this process applies it at once (others within seconds)."""
        self.gate.forget(user_id=user_id)

    # ------------------------------------------------------------ privacy requests
    async def export_user(self, user_id: str, anonymous_ids: list[str]) -> dict[str, Any]:
        """{interactions, stream, dead_letter}: the user's events (by id and by linked anonymous id) in MongoDB
        and still in the Redis streams, JSON-ready. 503 when Redis does not answer."""
        return await self.privacy.export_user(user_id, anonymous_ids)

    async def erase_user(self, user_id: str, anonymous_ids: list[str]) -> Forgotten:
        """Delete every event of the user (interactions, both streams, dedup and rate-limit keys) and unlink
        the anonymous ids: later anonymous beacons from those browsers are nobody's. Safe to run again."""
        forgotten = await self.privacy.erase(user_id, anonymous_ids)
        self.history.forget_user(user_id)
        await self._accounts.unlink_anonymous_ids(user_id)
        return forgotten

    # ------------------------------------------------------------ the current visit
    async def visit(
        self,
        types: tuple[str, ...],
        recorded_after: datetime | None,
        limit: int,
        *,
        user_id: str | None = None,
        anonymous_id: str | None = None,
    ) -> list[tuple[str, str]]:
        """(type, wine id) of a shopper's newest interactions since `recorded_after`, newest first: the
        user's, or an anonymous visitor's own (never those of an account the id was linked to). An anonymous
        id this shop did not issue is refused (422): holding an issued id is what makes its history yours."""
        if user_id is not None:
            return await self.history.since({"user_id": user_id}, types, recorded_after, limit)
        if anonymous_id is None:
            return []
        if not self._anonymous_ids.is_issued(anonymous_id):
            raise Invalid(
                "this anonymous id was not issued by this shop; get one from POST /v1/anonymous-ids",
                code="anonymous_id_not_issued",
                errors=[{"field": "anonymous_id", "source": "query", "message": "not issued here"}],
            )
        return await self.history.since({"anonymous_id": anonymous_id, "user_id": None}, types, recorded_after, limit)

    # ------------------------------------------------------------ profile
    async def recently_viewed(self, user_id: str, limit: int = 20) -> list[ViewedWine]:
        """Distinct wines the user viewed, newest first, with their names (deleted wines are skipped)."""
        docs = await self.history.recent(user_id, ("wine_viewed",), limit * 5)
        latest: dict[str, datetime] = {}
        for doc in docs:
            latest.setdefault(doc["wine_id"], doc["occurred_at"])
        wines = await self._catalog.find_wines(list(latest))
        return [
            ViewedWine(wine_id=wid, name=wines[wid].name, viewed_at=at) for wid, at in latest.items() if wid in wines
        ][:limit]

    async def search_history(self, user_id: str, limit: int = 20) -> list[SearchEntry]:
        """The user's searches, newest first, each query once (its latest run)."""
        docs = await self.history.recent(user_id, ("search_performed",), limit * 5)
        seen: set[str] = set()
        out: list[SearchEntry] = []
        for doc in docs:
            key = doc["query"].strip().casefold()
            if key not in seen and len(out) < limit:
                seen.add(key)
                out.append(
                    SearchEntry(
                        query=doc["query"], results_count=doc.get("results_count"), searched_at=doc["occurred_at"]
                    )
                )
        return out

    async def list_history(
        self, user_id: str, kind: HistoryKind | None, *, page: int, per_page: int
    ) -> tuple[list[HistoryEntryRead], int]:
        """Every view and search the user made (or only one kind), newest first, as stored: at most the newest
        HistoryBounds.per_user interactions, and only those recorded with analytics consent."""
        types = (HISTORY_KINDS[kind],) if kind else tuple(HISTORY_KINDS.values())
        total = await self.history.count(user_id, types)
        docs = await self.history.recent(user_id, types, per_page, skip=(page - 1) * per_page)
        wines = await self._catalog.find_wines([d["wine_id"] for d in docs if d.get("wine_id")])
        return [
            HistoryEntryRead(
                kind=_KIND_OF[d["type"]],
                at=d["occurred_at"],
                wine=WineRef(id=d["wine_id"], name=w.name if (w := wines.get(d["wine_id"])) else None)
                if d.get("wine_id")
                else None,
                query=d.get("query"),
                results_count=d.get("results_count"),
            )
            for d in docs
        ], total

    # ------------------------------------------------------------ the worker and its lag
    def new_worker(self, config: WorkerConfig | None = None, consumer: str | None = None) -> ClickstreamWorker:
        return ClickstreamWorker(self._worker_redis, self.keys, self.history, self.gate, config, consumer)

    def start_worker(self, config: WorkerConfig | None = None) -> None:
        """Run a worker inside this process (the embedded mode)."""
        if self._worker is None:
            self._worker = self.new_worker(config)
            self._worker.start()

    async def stop_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            await worker.stop()

    async def stats(self) -> ClickstreamStats:
        """Stream length, pending and undelivered counts, dead letters and consumers (503 if Redis is down)."""
        try:
            async with asyncio.timeout(REDIS_DEADLINE_S):
                return await self._stats()
        except (RedisError, OSError, TimeoutError) as exc:
            raise unavailable(exc) from exc

    async def _stats(self) -> ClickstreamStats:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.keys.stream)
            pipe.xlen(self.keys.dead)
            pipe.xinfo_groups(self.keys.stream)
            pipe.xinfo_consumers(self.keys.stream, self.keys.group)
            length, dead, groups, consumers = await pipe.execute(raise_on_error=False)
        for reply in (length, dead):
            if isinstance(reply, Exception):
                raise reply
        group = (
            next((g for g in groups if _text(g["name"]) == self.keys.group), None) if isinstance(groups, list) else None
        )
        members = consumers if isinstance(consumers, list) else []
        return ClickstreamStats(
            stream=self.keys.stream,
            length=length,
            dead_letter=dead,
            pending=int(group["pending"]) if group else 0,
            lag=(int(group["lag"]) if group.get("lag") is not None else None) if group else length,
            consumers=[
                ConsumerRead(name=_text(c["name"]), pending=int(c["pending"]), idle_ms=int(c["idle"])) for c in members
            ],
            worker=dict(self._worker.counters) if self._worker else None,
        )

    async def readiness(self) -> dict[str, Any] | str:
        """Lag for /health/ready: informational, so only a Redis failure reads as down."""
        try:
            stats = await self.stats()
        except Exception as exc:
            return f"down: {exc.__class__.__name__}"
        return {
            "pending": stats.pending,
            "lag": stats.lag,
            "dead_letter": stats.dead_letter,
            "consumers": len(stats.consumers),
            "length": stats.length,
        }


def _receipt(verdicts: list[Verdict]) -> EventsReceipt:
    accepted = sum(v.status == "accepted" for v in verdicts)
    duplicates = sum(v.status == "duplicate" for v in verdicts)
    return EventsReceipt(
        accepted=accepted, duplicates=duplicates, rejected=len(verdicts) - accepted - duplicates, results=verdicts
    )
