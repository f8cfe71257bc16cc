"""Accounts API models: sign-up and login, preferences, taste profile, quiz and consent (the profile is in
profile_schemas.py)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from app.accounts import MIN_PASSWORD
from app.accounts import vocabulary as vocab
from app.accounts.preferences import PreferenceError, check_extra
from app.accounts.quiz import QUESTIONS
from app.schemas import Input, Money, StrictAmount, StrictBool, StrictNumber, Taste, shop_currency, to_cents
from documents import ConsentState, Dietary, Preferences, Style, TasteProfile
from documents.models import TASTE_AXES

MAX_PRICE = Decimal("1000000")


# The service checks the address (after Unicode folding); `format` tells clients what it accepts.
Email = Annotated[str, Field(min_length=3, max_length=254, json_schema_extra={"format": "email"})]


# Inputs are stripped of surrounding whitespace before they are checked, passwords too: the patterns say so.
_PASSWORD = rf"^\s*\S[\s\S]{{{MIN_PASSWORD - 2},}}\S\s*$"
MAX_PASSWORD = 256


def _sent_within_bounds(value: Any) -> Any:
    """The length bound holds for the password as sent, spaces around it included (as the document says)."""
    if isinstance(value, str) and len(value) > MAX_PASSWORD:
        raise ValueError(f"at most {MAX_PASSWORD} characters")
    return value


Password = Annotated[str, BeforeValidator(_sent_within_bounds)]


class RegisterInput(Input):
    email: Email
    password: Password = Field(
        min_length=MIN_PASSWORD,
        max_length=MAX_PASSWORD,
        pattern=_PASSWORD,
        description=f"At least {MIN_PASSWORD} characters, not counting spaces around them.",
    )
    username: str | None = Field(default=None, min_length=1, max_length=60, pattern=r"\S")


class LoginInput(Input):
    email: str = Field(min_length=3, max_length=254)
    password: Password = Field(min_length=1, max_length=MAX_PASSWORD, pattern=r"\S")


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth2 token type, not a secret
    expires_in: int


class RegisteredRead(TokenRead):
    user_id: str


# Litestar validates bodies with strict=False, which overrides pydantic's per-field strictness: these
# validators keep "0.5", "yes" or 1 from passing as a number or a boolean.


# ---------------------------------------------------------------- preferences
def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")  # a ValueError, so pydantic reports it as a 422 entry
    return vocab.check_name(value)


def _deduped(values: list[Any]) -> list[Any]:
    return vocab.unique(values)


StyleName = Annotated[Style, BeforeValidator(lambda v: vocab.parse_style(_text(v)))]
DietaryName = Annotated[Dietary, BeforeValidator(lambda v: vocab.parse_dietary(_text(v)))]
Grape = Annotated[str, BeforeValidator(lambda v: vocab.canonical_grape(_text(v)))]
Region = Annotated[str, BeforeValidator(lambda v: vocab.canonical_region(_text(v)))]
Country = Annotated[str, BeforeValidator(lambda v: vocab.canonical_country(_text(v)))]
Winery = Annotated[str, BeforeValidator(lambda v: vocab.canonical_winery(_text(v)))]
Food = Annotated[str, BeforeValidator(lambda v: vocab.canonical_food(_text(v)))]
WineId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
StyleList = Annotated[list[StyleName], Field(max_length=6), AfterValidator(_deduped)]
DietaryList = Annotated[list[DietaryName], Field(max_length=10), AfterValidator(_deduped)]
GrapeList = Annotated[list[Grape], Field(max_length=30), AfterValidator(_deduped)]
RegionList = Annotated[list[Region], Field(max_length=30), AfterValidator(_deduped)]
CountryList = Annotated[list[Country], Field(max_length=30), AfterValidator(_deduped)]
WineryList = Annotated[list[Winery], Field(max_length=30), AfterValidator(_deduped)]
FoodList = Annotated[list[Food], Field(max_length=30), AfterValidator(_deduped)]


Price = Annotated[StrictAmount, Field(ge=0, le=MAX_PRICE, decimal_places=2)]


class PriceRangeInput(Input):
    """Amounts in currency units (e.g. 20 or "19.90"); a bound sent as null is removed."""

    min: Price | None = None
    max: Price | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PriceRangeInput:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        return self

    def to_patch(self) -> dict[str, int | None]:
        return {
            f"{name}_cents": None if getattr(self, name) is None else to_cents(getattr(self, name))
            for name in self.model_fields_set
        }


class DislikesInput(Input):
    styles: StyleList = Field(default_factory=list)
    grapes: GrapeList = Field(default_factory=list)
    wineries: WineryList = Field(default_factory=list)
    wine_ids: Annotated[list[WineId], Field(max_length=500)] = Field(default_factory=list)

    def to_patch(self) -> dict[str, Any]:
        return {name: list(getattr(self, name)) for name in self.model_fields_set}


class PreferencesUpdate(Input):
    """Only the fields sent change; lists are replaced whole (send [] to clear one)."""

    styles: StyleList = Field(default_factory=list)
    regions: RegionList = Field(default_factory=list)
    countries: CountryList = Field(default_factory=list)
    grapes: GrapeList = Field(default_factory=list)
    wineries: WineryList = Field(default_factory=list)
    price_range: PriceRangeInput | None = Field(default=None, description="null removes both bounds")
    dietary: DietaryList = Field(default_factory=list)
    foods: FoodList = Field(
        default_factory=list,
        description='Dishes you like ("steak", "sushi", "goat cheese"): the wine page says which suit a wine',
    )
    dislikes: DislikesInput = Field(default_factory=DislikesInput)
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description="Free-form preferences not modelled yet; merged by key (null removes a key). Bounded: "
        "20 keys per object, keys of 40 letters/digits/_/-, 3 levels, 50 items a list, 4 KiB.",
    )

    @field_validator("extra")
    @classmethod
    def _bounded(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            check_extra(value)
        except PreferenceError as exc:
            raise ValueError(f"{exc.field}: {exc}") from exc
        return value

    def to_patch(self) -> dict[str, Any]:
        """Storage field names → new values, for the fields sent only."""
        patch: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if name == "price_range":
                cleared = {"min_cents": None, "max_cents": None}
                patch[name] = value.to_patch() if value is not None else cleared
            elif name == "dislikes":
                patch[name] = value.to_patch()
            else:
                patch[name] = value
        return patch


class PriceRangeRead(BaseModel):
    min: Money | None
    max: Money | None


class DislikesRead(BaseModel):
    styles: list[str]
    grapes: list[str]
    wineries: list[str]
    wine_ids: list[str]


class PreferencesRead(BaseModel):
    styles: list[str]
    regions: list[str]
    countries: list[str]
    grapes: list[str]
    wineries: list[str]
    price_range: PriceRangeRead
    dietary: list[str]
    foods: list[str]
    dislikes: DislikesRead
    extra: dict[str, Any]

    @classmethod
    def of(cls, prefs: Preferences) -> PreferencesRead:
        low, high = prefs.price_range.min_cents, prefs.price_range.max_cents
        d = prefs.dislikes
        return cls(
            styles=[str(s) for s in prefs.styles],
            regions=prefs.regions,
            countries=prefs.countries,
            grapes=prefs.grapes,
            wineries=prefs.wineries,
            price_range=PriceRangeRead(min=Money.maybe(low, shop_currency()), max=Money.maybe(high, shop_currency())),
            dietary=[str(x) for x in prefs.dietary],
            foods=prefs.foods,
            dislikes=DislikesRead(
                styles=[str(s) for s in d.styles], grapes=d.grapes, wineries=d.wineries, wine_ids=d.wine_ids
            ),
            extra=prefs.extra,
        )


# ---------------------------------------------------------------- taste
Axis = Annotated[StrictNumber, Field(ge=0.0, le=1.0)]


class TasteProfileInput(Input):
    """Axes you state (0..1); axes not sent keep their value; null clears an axis."""

    model_config = ConfigDict(**Input.model_config, json_schema_extra={"minProperties": 1})

    sweetness: Axis | None = None
    acidity: Axis | None = None
    tannin: Axis | None = None
    body: Axis | None = None
    fizz: Axis | None = None

    @model_validator(mode="after")
    def _something(self) -> TasteProfileInput:
        if not self.model_fields_set:
            raise ValueError(f"send at least one of {', '.join(TASTE_AXES)}")
        return self

    def axes(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in TASTE_AXES if name in self.model_fields_set}


class TasteProfileRead(Taste):
    """Each axis 0..1 (null: not known yet), where it came from, and when it was set."""

    sources: dict[str, str]
    updated_at: dict[str, datetime]
    learned_from: int

    @classmethod
    def of(cls, taste: TasteProfile) -> TasteProfileRead:
        axes = {name: getattr(taste, name) for name in TASTE_AXES}
        return cls(
            **{name: a.value if a else None for name, a in axes.items()},
            sources={name: a.source for name, a in axes.items() if a},
            updated_at={name: a.updated_at for name, a in axes.items() if a},
            learned_from=taste.learned_from,
        )


class QuizOptionRead(BaseModel):
    id: str
    label: str


class QuizQuestionRead(BaseModel):
    id: str
    text: str
    options: list[QuizOptionRead]


class QuizRead(BaseModel):
    version: int
    questions: list[QuizQuestionRead]


# The quiz is fixed: the schema names its questions and the options of each.
_QUIZ_ANSWERS = {
    "properties": {q.id: {"type": "string", "enum": [o.id for o in q.options]} for q in QUESTIONS},
    "additionalProperties": False,
}


class QuizAnswersInput(Input):
    answers: Annotated[
        dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=40)]],
        Field(
            min_length=1,
            max_length=20,
            description="question id → option id; skip any",
            json_schema_extra=_QUIZ_ANSWERS,
        ),
    ]
    override_stated: StrictBool = Field(
        default=False, description="also replace axes you set yourself (by default they are kept)"
    )


class QuizResultRead(BaseModel):
    scored: dict[str, float]
    applied: list[str]
    kept_stated: list[str]
    taste_profile: TasteProfileRead


# ---------------------------------------------------------------- consent
class ConsentInput(Input):
    """The consents to change; the ones not sent stay as they are."""

    model_config = ConfigDict(**Input.model_config, json_schema_extra={"minProperties": 1})

    # None only marks "not sent" (refused when sent): the schema says true or false
    personalisation: StrictBool | SkipJsonSchema[None] = None
    analytics: StrictBool | SkipJsonSchema[None] = None
    marketing: StrictBool | SkipJsonSchema[None] = None

    @model_validator(mode="after")
    def _given(self) -> ConsentInput:
        if not self.model_fields_set:
            raise ValueError("send at least one of personalisation, analytics, marketing")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} must be true or false")
        return self

    def changes(self) -> dict[str, bool]:
        return {name: bool(getattr(self, name)) for name in sorted(self.model_fields_set)}


class ConsentChangeRead(BaseModel):
    kind: str
    granted: bool
    at: datetime


class ConsentRead(BaseModel):
    personalisation: bool
    analytics: bool
    marketing: bool
    history: list[ConsentChangeRead] = Field(description="every change, oldest first")

    @classmethod
    def of(cls, consent: ConsentState) -> ConsentRead:
        history = [ConsentChangeRead(kind=c.kind, granted=c.granted, at=c.at) for c in consent.ledger]
        return cls(
            personalisation=consent.personalisation,
            analytics=consent.analytics,
            marketing=consent.marketing,
            history=history,
        )
