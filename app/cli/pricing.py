"""`cuvee price-rules …`: the operators' price rules from the command line (the same service as the API)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import click
from pydantic import ValidationError

from app.cli.common import open_services, run
from app.pricing.schemas import PriceRuleCreate, PriceRuleRead


def _echo_rule(rule: PriceRuleRead) -> None:
    click.echo(json.dumps(rule.model_dump(mode="json"), ensure_ascii=False))


@click.group("price-rules")
def price_rules() -> None:
    """Scheduled prices, promotions and slow-mover markdowns (see docs/pricing.md)."""


@price_rules.command("list")
@click.option("--all", "include_ended", is_flag=True, help="Also the rules that are over.")
def list_rules(include_ended: bool) -> None:
    """Print the rules running or to come, one JSON object a line."""

    async def main() -> None:
        async with open_services() as services:
            for rule in await services.pricing.list_rules(include_ended=include_ended):
                _echo_rule(PriceRuleRead.of(rule))

    run(main())


@price_rules.command("add")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(["scheduled", "promotion", "slow_mover"]))
@click.option("--price", type=Decimal, help="scheduled: the price while it runs (currency units)")
@click.option("--percent-off", type=float)
@click.option("--amount-off", type=Decimal, help="currency units")
@click.option("--days-unsold", type=int, help="slow_mover: days without a sale before the markdown")
@click.option("--starts-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]), help="ISO time with zone; default now")
@click.option("--ends-at", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z"]))
@click.option("--wine-id", "wine_ids", multiple=True)
@click.option("--style", "styles", multiple=True)
@click.option("--country", "countries", multiple=True)
@click.option("--region", "regions", multiple=True)
@click.option("--winery", "wineries", multiple=True)
@click.option("--grape", "grapes", multiple=True)
def add_rule(
    name: str,
    kind: str,
    price: Decimal | None,
    percent_off: float | None,
    amount_off: Decimal | None,
    days_unsold: int | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    **selector: tuple[str, ...],
) -> None:
    """Add a rule; the wines it selects are repriced (and in search) when this returns."""

    try:
        data = PriceRuleCreate.model_validate(
            {
                "name": name,
                "kind": kind,
                "price": price,
                "percent_off": percent_off,
                "amount_off": amount_off,
                "days_unsold": days_unsold,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "selector": {k: list(v) for k, v in selector.items() if v},
            }
        )
    except ValidationError as exc:
        raise click.BadParameter("; ".join(e["msg"] for e in exc.errors())) from None

    async def main() -> None:
        async with open_services() as services:
            rule = await services.pricing.create_rule(data.rule(services.pricing.now()), None)
            _echo_rule(PriceRuleRead.of(rule))

    run(main())


@price_rules.command("delete")
@click.argument("rule_id")
def delete_rule(rule_id: str) -> None:
    """Remove a rule now; its wines go back to what the other rules give."""

    async def main() -> None:
        async with open_services() as services:
            await services.pricing.delete_rule(rule_id, None)
            click.echo(f"price rule {rule_id} deleted")

    run(main())


@price_rules.command("tick")
def tick() -> None:
    """Reprice the wines whose rule started or ended (the API's scheduler does this by itself)."""

    async def main() -> None:
        async with open_services() as services:
            click.echo(f"{await services.pricing.tick()} wines repriced")

    run(main())
