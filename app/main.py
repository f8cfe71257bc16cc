"""create_app(settings): the one place where the service is wired together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig

from app import __version__
from app.accounts.controller import AdminUserController, AuthController, MeController, TasteQuizController
from app.apidocs.swagger import LocalSwaggerUI
from app.backends import BackendUnavailable, open_backends
from app.caching import conditional_get_middleware
from app.catalog.admin_controller import AdminWineController
from app.catalog.controller import WineController
from app.catalog.search_controller import AdminSearchController, SearchController
from app.clickstream.controller import (
    AnonymousIdController,
    AnonymousIdIssuer,
    ClickstreamAdminController,
    EventsController,
    HistoryController,
)
from app.clickstream.segment_controller import SegmentController
from app.commerce.admin_controller import AdminCommerceController
from app.commerce.controller import CartController, OrderController, WishlistController
from app.commerce.review_controller import MyReviewsController, ReviewController
from app.container import Services, build_services
from app.errors import EXCEPTION_HANDLERS
from app.health.controller import HealthController
from app.middleware import body_deadline, durable_answers_middleware, request_id_middleware, security_headers
from app.openapi import document_api, operation_id
from app.pricing.controller import AdminPricingController
from app.privacy.admin_audit import admin_audit_middleware
from app.privacy.controller import AdminAuditController, PrivacyController
from app.privacy.guards import DEFAULT_MAX_BODY, account_still_exists, body_within_limit, known_query_only
from app.recommendations.controller import (
    AdminRecommendationController,
    MyRecommendationsController,
    RecommendationController,
    WineForMeController,
)
from app.security import PUBLIC, authorize
from app.settings import Settings
from app.storefront.controller import StorefrontController, static_files_router
from documents.database import redacted_url

log = logging.getLogger("cuvee")


async def start_background(services: Services) -> None:
    """Background work: the demo catalog on first start, in-process MongoDB snapshots, the in-process
    clickstream worker (embedded mode), the recommender's scheduled retraining and the repair of
    checkouts that died half-way."""
    settings = services.settings
    if settings.seed_demo:
        from app.catalog.seeding import ensure_demo_catalog

        await ensure_demo_catalog(services.backends.search)
    services.backends.db.start_compaction(settings.snapshot_interval_s)
    if settings.worker_in_process:
        services.clickstream.start_worker()
    services.recommendations.trainer.start()
    services.commerce.checkouts.start_sweeper(every_s=min(60.0, settings.checkout_stale_s / 5))
    services.pricing.start()


async def stop_background(services: Services) -> None:
    """Stop what start_background started; the in-process worker finishes its batch in hand first."""
    await services.clickstream.stop_worker()
    await services.recommendations.trainer.stop()
    await services.commerce.checkouts.stop_sweeper()
    await services.pricing.stop()


SHUTDOWN_STEP_S = 30.0


async def _bounded(step: Awaitable[None], what: str) -> None:
    try:
        async with asyncio.timeout(SHUTDOWN_STEP_S):
            await step
    except TimeoutError:
        log.error("shutdown: %s did not finish within %g s; going on", what, SHUTDOWN_STEP_S)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            backends = await open_backends(settings)
        except BackendUnavailable as exc:
            log.error("cannot start: %s", exc)
            raise
        services = build_services(settings, backends)
        app.state.services = services
        log.info(
            "cuvee %s: mongodb=%s search=%s redis=%s",
            __version__,
            redacted_url(settings.mongodb_url),
            redacted_url(settings.effective_search_url),
            backends.redis_kind,
        )
        try:
            await start_background(services)
            yield
        finally:
            # Shutdown is bounded: a backend that stopped answering must not keep the process from exiting
            # (what was acknowledged is already durable; a stuck step is logged with its name).
            await _bounded(stop_background(services), "stopping background tasks")
            await _bounded(backends.close(), "closing the backends")

    app = Litestar(
        route_handlers=[
            HealthController,
            AuthController,
            WineController,
            AdminWineController,
            SearchController,
            AdminSearchController,
            MeController,
            TasteQuizController,
            AdminUserController,
            CartController,
            OrderController,
            WishlistController,
            ReviewController,
            MyReviewsController,
            AdminCommerceController,
            EventsController,
            AnonymousIdIssuer,
            AnonymousIdController,
            HistoryController,
            SegmentController,
            ClickstreamAdminController,
            MyRecommendationsController,
            WineForMeController,
            RecommendationController,
            AdminRecommendationController,
            AdminPricingController,
            PrivacyController,
            AdminAuditController,
            StorefrontController,
            static_files_router(),
        ],
        lifespan=[lifespan],
        guards=[body_within_limit, known_query_only, authorize, account_still_exists],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            request_id_middleware,
            body_deadline(settings.body_timeout_s),
            durable_answers_middleware,
            admin_audit_middleware,
            conditional_get_middleware,
        ],
        before_send=[security_headers],
        cors_config=CORSConfig(allow_origins=settings.cors_origins) if settings.cors_origins else None,
        openapi_config=OpenAPIConfig(
            title="Cuvée API",
            version=__version__,
            description="Wine shop backend: catalog, search, accounts, commerce, clickstream, recommendations.",
            path="/schema",
            render_plugins=[LocalSwaggerUI()],
            operation_id_creator=operation_id,
            openapi_router=Router(path="/schema", route_handlers=[], opt=PUBLIC, include_in_schema=False),
        ),
        request_max_body_size=DEFAULT_MAX_BODY,
        state=State({"settings": settings}),
        debug=False,
    )
    document_api(app)
    return app
