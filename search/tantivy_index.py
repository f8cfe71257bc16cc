"""TantivyIndex: the embedded engine, an on-disk tantivy index per generation behind a CURRENT pointer."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import tantivy

from search import tantivy_suggest
from search.analysis import Clause, best_correction, correction_limit, fuzziness, parse, words
from search.base import (
    DID_YOU_MEAN_BELOW,
    FACET_SIZE,
    DocSource,
    Facets,
    Progress,
    SearchHit,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Sort,
    Suggestion,
    SuggestionKind,
    WineSearchDoc,
    chunks,
)
from search.highlight import TermMatcher, highlight
from search.suggest import Candidate, rank
from search.tantivy_query import QueryBuilder
from search.tantivy_schema import FACET_FIELDS, analyze, source, to_document
from search.tantivy_store import Generations

log = logging.getLogger(__name__)

WRITER_HEAP = 64_000_000
REBUILD_HEAP = 256_000_000
REBUILD_BATCH = 2_000
NOTES_FRAGMENT_CHARS = 200
KNOWN_WORD_DOCS = 3  # a word in at least this many wines is taken as spelled right (no typo expansion)
FOLLOW_EVERY_S = 1.0  # how often a process checks whether another one swapped in a new generation
MEMO_SIZE = 2_048  # typed prefixes whose suggestion candidates are remembered (see _memoised)
_SORTS = {
    Sort.price_asc: ("price_cents", tantivy.Order.Asc),
    Sort.price_desc: ("price_cents", tantivy.Order.Desc),
    Sort.rating: ("rating_mean", tantivy.Order.Desc),
    Sort.newest: ("created_ms", tantivy.Order.Desc),
}


class TantivyIndex:
    """The SearchIndex on tantivy. One writer per index: writes are serialised by a lock, and a process
    that cannot take tantivy's writer lock (another process writes) gets SearchUnavailable."""

    def __init__(self, root: Path, *, suggest_memo: int = MEMO_SIZE) -> None:
        self._root = root
        try:
            self._store = Generations(root)
            self._gen = self._store.current()
            self._index = self._store.open(self._gen)
        except (OSError, ValueError) as exc:
            raise SearchUnavailable(f"cannot open the tantivy index at {root}: {exc}") from exc
        self._schema = self._store.schema
        self._q = QueryBuilder(self._schema)
        self._write_lock = asyncio.Lock()
        self._rebuild_lock = asyncio.Lock()
        self._writer: tantivy.IndexWriter | None = None
        self._journal: list[tuple[str, list[Any]]] | None = None  # writes made while a rebuild runs
        self._closed = False
        self._followed_at = 0.0
        self._version = 0  # bumped after every change this process makes or picks up
        self._memo: dict[tuple[tuple[str, ...], int, bool], list[Candidate]] = {}
        self._memo_of = (-1, 0.0)  # (version, monotonic time) the memo was started at
        self._memo_size = suggest_memo  # 0: never remember (the benchmark's first-time row)

    # ------------------------------------------------------------ following other processes
    def _follow(self, *, now: bool = False) -> None:
        """Pick up a generation swapped in by another process (`cuvee reindex` while the server runs):
        before every write, and at most once a second before reads."""
        clock = time.monotonic()
        if not now and clock - self._followed_at < FOLLOW_EVERY_S:
            return
        self._followed_at = clock
        gen = self._store.pointed()
        if gen is not None and gen != self._gen and not self._rebuild_lock.locked():
            self._index, self._gen, self._writer = self._store.open(gen), gen, None
            self._version += 1

    def _searcher(self) -> tantivy.Searcher:
        if self._closed:
            raise SearchUnavailable("the search index is closed")
        self._follow()
        return self._index.searcher()

    # ------------------------------------------------------------ writes
    def _get_writer(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                self._writer = self._index.writer(WRITER_HEAP, 1)
            except ValueError as exc:
                raise SearchUnavailable(
                    f"the search index at {self._root} is locked by another process (one writer per index): {exc}"
                ) from exc
        return self._writer

    def _apply(self, writer: tantivy.IndexWriter, ops: Iterable[tuple[str, list[Any]]]) -> None:
        for op, items in ops:
            for item in items:
                if op == "upsert":
                    writer.delete_documents_by_term("id", item.id)
                    writer.add_document(to_document(item))
                else:
                    writer.delete_documents_by_term("id", item)

    def _write(self, op: str, items: list[Any]) -> None:
        self._follow(now=True)
        writer = self._get_writer()
        try:
            self._apply(writer, [(op, items)])
            writer.commit()
        except ValueError:
            writer.rollback()  # nothing half-applied stays queued for the next commit
            raise
        self._index.reload()  # read-your-writes: the next search sees this commit
        self._version += 1  # after the reload: see _memoised

    async def _change(self, op: str, items: list[Any]) -> None:
        if not items:
            return
        async with self._write_lock:
            try:
                await asyncio.to_thread(self._write, op, items)
            except ValueError as exc:
                raise SearchUnavailable(f"search index write failed: {exc}") from exc
            if self._journal is not None:
                self._journal.append((op, items))

    async def upsert(self, docs: Iterable[WineSearchDoc]) -> None:
        await self._change("upsert", list(docs))

    async def delete(self, ids: Iterable[str]) -> None:
        await self._change("delete", list(ids))

    async def rebuild(self, docs: DocSource, total: int | None = None, progress: Progress | None = None) -> int:
        """Index every doc into a new generation, replay writes made meanwhile, then swap the pointer."""
        async with self._rebuild_lock:
            gen = self._store.claim()
            self._journal = []
            try:
                index = self._store.open(gen)
                writer = index.writer(REBUILD_HEAP, 2)
                n = await self._fill(writer, docs, progress)
                async with self._write_lock:
                    self._apply(writer, self._journal)
                    await asyncio.to_thread(writer.commit)
                    index.reload()
                    self._store.point_to(gen)
                    old = self._gen
                    self._index, self._gen, self._writer = index, gen, writer
                    self._version += 1
            except BaseException:
                self._store.remove(gen)
                raise
            finally:
                self._journal = None
        self._store.remove(old)
        log.info("search index rebuilt: %d wines in %s", n, gen)
        return n

    async def _fill(self, writer: tantivy.IndexWriter, docs: DocSource, progress: Progress | None) -> int:
        n = 0
        async for chunk in chunks(docs, REBUILD_BATCH):
            batch = [to_document(doc) for doc in chunk]
            await asyncio.to_thread(_add_all, writer, batch)
            n += len(batch)
            if progress is not None:
                progress(n)
        return n

    # ------------------------------------------------------------ reads
    async def count(self) -> int:
        return int(self._searcher().num_docs)

    async def price_quantiles(self, percents: Sequence[int]) -> dict[int, int]:
        searcher = self._searcher()
        listed = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, self._q.unlisted())]
        )
        aggs = {"q": {"percentiles": {"field": "price_cents", "percents": list(percents), "keyed": False}}}
        values = searcher.aggregate(listed, aggs)["q"]["values"]
        return {int(v["key"]): round(v["value"]) for v in values if _finite(v["value"])}

    async def ping(self) -> None:
        try:
            if not self._store.exists(self._gen):
                raise SearchUnavailable(f"the search index directory {self._root / self._gen} is gone")
            self._searcher().search(tantivy.Query.all_query(), 1)
        except ValueError as exc:
            raise SearchUnavailable(f"the tantivy index at {self._root} cannot be read: {exc}") from exc

    async def close(self) -> None:
        self._closed = True
        self._writer = None  # dropping the writer releases tantivy's lock file

    async def search(self, query: SearchQuery) -> SearchResult:
        searcher = self._searcher()
        clauses = parse(query.q) if query.q else ()
        fuzzy = self._unknown_words(searcher, clauses)
        tq = self._q.search(query, clauses, fuzzy)
        # tantivy releases the GIL while it works: the facets are aggregated in a worker thread while this
        # one ranks the page and highlights it.
        facets = asyncio.ensure_future(asyncio.to_thread(self._facets, searcher, tq))
        try:
            field, order = _SORTS.get(query.sort, (None, tantivy.Order.Desc))
            # No counting here: the facet aggregation counts, and top-k without a count can skip blocks.
            found = searcher.search(
                tq, limit=query.per_page, offset=query.offset, count=False, order_by_field=field, order=order
            )
            matchers = self._matchers(clauses, fuzzy)
            hits = [self._hit(searcher, value, address, field is None, matchers) for value, address in found.hits]
        finally:
            counted, total = await facets
        result = SearchResult(total=total, page=query.page, per_page=query.per_page, hits=hits, facets=counted)
        if clauses and total < DID_YOU_MEAN_BELOW:
            result.did_you_mean = self._did_you_mean(searcher, query, clauses, total)
        return result

    @staticmethod
    def _unknown_words(searcher: tantivy.Searcher, clauses: tuple[Clause, ...]) -> frozenset[str]:
        """Words that get typo tolerance: those the catalog (nearly) never uses. A word spelled as the
        catalog spells it needs none, and skipping the fuzzy expansion keeps common queries fast."""
        return frozenset(
            w
            for c in clauses
            if not c.is_synonym and fuzziness(w := c.words[0]) and searcher.doc_freq("spell", w) < KNOWN_WORD_DOCS
        )

    @staticmethod
    def _matchers(clauses: tuple[Clause, ...], fuzzy: frozenset[str]) -> tuple[TermMatcher, TermMatcher] | None:
        if not clauses:
            return None

        def stem(word: str) -> str:
            terms = analyze("tasting_notes", word)
            return terms[0] if terms else word

        return TermMatcher(clauses, fuzzy), TermMatcher(clauses, fuzzy, stem)

    def _hit(
        self,
        searcher: tantivy.Searcher,
        value: Any,
        address: tantivy.DocAddress,
        scored: bool,
        matchers: tuple[TermMatcher, TermMatcher] | None,
    ) -> SearchHit:
        src = source(searcher, address)
        hit = SearchHit(
            id=src["id"],
            score=float(value) if scored else None,
            name=src["name"],
            winery=src["winery"],
            style=src["style"],
            price_cents=src["price_cents"],
            currency=src["currency"],
            grapes=src["grapes"],
            region=src["region"],
            country=src["country"],
            vintage=src["vintage"],
            stock=src["stock"],
            in_stock=src["stock"] > 0,
            dietary=src["dietary"],
            rating_mean=src["rating_mean"],
            rating_count=src["rating_count"],
            demo_fields=src.get("demo_fields") or [],  # indexes built before it carry none
        )
        if matchers is not None:
            for name, text, matcher, size in (
                ("name", hit.name, matchers[0], None),
                ("tasting_notes", src["tasting_notes"], matchers[1], NOTES_FRAGMENT_CHARS),
            ):
                fragment = highlight(text, matcher, size)
                if fragment is not None:
                    hit.highlights[name] = fragment
        return hit

    def _facets(self, searcher: tantivy.Searcher, tq: tantivy.Query) -> tuple[Facets, int]:
        """Facet counts and price range of the whole result set, and its size (every wine has a price)."""
        aggs: dict[str, Any] = {
            name: {"terms": {"field": FACET_FIELDS[name], "size": FACET_SIZE}}
            for name in ("style", "country", "region", "grape")
        }
        aggs["price"] = {"stats": {"field": "price_cents"}}
        raw = searcher.aggregate(tq, aggs)
        counts = {
            name: {b["key"]: b["doc_count"] for b in raw[name]["buckets"]}
            for name in ("style", "country", "region", "grape")
        }
        facets = Facets(
            style=counts["style"], country=counts["country"], region=counts["region"], grape=counts["grape"]
        )
        total = int(raw["price"]["count"])
        if total:
            facets.price_min_cents = int(raw["price"]["min"])
            facets.price_max_cents = int(raw["price"]["max"])
        return facets, total

    def _did_you_mean(
        self, searcher: tantivy.Searcher, query: SearchQuery, clauses: tuple[Clause, ...], total: int
    ) -> str | None:
        fixes: dict[str, str] = {}
        for clause in clauses:
            word = clause.words[0]
            if clause.is_synonym or not correction_limit(word):
                continue
            if searcher.doc_freq("spell", word) >= DID_YOU_MEAN_BELOW:
                continue
            fix = best_correction(word, searcher.terms_with_prefix("spell", word[0]))
            if fix is not None:
                fixes[word] = fix
        if not fixes:
            return None
        corrected = " ".join(fixes.get(w, w) for w in words(query.q))
        better = replace(query, q=corrected, page=1, per_page=1, boost=None)
        clauses = parse(corrected)
        tq = self._q.search(better, clauses, self._unknown_words(searcher, clauses))
        # more wines than the query as typed found: total + 1 hits say so without counting them all
        found = searcher.search(tq, limit=total + 1, count=False)
        return corrected if len(found.hits) > total else None

    async def suggest(self, prefix: str, limit: int = 8) -> list[Suggestion]:
        typed = words(prefix)[:6]
        if not typed or limit < 1:
            return []
        version = self._version  # before the searcher: see _memoised
        searcher = self._searcher()
        candidates = self._memoised(searcher, version, typed, limit, fuzzy=False)
        counts: dict[tuple[SuggestionKind, str], int] = {
            (c.kind, c.text): int(c.popularity) for c in candidates if c.distance == 0
        }
        found = tantivy_suggest.live(searcher, self._q, rank(prefix, candidates), limit, counts)
        # Typo tolerance only when the prefix as typed finds little: it costs more and ranks below.
        if len(found) < max(1, limit // 2) and any(fuzziness(w) for w in typed):
            candidates = candidates + self._memoised(searcher, version, typed, limit, fuzzy=True)
            found = tantivy_suggest.live(searcher, self._q, rank(prefix, candidates), limit, counts)
        return found

    def _memoised(
        self, searcher: tantivy.Searcher, version: int, typed: list[str], limit: int, *, fuzzy: bool
    ) -> list[Candidate]:
        """_candidates, remembered per typed prefix until this process changes the index, or for
        FOLLOW_EVERY_S at most (commits by another process reach the searcher without telling us).

        Shoppers type the same short prefixes ("ca", "chat") over and over, and those are the dearest: the
        term dictionary walk costs ~3 us per distinct value under the prefix (1.5-2 ms at 100k wines).
        A write bumps the version after its reload, and `version` was read before `searcher` was taken, so
        candidates read from a searcher older than the version they would be filed under are never kept.
        """
        now = time.monotonic()
        if self._memo_of[0] != version or now - self._memo_of[1] > FOLLOW_EVERY_S or len(self._memo) >= self._memo_size:
            self._memo, self._memo_of = {}, (version, now)
        key = (tuple(typed), limit, fuzzy)
        found = self._memo.get(key)
        if found is None:
            found = tantivy_suggest.candidates(searcher, self._q, typed, limit, fuzzy=fuzzy)
            if self._version == version == self._memo_of[0]:
                self._memo[key] = found
        return found


def _add_all(writer: tantivy.IndexWriter, docs: list[tantivy.Document]) -> None:
    for doc in docs:
        writer.add_document(doc)


def _finite(value: Any) -> bool:
    """A percentile the engine could compute (an empty set reads as null or NaN)."""
    return isinstance(value, int | float) and math.isfinite(value)
