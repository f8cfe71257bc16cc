"""The search port: the documents we index, the query and result shapes, and the SearchIndex protocol."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from documents import Wine

TASTE_AXES = ("sweetness", "acidity", "tannin", "body", "fizz")
MAX_PER_PAGE = 100  # the API's one list cap (app.schemas.MAX_PER_PAGE)
MAX_RESULT_WINDOW = 1000  # page * per_page: deep pages cost the engine more than any shopper reads
MAX_QUERY_CHARS = 200
FACET_SIZE = 20  # values per facet, most frequent first
DID_YOU_MEAN_BELOW = 5  # a query finding fewer wines than this gets a spelling suggestion when one helps
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SuggestionKind = Literal["wine", "winery", "grape", "region"]


class SearchError(Exception):
    """Base of the errors raised by a search engine."""


class SearchUnavailable(SearchError):
    """The engine cannot be reached or used (down, locked, corrupt); the app answers 503."""


class InvalidQuery(ValueError):
    """A query the engine refuses (too deep a page, inverted range …); the app answers 422."""


class Sort(StrEnum):
    relevance = "relevance"
    price_asc = "price_asc"
    price_desc = "price_desc"
    rating = "rating"
    newest = "newest"


@dataclass(slots=True)
class WineSearchDoc:
    """What the index knows about one wine: searchable text, filterable values and the hit summary."""

    id: str
    name: str
    winery: str
    style: str
    price_cents: int
    currency: str = "EUR"
    grapes: list[str] = field(default_factory=list)
    region: str = ""
    country: str = ""
    vintage: int | None = None
    tasting_notes: str = ""
    food_pairings: list[str] = field(default_factory=list)
    stock: int = 0
    dietary: list[str] = field(default_factory=list)
    rating_mean: float | None = None
    rating_count: int = 0
    taste: dict[str, float] = field(default_factory=dict)  # body, sweetness, acidity, tannin, fizz: 0..1
    listed: bool = True  # delisted wines stay in the index (counts match MongoDB) but never match
    created_at: datetime = EPOCH
    demo_fields: list[str] = field(default_factory=list)  # generated demo values (a card says so)

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (the stored source in both engines)."""
        return {
            "id": self.id,
            "name": self.name,
            "winery": self.winery,
            "style": self.style,
            "price_cents": self.price_cents,
            "currency": self.currency,
            "grapes": self.grapes,
            "region": self.region,
            "country": self.country,
            "vintage": self.vintage,
            "tasting_notes": self.tasting_notes,
            "food_pairings": self.food_pairings,
            "stock": self.stock,
            "dietary": self.dietary,
            "rating_mean": self.rating_mean,
            "rating_count": self.rating_count,
            "listed": self.listed,
            "created_at": self.created_at.isoformat(),
            "taste": self.taste,
            "demo_fields": self.demo_fields,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WineSearchDoc:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, "created_at": datetime.fromisoformat(str(data["created_at"]))})

    @classmethod
    def from_wine(cls, wine: Wine) -> WineSearchDoc:
        return cls(
            id=str(wine.id),
            name=wine.name,
            winery=wine.winery,
            style=str(wine.style),
            price_cents=wine.price_cents or 0,  # a draft has no price yet: it is unlisted and never matches
            currency=wine.currency,
            grapes=list(wine.grapes),
            region=wine.region,
            country=wine.country,
            vintage=wine.vintage,
            tasting_notes=wine.tasting_notes,
            food_pairings=list(wine.food_pairings),
            stock=wine.stock,
            dietary=[str(d) for d in wine.dietary],
            rating_mean=wine.rating.mean,
            rating_count=wine.rating.count,
            listed=wine.listed,
            created_at=wine.created_at,
            taste={axis: float(getattr(wine.taste, axis)) for axis in TASTE_AXES},
            demo_fields=list(wine.demo_fields),
        )


@dataclass(slots=True)
class Boost:
    """Soft preferences for personalised ranking: value -> weight added to the score of a matching wine."""

    styles: dict[str, float] = field(default_factory=dict)
    countries: dict[str, float] = field(default_factory=dict)
    regions: dict[str, float] = field(default_factory=dict)
    grapes: dict[str, float] = field(default_factory=dict)
    price_cents: tuple[int | None, int | None] | None = None  # a price range (either end open) ...
    price_weight: float = 0.0  # ... and the weight added to a wine priced within it

    def items(self) -> list[tuple[str, str, float]]:
        """(filter field, value, weight) for every positive weight."""
        out = []
        for name, values in (
            ("style", self.styles),
            ("country", self.countries),
            ("region", self.regions),
            ("grape", self.grapes),
        ):
            out += [(name, value, float(w)) for value, w in values.items() if w > 0 and value]
        return out

    def price_range(self) -> tuple[int | None, int | None, float] | None:
        """(lowest cents, highest cents, weight) when a price range is boosted."""
        if self.price_cents is None or self.price_weight <= 0 or self.price_cents == (None, None):
            return None
        return (*self.price_cents, float(self.price_weight))

    def is_empty(self) -> bool:
        return not self.items() and self.price_range() is None

    def beside(self, query: SearchQuery) -> Boost:
        """The part that can still reorder `query`'s results: what its filters fix is dropped."""
        priced = query.price_min_cents is not None or query.price_max_cents is not None
        return Boost(
            styles={} if query.style else dict(self.styles),
            countries={} if query.country else dict(self.countries),
            regions={} if query.region or query.regions else dict(self.regions),
            grapes={} if query.grape else dict(self.grapes),
            price_cents=None if priced else self.price_cents,
            price_weight=self.price_weight,
        )


