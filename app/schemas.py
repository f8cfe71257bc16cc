"""Shapes shared by every domain's API (docs/api.md): pages, money, the wine card, taste axes, the input base."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from litestar.params import Parameter
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

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


def _json_bool(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _json_amount(value: Any) -> Any:
    """An amount as a JSON number or a decimal string ("12.90"), never true/false or a list."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError('must be an amount: a number or a decimal string such as "12.90"')
    return value


# Input types as strict as JSON: Litestar validates request bodies in pydantic's lax mode, which would take "4"
# for 4 and true for 1. Every number, flag and amount of an input model is one of these
# (tests/unit/test_input_numbers.py).
StrictInt = Annotated[int, BeforeValidator(_json_integer)]
StrictNumber = Annotated[float, BeforeValidator(_json_number)]
StrictBool = Annotated[bool, BeforeValidator(_json_bool)]
StrictAmount = Annotated[Decimal, BeforeValidator(_json_amount)]


MAX_PER_PAGE = 100  # the one cap of every list
PageNo = Annotated[int, Parameter(ge=1, le=10_000, description="Page number, from 1")]
PerPage = Annotated[int, Parameter(ge=1, le=MAX_PER_PAGE, description=f"Items per page, 1 to {MAX_PER_PAGE}")]


class Page(BaseModel, Generic[T]):
    """The one list envelope: `items` of page `page` (from 1), `per_page` of them at most, `total` in all."""

    items: list[T]
    page: int
    per_page: int
    total: int


# ISO 4217 minor-unit digits of the currencies a shop here may price in (CUVEE_CURRENCIES picks among them).
MINOR_DIGITS = {
    "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "CZK": 2, "HUF": 2,
    "AUD": 2, "NZD": 2, "CAD": 2, "ZAR": 2, "BRL": 2, "ARS": 2, "MXN": 2, "CNY": 2, "HKD": 2, "SGD": 2,
    "JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0,
}  # fmt: skip


_shop_currencies = ["EUR"]


def shop_currency() -> str:
    """The shop's own currency (the first of CUVEE_CURRENCIES; set when the services are built): amounts stored
    without a currency (price preferences, facet ranges) are in it."""
    return _shop_currencies[0]


def accepted_currencies() -> list[str]:
    return list(_shop_currencies)


def set_shop_currencies(currencies: list[str]) -> None:
    _shop_currencies[:] = currencies


def _priced_here(code: str) -> str:
    if code not in _shop_currencies:
        raise ValueError(f"this shop prices in {', '.join(_shop_currencies)} (CUVEE_CURRENCIES), not {code}")
    return code


# An ISO 4217 code the shop is configured to price in.
Currency = Annotated[str, Field(pattern="^[A-Z]{3}$"), AfterValidator(_priced_here)]


def _digits(currency: str) -> int:
    return MINOR_DIGITS.get(currency, 2)


class Money(BaseModel):
    """An amount of money: `amount` in the currency's units as a decimal string with exactly its ISO 4217 digits
    ("12.90" EUR, "1500" JPY), `amount_minor` the same in integer minor units (cents), and the currency."""

    amount: Decimal = Field(description='Currency units, exact decimal ("12.90")')
    amount_minor: int = Field(description="Integer minor units (1290 for 12.90 EUR)")
    currency: str = Field(description="ISO 4217 code", examples=["EUR"])

    @classmethod
    def of(cls, minor: int, currency: str) -> Money:
        return cls(amount=money(minor, currency), amount_minor=minor, currency=currency)

    @classmethod
    def maybe(cls, minor: int | None, currency: str) -> Money | None:
        return None if minor is None else cls.of(minor, currency)


def money(minor: int, currency: str = "EUR") -> Decimal:
    """Integer minor units → the amount with the currency's digits (exact, never a float)."""
    digits = _digits(currency)
    return Decimal(minor).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def to_cents(amount: Decimal | float | int, currency: str = "EUR") -> int:
    """An amount in currency units → integer minor units."""
    return int((Decimal(str(amount)) * (10 ** _digits(currency))).quantize(Decimal("1")))


class Taste(BaseModel):
    """The five taste axes, each 0 (none) to 1 (most); the same model for wines, profiles and quiz results."""

    sweetness: float | None = Field(ge=0, le=1)
    acidity: float | None = Field(ge=0, le=1)
    tannin: float | None = Field(ge=0, le=1)
    body: float | None = Field(ge=0, le=1)
    fizz: float | None = Field(ge=0, le=1)


class WineRef(BaseModel):
    """A wine named where it was met (an order line, a review): its id and its name then."""

    id: str
    name: str | None = Field(description="Null when the wine has left the catalog (or is not looked up here).")
