"""ElasticsearchIndex: the production engine, versioned indices behind one alias per namespace."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from elastic_transport import AiohttpHttpNode, BaseNode, HttpxAsyncHttpNode
from elasticsearch import ApiError, AsyncElasticsearch, NotFoundError, TransportError

from search import elastic_query as eq
from search.analysis import Clause, best_correction, correction_limit, fuzziness, parse, words
from search.base import (
    DID_YOU_MEAN_BELOW,
    DocSource,
    Progress,
    SearchError,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Suggestion,
    SuggestionKind,
    WineSearchDoc,
    chunks,
)
from search.elastic_mapping import index_body, to_source
from search.suggest import Candidate, rank

log = logging.getLogger(__name__)
T = TypeVar("T")

BULK_CHUNK = 1_000
FUZZY_SAMPLE = 30  # as in the tantivy engine: wines whose values feed typo-tolerant suggestions


def _node_class() -> type[BaseNode]:
    """elasticsearch[async] brings aiohttp; without it the client runs on httpx, which Litestar brings."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return HttpxAsyncHttpNode
    return AiohttpHttpNode


class ElasticsearchIndex:
    """The SearchIndex on Elasticsearch. Reads and writes go through the alias `<namespace>-wines`; a
    rebuild fills `<namespace>-wines-<version>` and moves the alias in one atomic update."""

    def __init__(self, url: str, *, namespace: str = "cuvee", client: AsyncElasticsearch | None = None) -> None:
        self._url = url
        self._es = client or AsyncElasticsearch(
            url, node_class=_node_class(), request_timeout=10, max_retries=2, retry_on_timeout=True
        )
        self.alias = f"{namespace}-wines"
        self._ready = False
        self._journal: list[tuple[str, list[Any]]] | None = None  # writes made while a rebuild runs
        self._rebuild_lock = asyncio.Lock()
        self._write_lock = asyncio.Lock()  # a rebuild's final replay and alias swap see no write in between

    # ------------------------------------------------------------ plumbing
    async def _call(self, call: Awaitable[T]) -> T:
        try:
            return await call
        except ApiError as exc:
            raise SearchError(f"Elasticsearch refused a request: {exc.message} ({exc.meta.status})") from exc
        except TransportError as exc:
            raise SearchUnavailable(f"Elasticsearch at {self._safe_url()} cannot be reached: {exc}") from exc

    def _safe_url(self) -> str:
        return self._url.split("@")[-1]  # never log credentials

    def _new_index_name(self) -> str:
        return f"{self.alias}-{time.time_ns() // 1_000_000:013d}"

    async def _ensure(self) -> None:
        """Create the first versioned index and its alias when the namespace has none."""
        if self._ready:
            return
        if not await self._call(self._es.indices.exists_alias(name=self.alias)):
            name = self._new_index_name()
            try:
                await self._call(
                    self._es.indices.create(index=name, body={**index_body(), "aliases": {self.alias: {}}})
                )
            except SearchUnavailable:
                raise
            except SearchError:
                # Another process created it first: fine, as long as the alias exists now.
                if not await self._call(self._es.indices.exists_alias(name=self.alias)):
                    raise
                await self._call(self._es.indices.delete(index=name, ignore_unavailable=True))
        self._ready = True

    async def _indices(self) -> list[str]:
        try:
            return sorted(await self._call(self._es.indices.get_alias(name=self.alias)))
        except SearchError as exc:
            if isinstance(exc.__cause__, NotFoundError):
                return []
            raise

    # ------------------------------------------------------------ lifecycle
    async def ping(self) -> None:
        info = await self._call(self._es.info())
        major = int(str(info["version"]["number"]).split(".")[0])
        if major < 8:
            raise SearchUnavailable(f"Elasticsearch {info['version']['number']} is too old: 8 or later needed")
        await self._ensure()

    async def close(self) -> None:
        await self._es.close()

    async def count(self) -> int:
        await self._ensure()
        return int((await self._call(self._es.count(index=self.alias)))["count"])

    async def price_quantiles(self, percents: Sequence[int]) -> dict[int, int]:
        await self._ensure()
        response = await self._call(self._es.search(index=self.alias, body=eq.price_quantiles_body(percents)))
        values = response["aggregations"]["price"]["values"]
        return {int(float(v["key"])): round(v["value"]) for v in values if _finite(v["value"])}

    # ------------------------------------------------------------ writes
    async def _bulk(self, index: str, operations: list[dict[str, Any]], refresh: bool) -> None:
        if not operations:
            return
        response = await self._call(self._es.bulk(index=index, operations=operations, refresh=refresh))
        if response.get("errors"):
            failed = [
                item
                for item in response["items"]
                for op in item.values()
                if op.get("error") and not (op.get("status") == 404 and "delete" in item)
            ]
            if failed:
                raise SearchError(f"{len(failed)} search index writes failed, first: {failed[0]}")

    @staticmethod
    def _operations(op: str, items: list[Any]) -> list[dict[str, Any]]:
        if op == "delete":
            return [{"delete": {"_id": i}} for i in items]
        return [x for d in items for x in ({"index": {"_id": d.id}}, to_source(d))]

    async def _change(self, op: str, items: list[Any]) -> None:
        if not items:
            return
        await self._ensure()
        async with self._write_lock:
            for start in range(0, len(items), BULK_CHUNK):
                chunk = items[start : start + BULK_CHUNK]
                # refresh: searchable when the call returns (admin edits are rare; imports come in chunks).
                last = start + BULK_CHUNK >= len(items)
                await self._bulk(self.alias, self._operations(op, chunk), refresh=last)
            if self._journal is not None:
                self._journal.append((op, items))

    async def upsert(self, docs: Iterable[WineSearchDoc]) -> None:
        await self._change("upsert", list(docs))

    async def delete(self, ids: Iterable[str]) -> None:
        await self._change("delete", list(ids))

    async def rebuild(self, docs: DocSource, total: int | None = None, progress: Progress | None = None) -> int:
        """Fill a new versioned index, replay writes made meanwhile, move the alias, drop the old indices."""
        async with self._rebuild_lock, self._building() as name:
            n = 0
            async for chunk in chunks(docs, BULK_CHUNK):
                await self._bulk(name, self._operations("upsert", chunk), refresh=False)
                n += len(chunk)
                if progress is not None:
                    progress(n)
            async with self._write_lock:
                old = await self._swap(name)
        for index in old:
            await self._call(self._es.indices.delete(index=index, ignore_unavailable=True))
        log.info("search index rebuilt: %d wines in %s (alias %s)", n, name, self.alias)
        return n

    async def _swap(self, name: str) -> list[str]:
        """Replay the journal into the new index, make it searchable, point the alias at it alone."""
        for op, items in self._journal or []:
            await self._bulk(name, self._operations(op, items), refresh=False)
        await self._call(self._es.indices.put_settings(index=name, settings={"index": {"refresh_interval": None}}))
        await self._call(self._es.indices.refresh(index=name))
        old = await self._indices()
        actions: list[dict[str, Any]] = [{"add": {"index": name, "alias": self.alias}}]
        actions += [{"remove": {"index": i, "alias": self.alias}} for i in old]
        await self._call(self._es.indices.update_aliases(actions=actions))
        return old

    @asynccontextmanager
    async def _building(self) -> AsyncIterator[str]:
        """A new index without refreshes while it fills; deleted again if the rebuild fails."""
        await self._ensure()
        name = self._new_index_name()
        body = index_body()
        body["settings"]["refresh_interval"] = "-1"
        await self._call(self._es.indices.create(index=name, body=body))
        self._journal = []
        try:
            yield name
        except BaseException:
            await self._es.indices.delete(index=name, ignore_unavailable=True)
            raise
        finally:
            self._journal = None

    # ------------------------------------------------------------ reads
    async def search(self, query: SearchQuery) -> SearchResult:
        await self._ensure()
        clauses = parse(query.q) if query.q else ()
        fuzzy = _fuzzy_words(clauses)
        body = eq.search_body(query, clauses, fuzzy)
        response = await self._call(self._es.search(index=self.alias, body=body))
        total = int(response["hits"]["total"]["value"])
        result = SearchResult(
            total=total,
            page=query.page,
            per_page=query.per_page,
            hits=[eq.read_hit(h, "sort" not in body) for h in response["hits"]["hits"]],
            facets=eq.read_facets(response["aggregations"]),
        )
        if clauses and total < DID_YOU_MEAN_BELOW:
            result.did_you_mean = await self._did_you_mean(query, clauses, total, eq.spelling_options(response))
        return result

    async def _did_you_mean(
        self, query: SearchQuery, clauses: tuple[Clause, ...], total: int, options: dict[str, list[tuple[str, int]]]
    ) -> str | None:
        fixes = {}
        for clause in clauses:
            word = clause.words[0]
            if not clause.is_synonym and correction_limit(word):
                fix = best_correction(word, options.get(word, []))
                if fix is not None:
                    fixes[word] = fix
        if not fixes:
            return None
        corrected = " ".join(fixes.get(w, w) for w in words(query.q))
        better = parse(corrected)
        body = eq.count_body(query, better, _fuzzy_words(better))
        count = int((await self._call(self._es.count(index=self.alias, body=body)))["count"])
        return corrected if count > total else None

    async def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        typed = words(prefix)[:6]
        if not typed or limit < 1:
            return []
        await self._ensure()
        response = await self._call(self._es.search(index=self.alias, body=eq.suggest_body(typed, limit)))
        candidates = _wine_candidates(response)
        for kind in ("winery", "grape", "region"):
            buckets = response["aggregations"][kind]["m"]["v"]["buckets"]
            candidates += [Candidate(b["key"], kind, b["doc_count"]) for b in buckets]
        found = rank(prefix, candidates, limit)
        if len(found) < max(1, limit // 2) and any(fuzziness(w) for w in typed):
            candidates += await self._fuzzy_candidates(typed, limit)
            found = rank(prefix, candidates, limit)
        return found

    async def _fuzzy_candidates(self, typed: list[str], limit: int) -> list[Candidate]:
        wines_body, values_body = eq.fuzzy_suggest_bodies(typed, limit, FUZZY_SAMPLE)
        wines = await self._call(self._es.search(index=self.alias, body=wines_body))
        values = await self._call(self._es.search(index=self.alias, body=values_body))
        counts: dict[tuple[SuggestionKind, str], int] = {}
        for hit in values["hits"]["hits"]:
            src = hit["_source"]
            fields: tuple[tuple[SuggestionKind, list[str]], ...] = (
                ("winery", [src["winery"]]),
                ("grape", src["grapes"]),
                ("region", [src["region"]]),
            )
            for kind, found in fields:
                for value in found:
                    if value:
                        counts[kind, value] = counts.get((kind, value), 0) + 1
        return _wine_candidates(wines) + [Candidate(v, k, n) for (k, v), n in counts.items()]


def _fuzzy_words(clauses: tuple[Clause, ...]) -> frozenset[str]:
    """Elasticsearch cannot cheaply ask whether a word is in the catalog before querying, so every word
    long enough gets typo tolerance (scored below exact matches)."""
    return frozenset(c.words[0] for c in clauses if not c.is_synonym and fuzziness(c.words[0]))


def _wine_candidates(response: Any) -> list[Candidate]:
    return [
        Candidate(h["_source"]["name"], "wine", h["_source"].get("rating_count", 0), h["_source"]["id"])
        for h in response["hits"]["hits"]
    ]


def _finite(value: Any) -> bool:
    """A percentile the engine could compute (an empty set reads as null or NaN)."""
    return isinstance(value, int | float) and math.isfinite(value)
