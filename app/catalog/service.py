"""Catalog rules: reading wines, admin writes and imports, and keeping the search index in step."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import islice
from typing import Any, Protocol

from beanie import SortDirection
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.audit import AuditLog
from app.catalog.coalesce import Coalesced
from app.catalog.counters import WineCounters
from app.catalog.importer import BATCH_SIZE, BatchWriter, ImportFormat, ImportReport, Row, parse
from app.catalog.inventory import Inventory
from app.catalog.schemas import WineCreate, WineUpdate
from app.errors import Conflict, Invalid, NotFound, Unavailable
from app.schemas import to_cents
from documents import Style, Wine
from search import SearchIndex, SearchUnavailable, WineSearchDoc

log = logging.getLogger("cuvee.catalog")

Clock = Callable[[], datetime]
Progress = Callable[[int], None]


def _field_error(name: str, message: str) -> Invalid:
    return Invalid(
        f"invalid value for {name}: {message}",
        code="validation_failed",
        errors=[{"field": name, "source": "body", "message": message}],
    )


class Repricer(Protocol):
    """PricingService: works out and stores the effective price after a list price, stock or facts a rule
    selects on changed; returns how many wines' prices changed."""

    async def reprice(self, wine_ids: Iterable[str], *, cause: str = ...) -> int: ...


