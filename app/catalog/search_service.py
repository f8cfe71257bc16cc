"""Shop search: API parameters to an engine query, engine failures to problems, and the personalisation seam."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from app.catalog.query_intent import DEFAULT_BANDS, apply, read, relaxations
from app.catalog.search_analytics import SearchReport, search_report
from app.errors import Invalid, Unavailable
from app.schemas import money, shop_currency, to_cents
from search import (
    MAX_RESULT_WINDOW,
    Boost,
    InvalidQuery,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Sort,
    Suggestion,
)

if TYPE_CHECKING:
    from app.security import Principal

log = logging.getLogger("cuvee.search")

MAX_SUGGESTIONS = 8
MAX_PRICE = Decimal(1_000_000)
BAND_PERCENTS = (25, 50, 75)  # the quantiles "cheap", "affordable" and "premium" are read against
BANDS_FOLLOW_S = 300.0  # how long a reading of the catalog's price quantiles is kept

FAVOURITES = "favourites"  # ignore=favourites: the shopper's favourites do not order this search


@dataclass(slots=True)
class SearchParams:
    """A search as the API receives it: prices in currency units."""

    q: str = ""
    style: str | None = None
    country: str | None = None
    region: str | None = None
    grape: str | None = None
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    vintage_min: int | None = None
    vintage_max: int | None = None
    dietary: list[str] = field(default_factory=list)
    in_stock: bool | None = None
    sort: Sort = Sort.relevance
    page: int = 1
    per_page: int = 20
    regions: list[str] = field(default_factory=list)
    pairings: list[str] = field(default_factory=list)
    taste: dict[str, tuple[float, float]] = field(default_factory=dict)
    ignore: list[str] = field(default_factory=list)  # readings the shopper removed ("style", "favourites")
    include_all: bool = False  # true: the signed-in shopper's dietary needs do not apply to this search


def _invalid(name: str, message: str) -> Invalid:
    return Invalid(
        f"invalid value for {name}: {message}",
        code="validation_failed",
        errors=[{"field": name, "source": "query", "message": message}],
    )


def _check(p: SearchParams) -> None:
    """The cross-parameter rules, reported under the parameter to change."""
    if p.page * p.per_page > MAX_RESULT_WINDOW:
        raise _invalid(
            "page",
            f"only the first {MAX_RESULT_WINDOW} results are served (page * per_page); refine the search instead",
        )
    for name in ("price_min", "price_max"):
        value = getattr(p, name)
        if value is not None and not (value.is_finite() and 0 <= value <= MAX_PRICE):
            raise _invalid(name, f"must be an amount between 0 and {MAX_PRICE}")
    for name in ("price", "vintage"):
        low, high = getattr(p, f"{name}_min"), getattr(p, f"{name}_max")
        if low is not None and high is not None and low > high:
            raise _invalid(f"{name}_min", f"must not exceed {name}_max")


def to_query(p: SearchParams) -> SearchQuery:
    _check(p)
    try:
        return SearchQuery(
            q=p.q,
            style=p.style,
            country=p.country,
            region=p.region,
            grape=p.grape,
            price_min_cents=None if p.price_min is None else to_cents(p.price_min),
            price_max_cents=None if p.price_max is None else to_cents(p.price_max),
            vintage_min=p.vintage_min,
            vintage_max=p.vintage_max,
            dietary=list(p.dietary),
            in_stock=p.in_stock,
            sort=p.sort,
            page=p.page,
            per_page=p.per_page,
            regions=list(p.regions),
            pairings=list(p.pairings),
            taste=dict(p.taste),
        )
    except InvalidQuery as exc:  # rules the engine's port adds beyond _check
        raise _invalid(_parameter_named(str(exc)), str(exc)) from None


def _reading(key: str) -> str:
    """The reading an `understood` key belongs to (price_min and price_max are both "price")."""
    return "price" if key.startswith("price") else key


def _parameter_named(message: str) -> str:
    first = message.split(" ", 1)[0]
    return first if first in SearchParams.__dataclass_fields__ else "q"


def _engine_down(exc: SearchUnavailable) -> Unavailable:
    log.error("search engine unavailable: %s", exc)
    return Unavailable(
        "search is unavailable right now; please try again in a moment",
        code="search_unavailable",
    )


class Boosts(Protocol):
    """The recommendations domain: given the caller and the query about to run, the soft preferences to rank
    by (or None). It decides when a query is vague enough to personalise, and must be fast."""

    async def boost_for(self, principal: Principal, query: SearchQuery) -> Boost | None: ...


class DietaryNeeds(Protocol):
    """Accounts: the shopper's stated dietary needs (vegan, organic …), which search applies unless told not to."""

    async def dietary_needs(self, user_id: str) -> list[str]: ...


