"""Converting rows of the X-Wines CSV format into catalog wines: the row's facts, the taste structure derived
from them, and nothing invented (no price, stock, dietary flag or tasting note the row does not state)."""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import ValidationError

from app.catalog.grape_profiles import grape_profile
from app.catalog.notes import stable_fraction
from app.schemas import accepted_currencies, shop_currency
from documents.models import Style, TasteStructure, Wine

COLUMNS: tuple[str, ...] = (
    "WineID", "WineName", "Type", "Elaborate", "Grapes", "Harmonize", "ABV", "Body", "Acidity", "Code",
    "Country", "RegionID", "RegionName", "WineryID", "WineryName", "Website", "Vintages",
)  # fmt: skip

_TYPES = {
    "red": Style.red,
    "white": Style.white,
    "rosé": Style.rose,
    "rose": Style.rose,
    "sparkling": Style.sparkling,
    "dessert": Style.dessert,
    "dessert/port": Style.fortified,
    "fortified": Style.fortified,
}
_BODY = {
    "very light-bodied": 0.1,
    "light-bodied": 0.3,
    "medium-bodied": 0.5,
    "full-bodied": 0.7,
    "very full-bodied": 0.9,
}
_ACIDITY = {"low": 0.25, "medium": 0.5, "high": 0.75}

# X-Wines files sherries, grappas and some ports under plain "Dessert"; on our shelf they are fortified.
_FORTIFIED = re.compile(
    r"\b(port|porto|sherry|fino|oloroso|amontillado|manzanilla|palo cortado|madeira|marsala|licoroso"
    r"|jerepigo|grappa|marc|banyuls|maury)\b"
)
# First match wins, so the more specific words come first.
_SWEETNESS_HINTS: list[tuple[re.Pattern[str], float]] = [
    (re.compile(p), v)
    for p, v in [
        (r"grappa|\bmarc\b", 0.0),
        (r"trockenbeerenauslese|beerenauslese|eiswein|ice ?wine|asz[uú]|sauternes|barsac|botryti|noble", 0.9),
        (r"pedro xim[eé]nez|\bpx\b|cream|vin santo|recioto|passito", 0.9),
        (r"auslese|late harvest|colheita tardia|cosecha tard[ií]a|vendange tardive", 0.75),
        (r"\bport\b|\bporto\b|moscato d'asti|\bdolce\b|\bdoux\b|\bdulce\b|jerepigo|muscadel", 0.7),
        (r"medium sweet|lieblich|semi-dulce", 0.5),
        (r"sp[aä]tlese|demi-sec|semi-seco|halbtrocken|feinherb|amabile", 0.45),
        (r"medium dry|amontillado|extra[ -]dry|off-dry|oloroso", 0.22),
        (r"\bfino\b|manzanilla|brut nature|pas dos[eé]|zero dosage|extra brut", 0.0),
    ]
]
_DRY_WORDS = re.compile(r"\bbrut\b|\bsec\b|trocken|\bseco\b|\bdry\b")
_FRIZZANTE = re.compile(r"frizzante|lambrusco|p[eé]tillant|d'asti|vinho verde|pet[ -]nat")
_PRESTIGE = re.compile(
    r"grand cru|premier cru|gran reserva|riserva|reserva|reserve|barolo|barbaresco|amarone|brunello"
    r"|vintage port|\b(10|20|30|40) (year|anos|years)|asz[uú]|sauternes|ice ?wine|eiswein|colheita"
)
_STYLE_DEFAULT_SWEETNESS = {
    Style.red: 0.04,
    Style.white: 0.06,
    Style.rose: 0.1,
    Style.sparkling: 0.08,
    Style.dessert: 0.75,
    Style.fortified: 0.65,
}
T = TypeVar("T")
_AROMATIC = {"Muscat", "Gewürztraminer", "Riesling", "Malvasia", "Torrontés"}


class RowError(ValueError):
    """A row that cannot become a wine; `reasons` says every why in words an operator can act on."""

    def __init__(self, reason: str | list[str]) -> None:
        self.reasons = [reason] if isinstance(reason, str) else list(reason)
        self.reason = "; ".join(self.reasons)
        super().__init__(self.reason)


