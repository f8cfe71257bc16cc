"""Reading what a shopper means by "red under 30": price phrases (and, with them, style words) become filters.

Only a query with a price phrase is read this way, so a wine or producer name that merely contains a style word
("Red Mountain", "White Hall") is still searched as typed.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.catalog.search_service import SearchParams

_AMOUNT = r"[€$£]?\s*(\d{1,6}(?:[.,]\d{1,2})?)\s*(?:€|\$|£|eur(?:os?)?|dollars?|pounds?)?"
_BETWEEN = re.compile(rf"\b(?:between|from)\s+{_AMOUNT}\s+(?:and|to|-)\s+{_AMOUNT}(?!\w)", re.IGNORECASE)
_MAX = re.compile(rf"(?:\b(?:under|below|less than|cheaper than|up to|max(?:imum)?|at most)\s+|<\s*){_AMOUNT}(?!\w)",
                  re.IGNORECASE)
_MIN = re.compile(rf"(?:\b(?:over|above|more than|at least|min(?:imum)?)\s+|>\s*){_AMOUNT}(?!\w)", re.IGNORECASE)
_STYLES = {"red": "red", "reds": "red", "white": "white", "whites": "white", "rose": "rosé", "rosé": "rosé",
           "sparkling": "sparkling", "bubbly": "sparkling", "bubbles": "sparkling", "dessert": "dessert",
           "sweet": "dessert", "fortified": "fortified"}
_FILLER = {"wine", "wines", "a", "an", "some", "bottle", "bottles", "of", "for", "euro", "euros", "eur"}


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def interpret(params: SearchParams) -> tuple[SearchParams, dict[str, str]]:
    """The search with price and style phrases turned into filters the shopper did not set, and what was read."""
    q, understood = params.q, {}
    if (m := _BETWEEN.search(q)) and params.price_min is None and params.price_max is None:
        understood |= {"price_min": m.group(1), "price_max": m.group(2)}
    elif (m := _MAX.search(q)) and params.price_max is None:
        understood["price_max"] = m.group(1)
    elif (m := _MIN.search(q)) and params.price_min is None:
        understood["price_min"] = m.group(1)
    else:
        return params, {}
    q = (q[:m.start()] + " " + q[m.end():]).strip()
    words = q.split()
    styles = {_STYLES[w.casefold()] for w in words if w.casefold() in _STYLES}
    if len(styles) == 1 and params.style is None:
        understood["style"] = styles.pop()
        words = [w for w in words if w.casefold() not in _STYLES]
    words = [w for w in words if w.casefold() not in _FILLER]
    changes: dict[str, object] = {"q": " ".join(words)}
    for name in ("price_min", "price_max"):
        if name in understood:
            changes[name] = _amount(understood[name])
    if "style" in understood:
        changes["style"] = understood["style"]
    return replace(params, **changes), understood  # type: ignore[arg-type]
