"""Reading what a shopper means: the words the vocabulary knows become filters, the rest is searched as text.

"french red for duck under 30" -> style red, country France, pairings Poultry/Game Meat/Duck, price <= 30.
When the strict reading finds nothing, `relaxations` says which reading to drop next, one at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from vocabulary import (
    FOOD_WORDS,
    OCCASIONS,
    PRICE_BANDS,
    STYLE_IMPLIES_COUNTRY,
    STYLES,
    TASTES,
    find_country,
    find_food,
    find_grape,
    find_price,
    find_region,
    words,
)

if TYPE_CHECKING:
    from app.catalog.search_service import SearchParams

# Words that only join the ones that matter ("a red wine for a cheese platter from Spain").
_FILLER_WORDS = """a an the some any of for with to and or from in on by wine wines bottle bottles
something goes go good nice great best that which pair pairs pairing paired match matches drink drinks
me my i want need looking look recommend suggest please bottle under euro euros eur dollars price priced
serve served roast roasted grilled fried baked braised smoked seared poached steamed cooked slow pan
dish dishes dinner lunch meal supper night tonight evening weekend occasion home made homemade"""
_FILLER = frozenset(_FILLER_WORDS.split())
_MAX_PHRASE = max(4, FOOD_WORDS)
_DIETARY = {
    "vegan": "vegan",
    "organic": "organic",
    "biodynamic": "biodynamic",
    "sulfite free": "sulfite-free",
    "sulphite free": "sulfite-free",
    "no sulfites": "sulfite-free",
    "low alcohol": "low-alcohol",
    "bio": "organic",
    "natural": "organic",
}
# "cheap", "affordable", "premium": the catalog's own price quartiles (SearchService reads them from the index);
# these only when it cannot tell (the demo shelf's, in currency units).
DEFAULT_BANDS: Mapping[float, Decimal] = {0.25: Decimal(12), 0.5: Decimal(18), 0.75: Decimal(30)}


@dataclass(slots=True)
class Intent:
    """What was read from the words, each reading removable (the storefront shows them as chips)."""

    style: str | None = None
    country: str | None = None
    region: tuple[str, tuple[str, ...]] | None = None
    grape: str | None = None
    pairings: tuple[str, ...] = ()
    pairing_words: list[str] = field(default_factory=list)
    tastes: list[str] = field(default_factory=list)  # labels ("full-bodied")
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)  # axis -> (low, high)
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    dietary: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def understood(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name in ("style", "country", "grape"):
            if getattr(self, name):
                out[name] = str(getattr(self, name))
        if self.region:
            out["region"] = self.region[0]
        if self.pairings:
            out["pairing"] = ", ".join(self.pairings)
        if self.tastes:
            out["taste"] = ", ".join(self.tastes)
        if self.dietary:
            out["dietary"] = ", ".join(self.dietary)
        if self.price_min is not None:
            out["price_min"] = str(self.price_min)
        if self.price_max is not None:
            out["price_max"] = str(self.price_max)
        return out


def _lookup(phrase: str, intent: Intent, bands: Mapping[float, Decimal]) -> bool:
    """Record what `phrase` means on `intent`; False when the vocabulary does not know it."""
    if phrase in STYLES and intent.style in (None, STYLES[phrase]):
        intent.style = STYLES[phrase]
        if phrase in STYLE_IMPLIES_COUNTRY and intent.country is None:
            intent.country = STYLE_IMPLIES_COUNTRY[phrase]
        return True
    if (
        (country := find_country(phrase)) and intent.country is None and len(phrase) > 2 and not find_food(phrase)
    ):  # "turkey" at a wine shop is dinner, "turkish" the country
        intent.country = country
        return True
    if (grape := find_grape(phrase)) and intent.grape is None:
        intent.grape = grape
        return True
    if (region := find_region(phrase)) and intent.region is None:
        intent.region = region
        return True
    if foods := find_food(phrase):
        # "rabbit stew": the main ingredient leads; a second food word narrows it only where they agree.
        both = tuple(p for p in intent.pairings if p in foods)
        intent.pairings = both or intent.pairings or foods
        intent.pairing_words.append(phrase)
        return True
    if phrase in TASTES:
        taste = TASTES[phrase]
        if taste.label not in intent.tastes and taste.axis not in intent.ranges:
            intent.tastes.append(taste.label)
            intent.ranges[taste.axis] = (taste.low, taste.high)
        return True
    if phrase in OCCASIONS:
        style, pairs = OCCASIONS[phrase]
        intent.style = intent.style or style
        intent.pairings = intent.pairings or pairs
        return True
    if phrase in _DIETARY:
        intent.dietary = sorted({*intent.dietary, _DIETARY[phrase]})
        return True
    if phrase in PRICE_BANDS:
        low, high = PRICE_BANDS[phrase]
        intent.price_min = bands[low] if low else intent.price_min
        intent.price_max = bands[high] if high else intent.price_max
        return True
    return False


def read(q: str, bands: Mapping[float, Decimal] = DEFAULT_BANDS) -> Intent:
    """The intent of a query: price phrase first, then the longest known phrases left to right. `bands`: the
    price at each quantile of the catalog that "cheap" (0.25), "affordable" (0.5) and "premium" (0.75) mean."""
    intent = Intent()
    price = find_price(q)
    if price is not None:
        intent.price_min, intent.price_max = price.low, price.high
        q = q[: price.start] + " " + q[price.end :]
    tokens = words(q)
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_PHRASE, len(tokens) - i), 0, -1):
            phrase = " ".join(tokens[i : i + size])
            if (size > 1 or phrase not in _FILLER) and _lookup(phrase, intent, bands):
                i += size
                break
        else:
            if tokens[i] not in _FILLER:
                intent.text.append(tokens[i])
            i += 1
    return intent


class _Filters(TypedDict, total=False):
    """The SearchParams fields an intent may fill in."""

    q: str
    style: str | None
    country: str | None
    grape: str | None
    regions: list[str]
    pairings: list[str]
    taste: dict[str, tuple[float, float]]
    dietary: list[str]
    price_min: Decimal | None
    price_max: Decimal | None


def apply(params: SearchParams, intent: Intent, dropped: frozenset[str] = frozenset()) -> SearchParams:
    """The search with the intent's readings (except `dropped`) as filters the shopper did not set."""
    text = list(intent.text) if "text" not in dropped else []
    if "pairing" in dropped:
        text += intent.pairing_words  # a removed pairing chip searches the dish as typed
    if "region" in dropped and intent.region and "text" not in dropped:
        text.append(intent.region[0])  # a place that is no wine's region may still be in a name ("… Rioja")
    changes: _Filters = {"q": " ".join(text)}
    if intent.style and params.style is None and "style" not in dropped:
        changes["style"] = intent.style
    if intent.country and params.country is None and "country" not in dropped:
        changes["country"] = intent.country
    if intent.grape and params.grape is None and "grape" not in dropped:
        changes["grape"] = intent.grape
    if intent.region and params.region is None and "region" not in dropped:
        changes["regions"] = list(intent.region[1])
    if intent.pairings and "pairing" not in dropped:
        changes["pairings"] = list(intent.pairings)
    if intent.ranges and "taste" not in dropped:
        changes["taste"] = dict(intent.ranges)
    if intent.dietary and "dietary" not in dropped:
        changes["dietary"] = sorted({*params.dietary, *intent.dietary})
    if "price" not in dropped:
        if intent.price_min is not None and params.price_min is None:
            changes["price_min"] = intent.price_min
        if intent.price_max is not None and params.price_max is None:
            changes["price_max"] = intent.price_max
    return replace(params, **changes)


# What to let go of first when nothing fits: free text, then taste words, then the finer readings.
RELAX_ORDER = ("text", "taste", "region", "pairing", "grape", "price", "dietary", "country", "style")


def relaxations(intent: Intent) -> list[str]:
    """The readings present in `intent`, in the order they are given up."""
    present = {
        "text": bool(intent.text),
        "taste": bool(intent.tastes),
        "region": intent.region is not None,
        "pairing": bool(intent.pairings),
        "grape": intent.grape is not None,
        "price": intent.price_min is not None or intent.price_max is not None,
        "dietary": bool(intent.dietary),
        "country": intent.country is not None,
        "style": intent.style is not None,
    }
    return [name for name in RELAX_ORDER if present[name]]
