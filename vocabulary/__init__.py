"""The one wine vocabulary: folding, grapes, styles, places, taste words, food pairings, occasions and
price phrases. Below app/ and search/: it imports nothing of ours."""

from vocabulary.food import FOOD_WORDS, FOODS, PAIRING_CATEGORIES, find_food
from vocabulary.grapes import GRAPE_GROUPS, GRAPE_NAMES, find_grape, grape_group, synonym_groups
from vocabulary.places import (
    COUNTRIES,
    REGION_COVERS,
    REGIONS,
    country_spellings,
    find_country,
    find_region,
    region_spellings,
)
from vocabulary.styles import (
    OCCASIONS,
    PRICE_BANDS,
    STYLE_IMPLIES_COUNTRY,
    STYLES,
    TASTES,
    PriceReading,
    Taste,
    find_price,
    find_style,
)
from vocabulary.text import fold, fold_key, words

__all__ = [
    "COUNTRIES",
    "FOODS",
    "FOOD_WORDS",
    "GRAPE_GROUPS",
    "GRAPE_NAMES",
    "OCCASIONS",
    "PAIRING_CATEGORIES",
    "PRICE_BANDS",
    "REGIONS",
    "REGION_COVERS",
    "STYLES",
    "STYLE_IMPLIES_COUNTRY",
    "TASTES",
    "PriceReading",
    "Taste",
    "country_spellings",
    "find_country",
    "find_food",
    "find_grape",
    "find_price",
    "find_region",
    "find_style",
    "fold",
    "fold_key",
    "grape_group",
    "region_spellings",
    "synonym_groups",
    "words",
]
