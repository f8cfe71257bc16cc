"""The demo catalog shipped with Cuvée: loading it, seeding MongoDB with it, and growing it for benchmarks."""

from __future__ import annotations

import csv
import gzip
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError
from tqdm import tqdm

from app.catalog.notes import stable_fraction, tasting_notes
from app.catalog.xwines import _PRESTIGE, convert_xwines_row
from documents.models import Style, TasteStructure, Wine, utcnow

DATA_FILE = "demo_wines.jsonl.gz"

# What the shipped file holds about a wine. Price, stock, listing, ratings, views and timestamps are
# live shop data: seeding sets them for new wines only and never overwrites them.
CATALOG_FACTS = frozenset(
    {
        "name", "winery", "vintage", "grapes", "region", "country", "style", "taste", "tasting_notes",
        "food_pairings", "abv", "dietary", "source_id", "demo_fields",
    }
)  # fmt: skip
SHIPPED_FIELDS = CATALOG_FACTS | {"id", "price_cents", "currency", "stock", "listed"}
# What the demo catalog makes up for a shop to try: marked in `Wine.demo_fields`, never dietary flags.
DEMO_FIELDS = ["price_cents", "stock", "tasting_notes"]

# Typical shelf price in euros per style, before what the region, the label and the ratings say.
_STYLE_EUR = {
    Style.red: 14.0,
    Style.white: 12.0,
    Style.rose: 10.0,
    Style.sparkling: 15.0,
    Style.dessert: 24.0,
    Style.fortified: 19.0,
}
_REGION_LIFT = [
    (re.compile(p, re.IGNORECASE), v)
    for p, v in [
        (
            r"pauillac|margaux|saint-julien|pomerol|saint-est[eè]phe|pessac|sauternes|montrachet|romanée|"
            r"chambertin|musigny|corton|meursault|napa|barolo|barbaresco|brunello|bolgheri|champagne|"
            r"priorat|ribera del duero|amarone|tokaj|hermitage|côte-rôtie",
            2.4,
        ),
        (
            r"saint-émilion|châteauneuf|bourgogne|chablis|rioja|toscana|langhe|mosel|rheingau|margaret river|"
            r"sonoma|willamette|douro|porto|sancerre|south australia|barossa|stellenbosch|wachau",
            1.5,
        ),
    ]
]
# Icons: the merchant's top shelf, whatever the formula says (Penfolds Grange is not a €10 wine).
_ICONS = re.compile(
    r"\bgrange\b|sassicaia|ornellaia|tignanello|opus one|unico|p[ée]trus|dom p[ée]rignon|cristal|"
    r"mouton rothschild|lafite|ch[âa]teau margaux|ch[âa]teau latour|haut-brion|coche-dury|krug|"
    r"romanée-conti|hill of grace|screaming eagle|masseto|premier grand cru class[ée]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SeedReport:
    inserted: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged"


def demo_price_cents(wine: Wine, label: str, rating_mean: float | None, key: str) -> int:
    """A plausible demo shelf price ending in .90 for the wine's style, region, label and X-Wines ratings;
    fixed by `key`. Demo data only: `demo_fields` says so and a shop replaces it with its own prices."""
    text = f"{wine.name} {wine.winery} {wine.region} {label}"
    euros = _STYLE_EUR[wine.style]
    euros *= next((lift for pattern, lift in _REGION_LIFT if pattern.search(text)), 1.0)
    if _PRESTIGE.search(text.casefold()):
        euros *= 1.6
    if rating_mean is not None:  # X-Wines means sit around 3.65; each half point up roughly doubles the price
        euros *= math.exp(min(max(rating_mean - 3.65, -0.5), 1.0) * 1.4)
    euros *= 0.8 + 0.4 * stable_fraction(key, "price")
    if _ICONS.search(text):
        euros = max(euros, 180 + 420 * stable_fraction(key, "icon"))
    return max(5, round(euros)) * 100 - 10


def demo_stock(key: str) -> int:
    """Demo bottles on hand, fixed by `key`: about 8% sold out and 12% nearly gone, so those paths get exercised."""
    r = stable_fraction(key, "stock")
    if r < 0.08:
        return 0
    if r < 0.2:
        return 1 + int(stable_fraction(key, "stock-low") * 5)
    return 6 + int(stable_fraction(key, "stock-high") * 145)


def with_demo_shop_data(
    wine: Wine, *, label: str = "", rating_mean: float | None = None, key: str | None = None
) -> Wine:
    """The wine with generated demo price, stock and notes, each named in `demo_fields`; dietary flags
    are never generated."""
    key = key or wine.id
    wine.price_cents = demo_price_cents(wine, label, rating_mean, key)
    wine.stock = demo_stock(key)
    wine.tasting_notes = tasting_notes(wine)
    wine.missing = []
    wine.demo_fields = list(DEMO_FIELDS)
    return wine


def xwines_rating_means(path: Path | None) -> dict[str, float]:
    """Mean rating per X-Wines WineID from a ratings CSV (gzip or not); empty when there is no file."""
    if path is None or not path.exists():
        return {}
    totals: dict[str, list[float]] = {}
    with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8") as src:
        for row in csv.DictReader(src):
            pair = totals.setdefault(row["WineID"], [0.0, 0.0])
            pair[0] += float(row["Rating"])
            pair[1] += 1
    return {wine_id: total / n for wine_id, (total, n) in totals.items()}


def demo_wine_from_xwines(row: dict[str, str], rating_means: dict[str, float]) -> Wine:
    """One X-Wines row as a demo-catalog wine: its facts, plus demo shop data marked as such."""
    wine = convert_xwines_row(row).wine
    return with_demo_shop_data(wine, label=row.get("Elaborate", ""), rating_mean=rating_means.get(row["WineID"]))


def dump_wine(wine: Wine) -> dict[str, Any]:
    """A wine as one line of the shipped file: its catalog facts and starting shelf data."""
    line: dict[str, Any] = wine.model_dump(mode="json", include=set(SHIPPED_FIELDS))
    return line


def read_demo_rows() -> list[dict[str, Any]]:
    """The shipped file's rows as plain dicts (no Beanie needed)."""
    source = resources.files("app.catalog").joinpath("data", DATA_FILE)
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def load_demo_wines() -> list[Wine]:
    """The demo catalog as `Wine` documents (Beanie must be initialised: `documents.database.connect`)."""
    return [Wine.model_validate({**row, "list_price_cents": row["price_cents"]}) for row in read_demo_rows()]


async def _present(wines: Sequence[Wine], *, with_facts: bool) -> dict[str, dict[str, Any]]:
    """Stored catalog facts of the wines already present, by id; a wine whose source_id is taken counts
    as present too, so seeding never trips the unique source index."""
    collection = Wine.get_pymongo_collection()
    projection = dict.fromkeys(CATALOG_FACTS, 1) if with_facts else {"_id": 1}
    found = {doc["_id"]: doc async for doc in collection.find({"_id": {"$in": [w.id for w in wines]}}, projection)}
    missing_sources = [w.source_id for w in wines if w.id not in found and w.source_id]
    if missing_sources:
        by_source = collection.find({"source_id": {"$in": missing_sources}}, {"source_id": 1})
        taken = {doc["source_id"] async for doc in by_source}
        found.update({w.id: {} for w in wines if w.source_id in taken})
    return found


async def _insert(wines: list[Wine]) -> int:
    if not wines:
        return 0
    try:
        result = await Wine.insert_many(wines, ordered=False)
    except BulkWriteError as exc:  # another seeder won the race for some ids: those are present now
        return int(exc.details.get("nInserted", 0))
    return len(result.inserted_ids)


async def _refresh(wines: list[Wine], stored: dict[str, dict[str, Any]]) -> int:
    """Bring changed catalog facts up to date, leaving the live shop fields alone."""
    updates = []
    for wine in wines:
        facts = wine.model_dump(mode="json", include=set(CATALOG_FACTS - {"dietary"}))  # the file states no flags
        current = stored.get(wine.id, {})
        # the shipped notes come back as demo data; a price or stock the shop set stays the shop's own
        kept = current.get("demo_fields", facts["demo_fields"])
        shipped = facts["demo_fields"]
        facts["demo_fields"] = [f for f in DEMO_FIELDS if f == "tasting_notes" or (f in kept and f in shipped)]
        if current and any(current.get(k) != v for k, v in facts.items()):
            updates.append(UpdateOne({"_id": wine.id}, {"$set": {**facts, "updated_at": utcnow()}}))
    if updates:
        await Wine.get_pymongo_collection().bulk_write(updates, ordered=False)
    return len(updates)


async def seed_demo_catalog(
    *,
    progress: bool = True,
    wines: Sequence[Wine] | None = None,
    refresh_facts: bool = False,
    batch_size: int = 1000,
) -> SeedReport:
    """Insert the demo wines that are missing (by id); idempotent, safe to run on a live shop.

    Wines already present keep everything; with `refresh_facts` their catalog facts (notes, taste,
    pairings…) are updated when the shipped ones differ, but never price, stock, listing or ratings.
    `wines` defaults to the shipped demo catalog.
    """
    catalog = list(wines) if wines is not None else load_demo_wines()
    # Look everything up before inserting: on a fresh database every lookup hits an empty collection.
    stored: dict[str, dict[str, Any]] = {}
    for start in range(0, len(catalog), batch_size):
        stored.update(await _present(catalog[start : start + batch_size], with_facts=refresh_facts))
    inserted = updated = 0
    with tqdm(total=len(catalog), desc="demo catalog", unit="wine", disable=not progress) as bar:
        for start in range(0, len(catalog), batch_size):
            batch = catalog[start : start + batch_size]
            inserted += await _insert([w for w in batch if w.id not in stored])
            if refresh_facts:
                updated += await _refresh([w for w in batch if w.id in stored], stored)
            bar.update(len(batch))
    return SeedReport(inserted=inserted, updated=updated, unchanged=len(catalog) - inserted - updated)


_WINERY_SUFFIXES = (
    "Estate", "Family Vineyards", "Cellars", "Hillside", "Valley Farm", "Wine Co.", "& Sons", "Heritage",
    "Collective", "Terraces", "North Slope", "Old Mill",
)  # fmt: skip
_CUVEES = (
    "", "", "", "Reserve", "Old Vines", "Single Vineyard", "Barrel Select", "Limited Release",
    "Cuvée Spéciale", "Estate Grown", "Small Lot", "Hand Picked",
)  # fmt: skip


def _pick(options: Sequence[str], *key: object) -> str:
    return options[int(stable_fraction(*key) * len(options))]


def _nudged(taste: TasteStructure, key: str) -> TasteStructure:
    values = {
        axis: round(min(1.0, max(0.0, value + (stable_fraction(key, axis) - 0.5) * 0.1)), 2)
        for axis, value in taste.model_dump().items()
    }
    return TasteStructure(**values)


def expand_catalog(wines: Sequence[Wine], n: int, seed: int = 0) -> Iterator[Wine]:
    """`n` new wines varied from `wines` (ids, vintages, wineries, cuvées, prices, stock, notes), the same
    for the same (wines, n, seed): a catalog of any size for benchmarks. Beanie must be initialised."""
    if not wines and n:
        raise ValueError("expand_catalog needs at least one wine to vary")
    for i in range(n):
        base = wines[i % len(wines)]
        key = f"expand:{seed}:{i}"
        cuvee = _pick(_CUVEES, key, "cuvee")
        name = f"{base.name} {cuvee}".strip()[:200]
        vintage = base.vintage - int(stable_fraction(key, "vintage") * 8) if base.vintage else None
        wine = base.model_copy(
            update={
                "id": f"{base.id}-{seed}-{i}",
                "source_id": f"{base.source_id or base.id}#{seed}-{i}",
                "name": name,
                "winery": f"{base.winery} {_pick(_WINERY_SUFFIXES, key, 'winery')}"[:200],
                "vintage": vintage,
                "grapes": list(base.grapes),
                "food_pairings": list(base.food_pairings),
                "taste": _nudged(base.taste, key),
            }
        )
        yield with_demo_shop_data(wine, key=key)
