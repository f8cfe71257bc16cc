"""Price rules and price history for operators (administrators only)."""

from __future__ import annotations

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.di import Provide

from app.deps import provide_principal, services
from app.errors import problems
from app.pricing.schemas import PriceChangeRead, PriceRuleCreate, PriceRuleRead
from app.pricing.service import PricingService
from app.security import ADMIN, Principal


def provide_pricing(state: State) -> PricingService:
    return services(state).pricing


class AdminPricingController(Controller):
    path = "/v1/admin"
    tags = ["pricing admin"]
    opt = ADMIN
    dependencies = {
        "pricing": Provide(provide_pricing, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }

    @post("/price-rules")
    async def create_rule(self, pricing: PricingService, principal: Principal, data: PriceRuleCreate) -> PriceRuleRead:
        """Add a scheduled price, a promotion or a slow-mover markdown. The wines it selects show their
        effective price everywhere (page, search, cart, checkout) when this returns, and change again at
        its start and end by themselves."""
        return PriceRuleRead.of(await pricing.create_rule(data.rule(pricing.now()), principal.user_id))

    @get("/price-rules")
    async def list_rules(self, pricing: PricingService, include_ended: bool = False) -> list[PriceRuleRead]:
        """Rules running or still to come (with `include_ended`, also those that are over), by start."""
        return [PriceRuleRead.of(r) for r in await pricing.list_rules(include_ended=include_ended)]

    @get("/price-rules/{rule_id:str}", responses=problems("price_rule_not_found"))
    async def get_rule(self, pricing: PricingService, rule_id: str) -> PriceRuleRead:
        """One rule."""
        return PriceRuleRead.of(await pricing.get_rule(rule_id))

    @delete("/price-rules/{rule_id:str}", responses=problems("price_rule_not_found"))
    async def delete_rule(self, pricing: PricingService, principal: Principal, rule_id: str) -> None:
        """Remove a rule at once; its wines go back to what the other rules give."""
        await pricing.delete_rule(rule_id, principal.user_id)

    @get("/wines/{wine_id:str}/price-history")
    async def price_history(self, pricing: PricingService, wine_id: str) -> list[PriceChangeRead]:
        """Every change of the wine's effective price with its cause, newest first (the last 200)."""
        return [PriceChangeRead.of(c) for c in await pricing.history(wine_id)]