class SearchService:
    """Answers the search box straight from the engine: no database read on this path."""

    def __init__(
        self,
        index: SearchIndex,
        needs: DietaryNeeds,
        boosts: Boosts,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._index = index
        self._needs = needs
        self._boosts = boosts
        self._clock = clock
        self._bands: tuple[float, Mapping[float, Decimal]] | None = None  # (read at, bands)

    async def search(
        self, params: SearchParams, principal: Principal | None = None
    ) -> tuple[SearchResult, dict[str, str]]:
        """The result page, and what was read from the words ("red under 30" → style and price_max). When the
        strict reading finds nothing, readings are let go one at a time and `understood["relaxed"]` says which.
        The shopper's favourites that ordered the page are `understood["your_favourites"]`: they rank, never
        filter, so they can never empty a page."""
        _check(params)
        needs: list[str] = []
        if principal is not None and not params.include_all:
            needs = [d for d in await self._needs.dietary_needs(principal.user_id) if d not in params.dietary]
            params = replace(params, dietary=[*params.dietary, *needs])
        result, understood, favourites = await self._understood(params, principal)
        if favourites is not None:
            understood["your_favourites"] = self._describe(favourites)  # the storefront's removable chip
        if needs:
            understood["your_needs"] = ", ".join(needs)  # the storefront offers "include everything"
        return result, understood

    async def _understood(
        self, params: SearchParams, principal: Principal | None
    ) -> tuple[SearchResult, dict[str, str], Boost | None]:
        intent = read(params.q, await self.price_bands()) if params.q.strip() else None
        ignored = frozenset(params.ignore) - {FAVOURITES}  # the removed readings of the words
        understood = {
            k: v for k, v in (intent.understood() if intent is not None else {}).items() if _reading(k) not in ignored
        }
        if intent is None or not understood:
            plain = apply(params, intent, ignored) if intent is not None and ignored else params
            result, boost = await self._run(plain, principal)
            return result, {}, boost
        dropped: list[str] = []
        result, boost = await self._run(apply(params, intent, ignored), principal)
        explicit = any(
            getattr(params, n) is not None
            for n in (
                "style",
                "country",
                "region",
                "grape",
                "price_min",
                "price_max",
                "vintage_min",
                "vintage_max",
                "in_stock",
            )
        )
        for step in relaxations(intent):
            if result.total:
                break
            if step in ignored or (explicit and step == "text"):  # beside her own filters, her words stay
                continue
            dropped.append(step)
            result, boost = await self._run(apply(params, intent, ignored | frozenset(dropped)), principal)
        if dropped:
            understood["relaxed"] = ", ".join(dropped)
        return result, understood, boost

    async def price_bands(self) -> Mapping[float, Decimal]:
        """What "cheap" (up to the 25th percentile), "affordable" (the median) and "premium" (from the 75th)
        mean in this catalog, in whole currency units, read from the index at most every BANDS_FOLLOW_S."""
        now = self._clock()
        if self._bands is None or now - self._bands[0] >= BANDS_FOLLOW_S:
            try:
                cents = await self._index.price_quantiles(BAND_PERCENTS)
            except SearchUnavailable:
                cents = {}
            bands = {p / 100: Decimal(math.ceil(c / 100) if p < 75 else math.floor(c / 100)) for p, c in cents.items()}
            if len(bands) < len(BAND_PERCENTS):  # an empty shelf or a silent engine: ask again next time
                return DEFAULT_BANDS
            self._bands = (now, bands)
        return self._bands[1]

    async def _run(self, params: SearchParams, principal: Principal | None) -> tuple[SearchResult, Boost | None]:
        """The page, and the favourites that ordered it (none when sorted by a field or removed)."""
        query = to_query(params)
        if principal is not None and query.sort is Sort.relevance and FAVOURITES not in params.ignore:
            query.boost = await self._boost(principal, query)
        try:
            return await self._index.search(query), query.boost
        except SearchUnavailable as exc:
            raise _engine_down(exc) from exc
        except InvalidQuery as exc:
            raise _invalid(_parameter_named(str(exc)), str(exc)) from None

    async def _boost(self, principal: Principal, query: SearchQuery) -> Boost | None:
        try:
            boost = await self._boosts.boost_for(principal, query)
        except Exception:  # personalisation is a bonus: it must never break search
            log.exception("boost provider failed; searching without personalisation")
            return None
        boost = None if boost is None else boost.beside(query)  # reported only where it can reorder
        return None if boost is None or boost.is_empty() else boost

    def _describe(self, boost: Boost) -> str:
        """The favourites as the shopper reads them: "sparkling, Champagne, 10-30 EUR"."""
        words = [value for _, value, _ in boost.items()]
        if (price := boost.price_range()) is not None:
            low, high = (None if c is None else self._amount(c) for c in price[:2])
            words.append(f"{low}-{high}" if low and high else f"from {low}" if low else f"up to {high}")
            words[-1] += f" {shop_currency()}"
        return ", ".join(words)

    def _amount(self, cents: int) -> str:
        amount = money(cents, shop_currency())
        return str(amount.to_integral_value()) if amount == amount.to_integral_value() else str(amount)

    async def report(self, since: datetime, limit: int) -> SearchReport:
        """Search analytics since `since` (see search_analytics), each listed query read again by search now."""

        async def understand(q: str) -> tuple[int | None, dict[str, str]]:
            try:
                result, understood = await self.search(SearchParams(q=q[:200], per_page=1))
            except (Invalid, Unavailable):  # an engine outage must not hide the report
                return None, {}
            return result.total, understood

        return await search_report(since, limit, understand)

    async def suggest(self, prefix: str) -> list[Suggestion]:
        """Up to eight completions of what has been typed: wines, wineries, grapes and regions."""
        if not prefix.strip():
            return []
        try:
            return await self._index.suggest(prefix, MAX_SUGGESTIONS)
        except SearchUnavailable as exc:
            raise _engine_down(exc) from exc
