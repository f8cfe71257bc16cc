"""Privacy API: take all your data out, or erase your account and everything derived from it; the audit trail
for admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, delete, get
from litestar.di import Provide
from litestar.params import Parameter

from app.client_address import client_address
from app.deps import provide_principal, provide_privacy
from app.errors import Invalid, problems
from app.privacy.schemas import AuditEntryRead, ErasureInput, ErasureRead, UserExport
from app.privacy.service import PrivacyService
from app.schemas import Page
from app.security import ADMIN, USER, Principal

PageNo = Annotated[int, Parameter(ge=1, le=10_000)]
PerPage = Annotated[int, Parameter(ge=1, le=100)]


class PrivacyController(Controller):
    """Acts on the signed-in caller only."""

    path = "/v1/me"
    tags = ["privacy"]
    opt = USER
    dependencies = {
        "privacy": Provide(provide_privacy, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }

    @get(
        "/export",
        operation_id="exportMyData",
        responses=problems("user_not_found", "too_many_requests", "redis_unavailable", "stream_unavailable"),
    )
    async def export(self, privacy: PrivacyService, principal: Principal) -> UserExport:
        """Everything the shop holds about you, from every store, as one JSON document: account, preferences,
        taste profile, consent history, orders, cart, wishlist, reviews, browsing and search history,
        recommendation logs, events still in the event stream, and what the search index holds (nothing).
        docs/privacy.md describes every field. At most 10 exports an hour."""
        return await privacy.export_user(principal.user_id)

    @delete(
        "/",
        status_code=200,
        operation_id="eraseMyAccount",
        responses=problems(
            "password_mismatch", "user_not_found", "too_many_requests", "redis_unavailable", "stream_unavailable"
        ),
    )
    async def erase(self, privacy: PrivacyService, principal: Principal, data: ErasureInput) -> ErasureRead:
        """Erase your account for good, confirmed with your password: profile, preferences, taste, consent,
        cart, wishlist, reviews (ratings corrected), history, recommendation logs and events are deleted;
        orders are kept for the accounts under a random pseudonym, without gift names or messages. A wrong
        password is 403 and erases nothing. The answer's `request_id` is your receipt."""
        return await privacy.erase_self(principal.user_id, data.password)


# An ISO 8601 time as text: a bare number is not a time here (a lax parser would read it as a Unix timestamp).
IsoTime = Annotated[
    str | None,
    Parameter(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$",
        description="ISO 8601 with an offset, e.g. 2025-03-01T00:00:00Z",
    ),
]


def _time(name: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(
            f"{name} is not a time: {value[:40]!r}",
            code="validation_failed",
            errors=[{"field": name, "source": "query", "message": "not a valid ISO 8601 time"}],
        ) from None


class AdminAuditController(Controller):
    path = "/v1/admin/audit"
    tags = ["admin", "privacy"]
    opt = ADMIN
    dependencies = {
        "privacy": Provide(provide_privacy, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }

    @get("/", responses=problems("time_zone_missing", "time_range_invalid"))
    async def list_audit(
        self,
        privacy: PrivacyService,
        principal: Principal,
        request: Request[Any, Any, Any],
        actor: Annotated[str | None, Parameter(max_length=100, description="Only entries by this user id.")] = None,
        action: Annotated[
            str | None, Parameter(max_length=100, description="Only this action, e.g. `wine.updated`.")
        ] = None,
        since: IsoTime = None,
        until: IsoTime = None,
        page: PageNo = 1,
        per_page: PerPage = 20,
    ) -> Page[AuditEntryRead]:
        """The audit trail, newest first: admin requests (and refused attempts), catalog and pricing changes,
        privacy erasures, reads of the trail. Filters combine; times need an offset (422 otherwise). Each read
        is itself recorded as `audit.read` with its filters."""
        entries, total = await privacy.audit.read(
            principal.user_id,
            actor_id=actor,
            action=action,
            since=_time("since", since),
            until=_time("until", until),
            page=page,
            per_page=per_page,
            client=client_address(request.scope),
        )
        return Page(items=[AuditEntryRead.of(e) for e in entries], page=page, per_page=per_page, total=total)
