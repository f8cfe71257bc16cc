"""Dependency providers: controllers declare these to receive one service each."""

from __future__ import annotations

from litestar.datastructures import State

from app.accounts.service import AccountService
from app.catalog.service import CatalogService
from app.container import Services


def services(state: State) -> Services:
    return state.services  # type: ignore[no-any-return]


def provide_catalog(state: State) -> CatalogService:
    return services(state).catalog


def provide_accounts(state: State) -> AccountService:
    return services(state).accounts
