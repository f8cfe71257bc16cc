"""Converting rows of the X-Wines CSV format into catalog wines with derived taste, price, stock and notes."""

from __future__ import annotations

import ast
import math
import re
from typing import Any

from pydantic import ValidationError

from app.catalog.notes import grape_profile, stable_fraction, tasting_notes
from documents.models import Dietary, Style, TasteStructure, Wine

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
# Shelf prices in euros (low, high) per style; most wines sit near the low end.
_PRICE_EUR: dict[Style, tuple[int, int]] = {
    Style.red: (8, 45),
    Style.white: (7, 38),
    Style.rose: (7, 24),
    Style.sparkling: (9, 42),
    Style.dessert: (14, 60),
    Style.fortified: (12, 70),
}
_AROMATIC = {"Muscat", "Gewürztraminer", "Riesling", "Malvasia", "Torrontés"}


class RowError(ValueError):
    """A row that cannot become a wine; `reason` says why in words an operator can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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


def price_cents(style: Style, key: str, label: str) -> int:
    """A shelf price ending in .90, fixed by `key`; `label` (name, region, blend) lifts prestige wines."""
    low, high = _PRICE_EUR[style]
    text = label.casefold()
    if style is Style.sparkling and "champagne" in text:
        low, high = 28, 95
    if _PRESTIGE.search(text):
        low, high = round(low * 1.4), round(high * 1.5)
    euros = low + (high - low) * stable_fraction(key, "price") ** 1.8
    return max(1, round(euros)) * 100 - 10


def stock(key: str) -> int:
    """Units on hand, fixed by `key`: about 8% sold out and 12% nearly gone, so those paths get exercised."""
    r = stable_fraction(key, "stock")
    if r < 0.08:
        return 0
    if r < 0.2:
        return 1 + int(stable_fraction(key, "stock-low") * 5)
    return 6 + int(stable_fraction(key, "stock-high") * 145)


def dietary(key: str, abv: float | None) -> list[Dietary]:
    flags = set()
    if stable_fraction(key, "vegan") < 0.22:
        flags.add(Dietary.vegan)
    if stable_fraction(key, "organic") < 0.16:
        flags.add(Dietary.organic)
        if stable_fraction(key, "biodynamic") < 0.3:
            flags.add(Dietary.biodynamic)
    if stable_fraction(key, "sulfite") < 0.05:
        flags.add(Dietary.sulfite_free)
    if abv is not None and abv <= 10:
        flags.add(Dietary.low_alcohol)
    return [flag for flag in Dietary if flag in flags]


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


def _explain(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else "row"
    return f"{_FIELD_COLUMNS.get(field, field)}: {error['msg']}"


def wine_from_xwines_row(row: dict[str, str]) -> Wine:
    """The catalog wine for one X-Wines row; raises `RowError` saying why when the row cannot be one.

    Everything not in the row (taste numbers, price, stock, dietary flags, vintage, notes) is derived
    from the WineID, so converting the same row again gives the same wine. Beanie must be initialised.
    """
    wine_id = _text(row, "WineID", required=True)
    if not (wine_id.isascii() and wine_id.isdigit()):
        raise RowError(f"WineID must be a whole number, not {wine_id[:30]!r}")
    name = _text(row, "WineName", required=True)
    abv = _abv(row)
    style = _style(row, name, abv)
    grapes = _strings(row, "Grapes")
    region = _text(row, "RegionName")
    label = f"{name} {region} {_text(row, 'Elaborate')}"
    try:
        wine = Wine(
            id=f"xw{wine_id}",
            source_id=f"xwines:{wine_id}",
            name=name,
            winery=_text(row, "WineryName", required=True),
            vintage=_vintage(row, wine_id),
            grapes=grapes,
            region=region,
            country=_text(row, "Country"),
            style=style,
            taste=_taste(row, wine_id, style, name, grapes),
            food_pairings=_strings(row, "Harmonize"),
            abv=abv,
            dietary=dietary(wine_id, abv),
            price_cents=price_cents(style, wine_id, label),
            currency="EUR",
            stock=stock(wine_id),
        )
    except ValidationError as exc:
        raise RowError(_explain(exc)) from None
    wine.tasting_notes = tasting_notes(wine)
    return wine
