"""What every Cuvée document shares: string ids, aware-UTC timestamps, the enums and the five taste axes."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, overload
from uuid import uuid4

from beanie import Document
from pydantic import BaseModel, ConfigDict, Field, field_validator


def new_id() -> str:
    """Document ids are opaque strings: JSON-friendly and the same on every MongoDB."""
    return uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def aware_utc(value: datetime) -> datetime: ...
@overload
def aware_utc(value: None) -> None: ...
def aware_utc(value: datetime | None) -> datetime | None:
    """MongoDB keeps milliseconds in UTC and may hand datetimes back naive; we always store aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class Style(StrEnum):
    red = "red"
    white = "white"
    rose = "rosé"
    sparkling = "sparkling"
    dessert = "dessert"
    fortified = "fortified"


class Dietary(StrEnum):
    sulfite_free = "sulfite-free"
    vegan = "vegan"
    organic = "organic"
    biodynamic = "biodynamic"
    low_alcohol = "low-alcohol"
    gluten_free = "gluten-free"


TASTE_AXES: tuple[str, ...] = ("sweetness", "acidity", "tannin", "body", "fizz")


class Embedded(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StringId(Document):
    """A document whose `_id` is a `new_id()` string rather than Beanie's default ObjectId."""

    # Beanie declares `id: PydanticObjectId | None` and documents narrowing it to another type in a subclass
    # (its "Defining a document" tutorial); mypy forbids narrowing an attribute to an unrelated type.
    id: str = Field(default_factory=new_id)  # type: ignore[assignment]  # Beanie's documented custom-id idiom


class Timestamped(StringId):
    """Aware-UTC timestamps on every document, normalised on load."""

    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @field_validator("created_at", "updated_at", mode="after")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return aware_utc(value)
