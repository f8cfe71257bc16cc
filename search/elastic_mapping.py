"""The Elasticsearch index definition (analysis, mapping) and the document shape we index; pure data."""

from __future__ import annotations

from typing import Any

from search.analysis import GRAPE_SYNONYMS, grape_group
from search.base import MAX_RESULT_WINDOW, TASTE_AXES, WineSearchDoc

# Split on anything that is not a letter or digit, like tantivy's simple tokenizer ("d'Arenberg" -> d, arenberg).
_WORDS_TOKENIZER = {"type": "pattern", "pattern": "[^\\p{L}\\p{N}]+"}
_FOLD = ["lowercase", "asciifolding"]


def analysis() -> dict[str, Any]:
    return {
        "tokenizer": {"cuvee_words": _WORDS_TOKENIZER},
        "filter": {
            # Search-time only (a graph filter): the index stays as written, a query for one name finds all.
            "cuvee_grape_synonyms": {
                "type": "synonym_graph",
                "synonyms": [", ".join(group) for group in GRAPE_SYNONYMS],
                "lenient": True,
            },
            "cuvee_english_stemmer": {"type": "stemmer", "language": "english"},
            "cuvee_english_possessive": {"type": "stemmer", "language": "possessive_english"},
        },
        "normalizer": {"cuvee_folded": {"type": "custom", "filter": _FOLD}},
        "analyzer": {
            "cuvee_folded": {"type": "custom", "tokenizer": "cuvee_words", "filter": _FOLD},
            "cuvee_folded_search": {
                "type": "custom",
                "tokenizer": "cuvee_words",
                "filter": [*_FOLD, "cuvee_grape_synonyms"],
            },
            "cuvee_english": {
                "type": "custom",
                "tokenizer": "cuvee_words",
                "filter": ["cuvee_english_possessive", *_FOLD, "cuvee_english_stemmer"],
            },
            "cuvee_english_search": {
                "type": "custom",
                "tokenizer": "cuvee_words",
                "filter": ["cuvee_english_possessive", *_FOLD, "cuvee_grape_synonyms", "cuvee_english_stemmer"],
            },
        },
    }


def _text(analyzer: str, *, synonyms: bool = False, keyword: bool = False, **extra: Any) -> dict[str, Any]:
    field: dict[str, Any] = {"type": "text", "analyzer": analyzer, **extra}
    if synonyms:
        field["search_analyzer"] = f"{analyzer}_search"
    if keyword:
        # kw: the value as written (facets); folded: case- and accent-blind (filters).
        field["fields"] = {
            "kw": {"type": "keyword", "ignore_above": 256},
            "folded": {"type": "keyword", "normalizer": "cuvee_folded", "ignore_above": 256},
        }
    return field


def _sayt() -> dict[str, Any]:
    return {"type": "search_as_you_type", "analyzer": "cuvee_folded", "max_shingle_size": 3}


def mappings() -> dict[str, Any]:
    spell = ["spell"]  # the did-you-mean vocabulary: every word a shopper might type
    return {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "keyword"},
            "name": _text("cuvee_folded", synonyms=True, copy_to=spell),
            "winery": _text("cuvee_folded", keyword=True, copy_to=spell),
            "grapes": _text("cuvee_folded", synonyms=True, keyword=True, copy_to=spell),
            "region": _text("cuvee_folded", keyword=True, copy_to=spell),
            "country": _text("cuvee_folded", keyword=True, copy_to=spell),
            "style": {"type": "keyword", "fields": {"folded": {"type": "keyword", "normalizer": "cuvee_folded"}}},
            # The vine each grape spelling belongs to (vocabulary.grape_group): what facets count and filters match.
            "grape_groups": {
                "type": "keyword",
                "fields": {"folded": {"type": "keyword", "normalizer": "cuvee_folded"}},
            },
            "tasting_notes": _text("cuvee_english", synonyms=True, copy_to=spell),
            "food_pairings": _text("cuvee_english"),
            "dietary": {"type": "keyword", "normalizer": "cuvee_folded"},
            "price_cents": {"type": "long"},
            "currency": {"type": "keyword", "index": False},
            "stock": {"type": "integer"},
            "vintage": {"type": "short"},
            "rating_mean": {"type": "float"},
            "rating_count": {"type": "integer"},
            "listed": {"type": "boolean"},
            "taste": {"properties": {axis: {"type": "float"} for axis in TASTE_AXES}},
            "created_at": {"type": "date"},
            "demo_fields": {"type": "keyword", "index": False},
            "spell": {"type": "text", "analyzer": "cuvee_folded"},
            "suggest_name": _sayt(),
            "suggest_winery": _sayt(),
            "suggest_grapes": _sayt(),
            "suggest_region": _sayt(),
        },
    }


def index_body() -> dict[str, Any]:
    """Body of `indices.create` for a new versioned index."""
    return {
        "settings": {
            "number_of_shards": 1,  # a wine catalog fits one shard; one shard also keeps scores exact
            "auto_expand_replicas": "0-1",  # a replica once a second node joins; green on one node
            "max_result_window": MAX_RESULT_WINDOW,
            "analysis": analysis(),
        },
        "mappings": mappings(),
    }


def to_source(doc: WineSearchDoc) -> dict[str, Any]:
    """The indexed document: the summary plus the as-you-type fields (kept out of search responses)."""
    source = {
        **doc.to_dict(),
        "suggest_name": doc.name,
        "suggest_winery": doc.winery,
        "suggest_grapes": doc.grapes,
        "suggest_region": doc.region,
        "grape_groups": list(dict.fromkeys(grape_group(g) for g in doc.grapes)),
    }
    for field in ("region", "country", "suggest_region"):
        source[field] = source[field] or None  # "" would become an empty facet value and term
    return source
