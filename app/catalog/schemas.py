"""Catalog API models: wine pages, admin input, import reports and search results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from app.catalog.search_analytics import QueryStats
from app.schemas import (
    RATING_MEAN_RULE,
    Currency,
    Input,
    Money,
    Page,
    StrictAmount,
    StrictBool,
    StrictInt,
    StrictNumber,
    Taste,
    WineRef,
    shop_currency,
)
from documents import Dietary, Style, Wine
from search import SearchHit

Unit = Annotated[StrictNumber, Field(ge=0.0, le=1.0)]
Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Place = Annotated[str, StringConstraints(max_length=100)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=60)]
# Prices are given in currency units with at most two decimals ("12.90"), as the public API prints them.
Price = Annotated[StrictAmount, Field(ge=0, le=100_000, max_digits=8, decimal_places=2)]
Stock = Annotated[StrictInt, Field(ge=0, le=1_000_000)]


DEMO_FIELDS_RULE = (
    "Fields holding generated demo values (e.g. price, stock), not the shop's own: replace them before selling."
)


class WineCard(BaseModel):
    """A wine as every surface shows it (lists, search, recommendations, cart, wishlist): one model."""

    id: str
    name: str
    winery: str
    vintage: int | None
    style: str
    region: str
    country: str
    grapes: list[str]
    dietary: list[str]
    price: Money | None = Field(description="What a shopper pays now; null only on an unpriced draft.")
    in_stock: bool
    rating_mean: float | None = Field(description=RATING_MEAN_RULE)
    rating_count: int = Field(description="Reviews of the wine, verified or not.")
    demo_fields: list[str] = Field(description=DEMO_FIELDS_RULE)

    @classmethod
    def of(cls, wine: Wine) -> WineCard:
        return cls(
            id=wine.id,
            name=wine.name,
            winery=wine.winery,
            vintage=wine.vintage,
            style=wine.style,
            region=wine.region,
            country=wine.country,
            grapes=wine.grapes,
            dietary=[str(d) for d in wine.dietary],
            price=Money.maybe(wine.price_cents, wine.currency),
            in_stock=wine.stock > 0 and wine.listed,
            rating_mean=wine.rating.mean,
            rating_count=wine.rating.count,
            demo_fields=list(wine.demo_fields),
        )

    @classmethod
    def of_hit(cls, hit: SearchHit) -> WineCard:
        return cls(
            id=hit.id,
            name=hit.name,
            winery=hit.winery,
            vintage=hit.vintage,
            style=hit.style,
            region=hit.region,
            country=hit.country,
            grapes=hit.grapes,
            dietary=hit.dietary,
            price=Money.of(hit.price_cents, hit.currency),
            in_stock=hit.in_stock,
            rating_mean=hit.rating_mean,
            rating_count=hit.rating_count,
            demo_fields=hit.demo_fields,
        )


class WineRead(WineCard):
    """The full wine page: the card, its pricing, reviews split, taste and facts."""

    list_price: Money | None = Field(description="The shop's own price before any rule.")
    price_rule: str | None = Field(description="The promotion or schedule that sets `price` now, if any.")
    price_until: datetime | None = Field(description="When `price` may change next (a rule boundary).")
    rating_verified_count: int = Field(description="Reviews by customers who bought the wine here.")
    rating_unverified_count: int
    taste: Taste
    tasting_notes: str
    food_pairings: list[str]
    abv: float | None
    dietary_sources: dict[str, str] = Field(description="Who stated each dietary flag (an import, an operator).")
    stock: int | None = Field(description="Bottles on hand; null on a draft whose stock is not known yet.")
    listed: bool
    missing: list[str] = Field(description='What a draft lacks before it can be listed ("price", "stock").')
    source_id: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, wine: Wine) -> WineRead:
        return cls(
            **dict(WineCard.of(wine)),
            list_price=Money.maybe(wine.list_price_cents, wine.currency),
            price_rule=wine.price_rule.name if wine.price_rule else None,
            price_until=wine.price_until,
            rating_verified_count=wine.rating.verified,
            rating_unverified_count=wine.rating.unverified,
            taste=Taste(**wine.taste.model_dump()),
            tasting_notes=wine.tasting_notes,
            food_pairings=wine.food_pairings,
            abv=wine.abv,
            dietary_sources=dict(wine.dietary_sources),
            stock=None if "stock" in wine.missing else wine.stock,
            listed=wine.listed,
            missing=list(wine.missing),
            source_id=wine.source_id,
            created_at=wine.created_at,
            updated_at=wine.updated_at,
        )


# ---------------------------------------------------------------- admin input
def _unique(values: list[Any]) -> list[Any]:
    """Drop repeats, keeping the first spelling ("Merlot", "merlot" -> "Merlot")."""
    seen: set[str] = set()
    out = []
    for value in values:
        key = str(value).casefold()
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


class TasteInput(Input):
    """A wine's structure on the five axes, each from 0 (none) to 1 (most)."""

    sweetness: Unit
    acidity: Unit
    tannin: Unit
    body: Unit
    fizz: Unit


