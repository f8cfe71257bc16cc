"""How price rules combine into the effective price: schedules, non-stacking discounts, markdowns, boundaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.pricing.rules import effective_price, selects
from documents.models import PriceRule, WineSelector
from tests.factories import make_wine

pytestmark = pytest.mark.usefixtures("db")
T0 = datetime(2026, 6, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def rule(kind: str = "promotion", *, start: datetime = T0, end: datetime | None = None, **kw: object) -> PriceRule:
    return PriceRule(name=f"{kind} {kw}", kind=kind, starts_at=start, ends_at=end, created_at=T0, **kw)  # type: ignore[arg-type]


def test_discounts_never_stack_the_lowest_price_wins_on_the_scheduled_price() -> None:
    wine = make_wine(price_cents=2000, list_price_cents=2000)
    rules = [rule("scheduled", price_cents=3000), rule(percent_off=10), rule(amount_off_cents=500)]
    eff = effective_price(wine, rules, T0 + DAY)
    assert (eff.price_cents, eff.list_price_cents) == (2500, 2000)  # 3000 - 5.00 beats 3000 - 10 %
    assert eff.rule is not None and eff.rule.id == rules[2].id


def test_the_price_holds_until_the_next_boundary_and_changes_there() -> None:
    wine = make_wine(price_cents=2000, list_price_cents=2000)
    promo = rule(percent_off=20, start=T0 + DAY, end=T0 + 3 * DAY)
    assert effective_price(wine, [promo], T0).until == T0 + DAY
    during = effective_price(wine, [promo], T0 + DAY)
    assert (during.price_cents, during.until) == (1600, T0 + 3 * DAY)
    after = effective_price(wine, [promo], T0 + 3 * DAY)
    assert (after.price_cents, after.rule, after.until) == (2000, None, None)


def test_a_slow_mover_markdown_starts_after_days_unsold_and_needs_bottles() -> None:
    markdown = rule("slow_mover", days_unsold=30, percent_off=25)
    wine = make_wine(price_cents=2000, list_price_cents=2000, stock=10, created_at=T0)
    assert effective_price(wine, [markdown], T0 + 29 * DAY).until == T0 + 30 * DAY
    assert effective_price(wine, [markdown], T0 + 30 * DAY).price_cents == 1500
    wine.last_sold_at = T0 + 20 * DAY
    assert effective_price(wine, [markdown], T0 + 30 * DAY).price_cents == 2000
    sold_out = make_wine(price_cents=2000, list_price_cents=2000, stock=0, created_at=T0)
    assert effective_price(sold_out, [markdown], T0 + 40 * DAY).price_cents == 2000


def test_selectors_match_every_list_given_and_any_value_within_one() -> None:
    wine = make_wine(region="Rioja", country="Spain", grapes=["Tempranillo", "Garnacha"], winery="Bodega X")
    assert selects(WineSelector(), wine)
    assert selects(WineSelector(regions=["rioja"], grapes=["Garnacha"]), wine)
    assert not selects(WineSelector(regions=["Rioja"], wineries=["Other"]), wine)
    assert not selects(WineSelector(wine_ids=["someone-else"]), wine)


def test_a_draft_without_a_price_gets_none_and_a_price_never_goes_below_zero() -> None:
    draft = make_wine(price_cents=None, missing=["price"])
    assert effective_price(draft, [rule(percent_off=10)], T0).price_cents is None
    cheap = make_wine(price_cents=300, list_price_cents=300)
    assert effective_price(cheap, [rule(amount_off_cents=500)], T0).price_cents == 0
