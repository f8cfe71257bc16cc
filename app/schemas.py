"""Shapes shared by every domain's API: pages, money, and the input-model base."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict

from documents import UNVERIFIED_WEIGHT

T = TypeVar("T")

# The rule behind every rating mean the API shows (documents.weighted_mean; docs/commerce.md "Ratings").
RATING_MEAN_RULE = (
    "Weighted mean of the wine's review ratings (1 to 5): a verified review, whose author has a paid, shipped or "
    f"delivered order with the wine here, weighs 1; an unverified one {UNVERIFIED_WEIGHT}. Null without reviews."
)


class Input(BaseModel):
    """Base of every request body: unknown fields are refused (no mass assignment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _json_number(value: Any) -> Any:
    """Refuse what lax coercion would turn into a number: "4" and true (Litestar validates in lax mode)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON number")
    return value


def _json_integer(value: Any) -> Any:
    """An integer as JSON Schema counts them: 3 and 3.0, not 3.5, "3" or true."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be a JSON integer")
    return value


StrictInt = Annotated[int, BeforeValidator(_json_integer)]
StrictNumber = Annotated[float, BeforeValidator(_json_number)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int


def money(cents: int) -> Decimal:
    """Integer minor units → a two-decimal amount for display (exact, never a float)."""
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def to_cents(amount: Decimal | float | int) -> int:
    return int((Decimal(str(amount)) * 100).quantize(Decimal("1")))
