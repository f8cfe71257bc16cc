"""The composition root's parts: every service built once from the settings and the open backends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.accounts.profile import ProfileService
from app.accounts.service import AccountService
from app.accounts.throttle import LoginThrottle
from app.audit import AuditLog
from app.backends import Backends
from app.catalog.prices import WinePrices
from app.catalog.search_service import SearchService
from app.catalog.service import CatalogService
from app.clickstream.segment import SegmentService
from app.clickstream.service import ClickstreamService
from app.commerce.service import CommerceService
from app.events import (
    ConsentChanged,
    EventBus,
    OnFailure,
    OrderPlaced,
    OrderStatusChanged,
    Reaction,
    Reactions,
    WinesChanged,
)
from app.pricing.service import PricingService
from app.privacy.service import PrivacyService
from app.ratelimit import RateLimiter
from app.recommendations import logs as recommendation_logs
from app.recommendations.refresh.trainer import Trainer
from app.recommendations.service import RecommendationService, VisitEvents
from app.schemas import set_shop_currencies
from app.security import Passwords, TokenCodec
from app.settings import Settings
from documents import utcnow

Clock = Callable[[], datetime]


@dataclass
class Services:
    settings: Settings
    backends: Backends
    clock: Clock
    tokens: TokenCodec
    passwords: Passwords
    limiter: RateLimiter
    catalog: CatalogService
    pricing: PricingService
    search: SearchService
    accounts: AccountService
    profile: ProfileService
    commerce: CommerceService
    clickstream: ClickstreamService
    recommendations: RecommendationService
    privacy: PrivacyService
    segment: SegmentService
    events: EventBus

    async def readiness_extras(self) -> dict[str, Any]:
        """Informational checks for /health/ready beyond the backends (the clickstream's lag)."""
        return {"clickstream": await self.clickstream.readiness()}


RAISE, LOG = OnFailure.RAISE, OnFailure.LOG


def reactions(s: Services) -> Reactions:
    """Who reacts to each domain event, in this order, and what a failure does: the one place that says what
    happens after a checkout, an order change, a stock/rating/price change and a consent request. The
    reactions run in the publishing request; docs/architecture.md shows this table (a test keeps it equal)."""
    return {
        OrderPlaced: [
            Reaction(s.pricing.wines_sold, LOG, args=("wine_ids",), retries=1, repair="the next repricing of the wine"),
            Reaction(
                s.recommendations.order_placed,
                LOG,
                args=("order",),
                retries=1,
                repair="the next training reads the order; the list's purchase action is lost",
            ),
        ],
        OrderStatusChanged: [
            Reaction(s.commerce.reviews.verify_purchases, RAISE, args=("order",)),
            Reaction(s.recommendations.order_changed, LOG, args=("order",), repair="the next training"),
        ],
        WinesChanged: [Reaction(s.catalog.wines_changed, LOG, args=("wine_ids",), repair="`cuvee reindex`")],
        ConsentChanged: [
            Reaction(s.clickstream.consent_changed, RAISE, args=("user_id",)),
            # raised so the caller asks again: a withdrawal asked again re-runs the clean-up
            Reaction(s.privacy.consent_changed, RAISE, args=("user_id", "requested")),
        ],
    }


def build_services(settings: Settings, backends: Backends, clock: Clock = utcnow) -> Services:
    events = EventBus()  # the services publish to it; `reactions` is declared once they all exist
    tokens = TokenCodec(settings.resolved_secret(), settings.token_ttl_s)
    passwords = Passwords()
    limiter = RateLimiter(backends.redis, settings.stream_prefix)
    audit = AuditLog(clock)
    pricing = PricingService(clock, audit, WinePrices(), events)
    catalog = CatalogService(backends.search, clock, audit, repricer=pricing)
    set_shop_currencies(settings.currencies)
    accounts = AccountService(
        tokens,
        passwords,
        limiter,
        LoginThrottle(
            backends.redis,
            settings.stream_prefix,
            clock,
            free_per_pair=settings.login_free_failures,
            free_per_address=settings.login_free_failures_per_address,
            cap_s=settings.login_backoff_cap_s,
        ),
        clock,
        events=events,
        registrations_per_hour=settings.registrations_per_hour,
    )
    commerce = CommerceService(
        catalog,
        accounts,
        clock,
        events,
        abandoned_cart_hours=settings.abandoned_cart_hours,
        checkout_stale_after=timedelta(seconds=settings.checkout_stale_s),
        price_alerts=pricing.alerts,
        price_history=pricing.history_since,
    )
    clickstream = ClickstreamService(
        backends.redis,
        settings.stream_prefix,
        accounts,
        catalog,
        clock,
        feedback=recommendation_logs.record_actions,
        maxlen=settings.events_maxlen,
        dedup_ttl_s=settings.event_dedup_ttl_s,
        events_per_minute=settings.events_per_minute,
        secret=settings.resolved_secret(),
        worker_redis=backends.worker_redis,
    )
    recommendations = build_recommendations(
        settings, backends, catalog, accounts, commerce, clock, visit_events=clickstream.visit
    )
    search = SearchService(backends.search, needs=accounts, boosts=recommendations)
    profile = ProfileService(
        accounts,
        purchase_history=commerce.purchase_history,
        wishlist=commerce.wishlist,
        recently_viewed=clickstream.recently_viewed,
        search_history=clickstream.search_history,
    )
    privacy = PrivacyService(
        settings.resolved_secret(),
        accounts,
        commerce,
        clickstream,
        recommendations,
        limiter,
        clock,
        persist=backends.db.compact,
        audit=audit,
    )
    segment = SegmentService(
        clickstream.ingest_events,
        {s: k.get_secret_value() for s, k in settings.segment_write_keys.items()},
        settings.segment_consent_categories,
        clock,
    )
    services = Services(
        settings=settings,
        backends=backends,
        clock=clock,
        tokens=tokens,
        passwords=passwords,
        limiter=limiter,
        catalog=catalog,
        pricing=pricing,
        search=search,
        accounts=accounts,
        profile=profile,
        commerce=commerce,
        clickstream=clickstream,
        recommendations=recommendations,
        privacy=privacy,
        segment=segment,
        events=events,
    )
    events.declare(reactions(services))
    return services


def build_recommendations(
    settings: Settings,
    backends: Backends,
    catalog: CatalogService,
    accounts: AccountService,
    commerce: CommerceService,
    clock: Clock,
    *,
    visit_events: VisitEvents,
) -> RecommendationService:
    """The recommender and its trainer (it reacts to orders and ranks search: see `reactions`)."""
    trainer = Trainer(
        commerce,
        accounts,
        clock,
        model_dir=settings.data_dir / "recommendations",
        interval_s=settings.retrain_interval_s,
        demo_ratings=settings.seed_demo,
    )
    return RecommendationService(
        catalog,
        accounts,
        commerce,
        backends.search,
        trainer,
        clock,
        live_purchases=not settings.embedded,
        visit_events=visit_events,
    )
