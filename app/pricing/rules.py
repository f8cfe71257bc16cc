"""How price rules combine into a wine's effective price at a moment (pure: no I/O, the clock is an argument).

- A **scheduled** rule replaces the list price while it runs; when several run, the one that started last wins.
- **Promotions** (percent or amount off) and **slow-mover markdowns** (percent or amount off a wine that has
  sold nothing for `days_unsold` days and has bottles left) are discounts on that price. Discounts never stack:
  the one that gives the lowest price applies (ties: the earliest created). A price never goes below zero.
- The price holds until the next boundary of any rule that selects the wine (a start, an end, the day a
  markdown begins): the scheduler works it out again then.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from documents.models import AppliedRule, PriceRule, Wine, WineSelector

STACKING = (
    "discounts never stack: the single discount giving the lowest price applies, on the scheduled price if one runs"
)


@dataclass(frozen=True, slots=True)
class Effective:
    price_cents: int | None
    list_price_cents: int | None
    rule: AppliedRule | None
    until: datetime | None


def selects(selector: WineSelector, wine: Wine) -> bool:
    """Does the selector pick this wine? Text values compare case-insensitively."""

    def within(values: list[Any], *have: str) -> bool:
        wanted = {str(v).casefold() for v in values}
        return not wanted or any(h.casefold() in wanted for h in have)

    return (
        within(selector.wine_ids, wine.id)
        and within(selector.styles, str(wine.style))
        and within(selector.countries, wine.country)
        and within(selector.regions, wine.region)
        and within(selector.wineries, wine.winery)
        and within(selector.grapes, *wine.grapes)
    )


def selector_query(selector: WineSelector) -> dict[str, Any]:
    """The MongoDB filter for the wines a selector may pick (exact values; `selects` has the last word)."""
    query: dict[str, Any] = {}
    for key, name in (
        ("_id", "wine_ids"),
        ("style", "styles"),
        ("country", "countries"),
        ("region", "regions"),
        ("winery", "wineries"),
        ("grapes", "grapes"),
    ):
        values = [str(v) for v in getattr(selector, name)]
        if values:
            query[key] = {"$in": values}
    return query


def _applied(rule: PriceRule) -> AppliedRule:
    return AppliedRule(id=rule.id, name=rule.name, kind=rule.kind)


def _discounted(price: int, rule: PriceRule) -> int:
    if rule.percent_off is not None:
        price = round(price * (1 - rule.percent_off / 100))
    if rule.amount_off_cents is not None:
        price -= rule.amount_off_cents
    return max(0, price)


def _markdown_from(rule: PriceRule, wine: Wine) -> datetime:
    """When a slow-mover markdown starts for this wine: `days_unsold` after its last sale (or its listing)."""
    since = wine.last_sold_at or wine.created_at
    return max(rule.starts_at, since + timedelta(days=rule.days_unsold or 0))


def effective_price(wine: Wine, rules: Iterable[PriceRule], now: datetime) -> Effective:
    """The price a shopper pays for `wine` at `now`, the rule that set it and until when it holds."""
    base = wine.list_price_cents if wine.list_price_cents is not None else wine.price_cents
    mine = [r for r in rules if selects(r.selector, wine)]
    boundaries: list[datetime] = []
    running: list[PriceRule] = []
    for rule in mine:
        start = _markdown_from(rule, wine) if rule.kind == "slow_mover" else rule.starts_at
        if rule.ends_at is not None and rule.ends_at <= now:
            continue
        if start > now:
            boundaries.append(start)
            continue
        if rule.ends_at is not None:
            boundaries.append(rule.ends_at)
        if rule.kind == "slow_mover" and wine.stock <= 0:
            continue
        running.append(rule)
    until = min(boundaries, default=None)
    if base is None:  # a draft: no price to change
        return Effective(None, None, None, until)
    price, applied = base, None
    scheduled = [r for r in running if r.kind == "scheduled" and r.price_cents is not None]
    if scheduled:
        latest = max(scheduled, key=lambda r: (r.starts_at, r.created_at))
        price, applied = int(latest.price_cents or 0), _applied(latest)
    discounts = sorted(
        (r for r in running if r.kind != "scheduled"), key=lambda r: (_discounted(price, r), r.created_at)
    )
    if discounts and _discounted(price, discounts[0]) < price:
        price, applied = _discounted(price, discounts[0]), _applied(discounts[0])
    return Effective(price, base, applied, until)
