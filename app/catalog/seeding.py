"""Bringing a fresh installation to life: the demo catalog and a search index that matches MongoDB."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

from beanie import SortDirection

from documents import Wine
from search import SearchIndex, WineSearchDoc

log = logging.getLogger("cuvee.catalog")


async def _all_docs(batch: int = 1000) -> AsyncIterator[WineSearchDoc]:
    async for wine in Wine.find({}).sort([("_id", SortDirection.ASCENDING)]):
        yield WineSearchDoc.from_wine(wine)


async def reindex(index: SearchIndex, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the search index from MongoDB; search keeps answering from the old one until the swap."""
    total = await Wine.find({}).count()
    return await index.rebuild(_all_docs(), total=total, progress=progress)


async def ensure_demo_catalog(index: SearchIndex) -> None:
    """Load the demo catalog when the catalog is empty, and rebuild the index when it is behind MongoDB."""
    from app.catalog.demo import seed_demo_catalog

    if await Wine.find({}).count() == 0:
        report = await seed_demo_catalog(progress=False)
        log.info("demo catalog loaded: %s", report)
    wines = await Wine.find({}).count()
    if await index.count() != wines:
        n = await reindex(index)
        log.info("search index rebuilt from MongoDB: %d wines", n)
