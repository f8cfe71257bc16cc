"""Elasticsearch request bodies for searches and suggestions, and reading the answers back; pure dicts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from search.analysis import (
    FIELD_WEIGHTS,
    FUZZY_FIELDS,
    FUZZY_WEIGHT,
    SYNONYM_SCORE,
    TIE_BREAKER,
    VINTAGE_WEIGHT,
    Clause,
    as_vintage,
    fuzziness,
    grape_group,
    min_should_match,
)
from search.base import FACET_SIZE, Facets, SearchHit, SearchQuery, Sort
from search.suggest import engine_words
from vocabulary import country_spellings

LISTED = {"term": {"listed": True}}
FIELD_ANALYZERS = {
    "name": "cuvee_folded",
    "grapes": "cuvee_folded",
    "winery": "cuvee_folded",
    "region": "cuvee_folded",
    "country": "cuvee_folded",
    "tasting_notes": "cuvee_english",
    "food_pairings": "cuvee_english",
}
FACETS = {"style": "style", "country": "country.kw", "region": "region.kw", "grape": "grape_groups"}
FILTERS = {
    "style": "style.folded",
    "country": "country.folded",
    "region": "region.folded",
    "grape": "grape_groups.folded",
}
SORTS: dict[Sort, list[Any]] = {
    Sort.price_asc: [{"price_cents": "asc"}],
    Sort.price_desc: [{"price_cents": "desc"}],
    Sort.rating: [{"rating_mean": {"order": "desc", "missing": "_last"}}],
    Sort.newest: [{"created_at": "desc"}],
}
SOURCE = [
    "id",
    "name",
    "winery",
    "style",
    "price_cents",
    "currency",
    "grapes",
    "region",
    "country",
    "vintage",
    "stock",
    "dietary",
    "rating_mean",
    "rating_count",
    "demo_fields",
]
NOTES_FRAGMENT_CHARS = 200
FACETS_BY_KIND = {"winery": "winery.kw", "grape": "grapes.kw", "region": "region.kw"}
SUGGEST_FIELDS = {
    "wine": "suggest_name",
    "winery": "suggest_winery",
    "grape": "suggest_grapes",
    "region": "suggest_region",
}


def text_query(clauses: Sequence[Clause], fuzzy: Collection[str]) -> dict[str, Any]:
    """Each clause may match in any field (best field wins, others add a little); most must match."""
    queries = [_clause(c, c.words[0] in fuzzy) for c in clauses]
    if len(queries) == 1:
        return queries[0]
    return {"bool": {"should": queries, "minimum_should_match": min_should_match(len(queries))}}


def _clause(clause: Clause, fuzzy: bool) -> dict[str, Any]:
    """As the tantivy engine: the typed words score by BM25, their synonyms a constant, typos a fraction.
    The index analyzer is named so the mapping's search-time synonym filter does not expand twice."""
    queries: list[dict[str, Any]] = []
    word = clause.words[0]
    for field, weight in FIELD_WEIGHTS.items():
        analyzer = FIELD_ANALYZERS[field]
        for i, words in enumerate(clause.alternatives):
            kind = "match" if len(words) == 1 else "match_phrase"
            params: dict[str, Any] = {"query": " ".join(words), "analyzer": analyzer}
            if i == 0:
                queries.append({kind: {field: {**params, "boost": weight}}})
            else:
                queries.append({"constant_score": {"filter": {kind: {field: params}}, "boost": weight * SYNONYM_SCORE}})
        if fuzzy and fuzziness(word) and not clause.is_synonym and field in FUZZY_FIELDS:
            # As in the tantivy engine: one edit at most in the (large) notes vocabulary.
            reach = min(fuzziness(word), 1) if analyzer == "cuvee_english" else fuzziness(word)
            queries.append(
                {
                    "match": {
                        field: {"query": word, "analyzer": analyzer, "fuzziness": reach, "boost": weight * FUZZY_WEIGHT}
                    }
                }
            )
    year = as_vintage(word) if not clause.is_synonym else None
    if year is not None:
        queries.append({"constant_score": {"filter": {"term": {"vintage": year}}, "boost": VINTAGE_WEIGHT}})
    return {"dis_max": {"queries": queries, "tie_breaker": TIE_BREAKER}}


