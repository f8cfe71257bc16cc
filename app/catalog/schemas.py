"""Catalog API models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from app.schemas import money
from documents import Wine


class TasteRead(BaseModel):
    sweetness: float
    acidity: float
    tannin: float
    body: float
    fizz: float


class WineSummary(BaseModel):
    """What a card or a list row shows."""

    id: str
    name: str
    winery: str
    vintage: int | None
    style: str
    region: str
    country: str
    grapes: list[str]
    price: Decimal
    price_cents: int
    currency: str
    in_stock: bool
    rating_mean: float | None
    rating_count: int

    @classmethod
    def of(cls, wine: Wine) -> WineSummary:
        return cls(id=wine.id, name=wine.name, winery=wine.winery, vintage=wine.vintage, style=wine.style,
                   region=wine.region, country=wine.country, grapes=wine.grapes, price=money(wine.price_cents),
                   price_cents=wine.price_cents, currency=wine.currency, in_stock=wine.stock > 0 and wine.listed,
                   rating_mean=wine.rating.mean, rating_count=wine.rating.count)


class WineRead(WineSummary):
    """The full wine page."""

    taste: TasteRead
    tasting_notes: str
    food_pairings: list[str]
    abv: float | None
    dietary: list[str]
    stock: int
    listed: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, wine: Wine) -> WineRead:
        base = WineSummary.of(wine).model_dump()
        return cls(**base, taste=TasteRead(**wine.taste.model_dump()), tasting_notes=wine.tasting_notes,
                   food_pairings=wine.food_pairings, abv=wine.abv, dietary=[str(d) for d in wine.dietary],
                   stock=wine.stock, listed=wine.listed, created_at=wine.created_at, updated_at=wine.updated_at)