@dataclass(slots=True)
class SearchQuery:
    """One search: free text (empty means browse), filters, sort and page. Validated on construction."""

    q: str = ""
    style: str | None = None
    country: str | None = None
    region: str | None = None
    grape: str | None = None
    price_min_cents: int | None = None
    price_max_cents: int | None = None
    vintage_min: int | None = None
    vintage_max: int | None = None
    dietary: list[str] = field(default_factory=list)
    in_stock: bool | None = None
    sort: Sort = Sort.relevance
    page: int = 1
    per_page: int = 20
    boost: Boost | None = None
    regions: list[str] = field(default_factory=list)  # any of these regions (read from words: "tuscan")
    pairings: list[str] = field(default_factory=list)  # any of these food pairings (X-Wines categories)
    taste: dict[str, tuple[float, float]] = field(default_factory=dict)  # axis -> (low, high), 0..1

    def __post_init__(self) -> None:
        self.q = (self.q or "").strip()
        if len(self.q) > MAX_QUERY_CHARS:
            raise InvalidQuery(f"q is longer than {MAX_QUERY_CHARS} characters")
        try:
            self.sort = Sort(self.sort)
        except ValueError:
            raise InvalidQuery(f"sort must be one of {', '.join(s.value for s in Sort)}") from None
        if self.page < 1 or not 1 <= self.per_page <= MAX_PER_PAGE:
            raise InvalidQuery(f"page must be >= 1 and per_page between 1 and {MAX_PER_PAGE}")
        if self.page * self.per_page > MAX_RESULT_WINDOW:
            raise InvalidQuery(f"results beyond the first {MAX_RESULT_WINDOW} are not served: refine the search")
        _ordered("price", self.price_min_cents, self.price_max_cents)
        _ordered("vintage", self.vintage_min, self.vintage_max)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def _ordered(name: str, low: int | None, high: int | None) -> None:
    if (low is not None and low < 0) or (high is not None and high < 0):
        raise InvalidQuery(f"{name} bounds must not be negative")
    if low is not None and high is not None and low > high:
        raise InvalidQuery(f"{name}_min must not exceed {name}_max")


@dataclass(slots=True)
class SearchHit:
    """One wine in a result page: its summary, score and highlighted fragments (`<mark>`, HTML-escaped)."""

    id: str
    score: float | None  # None when sorted by a field rather than relevance
    name: str
    winery: str
    style: str
    price_cents: int
    currency: str
    grapes: list[str]
    region: str
    country: str
    vintage: int | None
    stock: int
    in_stock: bool
    dietary: list[str]
    rating_mean: float | None
    rating_count: int
    highlights: dict[str, str] = field(default_factory=dict)  # "name", "tasting_notes" when they matched
    demo_fields: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Facets:
    """Value counts over the whole result set (largest first) and its price range."""

    style: dict[str, int] = field(default_factory=dict)
    country: dict[str, int] = field(default_factory=dict)
    region: dict[str, int] = field(default_factory=dict)
    grape: dict[str, int] = field(default_factory=dict)
    price_min_cents: int | None = None
    price_max_cents: int | None = None


@dataclass(slots=True)
class SearchResult:
    total: int
    page: int
    per_page: int
    hits: list[SearchHit]
    facets: Facets
    did_you_mean: str | None = None


@dataclass(frozen=True, slots=True)
class Suggestion:
    text: str
    kind: SuggestionKind
    wine_id: str | None = None


Progress = Callable[[int], None]
DocSource = AsyncIterable[WineSearchDoc] | Iterable[WineSearchDoc]


class SearchIndex(Protocol):
    """The search port. Both engines behave the same (tests/contract/test_search_contract.py)."""

    async def search(self, query: SearchQuery) -> SearchResult: ...

    async def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]: ...

    async def upsert(self, docs: Iterable[WineSearchDoc]) -> None:
        """Add or replace wines; searchable when this returns."""

    async def delete(self, ids: Iterable[str]) -> None:
        """Remove wines by id (unknown ids are ignored); gone from search when this returns."""

    async def rebuild(self, docs: DocSource, total: int | None = None, progress: Progress | None = None) -> int:
        """Build a fresh index from `docs` and swap it in; search keeps answering from the old one meanwhile."""
        ...

    async def count(self) -> int: ...

    async def price_quantiles(self, percents: Sequence[int]) -> dict[int, int]:
        """The listed wines' price in cents at each percentile ("cheap" is the catalog's own lower quarter);
        {} when nothing is listed."""
        ...

    async def ping(self) -> None:
        """Raise SearchUnavailable with a clear message when the engine cannot be used."""

    async def close(self) -> None: ...


async def chunks(docs: DocSource, size: int) -> AsyncIterator[list[WineSearchDoc]]:
    """Batches of `size` docs from a sync or async source (a rebuild reads MongoDB with an async cursor)."""
    chunk: list[WineSearchDoc] = []
    if isinstance(docs, AsyncIterable):
        async for doc in docs:
            chunk.append(doc)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    else:
        for doc in docs:
            chunk.append(doc)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk
