"""Dependency providers: controllers declare these to receive one service each."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State

from app.accounts.profile import ProfileService
from app.accounts.service import AccountService
from app.catalog.search_service import SearchService
from app.catalog.service import CatalogService
from app.clickstream.segment import SegmentService
from app.clickstream.service import ClickstreamService
from app.commerce.service import CommerceService
from app.container import Services
from app.errors import Unauthorized
from app.privacy.service import PrivacyService
from app.recommendations.service import RecommendationService
from app.security import Principal


def services(state: State) -> Services:
    return state.services  # type: ignore[no-any-return]


def provide_catalog(state: State) -> CatalogService:
    return services(state).catalog


def provide_search(state: State) -> SearchService:
    return services(state).search


def provide_accounts(state: State) -> AccountService:
    return services(state).accounts


def provide_profile(state: State) -> ProfileService:
    return services(state).profile


def provide_commerce(state: State) -> CommerceService:
    return services(state).commerce


def provide_clickstream(state: State) -> ClickstreamService:
    return services(state).clickstream


def provide_segment(state: State) -> SegmentService:
    return services(state).segment


def provide_recommendations(state: State) -> RecommendationService:
    return services(state).recommendations


def provide_privacy(state: State) -> PrivacyService:
    return services(state).privacy


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The signed-in caller (routes with access "user" or "admin" always have one)."""
    principal = request.scope.get("user")
    if principal is None:
        raise Unauthorized()
    return principal  # type: ignore[no-any-return]


def provide_optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """The caller on a public route: signed in or anonymous."""
    return request.scope.get("user")  # type: ignore[no-any-return]
