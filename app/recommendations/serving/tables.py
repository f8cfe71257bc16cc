"""The catalog as serving arrays: one row per wine, read once per refresh, so requests never scan MongoDB."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from app.accounts.vocabulary import canonical_grape, fold
from app.recommendations.model.features import wine_tokens
from documents import Dietary, Style, Wine, weighted_mean
from documents.models import TASTE_AXES

STYLES: tuple[str, ...] = tuple(s.value for s in Style)
DIETARY_BITS: dict[str, int] = {d.value: 1 << n for n, d in enumerate(Dietary)}
_PROJECTION = {
    "name": 1, "winery": 1, "vintage": 1, "grapes": 1, "region": 1, "country": 1, "style": 1, "taste": 1,
    "food_pairings": 1, "dietary": 1, "price_cents": 1, "currency": 1, "stock": 1, "listed": 1, "rating": 1,
    "view_count": 1,
}  # fmt: skip
_YIELD_EVERY = 500  # documents read between two pauses: the in-process MongoDB never yields by itself


@lru_cache(maxsize=8192)
def grape_keys(name: str) -> frozenset[str]:
    """Comparison keys of one grape name: as written, canonical, and each half of "Syrah/Shiraz"."""
    keys = {fold(name), fold(canonical_grape(name))}
    if "/" in name:
        for half in name.split("/"):
            keys |= {fold(half), fold(canonical_grape(half))}
    return frozenset(key for key in keys if key)


def dietary_mask(flags: Iterable[str]) -> int:
    return sum(DIETARY_BITS.get(str(flag), 0) for flag in set(flags))


@dataclass
class WineTable:
    """Column arrays over the catalog (row order = `ids`). Live fields (stock) are as of `refresh`."""

    ids: list[str]
    names: list[str]
    vintages: list[int | None]
    wineries: list[str]
    regions: list[str]
    countries: list[str]
    grapes: list[list[str]]
    style: np.ndarray  # index into STYLES
    dietary: np.ndarray  # bit mask of DIETARY_BITS
    taste: np.ndarray  # n x 5, TASTE_AXES order
    price_cents: np.ndarray
    available: np.ndarray  # listed and in stock
    rating_count: np.ndarray
    rating_mean: np.ndarray
    view_count: np.ndarray
    tokens: list[dict[str, float]]
    index: dict[str, int] = field(init=False)
    # folded value -> rows, for preference and dislike matching without a loop over the catalog
    by_grape: dict[str, np.ndarray] = field(init=False)
    by_winery: dict[str, np.ndarray] = field(init=False)
    by_region: dict[str, np.ndarray] = field(init=False)
    by_country: dict[str, np.ndarray] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {wine_id: n for n, wine_id in enumerate(self.ids)}
        self.by_grape = _rows_by([set().union(*(grape_keys(g) for g in gs)) if gs else set() for gs in self.grapes])
        self.by_winery = _rows_by([{fold(w)} for w in self.wineries])
        self.by_region = _rows_by([{fold(r)} for r in self.regions])
        self.by_country = _rows_by([{fold(c)} for c in self.countries])

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, keys: Iterable[str], table: dict[str, np.ndarray]) -> np.ndarray:
        """A boolean mask of the rows carrying any of the (already folded) keys."""
        mask = np.zeros(len(self), dtype=bool)
        for key in keys:
            hit = table.get(key)
            if hit is not None:
                mask[hit] = True
        return mask

    def style_name(self, row: int) -> str:
        return STYLES[int(self.style[row])]


def _rows_by(keys_per_row: list[set[str]]) -> dict[str, np.ndarray]:
    rows: dict[str, list[int]] = {}
    for row, keys in enumerate(keys_per_row):
        for key in keys:
            rows.setdefault(key, []).append(row)
    return {key: np.array(value, dtype=np.int64) for key, value in rows.items()}


def table_from_docs(docs: list[dict[str, Any]]) -> WineTable:
    """Build the table from raw wine documents (as MongoDB returns them)."""
    docs = sorted(docs, key=lambda d: str(d["_id"]))
    taste = np.array(
        [[float((d.get("taste") or {}).get(axis, 0.0)) for axis in TASTE_AXES] for d in docs], dtype=np.float64
    ).reshape(len(docs), len(TASTE_AXES))
    ratings = [d.get("rating") or {} for d in docs]
    counts = np.array([int(r.get("count", 0)) for r in ratings], dtype=np.float64)
    means = [
        weighted_mean(r.get("count", 0), r.get("total", 0.0), r.get("verified_count", 0), r.get("verified_total", 0.0))
        for r in ratings
    ]
    return WineTable(
        ids=[str(d["_id"]) for d in docs],
        names=[d.get("name", "") for d in docs],
        vintages=[d.get("vintage") for d in docs],
        wineries=[d.get("winery", "") for d in docs],
        regions=[d.get("region", "") for d in docs],
        countries=[d.get("country", "") for d in docs],
        grapes=[list(d.get("grapes") or ()) for d in docs],
        style=np.array([STYLES.index(d["style"]) if d.get("style") in STYLES else 0 for d in docs], dtype=np.int8),
        dietary=np.array([dietary_mask(d.get("dietary") or ()) for d in docs], dtype=np.int64),
        taste=taste,
        price_cents=np.array([int(d.get("price_cents") or 0) for d in docs], dtype=np.int64),
        available=np.array([bool(d.get("listed", True)) and int(d.get("stock", 0)) > 0 for d in docs], dtype=bool),
        rating_count=counts,
        rating_mean=np.array([0.0 if m is None else m for m in means], dtype=np.float64),
        view_count=np.array([int(d.get("view_count", 0)) for d in docs], dtype=np.float64),
        tokens=[wine_tokens(d) for d in docs],
    )


async def read_wine_docs() -> list[dict[str, Any]]:
    """Every wine's serving fields (no notes), pausing now and then so requests keep flowing meanwhile."""
    docs = []
    async for doc in Wine.get_pymongo_collection().find({}, _PROJECTION):
        docs.append(doc)
        if len(docs) % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
    return docs


async def load_table() -> WineTable:
    return table_from_docs(await read_wine_docs())
