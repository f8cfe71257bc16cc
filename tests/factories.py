"""Test data factories: valid documents with sensible defaults, overridable per test."""

from __future__ import annotations

import itertools
from typing import Any

from documents import Style, TasteStructure, Wine

_counter = itertools.count(1)


def make_wine(**overrides: Any) -> Wine:
    n = next(_counter)
    values: dict[str, Any] = {
        "name": f"Test Wine {n}",
        "winery": f"Domaine {n}",
        "vintage": 2018,
        "grapes": ["Merlot"],
        "region": "Bordeaux",
        "country": "France",
        "style": Style.red,
        "taste": TasteStructure(sweetness=0.1, acidity=0.5, tannin=0.6, body=0.7, fizz=0.0),
        "tasting_notes": "Plum and cedar with supple tannins.",
        "price_cents": 1500,
        "stock": 10,
    }
    values.update(overrides)
    return Wine(**values)


async def insert_wines(*wines: Wine) -> list[Wine]:
    for wine in wines:
        await wine.insert()
    return list(wines)
