"""Pricing API models: price rules in and out, effective prices and the price history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, model_validator

from app.catalog.schemas import Price
from app.schemas import Input, Money, StrictInt, StrictNumber, shop_currency, to_cents
from documents.models import PriceChange, PriceRule, Style, WineSelector

Names = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=100)]


class SelectorInput(Input):
    """Which wines the rule touches: every list given must match (any value within it); none given = all wines."""

    wine_ids: Annotated[list[Annotated[str, Field(min_length=1, max_length=100)]], Field(max_length=1000)] = []
    styles: list[Style] = []
    countries: Names = []
    regions: Names = []
    wineries: Names = []
    grapes: Names = []


class PriceRuleCreate(Input):
    """`scheduled` sets `price` from `starts_at` until `ends_at`; `promotion` takes `percent_off` or
    `amount_off` off; `slow_mover` does so for a selected wine that has sold nothing for `days_unsold` days
    and still has bottles. Discounts never stack: the one giving the lowest price applies, on the scheduled
    price when one runs. Times are ISO 8601 with a zone; `starts_at` defaults to now."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Literal["scheduled", "promotion", "slow_mover"]
    selector: SelectorInput = Field(default_factory=SelectorInput)
    price: Price | None = None
    percent_off: Annotated[StrictNumber, Field(gt=0, le=90)] | None = None
    amount_off: Annotated[Price, Field(gt=0)] | None = None  # at least a cent: 0 off is no rule
    days_unsold: Annotated[StrictInt, Field(ge=1, le=3650)] | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @model_validator(mode="after")
    def _zoned(self) -> PriceRuleCreate:
        for value in (self.starts_at, self.ends_at):
            if value is not None and value.tzinfo is None:
                raise ValueError("times need a zone (e.g. 2026-12-24T00:00:00Z)")
        return self

    def rule(self, now: datetime) -> PriceRule:
        return PriceRule(
            name=self.name,
            kind=self.kind,
            selector=WineSelector(**self.selector.model_dump()),
            price_cents=to_cents(self.price) if self.price is not None else None,
            percent_off=self.percent_off,
            amount_off_cents=to_cents(self.amount_off) if self.amount_off is not None else None,
            days_unsold=self.days_unsold,
            starts_at=self.starts_at or now,
            ends_at=self.ends_at,
        )


class PriceRuleRead(BaseModel):
    id: str
    name: str
    kind: str
    selector: dict[str, list[str]]
    price: Money | None
    percent_off: float | None
    amount_off: Money | None
    days_unsold: int | None
    starts_at: datetime
    ends_at: datetime | None
    stacking: str

    @classmethod
    def of(cls, rule: PriceRule) -> PriceRuleRead:
        from app.pricing.rules import STACKING

        return cls(
            id=rule.id,
            name=rule.name,
            kind=rule.kind,
            selector={k: [str(v) for v in vs] for k, vs in rule.selector.model_dump().items() if vs},
            price=Money.maybe(rule.price_cents, shop_currency()),
            percent_off=rule.percent_off,
            amount_off=Money.maybe(rule.amount_off_cents, shop_currency()),
            days_unsold=rule.days_unsold,
            starts_at=rule.starts_at,
            ends_at=rule.ends_at,
            stacking=STACKING,
        )


class PriceChangeRead(BaseModel):
    at: datetime
    price: Money | None
    previous: Money | None
    list_price: Money | None
    rule: str | None
    cause: str

    @classmethod
    def of(cls, change: PriceChange) -> PriceChangeRead:
        def m(cents: int | None) -> Money | None:
            return Money.maybe(cents, shop_currency())

        return cls(
            at=change.at,
            price=m(change.price_cents),
            previous=m(change.previous_cents),
            list_price=m(change.list_price_cents),
            rule=change.rule.name if change.rule else None,
            cause=change.cause,
        )
