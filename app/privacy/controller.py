"""Privacy API: take all your data out, or erase your account and everything derived from it."""

from __future__ import annotations

from litestar import Controller, delete, get
from litestar.di import Provide

from app.deps import provide_principal, provide_privacy
from app.errors import problems
from app.privacy.schemas import ErasureInput, ErasureRead, UserExport
from app.privacy.service import PrivacyService
from app.security import USER, Principal


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