def _text(row: dict[str, str], column: str, *, required: bool = False) -> str:
    value = (row.get(column) or "").strip()
    if required and not value:
        raise RowError(f"{column} is missing")
    return value


def _list_literal(row: dict[str, str], column: str) -> list[Any]:
    """Parse a Python list literal such as "['Beef', 'Lamb']" safely (never eval)."""
    raw = _text(row, column)
    if not raw:
        return []
    if len(raw) > 10_000:
        raise RowError(f"{column} is too long ({len(raw)} characters)")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise RowError(f"{column} is not a list literal: {raw[:60]!r}") from None
    if not isinstance(value, list | tuple):
        raise RowError(f"{column} must be a list, not {type(value).__name__}")
    return list(value)


def _strings(row: dict[str, str], column: str) -> list[str]:
    items = _list_literal(row, column)
    if not all(isinstance(item, str) for item in items):
        raise RowError(f"{column} must be a list of strings")
    return list(dict.fromkeys(s.strip() for s in items if s.strip()))


def _abv(row: dict[str, str]) -> float | None:
    raw = _text(row, "ABV")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise RowError(f"ABV is not a number: {raw[:30]!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 80:
        raise RowError(f"ABV must be between 0 and 80, not {raw}")
    return value


def _style(row: dict[str, str], name: str, abv: float | None) -> Style:
    raw = _text(row, "Type", required=True)
    style = _TYPES.get(raw.casefold())
    if style is None:
        raise RowError(f"Type {raw!r} is not one of Red, White, Rosé, Sparkling, Dessert, Dessert/Port")
    if style is Style.dessert and (_FORTIFIED.search(name.casefold()) or (abv or 0) >= 17.5):
        return Style.fortified
    return style


def _scale(row: dict[str, str], column: str, levels: dict[str, float]) -> float | None:
    raw = _text(row, column)
    if not raw:
        return None
    if raw.casefold() not in levels:
        raise RowError(f"{column} {raw!r} is not one of {', '.join(k.capitalize() for k in levels)}")
    return levels[raw.casefold()]


def _vintage(row: dict[str, str], wine_id: str) -> int | None:
    """One of the three most recent vintages, fixed per wine; None when the wine is only sold N.V."""
    years = []
    for item in _list_literal(row, "Vintages"):
        if isinstance(item, int) or (isinstance(item, str) and item.strip().isdigit()):
            years.append(int(item))
        elif not (isinstance(item, str) and item.strip().upper() in {"N.V.", "NV"}):
            raise RowError(f"Vintages holds {item!r}, which is neither a year nor N.V.")
    recent = sorted({y for y in years if 1800 <= y <= 2100}, reverse=True)[:3]
    if not recent:
        return None
    return recent[int(stable_fraction(wine_id, "vintage") * len(recent))]


def _jitter(value: float, wine_id: str, axis: str) -> float:
    """Spread wines that share a label ("Full-bodied") a little, so neighbours in taste space differ."""
    nudged = value + (stable_fraction(wine_id, axis) - 0.5) * 0.08
    return round(min(1.0, max(0.0, nudged)), 2)


def _sweetness(style: Style, name: str, grapes: list[str], abv: float | None) -> float:
    text = name.casefold()
    if abv is not None and abv >= 35:  # grappa and marc are spirits: dry
        return 0.0
    for pattern, value in _SWEETNESS_HINTS:
        if pattern.search(text):
            return value
    dry_styles = (Style.red, Style.white, Style.rose, Style.sparkling)
    if style in dry_styles and _DRY_WORDS.search(text):
        return 0.03
    base = _STYLE_DEFAULT_SWEETNESS[style]
    aromatic = any((p := grape_profile(g)) is not None and p.name in _AROMATIC for g in grapes)
    if style in (Style.white, Style.sparkling) and aromatic:
        base += 0.15
    return base


def _tannin(style: Style, grapes: list[str], body: float, name: str, abv: float | None) -> float:
    reds = [p.tannin for p in (grape_profile(g) for g in grapes) if p is not None and p.red]
    if abv is not None and abv >= 35:
        return 0.0
    if style is Style.red:
        grape_tannin = sum(reds) / len(reds) if reds else 0.55
        return 0.7 * grape_tannin + 0.3 * body
    if style in (Style.dessert, Style.fortified) and reds:
        aged = 0.6 if "tawny" in name.casefold() else 1.0  # long cask ageing softens tannin
        return 0.6 * (sum(reds) / len(reds)) * aged
    return 0.12 if style is Style.rose else 0.03


def _fizz(style: Style, name: str, region: str) -> float:
    frizzante = bool(_FRIZZANTE.search(f"{name} {region}".casefold()))
    if style is Style.sparkling:
        return 0.5 if frizzante else 0.85
    return 0.3 if frizzante else 0.0


_DEFAULT_BODY = {
    Style.red: 0.6,
    Style.white: 0.4,
    Style.rose: 0.35,
    Style.sparkling: 0.35,
    Style.dessert: 0.6,
    Style.fortified: 0.8,
}


def _taste(row: dict[str, str], wine_id: str, style: Style, name: str, grapes: list[str]) -> TasteStructure:
    abv = _abv(row)
    body = _scale(row, "Body", _BODY)
    body = _DEFAULT_BODY[style] if body is None else body
    acidity = _scale(row, "Acidity", _ACIDITY)
    fizz = _fizz(style, name, _text(row, "RegionName"))
    return TasteStructure(
        sweetness=_jitter(_sweetness(style, name, grapes, abv), wine_id, "sweetness"),
        acidity=_jitter(0.5 if acidity is None else acidity, wine_id, "acidity"),
        tannin=_jitter(_tannin(style, grapes, body, name, abv), wine_id, "tannin"),
        body=_jitter(body, wine_id, "body"),
        fizz=_jitter(fizz, wine_id, "fizz") if fizz else 0.0,  # still wines do not fizz at all
    )


_FIELD_COLUMNS = {
    "name": "WineName",
    "winery": "WineryName",
    "grapes": "Grapes",
    "food_pairings": "Harmonize",
    "region": "RegionName",
    "country": "Country",
    "vintage": "Vintages",
    "abv": "ABV",
}


def _explain(exc: ValidationError) -> list[str]:
    reasons = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "row"
        reasons.append(f"{_FIELD_COLUMNS.get(name, name)}: {error['msg']}")
    return reasons


# Optional columns a shop may add to an X-Wines file: X-Wines itself states no price and no stock.
SHOP_COLUMNS = ("Price", "Stock", "Currency")
# What the converter works out rather than reads, reported for every row.
DERIVED = {
    "taste": "taste structure derived from Body, Acidity, grapes, style and name",
    "vintage": "one of the three most recent listed Vintages",
}


@dataclass(slots=True)
class Converted:
    """One X-Wines row as a wine, with the fields the converter derived or had to leave empty."""

    wine: Wine
    stated: frozenset[str]  # shop fields the row states (price_cents, stock, currency)
    derived: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """What the wine lacks to be sold; a wine that lacks anything is an unlisted draft."""
        return [name for name, key in (("price", "price_cents"), ("stock", "stock")) if key not in self.stated]


def _price(row: dict[str, str]) -> int | None:
    raw = _text(row, "Price").replace(",", ".")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise RowError(f"Price is not a number: {raw[:30]!r}") from None
    if not value.is_finite() or not 0 <= value <= 100_000 or value != value.quantize(Decimal("0.01")):
        raise RowError(f"Price must be between 0 and 100000 with at most two decimals, not {raw[:30]}")
    return int(value * 100)


def _stock(row: dict[str, str]) -> int | None:
    raw = _text(row, "Stock")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) > 1_000_000:
        raise RowError(f"Stock must be a whole number of bottles from 0 to 1000000, not {raw[:30]!r}")
    return int(raw)


