"""Shapes shared by every domain's API: pages, money, and the input-model base."""

from __future__ import annotations

from decimal import Decimal
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Input(BaseModel):
    """Base of every request body: unknown fields are refused (no mass assignment)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