class CatalogService:
    """Wines in MongoDB and their copies in the search index: every write here reaches both. Other domains
    change stock and holds through `inventory`, views and ratings through `counters` (catalog owns `wines`)."""

    def __init__(self, index: SearchIndex, clock: Clock, audit: AuditLog, repricer: Repricer) -> None:
        self._index = index
        self._clock = clock
        self._audit_log = audit
        self._repricer = repricer
        self.inventory = Inventory()
        self.counters = WineCounters()
        self._coalesced = Coalesced(self.sync_to_index)  # concurrent changes share one search commit

    async def _repriced(self, wine: Wine, cause: str) -> Wine:
        if await self._repricer.reprice([wine.id], cause=cause):
            return await self.get_wine(wine.id, include_drafts=True)
        return wine

    def _now(self) -> datetime:
        """The clock at MongoDB's precision, so what a write returns is what later reads return."""
        now = self._clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    # ------------------------------------------------------------ reads
    async def get_wine(self, wine_id: str, *, include_drafts: bool = False) -> Wine:
        """A wine; a draft (it lacks a price or stock) only with `include_drafts`: shoppers never see one."""
        wine = await Wine.get(wine_id)
        if wine is None or (wine.missing and not include_drafts):
            raise NotFound("wine", wine_id)
        return wine

    async def list_drafts(self, *, page: int, per_page: int) -> tuple[list[Wine], int]:
        """Wines that lack a price or a stock (unlisted until completed), newest first."""
        return await self._page({"missing.0": {"$exists": True}}, page, per_page, [("created_at", -1)])

    async def list_demo_data(self, *, page: int, per_page: int) -> tuple[list[Wine], int]:
        """Wines that still hold generated demo values, by name."""
        return await self._page({"demo_fields.0": {"$exists": True}}, page, per_page, [("name", 1)])

    @staticmethod
    async def _page(
        query: dict[str, Any], page: int, per_page: int, order: list[tuple[str, int]]
    ) -> tuple[list[Wine], int]:
        total = await Wine.find(query).count()
        sort = [(k, SortDirection.ASCENDING if d > 0 else SortDirection.DESCENDING) for k, d in order]
        wines = (
            await Wine.find(query)
            .sort([*sort, ("_id", SortDirection.ASCENDING)])
            .skip((page - 1) * per_page)
            .limit(per_page)
            .to_list()
        )
        return wines, total

    async def find_wines(self, wine_ids: list[str]) -> dict[str, Wine]:
        """The wines among `wine_ids` that exist, by id (one query)."""
        if not wine_ids:
            return {}
        found = await Wine.find({"_id": {"$in": list(set(wine_ids))}}).to_list()
        return {w.id: w for w in found}

    async def list_wines(
        self, *, page: int, per_page: int, style: Style | None = None, country: str | None = None
    ) -> tuple[list[Wine], int]:
        query: dict[str, object] = {"listed": True}
        if style is not None:
            query["style"] = style.value
        if country:
            query["country"] = country
        total = await Wine.find(query).count()
        # plain str sort keys: mongomock orders Beanie's ExpressionField keys by _id (DESIGN §3)
        wines = (
            await Wine.find(query)
            .sort([("name", SortDirection.ASCENDING), ("_id", SortDirection.ASCENDING)])
            .skip((page - 1) * per_page)
            .limit(per_page)
            .to_list()
        )
        return wines, total

    # ------------------------------------------------------------ search sync
    async def sync_to_index(self, wine_ids: Iterable[str], *, strict: bool = False) -> bool:
        """Re-read these wines and put them in the search index as they are now (gone ones are removed).

        The catalog's own writes call it; other domains publish WinesChanged (see `wines_changed`). Returns
        False, having logged why, when the engine is down; with `strict` it raises Unavailable instead.
        `cuvee reindex` repairs anything missed."""
        ids = list(dict.fromkeys(wine_ids))
        if not ids:
            return True
        found = await self.find_wines(ids)
        try:
            if found:
                await self._index.upsert(WineSearchDoc.from_wine(w) for w in found.values())
            if len(found) < len(ids):
                await self._index.delete(i for i in ids if i not in found)
        except SearchUnavailable as exc:
            log.error("search index not updated for %d wine(s): %s", len(ids), exc)
            if strict:
                raise Unavailable(
                    "the change is saved in the catalog, but the search engine did not take it; search "
                    "shows it after the engine is back and `cuvee reindex` has run",
                    code="search_sync_failed",
                ) from exc
            return False
        return True

    async def wines_changed(self, wine_ids: list[str]) -> None:
        """Reaction to WinesChanged: search shows these wines as they are now when this returns. Concurrent
        calls share one sync; failures are logged, never raised (`cuvee reindex` repairs)."""
        if wine_ids:
            await self._coalesced(wine_ids)

    async def _indexed(self, wine: Wine) -> Wine:
        """Copy one freshly written wine into the search index before the admin call returns."""
        try:
            await self._index.upsert([WineSearchDoc.from_wine(wine)])
        except SearchUnavailable:  # one retry from a fresh read, then a 503 that says the change is saved
            await self.sync_to_index([wine.id], strict=True)
        return wine

    async def _audit(self, actor_id: str | None, action: str, target_id: str | None, **details: Any) -> None:
        await self._audit_log.record(actor_id, action, "wine", target_id, **details)

    def _check_vintage(self, vintage: int | None) -> None:
        latest = self._clock().year + 1  # wines are sold en primeur a year ahead at most
        if vintage is not None and vintage > latest:
            raise _field_error("vintage", f"must not be later than {latest}")

    async def _check_source_free(self, source_id: str | None, wine_id: str | None = None) -> None:
        if source_id is None:
            return
        owner = await Wine.find_one({"source_id": source_id, "_id": {"$ne": wine_id}})
        if owner is not None:
            raise Conflict(f"source_id {source_id} already belongs to wine {owner.id}", code="source_id_taken")

    # ------------------------------------------------------------ admin writes
    async def create_wine(self, data: WineCreate, actor_id: str | None) -> Wine:
        """Add a wine; searchable when this returns."""
        self._check_vintage(data.vintage)
        await self._check_source_free(data.source_id)
        now = self._now()
        wine = Wine(
            **data.model_dump(exclude={"price"}),
            price_cents=to_cents(data.price),
            list_price_cents=to_cents(data.price),
            created_at=now,
            updated_at=now,
        )
        wine.dietary_sources = {str(flag): f"operator {actor_id}" for flag in wine.dietary}
        try:
            await wine.insert()
        except DuplicateKeyError:  # a concurrent create took the source_id
            await self._check_source_free(data.source_id)
            raise
        await self._audit(actor_id, "wine.created", wine.id, name=wine.name, price_cents=wine.price_cents)
        return await self._indexed(await self._repriced(wine, "new wine"))

    async def update_wine(self, wine_id: str, data: WineUpdate, actor_id: str | None) -> Wine:
        """Change the fields sent; stock_delta is applied atomically and never takes stock below zero."""
        self._check_vintage(data.vintage)
        await self._check_source_free(data.source_id, wine_id)
        changes = _set_fields(data)
        if not changes and data.stock_delta is None:
            return await self.get_wine(wine_id, include_drafts=True)
        changes.update(_provenance(await self.get_wine(wine_id, include_drafts=True), data, actor_id))
        query: dict[str, Any] = {"_id": wine_id}
        update: dict[str, Any] = {"$set": {**changes, "updated_at": self._now()}}
        if data.stock_delta:
            update["$inc"] = {"stock": data.stock_delta}
            if data.stock_delta < 0:
                query["stock"] = {"$gte": -data.stock_delta}
        try:
            doc = await Wine.get_pymongo_collection().find_one_and_update(
                query, update, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:
            await self._check_source_free(data.source_id, wine_id)
            raise
        if doc is None:
            wine = await self.get_wine(wine_id, include_drafts=True)
            raise Conflict(
                f"only {wine.stock} in stock: cannot take {-(data.stock_delta or 0)}", code="insufficient_stock"
            )
        wine = Wine.model_validate(doc)
        await self._audit(
            actor_id,
            "wine.updated",
            wine_id,
            fields=sorted(changes),
            stock_delta=data.stock_delta,
            list_price_cents=changes.get("list_price_cents"),
            stock=wine.stock,
            listed=wine.listed,
        )
        cause = "list price set" if "list_price_cents" in changes else "wine updated"
        return await self._indexed(await self._repriced(wine, cause))

    async def delist_wine(self, wine_id: str, actor_id: str | None) -> None:
        """Hide a wine from the catalog, search and checkout; the document stays for order history,
        reviews and wishlists (PATCH `listed: true` brings it back)."""
        doc = await Wine.get_pymongo_collection().find_one_and_update(
            {"_id": wine_id, "listed": True},
            {"$set": {"listed": False, "updated_at": self._now()}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            # already delisted: nothing to do but make sure search agrees
            wine = await self.get_wine(wine_id, include_drafts=True)
        else:
            wine = Wine.model_validate(doc)
            await self._audit(actor_id, "wine.delisted", wine_id, name=wine.name)
        await self._indexed(wine)

    # ------------------------------------------------------------ import
    async def import_wines(
        self,
        text: str,
        fmt: ImportFormat,
        actor_id: str | None,
        *,
        source: str = "upload",
        progress: Progress | None = None,
    ) -> ImportReport:
        """Upsert every row of an X-Wines CSV or a JSON Lines file; rows that cannot be wines are reported,
        not fatal. Each batch is in the search index before the next one is read."""
        report = ImportReport(fmt)
        writer = BatchWriter(report, self._now())
        await writer.load_keys()
        rows = parse(text, fmt)
        # Converting a batch takes ~0.3 s of CPU (X-Wines rows): in a thread, so the server keeps answering.
        while batch := await asyncio.to_thread(lambda: list(islice(rows, BATCH_SIZE))):
            await self._import_batch(writer, batch, progress)
        await self._audit(actor_id, "wine.imported", None, source=source[:200], **report.summary())
        return report

    async def _import_batch(self, writer: BatchWriter, batch: list[Row], progress: Progress | None) -> None:
        writer.report.rows += len(batch)
        written = await writer.write(batch)
        try:
            if written.inserted:
                await self._index.upsert(WineSearchDoc.from_wine(w) for w in written.inserted)
        except SearchUnavailable:
            await self.sync_to_index([w.id for w in written.inserted], strict=True)
        await self.sync_to_index(written.updated, strict=True)  # re-read: ratings and stock are live
        await self._repricer.reprice([w.id for w in written.inserted] + written.updated, cause="import")
        if progress is not None:
            progress(len(batch))


def _provenance(wine: Wine, data: WineUpdate, actor_id: str | None) -> dict[str, Any]:
    """What an operator's change says about where values come from: a value they set is no longer demo data,
    a draft given its price or stock lacks it no more, and the flags they set are theirs. Listing a wine
    that still lacks something is refused."""
    sent = data.model_fields_set
    given = {"price_cents"} if "price" in sent else set()
    given |= {"stock"} if sent & {"stock", "stock_delta"} else set()
    given |= {"tasting_notes"} if "tasting_notes" in sent else set()
    missing = [m for m in wine.missing if {"price": "price_cents"}.get(m, m) not in given]
    if data.listed and missing:
        raise Conflict(
            f"«{wine.name}» is a draft that lacks {' and '.join(missing)}: set "
            f"{'them' if len(missing) > 1 else 'it'} before listing it",
            code="wine_incomplete",
            errors=[{"field": m, "source": "body", "message": "missing"} for m in missing],
        )
    out: dict[str, Any] = {}
    if missing != wine.missing:
        out["missing"] = missing
    if given & set(wine.demo_fields):
        out["demo_fields"] = [f for f in wine.demo_fields if f not in given]
    if data.dietary is not None:
        out["dietary_sources"] = {
            str(flag): wine.dietary_sources.get(str(flag), f"operator {actor_id}") for flag in data.dietary
        }
    return out


def _set_fields(data: WineUpdate) -> dict[str, Any]:
    """The `$set` document for an update: only fields sent, taste axes one by one, price in cents."""
    sent = data.model_dump(exclude_unset=True, exclude={"stock_delta", "taste", "price"}, mode="json")
    if data.price is not None:  # the list price: PricingService works out the effective price_cents from it
        sent["list_price_cents"] = to_cents(data.price)
    if data.taste is not None:
        sent.update({f"taste.{axis}": v for axis, v in data.taste.model_dump(exclude_unset=True).items()})
    return sent