def filters(query: SearchQuery) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [LISTED]
    for name in ("style", "region"):
        value = getattr(query, name)
        if value:
            out.append({"term": {FILTERS[name]: value}})
    if query.country:  # "USA" finds "United States" and the other way round
        spellings = country_spellings(query.country)
        out.append(
            {"term": {FILTERS["country"]: spellings[0]}}
            if len(spellings) == 1
            else {"terms": {FILTERS["country"]: list(spellings)}}
        )
    if query.grape:
        out.append({"term": {FILTERS["grape"]: grape_group(query.grape)}})
    out += [{"term": {"dietary": d}} for d in query.dietary]
    if query.regions:
        out.append({"terms": {FILTERS["region"]: list(query.regions)}})
    if query.pairings:
        out.append(
            {
                "bool": {
                    "should": [{"match_phrase": {"food_pairings": p}} for p in query.pairings],
                    "minimum_should_match": 1,
                }
            }
        )
    out += [{"range": {f"taste.{axis}": {"gte": low, "lte": high}}} for axis, (low, high) in query.taste.items()]
    for field, low, high in (
        ("price_cents", query.price_min_cents, query.price_max_cents),
        ("vintage", query.vintage_min, query.vintage_max),
    ):
        if low is not None or high is not None:
            bounds = {k: v for k, v in (("gte", low), ("lte", high)) if v is not None}
            out.append({"range": {field: bounds}})
    if query.in_stock is True:
        out.append({"range": {"stock": {"gte": 1}}})
    elif query.in_stock is False:
        out.append({"term": {"stock": 0}})
    return out


def boosts(query: SearchQuery) -> list[dict[str, Any]]:
    if query.boost is None:
        return []
    out = []
    for name, value, weight in query.boost.items():
        value = grape_group(value) if name == "grape" else value
        out.append({"constant_score": {"filter": {"term": {FILTERS[name]: value}}, "boost": weight}})
    if (price := query.boost.price_range()) is not None:
        low, high, weight = price
        bounds = {k: v for k, v in (("gte", low), ("lte", high)) if v is not None}
        out.append({"constant_score": {"filter": {"range": {"price_cents": bounds}}, "boost": weight}})
    return out


def search_body(query: SearchQuery, clauses: Sequence[Clause], fuzzy: Collection[str]) -> dict[str, Any]:
    """One request: the page, the total, the facets, highlights and (for text) spelling candidates."""
    main = text_query(clauses, fuzzy) if clauses else {"match_all": {}}
    body: dict[str, Any] = {
        "query": {"bool": {"must": [main], "filter": filters(query), "should": boosts(query)}},
        "from": query.offset,
        "size": query.per_page,
        "track_total_hits": True,
        "_source": SOURCE,
        "aggs": facet_aggs(),
    }
    if query.sort in SORTS:
        body["sort"] = SORTS[query.sort]
    if clauses:
        body["highlight"] = {
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "encoder": "html",
            "require_field_match": True,
            "fields": {
                "name": {"number_of_fragments": 0},
                "tasting_notes": {"fragment_size": NOTES_FRAGMENT_CHARS, "number_of_fragments": 1},
            },
        }
        words = [c.words[0] for c in clauses if not c.is_synonym]
        if words:
            body["suggest"] = spelling_suggest(" ".join(words))
    return body


def count_body(query: SearchQuery, clauses: Sequence[Clause], fuzzy: Collection[str]) -> dict[str, Any]:
    main = text_query(clauses, fuzzy) if clauses else {"match_all": {}}
    return {"query": {"bool": {"must": [main], "filter": filters(query)}}}


def price_quantiles_body(percents: Sequence[int]) -> dict[str, Any]:
    """The listed wines' price percentiles, no hits."""
    return {
        "size": 0,
        "query": {"bool": {"filter": [LISTED]}},
        "aggs": {"price": {"percentiles": {"field": "price_cents", "percents": list(percents), "keyed": False}}},
    }


def spelling_suggest(text: str) -> dict[str, Any]:
    """Term suggester over every word shoppers search; "popular" only offers words more wines use."""
    return {
        "spelling": {
            "text": text,
            "term": {
                "field": "spell",
                "suggest_mode": "popular",
                "max_edits": 2,
                "prefix_length": 1,
                "min_word_length": 4,
                "size": 5,
            },
        }
    }


def facet_aggs() -> dict[str, Any]:
    aggs: dict[str, Any] = {name: {"terms": {"field": field, "size": FACET_SIZE}} for name, field in FACETS.items()}
    aggs["price"] = {"stats": {"field": "price_cents"}}
    return aggs


