"""Style words, taste-structure words, occasions and price phrases, as shoppers write them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from vocabulary.text import fold_key

# Style words -> the catalog style (documents.Style values). "port" and "sherry" are fortified on our shelf.
STYLES: dict[str, str] = {
    **{w: "red" for w in ("red", "reds", "rouge", "rosso", "tinto", "vino tinto", "red wine", "claret")},
    **{w: "white" for w in ("white", "whites", "blanc", "bianco", "blanco", "branco", "white wine")},
    **{w: "rosé" for w in ("rose", "roses", "rosado", "rosato", "pink", "blush", "rose wine")},
    **{
        w: "sparkling"
        for w in (
            "sparkling",
            "sparkler",
            "sparklers",
            "bubbly",
            "bubbles",
            "fizz",
            "fizzy",
            "spumante",
            "cava",
            "cremant",
            "sekt",
            "espumante",
            "frizzante",
            "methode champenoise",
            "pet nat",
            "champagne",
            "prosecco",
            "franciacorta",
        )
    },
    **{
        w: "dessert"
        for w in (
            "dessert",
            "dessert wine",
            "sweet wine",
            "late harvest",
            "ice wine",
            "icewine",
            "eiswein",
            "sauternes",
            "tokaji",
            "passito",
            "vin santo",
            "botrytis",
            "noble rot",
            "sticky",
            "stickies",
            "pudding wine",
        )
    },
    **{
        w: "fortified"
        for w in (
            "fortified",
            "port",
            "porto",
            "tawny",
            "tawny port",
            "ruby port",
            "lbv",
            "sherry",
            "fino",
            "manzanilla",
            "oloroso",
            "amontillado",
            "madeira",
            "marsala",
            "vintage port",
        )
    },
}
# A style word that is also a grape or region word: the whole query decides ("prosecco" is Italian sparkling).
STYLE_IMPLIES_COUNTRY = {
    "prosecco": "Italy",
    "cava": "Spain",
    "champagne": "France",
    "franciacorta": "Italy",
    "sekt": "Germany",
    "tokaji": "Hungary",
    "madeira": "Portugal",
    "port": "Portugal",
    "porto": "Portugal",
    "tawny port": "Portugal",
    "sherry": "Spain",
    "cremant": "France",
}


@dataclass(frozen=True, slots=True)
class Taste:
    """A taste-structure reading: the axis, the range 0..1 a fitting wine sits in, and the words for it."""

    axis: str  # body, sweetness, acidity, tannin, fizz
    low: float
    high: float
    label: str


_FULL = Taste("body", 0.6, 1.0, "full-bodied")
_LIGHT = Taste("body", 0.0, 0.4, "light-bodied")
_MEDIUM = Taste("body", 0.4, 0.6, "medium-bodied")
TASTES: dict[str, Taste] = {
    **{
        w: _FULL
        for w in (
            "full bodied",
            "full body",
            "full",
            "big",
            "bold",
            "heavy",
            "rich",
            "robust",
            "powerful",
            "hearty",
            "intense",
            "muscular",
            "concentrated",
            "big bold",
            "very full bodied",
            "full-bodied",
            "structured",
            "chunky",
            "beefy",
            "jammy",
            "opulent",
            "weighty",
        )
    },
    **{
        w: _LIGHT
        for w in (
            "light bodied",
            "light body",
            "light",
            "lighter",
            "delicate",
            "lean",
            "easy drinking",
            "easy",
            "gentle",
            "lightweight",
            "very light bodied",
            "elegant",
            "refreshing",
        )
    },
    **{w: _MEDIUM for w in ("medium bodied", "medium body", "medium", "mid weight", "midweight", "medium weight")},
    **{
        w: Taste("sweetness", 0.0, 0.12, "dry")
        for w in ("dry", "bone dry", "brut", "sec", "trocken", "seco", "crisp dry", "extra brut")
    },
    **{
        w: Taste("sweetness", 0.12, 0.45, "off-dry")
        for w in ("off dry", "semi dry", "medium dry", "halbtrocken", "feinherb", "demi sec", "slightly sweet")
    },
    **{
        w: Taste("sweetness", 0.3, 1.0, "sweet")
        for w in (
            "sweet",
            "semi sweet",
            "medium sweet",
            "sweeter",
            "lusciously sweet",
            "honeyed",
            "dolce",
            "doux",
            "dulce",
            "lieblich",
        )
    },
    **{
        w: Taste("acidity", 0.6, 1.0, "high acidity")
        for w in (
            "zesty",
            "crisp",
            "fresh",
            "tart",
            "zippy",
            "bright",
            "lively",
            "acidic",
            "high acidity",
            "racy",
            "mouthwatering",
            "sharp",
            "tangy",
        )
    },
    **{
        w: Taste("acidity", 0.0, 0.45, "low acidity")
        for w in (
            "low acidity",
            "soft acidity",
            "smooth",
            "mellow",
            "round",
            "rounded",
            "buttery",
            "creamy",
            "supple",
            "velvety",
            "soft",
        )
    },
    **{
        w: Taste("tannin", 0.0, 0.5, "soft tannins")
        for w in ("soft tannins", "silky tannins", "low tannin", "silky", "smooth tannins", "gentle tannins")
    },
    **{
        w: Taste("tannin", 0.6, 1.0, "firm tannins")
        for w in ("tannic", "grippy", "firm tannins", "high tannin", "big tannins", "structured tannins")
    },
    **{
        w: Taste("fizz", 0.2, 1.0, "fizzy")
        for w in ("fizzy", "spritzy", "petillant", "frizzante", "sparkly", "bubbly", "effervescent")
    },
}

# Occasions the data supports: only where a style or pairing follows from the words (X-Wines lists
# Aperitif/Appetizer pairings and the wine's type; it knows nothing of weddings or birthdays).
OCCASIONS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "brunch": ("sparkling", ()),
    "celebration": ("sparkling", ()),
    "celebrate": ("sparkling", ()),
    "toast": ("sparkling", ()),
    "new year": ("sparkling", ()),
    "new years": ("sparkling", ()),
    "new year's eve": ("sparkling", ()),
    "party": ("sparkling", ()),
    "mimosa": ("sparkling", ()),
    "aperitif": (None, ("Aperitif", "Appetizer")),
    "apero": (None, ("Aperitif", "Appetizer")),
    "picnic": ("rosé", ()),
    "summer": ("rosé", ()),
    "poolside": ("rosé", ()),
    "beach": ("rosé", ()),
    "bbq party": ("red", ("Beef", "Barbecue", "Pork")),
    "after dinner": ("dessert", ()),
    "nightcap": ("fortified", ()),
    "digestif": ("fortified", ()),
}

# Price bands as fractions of the catalog's price spread are read at query time; these are the quantiles
# (of listed wines' prices) each word means.
PRICE_BANDS: dict[str, tuple[float | None, float | None]] = {
    **{
        w: (None, 0.25)
        for w in (
            "cheap",
            "cheapest",
            "budget",
            "inexpensive",
            "bargain",
            "value",
            "low cost",
            "budget friendly",
            "everyday",
            "cheaper",
            "good value",
        )
    },
    **{
        w: (None, 0.5)
        for w in (
            "affordable",
            "reasonably priced",
            "reasonable",
            "not too expensive",
            "mid priced",
            "moderately priced",
        )
    },
    **{
        w: (0.75, None)
        for w in (
            "premium",
            "expensive",
            "luxury",
            "fancy",
            "splurge",
            "high end",
            "special",
            "fine",
            "top shelf",
            "prestige",
            "upscale",
            "treat",
        )
    },
}

_CUR = r"(?:€|\$|£|eur(?:o|os)?\b|usd\b|dollars?\b|pounds?\b|quid\b|bucks?\b|gbp\b)"
_NUM = r"(\d{1,6}(?:[.,]\d{1,2})?)"
_AMT = rf"(?:{_CUR}\s*)?{_NUM}(?:\s*{_CUR})?"
_PRICE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b(?:between|from)\s+{_AMT}\s*(?:and|to|-|\u2013)\s*{_AMT}", re.I), "range"),
    (re.compile(rf"(?<![\w.,]){_AMT}\s*(?:-|\u2013|to)\s*{_AMT}(?![\w.,])", re.I), "range"),
    (
        re.compile(
            rf"(?:\b(?:under|below|less than|cheaper than|up to|upto|max(?:imum)?|at most|no more than"
            rf"|not more than|within|for under|sub)\s*|<=?\s*){_AMT}",
            re.I,
        ),
        "max",
    ),
    (
        re.compile(
            rf"(?:\b(?:over|above|more than|at least|min(?:imum)?|from|starting at|upwards of)\s*|>=?\s*)"
            rf"{_AMT}",
            re.I,
        ),
        "min",
    ),
    (re.compile(rf"\b(?:around|about|approx(?:imately)?|roughly|circa|near|~)\s*{_AMT}", re.I), "around"),
    (re.compile(rf"(?<![\w.,]){_AMT}\s*(?:or less|or under|max|and under|tops)\b", re.I), "max"),
    (re.compile(rf"(?<![\w.,]){_AMT}\s*(?:or more|and up|plus|\+)", re.I), "min"),
    (re.compile(rf"(?<![\w.,])(?:{_CUR}\s*{_NUM}|{_NUM}\s*{_CUR})", re.I), "around"),
]


@dataclass(frozen=True, slots=True)
class PriceReading:
    """A price phrase found in text: its bounds in currency units and where it was (to cut it out)."""

    low: Decimal | None
    high: Decimal | None
    start: int
    end: int


def _amount(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text.replace(",", "."))


def find_price(text: str) -> PriceReading | None:
    """The first price phrase in `text` ("under €20", "10-20", "around 30", "20 euros", "$15 or less")."""
    for pattern, kind in _PRICE_PATTERNS:
        m = pattern.search(text)
        if m is None:
            continue
        nums = [g for g in m.groups() if g is not None]
        values = [_amount(n) for n in nums]
        if kind == "range" and len(values) == 2:
            low, high = sorted(v for v in values if v is not None)
            return PriceReading(low, high, m.start(), m.end())
        value = values[0]
        if value is None or (kind == "around" and value >= 1800):
            continue  # "around 2015" is a vintage, not a price
        if kind == "max":
            return PriceReading(None, value, m.start(), m.end())
        if kind == "min":
            return PriceReading(value, None, m.start(), m.end())
        margin = max(Decimal(2), (value * Decimal("0.2")).quantize(Decimal(1)))
        return PriceReading(max(Decimal(0), value - margin), value + margin, m.start(), m.end())
    return None


def find_style(phrase: str) -> str | None:
    return STYLES.get(fold_key(phrase))
