"""Dependency providers: controllers declare these to receive one service each, or the caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from litestar import Request
from litestar.datastructures import State

from app.container import Services
from app.errors import Unauthorized
from app.security import Principal

T = TypeVar("T")


def services(state: State) -> Services:
    # create_app puts the container on the app's state, which Litestar types as a bag of Any
    return cast(Services, state.services)


def service_provider(pick: Callable[[Services], T]) -> Callable[[State], T]:
    """A Litestar provider of the service `pick` takes from the app's container."""

    def provide(state: State) -> T:
        return pick(services(state))

    return provide


provide_catalog = service_provider(lambda s: s.catalog)
provide_search = service_provider(lambda s: s.search)
provide_accounts = service_provider(lambda s: s.accounts)
provide_profile = service_provider(lambda s: s.profile)
provide_commerce = service_provider(lambda s: s.commerce)
provide_clickstream = service_provider(lambda s: s.clickstream)
provide_segment = service_provider(lambda s: s.segment)
provide_recommendations = service_provider(lambda s: s.recommendations)
provide_privacy = service_provider(lambda s: s.privacy)


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The signed-in caller (routes with access "user" or "admin" always have one)."""
    principal = provide_optional_principal(request)
    if principal is None:
        raise Unauthorized()
    return principal


def provide_optional_principal(request: Request[Any, Any, Any]) -> Principal | None:
    """The caller on a public route: signed in or anonymous."""
    principal: Principal | None = request.scope.get("user")  # set by the app-wide guard, app.security.authorize
    return principal
