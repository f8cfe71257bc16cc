"""The Elasticsearch index definition and request bodies, checked as data (no server needed)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from search import Boost, SearchQuery, WineSearchDoc
from search.analysis import parse
from search.base import MAX_RESULT_WINDOW
from search.elastic_mapping import index_body, to_source
from search.elastic_query import (
    count_body,
    fuzzy_suggest_bodies,
    price_quantiles_body,
    read_facets,
    read_hit,
    search_body,
    spelling_options,
    suggest_body,
    text_query,
)
from search.elastic_query import filters as es_filters


def test_analysis_folds_accents_stems_notes_and_knows_grape_synonyms():
    settings = index_body()["settings"]
    analyzers = settings["analysis"]["analyzer"]

    assert analyzers["cuvee_folded"]["filter"] == ["lowercase", "asciifolding"]
    assert "cuvee_english_stemmer" in analyzers["cuvee_english"]["filter"]
    synonyms = settings["analysis"]["filter"]["cuvee_grape_synonyms"]
    assert synonyms["type"] == "synonym_graph"
    assert "syrah, shiraz" in synonyms["synonyms"]
    assert any(s.startswith("pinot gris, pinot grigio") for s in synonyms["synonyms"])
    # Synonyms apply at search time only, after folding, before stemming.
    search_chain = analyzers["cuvee_english_search"]["filter"]
    assert (
        search_chain.index("asciifolding")
        < search_chain.index("cuvee_grape_synonyms")
        < search_chain.index("cuvee_english_stemmer")
    )
    assert settings["max_result_window"] == MAX_RESULT_WINDOW


def test_mapping_is_strict_and_has_every_indexed_field():
    props = index_body()["mappings"]["properties"]
    doc = WineSearchDoc(
        id="w1",
        name="Château Musar",
        winery="Musar",
        style="red",
        price_cents=4200,
        grapes=["Cinsault"],
        created_at=datetime(2024, 5, 1, tzinfo=UTC),
    )

    assert index_body()["mappings"]["dynamic"] == "strict"
    assert set(to_source(doc)) <= set(props)
    assert to_source(doc)["region"] is None  # no empty facet value
    assert props["name"]["search_analyzer"] == "cuvee_folded_search"
    assert props["tasting_notes"]["analyzer"] == "cuvee_english"
    assert props["suggest_name"]["type"] == "search_as_you_type"
    assert props["grapes"]["fields"]["folded"]["normalizer"] == "cuvee_folded"
    assert "spell" in props["name"]["copy_to"] and "spell" in props["tasting_notes"]["copy_to"]
    json.dumps(index_body())  # serialisable as is


def test_each_word_may_match_in_any_field_with_names_weighted_most():
    query = text_query(parse("merlot"), fuzzy=())
    by_field = {next(iter(q["match"])): next(iter(q["match"].values()))["boost"] for q in query["dis_max"]["queries"]}

    assert by_field["name"] > by_field["winery"] > by_field["tasting_notes"]
    assert by_field["name"] > by_field["grapes"]


def test_typo_tolerance_only_for_the_words_given_and_most_words_must_match():
    query = text_query(parse("crisp citrus minerality"), fuzzy={"minerality"})
    clauses = query["bool"]["should"]

    assert query["bool"]["minimum_should_match"] == 3
    fuzzy = {
        field: params
        for c in clauses
        for q in c["dis_max"]["queries"]
        if "match" in q
        for field, params in q["match"].items()
        if "fuzziness" in params
    }
    assert {p["query"] for p in fuzzy.values()} == {"minerality"}
    assert fuzzy["name"]["fuzziness"] == 2
    assert fuzzy["tasting_notes"]["fuzziness"] == 1  # the large notes vocabulary gets one edit at most


def test_synonyms_are_phrases_that_score_a_constant_below_the_typed_words():
    queries = text_query(parse("pinot grigio"), fuzzy=())["dis_max"]["queries"]
    typed = [q["match_phrase"]["name"] for q in queries if "match_phrase" in q and "name" in q["match_phrase"]]
    synonyms = {
        kind: (match["name"]["query"], q["constant_score"]["boost"])
        for q in queries
        if "constant_score" in q
        for kind, match in q["constant_score"]["filter"].items()
        if "name" in match
    }

    assert typed == [{"query": "pinot grigio", "analyzer": "cuvee_folded", "boost": 4.0}]
    assert synonyms == {"match_phrase": ("pinot gris", 4.0), "match": ("grauburgunder", 4.0)}


def test_filters_sort_page_and_facets():
    query = SearchQuery(
        q="",
        style="white",
        country="Spain",
        grape="Syrah",
        price_min_cents=1000,
        dietary=["vegan", "organic"],
        in_stock=True,
        vintage_max=2020,
        sort="price_asc",
        page=3,
        per_page=10,
    )
    body = search_body(query, (), ())
    filters = body["query"]["bool"]["filter"]

    assert {"term": {"listed": True}} in filters
    assert {"term": {"style.folded": "white"}} in filters
    country = next(f["terms"]["country.folded"] for f in filters if "country.folded" in f.get("terms", {}))
    assert {"Spain", "spanish"} <= set(country)
    assert {"term": {"grape_groups.folded": "Syrah"}} in filters  # the vine, as the facets count it
    assert {"range": {"price_cents": {"gte": 1000}}} in filters
    assert {"range": {"vintage": {"lte": 2020}}} in filters
    assert {"term": {"dietary": "vegan"}} in filters and {"term": {"dietary": "organic"}} in filters
    assert {"range": {"stock": {"gte": 1}}} in filters
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert body["sort"] == [{"price_cents": "asc"}]
    assert (body["from"], body["size"], body["track_total_hits"]) == (20, 10, True)
    assert body["aggs"]["grape"] == {"terms": {"field": "grape_groups", "size": 20}}
    assert "highlight" not in body and "suggest" not in body


def test_text_search_asks_for_highlights_and_spelling_and_sorts_by_score():
    body = search_body(SearchQuery(q="rizling"), parse("rizling"), {"rizling"})

    assert "sort" not in body
    assert body["highlight"]["pre_tags"] == ["<mark>"] and body["highlight"]["encoder"] == "html"
    assert body["highlight"]["fields"]["name"] == {"number_of_fragments": 0}
    assert body["suggest"]["spelling"]["term"]["field"] == "spell"
    assert body["suggest"]["spelling"]["text"] == "rizling"


def test_boosts_only_add_score():
    body = search_body(
        SearchQuery(q="fruit", boost=Boost(countries={"Italy": 2.0}, grapes={"Shiraz": 1.0})), parse("fruit"), ()
    )

    should = body["query"]["bool"]["should"]
    assert {"constant_score": {"filter": {"term": {"country.folded": "Italy"}}, "boost": 2.0}} in should
    grapes = {"term": {"grape_groups.folded": "Syrah"}}
    assert {"constant_score": {"filter": grapes, "boost": 1.0}} in should
    assert "should" not in count_body(SearchQuery(q="fruit"), parse("fruit"), ())["query"]["bool"]


def test_a_price_range_boost_scores_wines_within_it():
    boost = Boost(price_cents=(1000, None), price_weight=1.5)
    should = search_body(SearchQuery(boost=boost), [], ())["query"]["bool"]["should"]

    assert should == [{"constant_score": {"filter": {"range": {"price_cents": {"gte": 1000}}}, "boost": 1.5}}]
    assert Boost(price_cents=(None, None), price_weight=1.5).is_empty()


def test_a_boost_beside_a_query_drops_what_its_filters_fix():
    boost = Boost(styles={"sparkling": 3.0}, regions={"Champagne": 2.0}, price_cents=(1000, 3000), price_weight=1.5)

    beside = boost.beside(SearchQuery(style="red", price_max_cents=2000))

    assert beside.styles == {} and beside.regions == {"Champagne": 2.0} and beside.price_range() is None
    assert boost.beside(SearchQuery(regions=["Rioja"])).regions == {}


def test_suggest_bodies():
    body = suggest_body(["napa", "val"], limit=8)
    wine = body["query"]["bool"]["must"][0]["multi_match"]

    assert wine["type"] == "bool_prefix" and wine["query"] == "napa val"
    assert wine["fields"] == ["suggest_name", "suggest_name._2gram", "suggest_name._3gram"]
    region = body["aggs"]["region"]
    assert "global" in region  # values are counted over the whole catalog, not just the wine hits
    assert region["aggs"]["m"]["aggs"]["v"]["terms"]["field"] == "region.kw"
    assert body["sort"] == [{"rating_count": "desc"}]

    wines, values = fuzzy_suggest_bodies(["cabernay"], limit=8, sample=30)
    last = wines["query"]["bool"]["must"][-1]
    assert last == {"match": {"suggest_name._index_prefix": {"query": "cabernay", "fuzziness": 2}}}
    assert values["size"] == 30 and values["query"]["bool"]["minimum_should_match"] == 1


def test_reading_answers_back():
    hit = read_hit(
        {
            "_score": 3.5,
            "_source": {
                "id": "w1",
                "name": "N",
                "winery": "W",
                "style": "red",
                "price_cents": 100,
                "currency": "EUR",
                "grapes": ["Gamay"],
                "region": "",
                "country": "France",
                "vintage": None,
                "stock": 0,
                "dietary": [],
                "rating_mean": None,
                "rating_count": 0,
            },
            "highlight": {"name": ["<mark>N</mark>"]},
        },
        scored=True,
    )
    facets = read_facets(
        {
            "style": {"buckets": [{"key": "red", "doc_count": 2}]},
            "country": {"buckets": []},
            "region": {"buckets": []},
            "grape": {"buckets": []},
            "price": {"count": 2, "min": 100.0, "max": 900.0},
        }
    )
    options = spelling_options(
        {"suggest": {"spelling": [{"text": "rizling", "options": [{"text": "riesling", "freq": 3, "score": 0.7}]}]}}
    )

    assert (hit.id, hit.score, hit.in_stock, hit.highlights) == ("w1", 3.5, False, {"name": "<mark>N</mark>"})
    assert (facets.style, facets.price_min_cents, facets.price_max_cents) == ({"red": 2}, 100, 900)
    assert options == {"rizling": [("riesling", 3)]}


def test_readings_from_words_filter_regions_pairings_and_taste_ranges():
    query = SearchQuery(
        q="",
        regions=["Toscana", "Chianti"],
        pairings=["Rich Fish", "Lean Fish"],
        taste={"body": (0.6, 1.0)},
        country="USA",
    )
    filters = es_filters(query)

    assert {"terms": {"region.folded": ["Toscana", "Chianti"]}} in filters
    fish = [{"match_phrase": {"food_pairings": "Rich Fish"}}, {"match_phrase": {"food_pairings": "Lean Fish"}}]
    assert {"bool": {"should": fish, "minimum_should_match": 1}} in filters
    assert {"range": {"taste.body": {"gte": 0.6, "lte": 1.0}}} in filters
    country = next(f["terms"]["country.folded"] for f in filters if "country.folded" in f.get("terms", {}))
    assert {"USA", "United States"} <= set(country)


def test_price_quantiles_body_reads_listed_wines_only():
    body = price_quantiles_body((25, 75))
    assert body["size"] == 0 and body["query"] == {"bool": {"filter": [{"term": {"listed": True}}]}}
    assert body["aggs"]["price"]["percentiles"] == {"field": "price_cents", "percents": [25, 75], "keyed": False}