class TasteUpdate(Input):
    """Some axes of the structure; the others keep their values."""

    sweetness: Unit | None = None
    acidity: Unit | None = None
    tannin: Unit | None = None
    body: Unit | None = None
    fizz: Unit | None = None


class _WineFields(Input):
    @field_validator("grapes", "food_pairings", "dietary", check_fields=False)
    @classmethod
    def _dedupe(cls, value: list[Any] | None) -> list[Any] | None:
        return None if value is None else _unique(value)


class WineFacts(_WineFields):
    """Everything about a new wine but its price (see WineCreate and the import's JSON Lines rows)."""

    name: Text200
    winery: Text200
    vintage: Annotated[StrictInt, Field(ge=1800)] | None = None
    grapes: Annotated[list[Label], Field(max_length=20)] = Field(default_factory=list)
    region: Place = ""
    country: Place = ""
    style: Style
    taste: TasteInput
    tasting_notes: Annotated[str, StringConstraints(max_length=5000)] = ""
    food_pairings: Annotated[list[Label], Field(max_length=30)] = Field(default_factory=list)
    abv: Annotated[StrictNumber, Field(ge=0, le=80)] | None = None
    dietary: list[Dietary] = Field(default_factory=list)
    currency: Currency = Field(default_factory=shop_currency)
    stock: Stock = 0
    listed: StrictBool = True
    source_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None


class WineCreate(WineFacts):
    """A new wine. `price` is in currency units with at most two decimals ("12.90"); tasting notes are
    written from the wine's facts when left out."""

    price: Price


NULLABLE_FIELDS = frozenset({"vintage", "abv", "source_id"})


class WineUpdate(_WineFields):
    """Only the fields sent change. `stock` sets the count on hand; `stock_delta` adds to (or, negative,
    takes from) it without losing concurrent sales. `vintage`, `abv` and `source_id` may be null."""

    name: Text200 | None = None
    winery: Text200 | None = None
    vintage: Annotated[StrictInt, Field(ge=1800)] | None = None
    grapes: Annotated[list[Label], Field(max_length=20)] | None = None
    region: Place | None = None
    country: Place | None = None
    style: Style | None = None
    taste: TasteUpdate | None = None
    tasting_notes: Annotated[str, StringConstraints(max_length=5000)] | None = None
    food_pairings: Annotated[list[Label], Field(max_length=30)] | None = None
    abv: Annotated[StrictNumber, Field(ge=0, le=80)] | None = None
    dietary: list[Dietary] | None = None
    price: Price | None = None
    currency: Currency | None = None
    stock: Stock | None = None
    stock_delta: Annotated[StrictInt, Field(ge=-1_000_000, le=1_000_000)] | None = None
    listed: StrictBool | None = None
    source_id: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None

    @model_validator(mode="after")
    def _coherent(self) -> WineUpdate:
        for name in self.model_fields_set - NULLABLE_FIELDS:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if self.stock is not None and self.stock_delta is not None:
            raise ValueError("send stock or stock_delta, not both")
        return self


class Rejection(BaseModel):
    row: int = Field(description="Line of the file where the row starts (a CSV header is line 1).")
    reason: str


class RowDetailRead(BaseModel):
    row: int = Field(description="Line of the file where the row starts.")
    wine_id: str | None
    outcome: str = Field(
        description="inserted, draft (inserted unlisted: it lacks `missing`), updated, unchanged or rejected"
    )
    derived: list[str] = Field(description="Fields worked out from the row rather than read (see derived_meaning).")
    empty: list[str] = Field(description="Fields the row left empty: nothing was made up for them.")
    missing: list[str] = Field(description="What the wine still lacks before it can be sold.")
    errors: list[str] = Field(description="Every error of a rejected row, not only the first.")


