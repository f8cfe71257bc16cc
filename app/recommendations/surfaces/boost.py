"""Personalised boosting of shop search, for vague queries only.

"red under 30" or browsing with filters says little about which wine the shopper wants, so their taste
may order the results; "Casa Perini" or a wine's name says exactly which one, and is left alone. A query
is specific when every word that is not generic shop vocabulary appears in a wine or winery suggestion,
and it is not simply a grape or region name.
"""

from __future__ import annotations

import re
from collections import Counter

from app.accounts.vocabulary import fold
from app.recommendations.serving.snapshot import Snapshot
from documents import User
from search import Boost, SearchIndex, SearchQuery

GENERIC_WORDS = frozenset(
    {
        "red",
        "white",
        "rose",
        "sparkling",
        "dessert",
        "fortified",
        "wine",
        "wines",
        "bottle",
        "bottles",
        "under",
        "below",
        "over",
        "above",
        "less",
        "more",
        "than",
        "cheap",
        "cheaper",
        "affordable",
        "budget",
        "good",
        "best",
        "nice",
        "dry",
        "sweet",
        "light",
        "bold",
        "full",
        "bodied",
        "fruity",
        "crisp",
        "for",
        "with",
        "and",
        "or",
        "a",
        "the",
        "of",
        "to",
        "eur",
        "euro",
        "euros",
        "price",
        "around",
        "about",
        "organic",
        "vegan",
        "gift",
        "present",
    }
)
# A style outweighs a region and a price range, so a shopper who likes only sparkling browses sparkling first.
STYLE_WEIGHT, GRAPE_WEIGHT, REGION_WEIGHT, COUNTRY_WEIGHT, PRICE_WEIGHT = 3.0, 2.0, 2.0, 1.0, 1.5
_NUMBER = re.compile(r"^\d+([.,]\d+)?$")


def specific_words(q: str) -> list[str]:
    return [w for w in fold(q).split() if w not in GENERIC_WORDS and not _NUMBER.match(w)]


async def is_vague(index: SearchIndex, q: str) -> bool:
    """True for browsing and generic queries; False when the query names a wine or a producer."""
    words = specific_words(q)
    if not words:
        return True
    suggestions = await index.suggest(q, 8)
    folded_q = " ".join(words)
    if any(s.kind in ("grape", "region") and fold(s.text) == folded_q for s in suggestions):
        return True
    return not any(s.kind in ("wine", "winery") and all(w in fold(s.text).split() for w in words) for s in suggestions)


async def personal_boost(index: SearchIndex, query: SearchQuery, user: User, snap: Snapshot) -> Boost | None:
    """The user's liked styles (stated, else from what they bought), grapes, regions, countries and price range."""
    if query.q.strip() and not await is_vague(index, query.q):
        return None
    prefs = user.preferences
    styles = {s.value: STYLE_WEIGHT for s in prefs.styles}
    if not styles:
        styles = _bought_styles(user.id, snap)
    boost = Boost(
        styles=styles,
        grapes={g: GRAPE_WEIGHT for g in prefs.grapes},
        regions={r: REGION_WEIGHT for r in prefs.regions},
        countries={c: COUNTRY_WEIGHT for c in prefs.countries},
        price_cents=(prefs.price_range.min_cents, prefs.price_range.max_cents),
        price_weight=PRICE_WEIGHT,
    )
    return None if boost.is_empty() else boost


def _bought_styles(user_id: str, snap: Snapshot) -> dict[str, float]:
    """Up to two styles the user's own history leans to, when they stated none."""
    signals = snap.signals.get(user_id)
    if signals is None:
        return {}
    counts: Counter[str] = Counter()
    for wine_id, strength in signals.strengths().items():
        row = snap.table.index.get(wine_id)
        if row is not None and strength >= 4.0:
            counts[snap.table.style_name(row)] += 1
    return {style: STYLE_WEIGHT * 0.7 for style, _ in counts.most_common(2)}
