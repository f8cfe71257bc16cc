"""PricingService: price rules, the effective price of every wine, its scheduler and its history.

The effective price is stored on the wine (`price_cents`, with `list_price_cents`, `price_rule` and
`price_until`), so the wine page, the cart, recommendations, checkout and the search index all read the
same number at the same moment. It is worked out only here: when a rule is added or removed, when a list
price or a sale changes what a rule gives, and at rule boundaries (`tick`, run by the scheduler with the
injected clock). Catalog, which owns the wines, stores it (app/catalog/prices.py), each write conditional
on the price it replaces; every change is recorded in `price_history` with its cause."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from beanie import SortDirection

from app.audit import AuditLog
from app.catalog.prices import StoredPrice, WinePrices
from app.errors import Invalid, NotFound
from app.events import Publisher, WinesChanged
from app.pricing.rules import Effective, effective_price, selector_query
from documents.models import PriceChange, PriceRule, Wine

log = logging.getLogger("cuvee.pricing")

Clock = Callable[[], datetime]
ASC, DESC = SortDirection.ASCENDING, SortDirection.DESCENDING
LOWEST_WINDOW = timedelta(days=90)
MAX_SLEEP_S = 30.0  # the scheduler looks again at least this often (rules added by another process)


def _ms(now: datetime) -> datetime:
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class PricingService:
    def __init__(self, clock: Clock, audit: AuditLog, prices: WinePrices, events: Publisher) -> None:
        self.clock = clock
        self._audit = audit
        self._prices = prices
        self._events = events  # WinesChanged: price changes reach search before this returns
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def now(self) -> datetime:
        return _ms(self.clock())

    # ------------------------------------------------------------ rules
    async def create_rule(self, rule: PriceRule, actor_id: str | None) -> PriceRule:
        """Add a rule and reprice the wines it selects; they show their new price when this returns."""
        _check(rule)
        rule.starts_at = _ms(rule.starts_at)
        rule.ends_at = _ms(rule.ends_at) if rule.ends_at else None
        now = _ms(self.clock())
        rule.created_at = rule.updated_at = now
        await rule.insert()
        await self._audit.record(actor_id, "price_rule.created", "price_rule", rule.id, name=rule.name, kind=rule.kind)
        await self.reprice_matching(selector_query(rule.selector), cause=f"rule «{rule.name}» added")
        self._wake.set()
        return rule

    async def list_rules(self, *, include_ended: bool = False) -> list[PriceRule]:
        query: dict[str, Any] = (
            {} if include_ended else {"$or": [{"ends_at": None}, {"ends_at": {"$gt": self.clock()}}]}
        )
        return await PriceRule.find(query).sort([("starts_at", ASC), ("_id", ASC)]).to_list()

    async def get_rule(self, rule_id: str) -> PriceRule:
        rule = await PriceRule.get(rule_id)
        if rule is None:
            raise NotFound("price rule", rule_id)
        return rule

    async def delete_rule(self, rule_id: str, actor_id: str | None) -> None:
        """Remove a rule now; the wines it priced go back to what the other rules give."""
        rule = await self.get_rule(rule_id)
        await rule.delete()
        await self._audit.record(actor_id, "price_rule.deleted", "price_rule", rule.id, name=rule.name)
        await self.reprice_matching(selector_query(rule.selector), cause=f"rule «{rule.name}» removed")

    # ------------------------------------------------------------ effective prices
    async def _rules(self, now: datetime) -> list[PriceRule]:
        return await PriceRule.find({"$or": [{"ends_at": None}, {"ends_at": {"$gt": now}}]}).to_list()

    async def reprice_matching(self, query: dict[str, Any], *, cause: str) -> int:
        ids = [d["_id"] async for d in Wine.get_pymongo_collection().find(query, {"_id": 1})]
        return await self.reprice(ids, cause=cause)

    async def reprice(self, wine_ids: Iterable[str], *, cause: str = "price rules") -> int:
        """Work out the effective price of these wines now and store what changed; returns how many changed."""
        ids = list(dict.fromkeys(wine_ids))
        if not ids:
            return 0
        now = _ms(self.clock())
        rules = await self._rules(now)
        changed: list[str] = []
        for start in range(0, len(ids), 500):
            wines = await Wine.find({"_id": {"$in": ids[start : start + 500]}}).to_list()
            for wine in wines:
                if await self._store(wine, rules, now, cause):
                    changed.append(wine.id)
        if changed:
            await self._events.publish(WinesChanged(changed))
        return len(changed)

    async def _store(self, wine: Wine, rules: list[PriceRule], now: datetime, cause: str) -> bool:
        """Write the wine's effective price if it changed, conditional on the values it replaces (a
        concurrent list-price change or sale makes it read and work out again)."""
        for _ in range(5):
            eff = effective_price(wine, rules, now)
            rule = eff.rule.model_dump() if eff.rule else None
            stored_rule = wine.price_rule.model_dump() if wine.price_rule else None
            current = (wine.price_cents, wine.list_price_cents, stored_rule, wine.price_until)
            if current == (eff.price_cents, eff.list_price_cents, rule, eff.until):
                return False
            stored = StoredPrice(eff.price_cents, eff.list_price_cents, rule, eff.until)
            if await self._prices.store(wine, stored, now):
                if eff.price_cents != wine.price_cents:
                    await PriceChange(
                        wine_id=wine.id,
                        at=now,
                        price_cents=eff.price_cents,
                        previous_cents=wine.price_cents,
                        list_price_cents=eff.list_price_cents,
                        rule=eff.rule,
                        cause=_cause(wine, eff, cause),
                    ).insert()
                return True
            fresh = await Wine.get(wine.id)
            if fresh is None:
                return False
            wine = fresh
        log.warning("wine %s kept changing while being repriced; the scheduler tries again", wine.id)
        return False

    async def effective(self, wine_id: str) -> Effective:
        """The effective price of one wine as the rules give it now (what the stored price should be)."""
        wine = await Wine.get(wine_id)
        if wine is None:
            raise NotFound("wine", wine_id)
        return effective_price(wine, await self._rules(self.clock()), self.clock())

    async def wines_sold(self, wine_ids: list[str]) -> None:
        """A sale ends a slow-mover markdown: work those wines out again."""
        sold = await Wine.find({"_id": {"$in": wine_ids}, "price_rule.kind": "slow_mover"}).to_list()
        await self.reprice([w.id for w in sold], cause="sold: no longer a slow mover")

    # ------------------------------------------------------------ history
    async def history(self, wine_id: str, *, since: datetime | None = None, limit: int = 200) -> list[PriceChange]:
        """Changes of a wine's effective price, newest first."""
        query: dict[str, Any] = {"wine_id": wine_id}
        if since is not None:
            query["at"] = {"$gte": since}
        return await PriceChange.find(query).sort([("at", DESC), ("_id", DESC)]).limit(limit).to_list()

    async def alerts(
        self, wine_id: str, current: int | None, since_added: int | None, added_at: datetime
    ) -> dict[str, Any]:
        """What a wishlist tells its owner about a wine's price: the drop since it was added, in percent, and
        whether today's price is the lowest of the last 90 days (after at least one higher price)."""
        if current is None:
            return {"price_drop_percent": None, "lowest_in_90_days": False, "alerts": []}
        window = await self.history(wine_id, since=self.clock() - LOWEST_WINDOW, limit=1000)
        earlier = [c.previous_cents for c in window if c.previous_cents is not None]
        lowest = bool(earlier) and all(current <= p for p in earlier) and any(current < p for p in earlier)
        drop = round(100 * (since_added - current) / since_added) if since_added and current < since_added else None
        alerts = [f"price dropped {drop}% since you added it"] if drop else []
        if lowest:
            alerts.append("lowest price in 90 days")
        return {"price_drop_percent": drop, "lowest_in_90_days": lowest, "alerts": alerts}

    async def history_since(self, wine_id: str, since: datetime) -> list[dict[str, Any]]:
        """A wine's price changes since a moment, JSON-ready (a customer's export: since they wishlisted it)."""
        changes = await self.history(wine_id, since=since, limit=1000)
        return [c.model_dump(mode="json", exclude={"id"}) for c in changes]

    # ------------------------------------------------------------ scheduler
    async def tick(self) -> int:
        """Reprice every wine whose price holds no longer (a rule started or ended); returns how many changed."""
        now = self.clock()
        # `$ne: None` is what MongoDB's type bracketing implies anyway; mongoeco matches null against `$lte` without it
        due = [
            d["_id"]
            async for d in Wine.get_pymongo_collection().find({"price_until": {"$ne": None, "$lte": now}}, {"_id": 1})
        ]
        return await self.reprice(due, cause="rule boundary")

    async def seconds_to_next_boundary(self) -> float:
        raw = await Wine.get_pymongo_collection().find_one(
            {"price_until": {"$ne": None}}, {"price_until": 1}, sort=[("price_until", 1)]
        )
        if raw is None:
            return MAX_SLEEP_S
        until: datetime = raw["price_until"]
        until = until if until.tzinfo else until.replace(tzinfo=self.clock().tzinfo)
        return min(MAX_SLEEP_S, max(0.05, (until - self.clock()).total_seconds()))

    def start(self) -> None:
        """Run `tick` at each rule boundary in this process (each API process may: the writes are conditional)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="price-scheduler")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
                wait = await self.seconds_to_next_boundary()
            except asyncio.CancelledError:
                raise
            except Exception:  # MongoDB away: look again soon
                log.exception("price scheduler could not reprice; retrying")
                wait = MAX_SLEEP_S
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)


def _check(rule: PriceRule) -> None:
    if rule.ends_at is not None and rule.ends_at <= rule.starts_at:
        raise Invalid("ends_at must be after starts_at", code="validation_failed")
    if rule.kind == "scheduled" and rule.price_cents is None:
        raise Invalid("a scheduled rule needs a price", code="validation_failed")
    if rule.kind != "scheduled" and (rule.percent_off is None) == (rule.amount_off_cents is None):
        raise Invalid("a discount needs exactly one of percent_off or amount_off", code="validation_failed")
    if rule.kind == "slow_mover" and rule.days_unsold is None:
        raise Invalid("a slow-mover markdown needs days_unsold", code="validation_failed")


def _cause(wine: Wine, eff: Effective, cause: str) -> str:
    old = wine.price_rule.id if wine.price_rule else None
    new = eff.rule.id if eff.rule else None
    if new != old and eff.rule is not None:
        return f"{eff.rule.kind.replace('_', ' ')} «{eff.rule.name}»"
    if new != old and wine.price_rule is not None:
        return f"{wine.price_rule.kind.replace('_', ' ')} «{wine.price_rule.name}» ended"
    return cause
