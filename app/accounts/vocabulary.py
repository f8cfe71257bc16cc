"""Known wine vocabulary for preferences: styles, dietary needs, grapes, countries, regions, spelt one way."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TypeVar

from documents import Dietary, Style
from vocabulary import COUNTRIES, GRAPE_NAMES, REGIONS, STYLES, find_food, find_grape, fold_key

# Public, not just imported: the recommender folds names with accounts' spelling (strict mypy exports no imports).
fold = fold_key

T = TypeVar("T", bound=str)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Lower-case inside a place or grape name ("Côtes du Rhône", "Ribera del Duero"), unless first.
_PARTICLES = frozenset(
    [
        "de",
        "du",
        "des",
        "del",
        "della",
        "di",
        "da",
        "do",
        "dos",
        "das",
        "la",
        "le",
        "les",
        "y",
        "e",
        "et",
        "en",
        "sur",
        "am",
        "an",
        "der",
        "von",
        "im",
    ]
)


def _cap(word: str) -> str:
    for elision in ("d'", "l'", "d\u2019", "l\u2019"):
        if word.startswith(elision) and len(word) > 2:
            return elision + word[2:3].upper() + word[3:]
    return word[:1].upper() + word[1:]


def title_case(text: str) -> str:
    """Title-case a name typed in one case ("napa valley" → "Napa Valley"); mixed case is kept as typed."""
    text = " ".join(text.split())
    if text != text.lower() and text != text.upper():
        return text
    parts = re.split(r"([ \-/])", text.lower())
    out = []
    for i, part in enumerate(parts):
        out.append(part if (i > 0 and part in _PARTICLES) else _cap(part))
    return "".join(out)


# The shop's one vocabulary: folded name or alias -> the catalog's spelling.
GRAPES = GRAPE_NAMES


STYLE_ALIASES: dict[str, Style] = {
    **{fold(s.value): s for s in Style},
    "rosado": Style.rose,
    "rosato": Style.rose,
    "pink": Style.rose,
    **{fold(w): Style(s) for w, s in STYLES.items()},
    "sweet": Style.dessert,  # as a style preference "sweet" means dessert wines (in search it is a taste word)
}
DIETARY_ALIASES: dict[str, Dietary] = {
    **{fold(d.value): d for d in Dietary},
    "sulphite free": Dietary.sulfite_free,
    "no sulfites": Dietary.sulfite_free,
    "no added sulfites": Dietary.sulfite_free,
    "low abv": Dietary.low_alcohol,
    "bio": Dietary.organic,
}


def canonical_grape(name: str) -> str:
    return find_grape(name) or title_case(name)


def canonical_country(name: str) -> str:
    return COUNTRIES.get(fold(name)) or title_case(name)


def canonical_region(name: str) -> str:
    return REGIONS.get(fold(name)) or title_case(name)


def canonical_winery(name: str) -> str:
    """Wineries are proper names: keep the user's spelling, only tidy spaces and an all-one-case entry."""
    return title_case(name)


def canonical_food(name: str) -> str:
    """A dish, cut, cheese or cuisine the pairing vocabulary knows ("Ribeye" → "ribeye"); others are refused,
    since a food we cannot match to the wines' pairings could never be used."""
    if not find_food(name):
        raise ValueError(f"unknown food {name!r}; name a dish, meat, fish, cheese or cuisine, e.g. steak, sushi, brie")
    return " ".join(name.lower().split())


def _parse(value: str, aliases: dict[str, T], choices: Iterable[T], what: str) -> T:
    found = aliases.get(fold(value))
    if found is None:
        raise ValueError(f"unknown {what} {value!r}; use one of {', '.join(choices)}")
    return found


def parse_style(value: str) -> Style:
    return _parse(value, STYLE_ALIASES, Style, "wine style")


def parse_dietary(value: str) -> Dietary:
    return _parse(value, DIETARY_ALIASES, Dietary, "dietary need")


def check_name(value: str, max_length: int = 80) -> str:
    """A free-text name: non-empty, bounded, no control characters."""
    value = " ".join(unicodedata.normalize("NFC", value).split())
    if not value or not fold(value):
        raise ValueError("must not be empty")
    if len(value) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def unique(values: Sequence[T]) -> list[T]:
    """Drop repeats that differ only in case or accents; the first spelling wins, order is kept."""
    seen: set[str] = set()
    out = []
    for value in values:
        key = fold(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out