class _Collector:
    """Runs each column's parser, keeping every error of the row instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def __call__(self, parse: Callable[..., T], *args: Any, default: T, **kwargs: Any) -> T:
        try:
            return parse(*args, **kwargs)
        except RowError as exc:
            self.errors.extend(exc.reasons)
            return default


def convert_xwines_row(row: dict[str, str]) -> Converted:
    """The catalog wine for one X-Wines row; raises `RowError` listing every reason the row cannot be one.

    Only the taste numbers and the vintage are derived (from the row, fixed by the WineID, so converting
    the same row again gives the same wine). Price and stock come from the optional Price/Stock columns or
    stay unknown; dietary flags and tasting notes are never made up. Beanie must be initialised."""
    check = _Collector()
    wine_id = check(_text, row, "WineID", default="", required=True)
    if wine_id and not (wine_id.isascii() and wine_id.isdigit()):
        check.errors.append(f"WineID must be a whole number, not {wine_id[:30]!r}")
        wine_id = ""
    name = check(_text, row, "WineName", default="", required=True)
    winery = check(_text, row, "WineryName", default="", required=True)
    abv = check(_abv, row, default=None)
    style = check(_style, row, name, abv, default=None)
    nothing: list[str] = []
    grapes = check(_strings, row, "Grapes", default=nothing)
    pairings = check(_strings, row, "Harmonize", default=list(nothing))
    vintage = check(_vintage, row, wine_id or "0", default=None)
    price = check(_price, row, default=None)
    stock = check(_stock, row, default=None)
    currency = _text(row, "Currency").upper() or shop_currency()
    if currency not in accepted_currencies():
        check.errors.append(f"Currency: this shop prices in {', '.join(accepted_currencies())}, not {currency!r}")
    taste = check(_taste, row, wine_id or "0", style, name, grapes, default=None) if style else None
    if check.errors or style is None or taste is None:
        raise RowError(check.errors or ["Type is missing"])
    stated = {k for k, v in (("price_cents", price), ("stock", stock)) if v is not None}
    if _text(row, "Currency"):
        stated.add("currency")
    try:
        wine = Wine(
            id=f"xw{wine_id}",
            source_id=f"xwines:{wine_id}",
            name=name,
            winery=winery,
            vintage=vintage,
            grapes=grapes,
            region=_text(row, "RegionName"),
            country=_text(row, "Country"),
            style=style,
            taste=taste,
            food_pairings=pairings,
            abv=abv,
            price_cents=price,
            currency=currency,
            stock=stock or 0,
        )
    except ValidationError as exc:
        raise RowError(_explain(exc)) from None
    derived = ["taste"] + (["vintage"] if vintage is not None else [])
    empty = [
        f
        for f, v in (
            ("abv", abv),
            ("vintage", vintage),
            ("region", wine.region),
            ("country", wine.country),
            ("grapes", grapes),
            ("food_pairings", pairings),
        )
        if v in (None, "", [])
    ]
    empty += [f for f in ("price_cents", "stock") if f not in stated] + ["dietary", "tasting_notes"]
    return Converted(wine=wine, stated=frozenset(stated), derived=derived, empty=empty)


def wine_from_xwines_row(row: dict[str, str]) -> Wine:
    """The wine of `convert_xwines_row`, without the report."""
    return convert_xwines_row(row).wine


def xwines_document(row: dict[str, str]) -> dict[str, Any]:
    """The facts of one X-Wines row as a stored wine holds them (style, winery, origin, grapes, pairings and the
    taste derived as above), without a database: the recommender's offline evaluation reads X-Wines this way, so
    it learns from exactly the features the shop derives. Raises `RowError` for a row the catalog would refuse."""
    wine_id = _text(row, "WineID", required=True)
    name = _text(row, "WineName")
    style = _style(row, name, _abv(row))
    grapes = _strings(row, "Grapes")
    return {
        "_id": f"xw{wine_id}",
        "name": name,
        "winery": _text(row, "WineryName"),
        "style": style.value,
        "region": _text(row, "RegionName"),
        "country": _text(row, "Country"),
        "grapes": grapes,
        "food_pairings": _strings(row, "Harmonize"),
        "taste": _taste(row, wine_id, style, name, grapes).model_dump(),
    }
