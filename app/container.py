"""The composition root's parts: every service built once from the settings and the open backends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.accounts.service import AccountService
from app.backends import Backends
from app.catalog.search_service import SearchService
from app.catalog.service import CatalogService
from app.ratelimit import RateLimiter
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
    search: SearchService
    accounts: AccountService


def build_services(settings: Settings, backends: Backends, clock: Clock = utcnow) -> Services:
    tokens = TokenCodec(settings.resolved_secret(), settings.token_ttl_s)
    passwords = Passwords()
    limiter = RateLimiter(backends.redis, settings.stream_prefix)
    catalog = CatalogService(backends.search, clock)
    search = SearchService(backends.search)
    accounts = AccountService(tokens, passwords, limiter, settings.login_attempts_per_minute, clock)
    return Services(
        settings=settings,
        backends=backends,
        clock=clock,
        tokens=tokens,
        passwords=passwords,
        limiter=limiter,
        catalog=catalog,
        search=search,
        accounts=accounts,
    )
