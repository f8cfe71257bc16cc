"""Privacy requests across every store: export everything held about a user, erase it, honour consent.

Each domain knows its own data and exposes `export_user` / `erase_user` (or `forget_user`); this service only
orchestrates them, records the request in `privacy_requests` under a keyed hash of the user id (never the id,
the email or anything else about the person) and writes the audit trail.

Erasure order matters: consent is withdrawn first (so the clickstream worker drops anything still in flight),
the account itself goes last (so a failed step can simply be retried, by the same user or the operator).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from beanie.odm.enums import SortDirection

from app.accounts.service import CONSENT_KINDS, AccountService
from app.audit import AuditLog
from app.clickstream.service import ClickstreamService
from app.commerce.service import CommerceService
from app.errors import AppError, Forbidden, NotFound
from app.privacy.schemas import (
    ErasureRead,
    EventStreamSection,
    RecommendationsSection,
    SearchIndexSection,
    UserExport,
)
from app.ratelimit import RateLimiter
from app.recommendations.service import RecommendationService
from documents import PrivacyRequest, User
from documents.models import new_id

log = logging.getLogger("cuvee.privacy")
ASC = SortDirection.ASCENDING

EXPORTS_PER_HOUR = 10  # each export scans the event stream: a bound on what one account can make us do
PASSWORD_TRIES = 5  # erasure re-confirmations per 5 minutes
SEARCH_INDEX_NOTE = (
    "The search index holds wines only (name, producer, grapes, region, notes, price, stock and "
    "the rating aggregate); reviews, accounts and behaviour are never indexed, so it holds "
    "nothing about you. Your ratings counted in the aggregate are removed on erasure."
)


class PrivacyService:
    def __init__(
        self,
        secret: str,
        accounts: AccountService,
        commerce: CommerceService,
        clickstream: ClickstreamService,
        recommendations: RecommendationService,
        limiter: RateLimiter,
        clock: Callable[[], datetime],
        persist: Callable[[], Awaitable[object]] | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        # A key of its own, derived from the app secret: subjects cannot be confused with token signatures.
        self._key = hmac.new(secret.encode(), b"cuvee:privacy-subject", hashlib.sha256).digest()
        self._accounts = accounts
        self._commerce = commerce
        self._clickstream = clickstream
        self._recommendations = recommendations
        self._limiter = limiter
        self._clock = clock
        self._persist = persist
        self.audit = audit or AuditLog(clock)
        self._erasing: set[str] = set()

    def subject(self, user_id: str) -> str:
        """The keyed hash a privacy request is filed under: proves a request about an id without keeping it."""
        return hmac.new(self._key, user_id.encode(), hashlib.sha256).hexdigest()

    # ------------------------------------------------------------ export
    async def export_user(self, user_id: str, *, limited: bool = True) -> UserExport:
        """Everything held about the user, from every store, as one document (recorded, counted per section)."""
        if limited:
            await self._limiter.hit(
                "privacy-export", user_id, limit=EXPORTS_PER_HOUR, window_s=3600, what="data exports"
            )
        account = await self._accounts.export_user(user_id)
        anonymous_ids = list(account.get("anonymous_ids") or [])
        commerce = await self._commerce.export_user(user_id)
        events = await self._clickstream.export_user(user_id, anonymous_ids)
        interactions = events["interactions"]
        export = UserExport(
            generated_at=self._clock(),
            user_id=user_id,
            account={
                k: account.get(k)
                for k in ("id", "email", "username", "roles", "created_at", "updated_at", "anonymous_ids")
            },
            preferences=account["preferences"],
            taste_profile=account["taste_profile"],
            consent=account["consent"],
            cart=commerce["cart"],
            orders=commerce["orders"],
            wishlist=commerce["wishlist"],
            reviews=commerce["reviews"],
            browsing_history=[i for i in interactions if i["type"] != "search_performed"],
            search_history=[i for i in interactions if i["type"] == "search_performed"],
            recommendations=RecommendationsSection(**await self._recommendations.export_user(user_id, anonymous_ids)),
            event_stream=EventStreamSection(stream=events["stream"], dead_letter=events["dead_letter"]),
            search_index=SearchIndexSection(documents=[], note=SEARCH_INDEX_NOTE),
            audit_log=await self.audit.about(user_id),
            privacy_requests=await self._requests_about(user_id),
        )
        await self._record("export", user_id, "completed", _section_sizes(export))
        return export

    async def export_by_email(self, email: str) -> UserExport:
        """For operators (`cuvee privacy export`): not rate limited."""
        return await self.export_user(await self._user_id_of(email), limited=False)

    # ------------------------------------------------------------ erasure
    async def erase_self(self, user_id: str, password: str) -> ErasureRead:
        """The user's own erasure, confirmed with their password (a stolen token alone cannot erase)."""
        await self._limiter.hit(
            "privacy-erase", user_id, limit=PASSWORD_TRIES, window_s=300, what="password confirmations"
        )
        user = await self._accounts.get_user(user_id)
        if not await self._accounts.verify_password(user, password):
            raise Forbidden("the password does not match; nothing was erased", code="password_mismatch")
        return await self.erase_user(user_id, actor="self")

    async def erase_by_email(self, email: str, actor: str = "operator") -> ErasureRead:
        """For operators (`cuvee privacy erase`), acting on a verified request."""
        return await self.erase_user(await self._user_id_of(email), actor=actor)

    async def erase_user(self, user_id: str, *, actor: str) -> ErasureRead:
        """Remove the user and everything derived from them; orders stay, anonymised, for the accounts."""
        user = await self._accounts.get_user(user_id)
        request = await self._record("erasure", user_id, "in_progress", {})
        self._erasing.add(user_id)
        try:
            removed = await self._erase(user, pseudonym=f"erased-{new_id()}")
        except Exception as exc:
            await self._finish(request, "failed", {"error": exc.code if isinstance(exc, AppError) else "internal"})
            raise
        finally:
            self._erasing.discard(user_id)
        await self._finish(request, "completed", removed)
        await self.audit.record(
            None, "privacy.erasure", "privacy_request", request.id, requested_by=actor, removed=removed
        )
        log.info("erasure %s completed: %s", request.id, removed)
        return ErasureRead(request_id=request.id, completed_at=request.completed_at or self._clock(), removed=removed)

    async def _erase(self, user: User, pseudonym: str) -> dict[str, int]:
        user_id, anonymous_ids = user.id, list(user.anonymous_ids)
        await self._accounts.set_consent(user_id, dict.fromkeys(CONSENT_KINDS, False))
        removed: dict[str, int] = {}
        removed.update(await self._commerce.erase_user(user_id, pseudonym))
        events = await self._clickstream.erase_user(user_id, anonymous_ids)
        removed.update(events.counts)
        removed.update(
            await self._recommendations.forget_user(user_id, anonymous_ids, events.event_ids, behaviour_only=False)
        )
        removed["audit_entries_pseudonymised"] = await self.audit.pseudonymise(user_id, pseudonym)
        removed["account"] = int(await self._accounts.erase_user(user_id))
        for bucket in ("privacy-export", "privacy-erase"):
            await self._limiter.reset(bucket, user_id)
        if self._persist is not None:
            await self._persist()  # the embedded engine's journal and snapshot on disk must not keep them either
        return removed

    # ------------------------------------------------------------ consent
    async def consent_changed(self, user_id: str, requested: dict[str, bool]) -> None:
        """Reaction to ConsentChanged: a withdrawn analytics consent (even asked again) deletes the behaviour
        already stored — interactions, stream entries, recommendation logs."""
        if requested.get("analytics") is False and user_id not in self._erasing:
            await self.forget_behaviour(user_id)

    async def forget_behaviour(self, user_id: str) -> dict[str, int]:
        user = await self._accounts.get_user(user_id)
        events = await self._clickstream.erase_user(user_id, list(user.anonymous_ids))
        logs = await self._recommendations.forget_user(
            user_id, list(user.anonymous_ids), events.event_ids, behaviour_only=True
        )
        return {**events.counts, **logs}

    # ------------------------------------------------------------ records
    async def _user_id_of(self, email: str) -> str:
        user = await self._accounts.find_user_by_email(email)
        if user is None:
            raise NotFound("account with this email")
        return user.id

    async def _record(self, kind: str, user_id: str, status: str, outcome: dict[str, Any]) -> PrivacyRequest:
        now = self._clock()
        request = PrivacyRequest(
            kind=kind,
            subject=self.subject(user_id),
            status=status,
            requested_at=now,
            completed_at=now if status == "completed" else None,
            outcome=outcome,
        )
        await request.insert()
        return request

    async def _finish(self, request: PrivacyRequest, status: str, outcome: dict[str, Any]) -> None:
        request.status, request.outcome, request.completed_at = status, outcome, self._clock()
        await PrivacyRequest.get_pymongo_collection().update_one(
            {"_id": request.id}, {"$set": {"status": status, "outcome": outcome, "completed_at": request.completed_at}}
        )

    async def _requests_about(self, user_id: str) -> list[dict[str, Any]]:
        found = await PrivacyRequest.find({"subject": self.subject(user_id)}).sort([("requested_at", ASC)]).to_list()
        return [r.model_dump(mode="json") for r in found]


def _section_sizes(export: UserExport) -> dict[str, int]:
    """How many items each section held: the outcome kept for the record (counts only, nothing personal)."""
    sizes = {name: len(value) for name, value in export if isinstance(value, list)}
    sizes["recommendation_logs"] = len(export.recommendations.logs)
    sizes["stream_entries"] = len(export.event_stream.stream) + len(export.event_stream.dead_letter)
    sizes["cart_items"] = len(export.cart.get("items", [])) if export.cart else 0
    return sizes
