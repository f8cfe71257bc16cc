"""Search: one SearchIndex port, two engines (tantivy embedded, Elasticsearch), chosen by URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from search.base import (
    MAX_PER_PAGE,
    MAX_RESULT_WINDOW,
    Boost,
    Facets,
    InvalidQuery,
    SearchError,
    SearchHit,
    SearchIndex,
    SearchQuery,
    SearchResult,
    SearchUnavailable,
    Sort,
    Suggestion,
    WineSearchDoc,
)

__all__ = [
    "MAX_PER_PAGE",
    "MAX_RESULT_WINDOW",
    "Boost",
    "Facets",
    "InvalidQuery",
    "SearchError",
    "SearchHit",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
    "SearchUnavailable",
    "Sort",
    "Suggestion",
    "WineSearchDoc",
    "open_index",
]


def open_index(url: str, *, namespace: str = "cuvee") -> SearchIndex:
    """`tantivy:///abs/path` or `tantivy://relative/path` -> TantivyIndex on disk;
    `http(s)://host:9200` -> ElasticsearchIndex whose indices and alias start with `namespace`."""
    parsed = urlparse(url)
    if parsed.scheme == "tantivy":
        from search.tantivy_index import TantivyIndex

        path = Path(url[len("tantivy://") :])
        if not str(path) or str(path) == ".":
            raise SearchUnavailable(f"{url!r} names no directory: use tantivy:///absolute/path")
        return TantivyIndex(path)
    if parsed.scheme in ("http", "https"):
        from search.elastic import ElasticsearchIndex

        return ElasticsearchIndex(url, namespace=namespace)
    raise SearchUnavailable(f"unsupported search URL {url!r}: use tantivy:///path or http(s)://host:port")
