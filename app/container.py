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
from app.catalog.search_service import SearchService
from app.catalog.service import CatalogService
from app.clickstream.segment import SegmentService
from app.clickstream.service import ClickstreamService
from app.commerce.service import CommerceService
from app.pricing.service import PricingService
from app.privacy.service import PrivacyService
from app.ratelimit import RateLimiter
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

    async def readiness_extras(self) -> dict[str, Any]:
        """Informational checks for /health/ready beyond the backends (the clickstream's lag)."""
        return {"clickstream": await self.clickstream.readiness()}


def build_services(settings: Settings, backends: Backends, clock: Clock = utcnow) -> Services:
    tokens = TokenCodec(settings.resolved_secret(), settings.token_ttl_s)
    passwords = Passwords()
    limiter = RateLimiter(backends.redis, settings.stream_prefix)
    audit = AuditLog(clock)
    catalog = CatalogService(backends.search, clock, audit)
    pricing = PricingService(clock, audit, sync_index=catalog.sync_to_index)
    catalog.reprice = pricing.reprice
    set_shop_currencies(settings.currencies)
    search = SearchService(backends.search)
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
        registrations_per_hour=settings.registrations_per_hour,
    )
    search.needs_for = accounts.dietary_needs
    commerce = CommerceService(
        catalog,
        accounts,
        clock,
        abandoned_cart_hours=settings.abandoned_cart_hours,
        checkout_stale_after=timedelta(seconds=settings.checkout_stale_s),
        on_wines_changed=catalog.sync_to_index,
        on_wines_sold=pricing.wines_sold,
        price_alerts=pricing.alerts,
        price_history=pricing.history_since,
    )
    clickstream = ClickstreamService(
        backends.redis,
        settings.stream_prefix,
        accounts,
        catalog,
        clock,
        maxlen=settings.events_maxlen,
        dedup_ttl_s=settings.event_dedup_ttl_s,
        events_per_minute=settings.events_per_minute,
        secret=settings.resolved_secret(),
        worker_redis=backends.worker_redis,
    )
    recommendations = build_recommendations(
        settings, backends, catalog, accounts, commerce, search, clock, visit_events=clickstream.visit
    )
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
    accounts.consent_listeners.append(privacy.consent_changed)
    segment = SegmentService(
        clickstream.ingest_events,
        {s: k.get_secret_value() for s, k in settings.segment_write_keys.items()},
        settings.segment_consent_categories,
        clock,
    )
    return Services(
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
    )


def build_recommendations(
    settings: Settings,
    backends: Backends,
    catalog: CatalogService,
    accounts: AccountService,
    commerce: CommerceService,
    search: SearchService,
    clock: Clock,
    *,
    visit_events: VisitEvents,
) -> RecommendationService:
    """The recommender, hooked into checkout (attribution), order changes and search (personal boosts)."""
    trainer = Trainer(
        commerce,
        accounts,
        clock,
        model_dir=settings.data_dir / "recommendations",
        interval_s=settings.retrain_interval_s,
        demo_ratings=settings.seed_demo,
    )
    recommendations = RecommendationService(
        catalog,
        accounts,
        commerce,
        backends.search,
        trainer,
        clock,
        live_purchases=not settings.embedded,
        visit_events=visit_events,
    )
    commerce.on_order_placed = recommendations.order_placed
    commerce.orders.status_listeners.append(recommendations.order_changed)
    search.boost_for = recommendations.boost_for
    return recommendations
