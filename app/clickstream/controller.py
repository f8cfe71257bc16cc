"""HTTP for the clickstream: the beacon endpoint, linking an anonymous id, your history, the operators' stats."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, get, post
from litestar.di import Provide

from app.clickstream.events import MAX_BODY_BYTES, EventsReceipt
from app.clickstream.schemas import AnonymousIdInput, AnonymousIdRead, ClickstreamStats, HistoryEntryRead, LinkRead
from app.clickstream.service import ClickstreamService
from app.client_address import client_address
from app.deps import provide_clickstream, provide_optional_principal, provide_principal
from app.errors import UnsupportedMediaType, problems
from app.schemas import Page, PageNo, PerPage
from app.security import ADMIN, PUBLIC, USER, Principal

# sendBeacon posts a string as text/plain (no CORS preflight); fetch/XHR clients send application/json.
BEACON_MEDIA_TYPES = frozenset({"application/json", "text/plain"})


class EventsController(Controller):
    path = "/v1/events"
    tags = ["clickstream"]
    opt = PUBLIC
    # One dependency only: with two, Litestar resolves them in an anyio task group, which costs this hot
    # route a measurable share of its CPU; the caller is read with the same provider, called directly.
    dependencies = {"clickstream": Provide(provide_clickstream, sync_to_thread=False)}

    @post(
        "/",
        status_code=202,
        request_max_body_size=MAX_BODY_BYTES,
        responses=problems(
            "malformed_batch",
            "empty_batch",
            "batch_too_large",
            "too_many_events",
            "unsupported_media_type",
            "too_many_requests",
            "stream_unavailable",
        ),
    )
    async def post_events(self, request: Request[Any, Any, Any], clickstream: ClickstreamService) -> EventsReceipt:
        """Record a batch of storefront events (what `navigator.sendBeacon` sends).

        The body is a JSON array of up to 100 events, or `{"events": [...]}`, at most 64 KiB, sent as
        `application/json` or `text/plain`. Each event has `event_id` (a client UUID, used to drop
        duplicates for 24 h), `type`, `occurred_at` (RFC 3339 with offset), `anonymous_id` (required without
        a token) and, per type: `wine_viewed` wine_id; `search_performed` query (results_count);
        `recommendation_clicked` rec_id, wine_id, position; `recommendation_dismissed` rec_id, wine_id;
        `cart_item_added`/`cart_item_removed`/`wishlist_added`/`wishlist_removed` wine_id (rec_id);
        `page_viewed` (surface). The answer is 202 with one verdict per event, in order: `accepted`,
        `duplicate`, or `rejected` with a `reason`; one bad event never sinks the others. Events of a
        signed-in user without analytics consent are rejected with `no_consent` and not stored.
        """
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type not in BEACON_MEDIA_TYPES:
            raise UnsupportedMediaType(
                "send the batch as application/json or text/plain", code="unsupported_media_type"
            )
        client = client_address(request.scope)
        return await clickstream.ingest(await request.body(), provide_optional_principal(request), client)


class AnonymousIdIssuer(Controller):
    path = "/v1/anonymous-ids"
    tags = ["clickstream"]
    opt = PUBLIC
    dependencies = {"clickstream": Provide(provide_clickstream, sync_to_thread=False)}

    @post("/", status_code=201, operation_id="issueAnonymousId")
    async def issue(self, clickstream: ClickstreamService) -> AnonymousIdRead:
        """A new anonymous id for this browser, signed by the shop: keep it and send it as `anonymous_id` on
        beacon events. Only an id issued here can later be linked to an account (`POST /v1/me/anonymous-id`)."""
        return clickstream.issue_anonymous_id()


class AnonymousIdController(Controller):
    path = "/v1/me/anonymous-id"
    tags = ["clickstream"]
    opt = USER
    dependencies = {
        "clickstream": Provide(provide_clickstream, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }

    @post(
        "/",
        status_code=200,
        operation_id="linkAnonymousId",
        responses=problems("anonymous_id_not_issued", "anonymous_id_taken", "stream_unavailable"),
    )
    async def link(self, clickstream: ClickstreamService, principal: Principal, data: AnonymousIdInput) -> LinkRead:
        """Call right after sign-in with the browser's anonymous id: its recent history becomes the user's,
        and later anonymous beacons from it count for the user. The id must be one this shop issued
        (`POST /v1/anonymous-ids`, else 422). Needs analytics consent (else nothing is linked); an id linked to
        another account answers 409 — start a new anonymous id at sign-out."""
        return await clickstream.link_anonymous(principal.user_id, data.anonymous_id)


class HistoryController(Controller):
    path = "/v1/me/history"
    tags = ["clickstream"]
    opt = USER
    dependencies = {
        "clickstream": Provide(provide_clickstream, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }

    @get("/")
    async def list_history(
        self,
        clickstream: ClickstreamService,
        principal: Principal,
        kind: Literal["view", "search"] | None = None,
        page: PageNo = 1,
        per_page: PerPage = 20,
    ) -> Page[HistoryEntryRead]:
        """Your browsing history: each wine you viewed (`kind=view`, with its name) and each search you ran
        (`kind=search`, with its result count), newest first; without `kind`, both. Only what was recorded
        with your analytics consent, and only your newest 500 interactions; withdrawing consent or erasing
        your data deletes it."""
        entries, total = await clickstream.list_history(principal.user_id, kind, page=page, per_page=per_page)
        return Page(items=entries, page=page, per_page=per_page, total=total)


class ClickstreamAdminController(Controller):
    path = "/v1/admin/clickstream"
    tags = ["admin", "clickstream"]
    opt = ADMIN
    dependencies = {"clickstream": Provide(provide_clickstream, sync_to_thread=False)}

    @get("/stats", operation_id="getClickstreamStats", responses=problems("stream_unavailable"))
    async def stats(self, clickstream: ClickstreamService) -> ClickstreamStats:
        """The stream's backlog: length, pending (delivered, not acknowledged), lag (not yet delivered),
        dead letters, consumers; and this process's worker counters when it runs one."""
        return await clickstream.stats()
