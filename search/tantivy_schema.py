"""The tantivy index layout: analyzers, schema, and the conversion of wines to and from tantivy documents."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import tantivy
from tantivy import Filter, TextAnalyzer, TextAnalyzerBuilder, Tokenizer

from search.analysis import grape_group, words
from search.base import TASTE_AXES, SearchUnavailable, SuggestionKind, WineSearchDoc

FOLDED = "cuvee_folded"  # words, lower-cased and accent-folded: names, wineries, grapes, regions
ENGLISH = "cuvee_english"  # the same plus English stemming: tasting notes and food pairings
KEYWORD = "cuvee_keyword"  # a whole value as one folded term: filters ("Côte Rôtie" = "cote rotie")

TEXT_FIELDS = ("name", "winery", "grapes", "region", "country", "tasting_notes", "food_pairings")
STEMMED_FIELDS = ("tasting_notes", "food_pairings")
FACET_FIELDS = {
    "style": "style_k",
    "country": "country_k",
    "region": "region_k",
    "grape": "grape_k",
    "winery": "winery_k",
}
FILTER_FIELDS = {
    "style": "style_f",
    "country": "country_f",
    "region": "region_f",
    "grape": "grape_f",
    "dietary": "dietary_f",
}
# As-you-type values: one raw term per word position, "<folded words from here>\x1f<display value>", so a
# prefix scan of the term dictionary yields distinct values with their live document counts.
SUGGEST_FIELDS: dict[SuggestionKind, str] = {"winery": "sv_winery", "grape": "sv_grape", "region": "sv_region"}
SUGGEST_SEPARATOR = "\x1f"
SCHEMA_VERSION = "4"  # bump when the layout changes: an index of another version is rebuilt, not read


def _analyzer(tokenizer: Tokenizer, *, stem: bool) -> TextAnalyzer:
    builder = TextAnalyzerBuilder(tokenizer).filter(Filter.remove_long(60)).filter(Filter.lowercase())
    builder = builder.filter(Filter.ascii_fold())
    if stem:
        builder = builder.filter(Filter.stemmer("english"))
    return builder.build()


@lru_cache(maxsize=1)
def analyzers() -> dict[str, TextAnalyzer]:
    return {
        FOLDED: _analyzer(Tokenizer.simple(), stem=False),
        ENGLISH: _analyzer(Tokenizer.simple(), stem=True),
        KEYWORD: _analyzer(Tokenizer.raw(), stem=False),
    }


def register(index: tantivy.Index) -> None:
    """Custom analyzers are not stored in the index: every opened Index needs them registered again."""
    for name, analyzer in analyzers().items():
        index.register_tokenizer(name, analyzer)


@lru_cache(maxsize=8192)
def analyze(field: str, word: str) -> tuple[str, ...]:
    """The terms a field indexes for a word (cached: query words repeat)."""
    return tuple(analyzers()[ENGLISH if field in STEMMED_FIELDS else FOLDED].analyze(word))


def keyword(value: str) -> str:
    """The filter term of a value, exactly as the KEYWORD analyzer indexed it."""
    terms = analyzers()[KEYWORD].analyze(value)
    return terms[0] if terms else ""


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", tokenizer_name="raw")
    sb.add_bytes_field("src", stored=True)  # the whole summary as JSON: one stored value to read per hit
    for name in TEXT_FIELDS:
        sb.add_text_field(name, tokenizer_name=ENGLISH if name in STEMMED_FIELDS else FOLDED)
    sb.add_text_field("spell", tokenizer_name=FOLDED, index_option="basic")  # vocabulary for did-you-mean
    for name in SUGGEST_FIELDS.values():
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    for name in FACET_FIELDS.values():
        sb.add_text_field(name, fast=True, tokenizer_name="raw")
    for name in FILTER_FIELDS.values():
        sb.add_text_field(name, tokenizer_name=KEYWORD, index_option="basic")
    for name in ("price_cents", "vintage", "stock"):
        sb.add_integer_field(name, indexed=True, fast=True)
    for name in ("rating_count", "created_ms", "listed", *(f"taste_{a}" for a in TASTE_AXES)):
        sb.add_integer_field(name, indexed=True, fast=True)
    sb.add_float_field("rating_mean", fast=True)
    return sb.build()


def to_document(doc: WineSearchDoc) -> tantivy.Document:
    groups = list(dict.fromkeys(grape_group(g) for g in doc.grapes))  # facets count, filters match, one vine once
    values: dict[str, Any] = {
        "id": doc.id,
        "src": json.dumps(doc.to_dict(), separators=(",", ":")).encode(),
        "name": doc.name,
        "winery": doc.winery,
        "grapes": doc.grapes,
        "region": doc.region,
        "country": doc.country,
        "tasting_notes": doc.tasting_notes,
        "food_pairings": doc.food_pairings,
        "spell": [doc.name, doc.winery, *doc.grapes, doc.region, doc.country, doc.tasting_notes],
        "style_k": doc.style,
        "country_k": doc.country,
        "region_k": doc.region,
        "grape_k": groups,
        "winery_k": doc.winery,
        "style_f": doc.style,
        "country_f": doc.country,
        "region_f": doc.region,
        "grape_f": groups,
        "dietary_f": doc.dietary,
        "sv_winery": suggest_terms([doc.winery]),
        "sv_grape": suggest_terms(doc.grapes),
        "sv_region": suggest_terms([doc.region]),
        "price_cents": doc.price_cents,
        "stock": doc.stock,
        "rating_count": doc.rating_count,
        "rating_mean": float(doc.rating_mean or 0.0),  # unrated sorts last under "rating"
        "created_ms": int(doc.created_at.timestamp() * 1000),
        "listed": int(doc.listed),
        **{f"taste_{a}": round(v * 100) for a, v in doc.taste.items() if a in TASTE_AXES},  # percent: integer ranges
    }
    if doc.vintage is not None:
        values["vintage"] = doc.vintage
    # Empty strings would become facet buckets and empty terms.
    return tantivy.Document(**{k: v for k, v in values.items() if v != "" and v != []})


def suggest_terms(values: list[str]) -> list[str]:
    """ "Napa Valley" -> ["napa valley\x1fNapa Valley", "valley\x1fNapa Valley"]: found by any word's prefix."""
    out = []
    for value in values:
        folded = words(value)
        out += [" ".join(folded[i:]) + SUGGEST_SEPARATOR + value for i in range(len(folded))]
    return out


def source(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> dict[str, Any]:
    """The wine as it was indexed (the `src` field), read back for a hit or a suggestion."""
    raw = searcher.doc(address).get_first("src")
    if raw is None:
        raise SearchUnavailable("the search index holds a document without its source: rebuild it")
    return dict(json.loads(raw))