class ImportReportRead(BaseModel):
    """What an import did: counts, the drafts it made, and row by row what was derived, left empty or wrong."""

    format: str
    rows: int
    inserted: int
    drafts: int = Field(description="Inserted wines that lack a price or a stock: unlisted until completed.")
    updated: int
    unchanged: int
    rejected_count: int
    rejected: list[Rejection]
    rejected_truncated: bool
    details: list[RowDetailRead]
    details_truncated: bool
    derived_counts: dict[str, int]
    empty_counts: dict[str, int]
    derived_meaning: dict[str, str]


class DraftRead(BaseModel):
    id: str
    name: str
    winery: str
    missing: list[str]
    source_id: str | None
    created_at: datetime


# ---------------------------------------------------------------- search
# Search responses are msgspec Structs, not pydantic models: they are built on the hottest path and
# Litestar encodes Structs directly. Measured on a 20-hit page: pydantic 0.53 ms to build plus its dump,
# Structs a few tens of microseconds.
class SearchHitRead(BaseModel):
    """One wine of a result page: its card, `score` (null when sorted by a field) and `highlights`, HTML-escaped
    fragments of `name` and `tasting_notes` with the matched words in <mark>."""

    wine: WineCard
    score: float | None
    highlights: dict[str, str]


class FacetCount(BaseModel):
    value: str
    count: int


class FacetsRead(BaseModel):
    """Value counts over the whole result (largest first) and its price range."""

    style: list[FacetCount]
    country: list[FacetCount]
    region: list[FacetCount]
    grape: list[FacetCount] = Field(description="Counted by vine: every spelling under its canonical name")
    price_min: Money | None
    price_max: Money | None


class SearchPage(Page[SearchHitRead]):
    """The list envelope with what search adds: facets, what was understood, and a respelling."""

    facets: FacetsRead
    did_you_mean: str | None = Field(description="A respelled query that finds more, when this one finds little.")
    understood: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "What was read from the words (style, country, region, grape, pairing, taste, price_min/max, "
            'dietary), e.g. "red under 30" → style red, price_max 30; "relaxed": readings let go because '
            'nothing fitted them all; "your_needs": the signed-in shopper\'s dietary needs applied; '
            '"your_favourites": the favourite styles, regions, countries, grapes and price range (with '
            'personalisation consent) that ranked this page first, e.g. "sparkling, Champagne, 10-30 EUR". '
            "Pass `ignore=<reading>` to drop one, `ignore=favourites` to rank without favourites, "
            "`include_all=true` to lift the needs."
        ),
    )


class SuggestionRead(BaseModel):
    text: str
    kind: str = Field(description="wine, winery, grape or region")
    wine: WineRef | None = Field(description="The wine, for a suggestion of kind wine")


class SuggestionsRead(BaseModel):
    """A short list, not paged: `items` only."""

    items: list[SuggestionRead]


# ---------------------------------------------------------------- search analytics (admin)
class QueryStatsRead(BaseModel):
    query: str = Field(description="The latest wording of the query (queries are grouped by their folded words)")
    searches: int
    shoppers: int = Field(description="Distinct shoppers (signed-in or anonymous) who ran it")
    empty_searches: int = Field(description="Searches that found nothing at the time")
    clicks: int = Field(description="Clicks on its results (search_result_clicked events)")
    click_through: float = Field(description="Clicks per search")
    last_searched_at: datetime | None
    found_now: int | None = Field(description="Wines the same query finds today (null: search unavailable)")
    understood: dict[str, str] = Field(
        description="What search reads from the words today, as in /v1/search; `relaxed` names what it let go"
    )

    @classmethod
    def of(cls, s: QueryStats) -> QueryStatsRead:
        return cls(
            query=s.query,
            searches=s.searches,
            shoppers=s.shoppers,
            empty_searches=s.empty,
            clicks=s.clicks,
            click_through=s.click_through,
            last_searched_at=s.last_at,
            found_now=s.found_now,
            understood=s.understood,
        )


class SearchReportRead(BaseModel):
    days: int
    searches: int
    distinct_queries: int
    empty_searches: int
    clicks: int
    click_through: float = Field(description="Result clicks per search")
    top_queries: list[QueryStatsRead] = Field(description="Most searched first")
    no_results: list[QueryStatsRead] = Field(description="Queries that found nothing, most often empty first")
    no_clicks: list[QueryStatsRead] = Field(description="Queries that found wines nobody clicked, most searched first")
