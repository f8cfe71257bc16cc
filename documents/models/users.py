"""The users collection: an account, its stated preferences, its taste profile and its consent ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import pymongo
from pydantic import Field, model_validator
from pymongo import IndexModel

from documents.models.base import Dietary, Embedded, Style, Timestamped, Unit, utcnow


class TasteAxis(Embedded):
    value: Unit
    source: str = Field(pattern="^(quiz|stated|learned)$")
    updated_at: datetime = Field(default_factory=utcnow)


class TasteProfile(Embedded):
    """A customer's taste: each axis optional, each with where it came from."""

    sweetness: TasteAxis | None = None
    acidity: TasteAxis | None = None
    tannin: TasteAxis | None = None
    body: TasteAxis | None = None
    fizz: TasteAxis | None = None
    learned_from: int = 0  # how many ratings/purchases the learned axes rest on


class PriceRange(Embedded):
    min_cents: int | None = Field(default=None, ge=0)
    max_cents: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> PriceRange:
        if self.min_cents is not None and self.max_cents is not None and self.min_cents > self.max_cents:
            raise ValueError("price_range.min must not exceed price_range.max")
        return self


class Dislikes(Embedded):
    styles: list[Style] = Field(default_factory=list)
    grapes: list[str] = Field(default_factory=list)
    wineries: list[str] = Field(default_factory=list)
    wine_ids: list[str] = Field(default_factory=list)  # "not for me" on a recommendation


class Preferences(Embedded):
    styles: list[Style] = Field(default_factory=list)
    regions: list[str] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    grapes: list[str] = Field(default_factory=list)
    wineries: list[str] = Field(default_factory=list)
    price_range: PriceRange = Field(default_factory=PriceRange)
    dietary: list[Dietary] = Field(default_factory=list)
    foods: list[str] = Field(default_factory=list)  # dishes the shopper likes, as they name them ("steak")
    dislikes: Dislikes = Field(default_factory=Dislikes)
    extra: dict[str, Any] = Field(default_factory=dict)  # bounded by the accounts service


class ConsentChange(Embedded):
    kind: str = Field(pattern="^(personalisation|analytics|marketing)$")
    granted: bool
    at: datetime = Field(default_factory=utcnow)


class ConsentState(Embedded):
    personalisation: bool = False
    analytics: bool = False
    marketing: bool = False
    ledger: list[ConsentChange] = Field(default_factory=list)


class User(Timestamped):
    email: str
    username: str | None = None
    password_hash: str
    roles: list[str] = Field(default_factory=lambda: ["customer"])
    preferences: Preferences = Field(default_factory=Preferences)
    taste_profile: TasteProfile = Field(default_factory=TasteProfile)
    consent: ConsentState = Field(default_factory=ConsentState)
    anonymous_ids: list[str] = Field(default_factory=list)  # beacon ids linked at sign-in

    class Settings:
        name = "users"
        indexes: ClassVar = [
            IndexModel([("email", pymongo.ASCENDING)], unique=True, name="email_unique"),
            IndexModel([("anonymous_ids", pymongo.ASCENDING)], name="anonymous_ids"),
        ]
