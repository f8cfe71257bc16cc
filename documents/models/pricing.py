"""Price rules and the price history they leave."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import Field, field_validator
from pymongo import IndexModel

from documents.models.base import Embedded, StringId, Style, Timestamped, aware_utc
from documents.models.catalog import AppliedRule


class WineSelector(Embedded):
    """Which wines a price rule touches: a wine matches when it matches every list given (and any value
    within a list); an empty selector matches every wine."""

    wine_ids: list[str] = Field(default_factory=list, max_length=1000)
    styles: list[Style] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list, max_length=100)
    regions: list[str] = Field(default_factory=list, max_length=100)
    wineries: list[str] = Field(default_factory=list, max_length=100)
    grapes: list[str] = Field(default_factory=list, max_length=100)


class PriceRule(Timestamped):
    """A scheduled price, a promotion or a slow-mover markdown (app/pricing/rules.py says how they combine)."""

    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(pattern="^(scheduled|promotion|slow_mover)$")
    selector: WineSelector = Field(default_factory=WineSelector)
    price_cents: int | None = Field(default=None, ge=0)  # scheduled: the new list price
    percent_off: float | None = Field(default=None, gt=0, le=90)
    amount_off_cents: int | None = Field(default=None, gt=0)
    days_unsold: int | None = Field(default=None, ge=1, le=3650)  # slow_mover: no sale for this many days
    starts_at: datetime
    ends_at: datetime | None = None

    @field_validator("starts_at", "ends_at", mode="after")
    @classmethod
    def _utc_bounds(cls, value: datetime | None) -> datetime | None:
        return aware_utc(value)

    class Settings:
        name = "price_rules"
        indexes: ClassVar = [IndexModel([("ends_at", 1)], name="ends_at")]


class PriceChange(StringId):
    """One change of a wine's effective price and its cause: the price history."""

    wine_id: str
    at: datetime
    price_cents: int | None
    previous_cents: int | None
    list_price_cents: int | None
    rule: AppliedRule | None = None
    cause: str

    @field_validator("at", mode="after")
    @classmethod
    def _utc_at(cls, value: datetime) -> datetime:
        return aware_utc(value)

    class Settings:
        name = "price_history"
        indexes: ClassVar = [IndexModel([("wine_id", 1), ("at", -1)], name="wine_time")]