def read_facets(aggs: dict[str, Any]) -> Facets:
    counts = {name: {b["key"]: b["doc_count"] for b in aggs[name]["buckets"]} for name in FACETS}
    facets = Facets(style=counts["style"], country=counts["country"], region=counts["region"], grape=counts["grape"])
    if aggs["price"]["count"]:
        facets.price_min_cents = int(aggs["price"]["min"])
        facets.price_max_cents = int(aggs["price"]["max"])
    return facets


def read_hit(hit: dict[str, Any], scored: bool) -> SearchHit:
    src = hit["_source"]
    out = SearchHit(
        id=src["id"],
        score=hit.get("_score") if scored else None,
        name=src["name"],
        winery=src["winery"],
        style=src["style"],
        price_cents=src["price_cents"],
        currency=src["currency"],
        grapes=src["grapes"],
        region=src.get("region") or "",
        country=src.get("country") or "",
        vintage=src.get("vintage"),
        stock=src["stock"],
        in_stock=src["stock"] > 0,
        dietary=src["dietary"],
        rating_mean=src.get("rating_mean"),
        rating_count=src["rating_count"],
        demo_fields=src.get("demo_fields") or [],  # indexes built before it carry none
    )
    for field, fragments in hit.get("highlight", {}).items():
        if fragments:
            out.highlights[field] = fragments[0]
    return out


def spelling_options(response: Any) -> dict[str, list[tuple[str, int]]]:
    """word -> [(correction, how many wines use it)] from the term suggester's answer."""
    entries = response.get("suggest", {}).get("spelling", [])
    return {e["text"]: [(o["text"], int(o["freq"])) for o in e["options"]] for e in entries}


# ---------------------------------------------------------------- suggestions
def suggest_query(kind: str, typed: list[str], *, fuzzy: bool) -> dict[str, Any]:
    """Wines whose `kind` field has the whole words and a word beginning with the prefix (engine_words),
    each within its typo distance when fuzzy."""
    field = SUGGEST_FIELDS[kind]
    whole, prefix = engine_words(typed)
    if not fuzzy:
        match: dict[str, Any]
        if prefix:
            match = {
                "multi_match": {
                    "query": " ".join([*whole, prefix]),
                    "type": "bool_prefix",
                    "operator": "and",
                    "fields": [field, f"{field}._2gram", f"{field}._3gram"],
                }
            }
        else:
            match = {"match": {field: {"query": " ".join(whole), "operator": "and"}}}
        return {"bool": {"filter": [LISTED], "must": [match]}}
    musts: list[dict[str, Any]] = [{"match": {field: {"query": w, "fuzziness": fuzziness(w)}}} for w in whole]
    if prefix:
        d = fuzziness(prefix)
        musts.append(
            {"match": {f"{field}._index_prefix": {"query": prefix, "fuzziness": d}}}
            if d
            else {"prefix": {field: {"value": prefix}}}
        )
    return {"bool": {"filter": [LISTED], "must": musts}}


def suggest_body(typed: list[str], limit: int) -> dict[str, Any]:
    """Exact prefixes: the most popular matching wines as hits, distinct values of the other kinds as
    global aggregations (each kind filtered by its own field)."""
    aggs = {
        kind: {
            "global": {},
            "aggs": {
                "m": {
                    "filter": suggest_query(kind, typed, fuzzy=False),
                    "aggs": {"v": {"terms": {"field": FACETS_BY_KIND[kind], "size": 2 * limit}}},
                }
            },
        }
        for kind in ("winery", "grape", "region")
    }
    return {
        "query": suggest_query("wine", typed, fuzzy=False),
        "size": limit,
        "sort": [{"rating_count": "desc"}],
        "_source": ["id", "name", "rating_count"],
        "aggs": aggs,
    }


def fuzzy_suggest_bodies(typed: list[str], limit: int, sample: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Typo path: wines by name, and a sample of the most popular wines matching in winery, grapes or
    region whose values are then ranked (as the tantivy engine does)."""
    wines = {
        "query": suggest_query("wine", typed, fuzzy=True),
        "size": limit,
        "sort": [{"rating_count": "desc"}],
        "_source": ["id", "name", "rating_count"],
    }
    either = {
        "bool": {
            "should": [suggest_query(k, typed, fuzzy=True) for k in ("winery", "grape", "region")],
            "minimum_should_match": 1,
        }
    }
    values = {
        "query": either,
        "size": sample,
        "sort": [{"rating_count": "desc"}],
        "_source": ["winery", "grapes", "region"],
    }
    return wines, values
