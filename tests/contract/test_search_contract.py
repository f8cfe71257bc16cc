"""The SearchIndex contract: every engine (tantivy always, Elasticsearch when configured) must pass it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from search import Boost, InvalidQuery, SearchIndex, SearchQuery, WineSearchDoc

Make = Callable[..., WineSearchDoc]


async def ids(index: SearchIndex, **query: object) -> list[str]:
    return [h.id for h in (await index.search(SearchQuery(**query))).hits]  # type: ignore[arg-type]


# ---------------------------------------------------------------- writes
async def test_an_upserted_wine_is_searchable_when_upsert_returns(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert([make_doc(id="a", name="Morgon Côte du Py")])

    assert await ids(search_index, q="morgon") == ["a"]
    assert await search_index.count() == 1


async def test_upsert_replaces_a_wine_and_its_price_and_stock(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert([make_doc(id="a", name="Fleurie", price_cents=1800, stock=4)])
    await search_index.upsert([make_doc(id="a", name="Fleurie", price_cents=2100, stock=0)])

    result = await search_index.search(SearchQuery(q="fleurie"))
    assert result.total == 1
    assert (result.hits[0].price_cents, result.hits[0].stock, result.hits[0].in_stock) == (2100, 0, False)
    assert await search_index.count() == 1


async def test_a_deleted_wine_is_gone_from_search_and_suggestions(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert(
        [
            make_doc(id="a", name="Juliénas Vieilles Vignes", winery="Domaine Zephyrine"),
            make_doc(id="b", name="Chiroubles"),
        ]
    )
    await search_index.delete(["a", "never-existed"])

    assert await ids(search_index, q="julienas") == []
    assert await search_index.count() == 1
    assert [s.text for s in await search_index.suggest("zephyr")] == []


async def test_suggestions_follow_every_write_at_once(search_index: SearchIndex, make_doc: Make):
    async def wineries(prefix: str) -> set[str]:
        return {s.text for s in await search_index.suggest(prefix) if s.kind == "winery"}

    assert await wineries("zeph") == set()  # asked before the wine exists: nothing may be remembered
    await search_index.upsert([make_doc(id="a", name="Morgon", winery="Domaine Zephyrine")])
    assert await wineries("zeph") == {"Domaine Zephyrine"}
    await search_index.upsert([make_doc(id="a", name="Morgon", winery="Clos Zephyr")])
    assert await wineries("zeph") == {"Clos Zephyr"}
    await search_index.delete(["a"])
    assert await wineries("zeph") == set()


async def test_delisted_wines_never_match(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert([make_doc(id="a", name="Brouilly", listed=False), make_doc(id="b", name="Régnié")])

    assert await ids(search_index, q="brouilly") == []
    assert await ids(search_index) == ["b"]
    assert await search_index.suggest("brouil") == []


async def test_close_and_reopen_keeps_the_index(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert([make_doc(id="a", name="Saint-Amour")])
    await search_index.ping()

    assert await ids(search_index, q="saint amour") == ["a"]


# ---------------------------------------------------------------- wine-aware matching
async def test_accents_are_folded_in_both_directions(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert([make_doc(id="a", name="Château Lafleur"), make_doc(id="b", name="Cotes du Rhone")])

    assert await ids(search_index, q="chateau lafleur") == ["a"]
    assert await ids(search_index, q="CHÂTEAU") == ["a"]
    assert await ids(search_index, q="côtes du rhône") == ["b"]


async def test_typos_still_find_the_grape(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert(
        [
            make_doc(id="cab", name="Napa Reserve", grapes=["Cabernet Sauvignon"]),
            make_doc(id="other", name="Sunny Rosé", grapes=["Grenache"], style="rosé"),
        ]
    )

    assert await ids(search_index, q="cabernay sauvignon") == ["cab"]
    assert await ids(search_index, q="sauvingon") == ["cab"]


@pytest.mark.parametrize(
    ("indexed", "typed"),
    [
        ("Shiraz", "syrah"),
        ("Syrah", "shiraz"),
        ("Pinot Gris", "pinot grigio"),
        ("Pinot Grigio", "pinot gris"),
        ("Garnacha", "grenache"),
        ("Monastrell", "mourvèdre"),
        ("Zinfandel", "primitivo"),
        ("Tinta Roriz", "tempranillo"),
    ],
)
async def test_grape_synonyms_find_each_other(search_index: SearchIndex, make_doc: Make, indexed: str, typed: str):
    await search_index.upsert([make_doc(id="syn", grapes=[indexed]), make_doc(id="other", grapes=["Riesling"])])

    assert await ids(search_index, q=typed) == ["syn"]
    assert await ids(search_index, grape=typed) == ["syn"]


async def test_a_name_match_outranks_a_tasting_note_match(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert(
        [
            make_doc(id="notes", name="Left Bank Blend", tasting_notes="Cassis with a Merlot softness and cedar."),
            make_doc(id="name", name="Merlot Classic", tasting_notes="Plum and cedar."),
        ]
    )

    assert await ids(search_index, q="merlot") == ["name", "notes"]


async def test_descriptive_words_match_tasting_notes_by_stem(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert(
        [
            make_doc(id="dark", tasting_notes="Ripe blackberries and firm, grippy tannins."),
            make_doc(id="light", tasting_notes="Crisp citrus and wet-stone minerality."),
        ]
    )

    assert await ids(search_index, q="blackberry tannin") == ["dark"]
    assert await ids(search_index, q="crisp citrus minerality") == ["light"]


async def test_a_typed_year_matches_the_vintage(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert(
        [
            make_doc(id="15", name="Margaux Réserve", vintage=2015),
            make_doc(id="16", name="Margaux Réserve", vintage=2016),
        ]
    )

    assert await ids(search_index, q="margaux 2015") == ["15"]


async def test_stop_words_do_not_have_to_match(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert([make_doc(id="a", tasting_notes="Crisp citrus."), make_doc(id="b")])

    assert await ids(search_index, q="a wine with crisp citrus") == ["a"]


async def test_longer_queries_may_miss_a_word(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert(
        [
            make_doc(id="a", tasting_notes="Ripe cherry, violets and smooth tannins."),
            make_doc(id="b", tasting_notes="Lemon zest."),
        ]
    )

    assert await ids(search_index, q="cherry violets tannins velvet") == ["a"]
    assert await ids(search_index, q="cherry velvet") == []


# ---------------------------------------------------------------- filters, facets, sorting, pages
@pytest.fixture
async def shelf(search_index: SearchIndex, make_doc: Make) -> SearchIndex:
    await search_index.upsert(
        [
            make_doc(
                id="bdx",
                name="Pauillac Grand Vin",
                style="red",
                country="France",
                region="Bordeaux",
                grapes=["Cabernet Sauvignon", "Merlot"],
                price_cents=6000,
                vintage=2015,
                stock=2,
                rating_mean=4.6,
                rating_count=40,
                dietary=["organic"],
            ),
            make_doc(
                id="rio",
                name="Rioja Reserva",
                style="red",
                country="Spain",
                region="Rioja",
                grapes=["Tempranillo"],
                price_cents=2200,
                vintage=2017,
                stock=0,
                rating_mean=4.1,
                rating_count=12,
                dietary=["vegan", "organic"],
            ),
            make_doc(
                id="alb",
                name="Rías Baixas Albariño",
                style="white",
                country="Spain",
                region="Rías Baixas",
                grapes=["Albariño"],
                price_cents=1800,
                vintage=2022,
                stock=30,
                dietary=["vegan"],
            ),
            make_doc(
                id="cha",
                name="Chablis Premier Cru",
                style="white",
                country="France",
                region="Burgundy",
                grapes=["Chardonnay"],
                price_cents=3500,
                vintage=2020,
                stock=5,
                rating_mean=3.9,
                rating_count=7,
            ),
            make_doc(
                id="nv",
                name="Cava Brut Nature",
                style="sparkling",
                country="Spain",
                region="Penedès",
                grapes=["Macabeo", "Xarel·lo"],
                price_cents=1200,
                vintage=None,
                stock=50,
            ),
        ]
    )
    return search_index


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"style": "white"}, {"alb", "cha"}),
        ({"country": "spain"}, {"rio", "alb", "nv"}),
        ({"region": "RIAS BAIXAS"}, {"alb"}),
        ({"grape": "Merlot"}, {"bdx"}),
        ({"price_min_cents": 1800, "price_max_cents": 3500}, {"rio", "alb", "cha"}),
        ({"vintage_min": 2016, "vintage_max": 2020}, {"rio", "cha"}),
        ({"vintage_min": 2000}, {"bdx", "rio", "alb", "cha"}),
        ({"dietary": ["vegan"]}, {"rio", "alb"}),
        ({"dietary": ["vegan", "organic"]}, {"rio"}),
        ({"in_stock": True}, {"bdx", "alb", "cha", "nv"}),
        ({"in_stock": False}, {"rio"}),
        ({"q": "reserva", "country": "Spain", "style": "red"}, {"rio"}),
        ({"country": "Italy"}, set()),
    ],
)
async def test_filters_narrow_the_results(shelf: SearchIndex, query: dict[str, object], expected: set[str]):
    result = await shelf.search(SearchQuery(**query))  # type: ignore[arg-type]

    assert {h.id for h in result.hits} == expected
    assert result.total == len(expected)


async def test_an_empty_query_with_filters_is_a_faceted_browse(shelf: SearchIndex):
    result = await shelf.search(SearchQuery(country="Spain"))

    assert result.total == 3
    assert result.facets.style == {"red": 1, "white": 1, "sparkling": 1}
    assert result.facets.country == {"Spain": 3}
    assert result.facets.region == {"Rioja": 1, "Rías Baixas": 1, "Penedès": 1}
    assert result.facets.grape["Tempranillo"] == 1
    assert (result.facets.price_min_cents, result.facets.price_max_cents) == (1200, 2200)
    assert all(h.highlights == {} for h in result.hits)


async def test_facets_count_the_whole_result_set_not_the_page(shelf: SearchIndex):
    result = await shelf.search(SearchQuery(per_page=1, sort="price_asc"))

    assert len(result.hits) == 1 and result.total == 5
    assert sum(result.facets.style.values()) == 5
    assert next(iter(result.facets.country.items())) == ("Spain", 3)  # largest first
    assert (result.facets.price_min_cents, result.facets.price_max_cents) == (1200, 6000)


async def test_every_facet_value_filters_to_exactly_its_count(search_index: SearchIndex, make_doc: Make):
    """Synonyms, X-Wines slash spellings and accents: the facet counts a vine once, and clicking it finds those."""
    grapes = [
        ["Syrah/Shiraz"],
        ["Shiraz", "Grenache"],
        ["Syrah"],
        ["Tinta Roriz", "Touriga Nacional"],
        ["Tempranillo"],
        ["Muscat/Moscato Bianco"],
        ["Spätburgunder"],
        ["Pinot Noir", "Spatburgunder"],
        ["Bobal"],
    ]
    await search_index.upsert([make_doc(id=f"w{i}", grapes=g) for i, g in enumerate(grapes)])

    facets = (await search_index.search(SearchQuery(per_page=1))).facets

    assert facets.grape["Syrah"] == 3 and facets.grape["Tempranillo"] == 2 and facets.grape["Pinot Noir"] == 2
    for value, count in facets.grape.items():
        assert (await search_index.search(SearchQuery(grape=value, per_page=1))).total == count, value
    assert (await search_index.search(SearchQuery(grape="shiraz"))).total == 3  # any spelling of the vine


async def test_missing_values_make_no_facet_bucket(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert([make_doc(id="a", region="", country="", grapes=[]), make_doc(id="b")])

    facets = (await search_index.search(SearchQuery())).facets

    assert facets.region == {"Beaujolais": 1} and facets.country == {"France": 1} and facets.grape == {"Gamay": 1}


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["nv", "alb", "rio", "cha", "bdx"]),
        ("price_desc", ["bdx", "cha", "rio", "alb", "nv"]),
        ("newest", ["nv", "cha", "alb", "rio", "bdx"]),
    ],
)
async def test_sorting(shelf: SearchIndex, sort: str, expected: list[str]):
    assert await ids(shelf, sort=sort) == expected


async def test_sorting_by_rating_puts_unrated_wines_last(shelf: SearchIndex):
    ranked = await ids(shelf, sort="rating")

    assert ranked[:3] == ["bdx", "rio", "cha"]
    assert set(ranked[3:]) == {"alb", "nv"}


async def test_pages_do_not_overlap_and_keep_the_total(shelf: SearchIndex):
    first = await shelf.search(SearchQuery(sort="price_asc", per_page=2, page=1))
    second = await shelf.search(SearchQuery(sort="price_asc", per_page=2, page=2))
    third = await shelf.search(SearchQuery(sort="price_asc", per_page=2, page=3))

    assert [h.id for h in first.hits + second.hits + third.hits] == ["nv", "alb", "rio", "cha", "bdx"]
    assert first.total == second.total == third.total == 5
    assert first.hits[0].score is None  # sorted by a field, not by relevance


@pytest.mark.parametrize(
    "query",
    [
        {"page": 21, "per_page": 50},
        {"per_page": 101},
        {"page": 0},
        {"price_min_cents": 10, "price_max_cents": 5},
        {"vintage_min": 2020, "vintage_max": 2010},
        {"sort": "cheapest"},
        {"q": "x" * 201},
    ],
)
def test_out_of_range_queries_are_refused(query: dict[str, object]):
    with pytest.raises(InvalidQuery):
        SearchQuery(**query)  # type: ignore[arg-type]


async def test_hits_carry_the_summary(shelf: SearchIndex):
    hit = (await shelf.search(SearchQuery(q="pauillac"))).hits[0]

    assert (hit.id, hit.name, hit.style, hit.country, hit.region) == (
        "bdx",
        "Pauillac Grand Vin",
        "red",
        "France",
        "Bordeaux",
    )
    assert hit.grapes == ["Cabernet Sauvignon", "Merlot"]
    assert (hit.price_cents, hit.currency, hit.vintage, hit.stock, hit.in_stock) == (6000, "EUR", 2015, 2, True)
    assert (hit.rating_mean, hit.rating_count, hit.dietary) == (4.6, 40, ["organic"])
    assert hit.score is not None and hit.score > 0


# ---------------------------------------------------------------- highlights, did-you-mean, boosts
async def test_highlights_mark_the_matches_and_escape_the_rest(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert(
        [make_doc(id="a", name="Château <Gris> & Fils", tasting_notes="Smoky <b>flint</b> & ripe pear; crisp finish.")]
    )

    hit = (await search_index.search(SearchQuery(q="chateau pear"))).hits[0]

    assert hit.highlights["name"] == "<mark>Château</mark> &lt;Gris&gt; &amp; Fils"
    notes = hit.highlights["tasting_notes"]
    assert "<mark>pear</mark>" in notes and "&lt;b&gt;flint&lt;/b&gt;" in notes and "<b>" not in notes


async def test_long_notes_are_highlighted_as_a_fragment_around_the_match(search_index: SearchIndex, make_doc: Make):
    notes = "Opening words. " + "Plenty of filler text here. " * 30 + "A final note of saffron. " + "More. " * 20
    await search_index.upsert([make_doc(id="a", tasting_notes=notes)])

    fragment = (await search_index.search(SearchQuery(q="saffron"))).hits[0].highlights["tasting_notes"]

    assert "<mark>saffron</mark>" in fragment
    assert len(fragment) < 300
    assert "Opening words" not in fragment


async def test_did_you_mean_offers_a_spelling_that_finds_more(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert(
        [make_doc(id=f"r{i}", name=f"Mosel Riesling {i}", grapes=["Riesling"]) for i in range(3)]
        + [make_doc(id="x", name="Other")]
    )

    result = await search_index.search(SearchQuery(q="rizling"))

    assert result.total == 0
    assert result.did_you_mean == "riesling"
    assert (await search_index.search(SearchQuery(q="riesling"))).did_you_mean is None


async def test_boosts_reorder_a_vague_query_only_when_given(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert(
        [
            make_doc(id="fr", tasting_notes="Juicy red fruit.", country="France", style="red"),
            make_doc(id="it", tasting_notes="Juicy red fruit.", country="Italy", style="red"),
        ]
    )

    liked_italy = await ids(search_index, q="juicy fruit", boost=Boost(countries={"Italy": 2.0}))
    liked_france = await ids(search_index, q="juicy fruit", boost=Boost(countries={"France": 2.0}))
    browse = await ids(search_index, boost=Boost(styles={"red": 1.0}, countries={"Italy": 3.0}))

    assert liked_italy == ["it", "fr"]
    assert liked_france == ["fr", "it"]
    assert browse == ["it", "fr"]


async def test_a_price_range_boost_puts_wines_in_range_first_and_hides_none(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert(
        [
            make_doc(id="cheap", price_cents=800),
            make_doc(id="mid", price_cents=2000),
            make_doc(id="dear", price_cents=6000),
        ]
    )

    in_range = Boost(price_cents=(1500, 2500), price_weight=1.5)
    from_40 = Boost(price_cents=(4000, None), price_weight=1.5)

    assert (await ids(search_index, boost=in_range))[0] == "mid"
    assert (await ids(search_index, boost=from_40))[0] == "dear"
    assert len(await ids(search_index, boost=in_range)) == 3


# ---------------------------------------------------------------- suggestions
@pytest.fixture
async def cellar(search_index: SearchIndex, make_doc: Make) -> SearchIndex:
    await search_index.upsert(
        [
            make_doc(
                id="m1",
                name="Margaux Grand Cru",
                winery="Château Palmer",
                region="Margaux",
                grapes=["Cabernet Sauvignon", "Merlot"],
                rating_count=90,
            ),
            make_doc(
                id="m2",
                name="Alter Ego",
                winery="Château Palmer",
                region="Margaux",
                grapes=["Merlot", "Cabernet Sauvignon"],
                rating_count=20,
            ),
            make_doc(
                id="n1",
                name="Napa Cabernet",
                winery="Stag's Leap",
                region="Napa Valley",
                country="USA",
                grapes=["Cabernet Sauvignon"],
                rating_count=50,
            ),
            make_doc(
                id="b1",
                name="Barossa Old Vine",
                winery="Torbreck",
                region="Barossa Valley",
                country="Australia",
                grapes=["Shiraz"],
                rating_count=10,
            ),
        ]
    )
    return search_index


async def test_suggestions_cover_grapes_regions_wineries_and_wines(cellar: SearchIndex):
    found = {(s.text, s.kind, s.wine_id) for s in await cellar.suggest("mar")}

    assert ("Margaux", "region", None) in found
    assert ("Margaux Grand Cru", "wine", "m1") in found
    assert {(s.text, s.kind) for s in await cellar.suggest("palm")} == {("Château Palmer", "winery")}
    assert ("Cabernet Sauvignon", "grape", None) in {(s.text, s.kind, s.wine_id) for s in await cellar.suggest("cab")}


async def test_suggestions_match_any_word_and_fold_accents(cellar: SearchIndex):
    assert ("Napa Valley", "region") in {(s.text, s.kind) for s in await cellar.suggest("vall")}
    assert ("Château Palmer", "winery") in {(s.text, s.kind) for s in await cellar.suggest("CHÂT")}
    assert ("Barossa Valley", "region") in {(s.text, s.kind) for s in await cellar.suggest("barossa va")}


async def test_suggestions_tolerate_typos(cellar: SearchIndex):
    assert "Cabernet Sauvignon" in [s.text for s in await cellar.suggest("cabernay")]
    assert "Château Palmer" in [s.text for s in await cellar.suggest("chateu palm")]


async def test_suggestions_are_distinct_bounded_and_empty_for_nothing(cellar: SearchIndex):
    found = await cellar.suggest("a", limit=3)

    assert len(found) <= 3
    assert len({(s.text, s.kind) for s in await cellar.suggest("cab")}) == len(await cellar.suggest("cab"))
    assert await cellar.suggest("") == []
    assert await cellar.suggest("zzzzqqq") == []


async def test_suggestions_show_the_more_popular_wine_first(cellar: SearchIndex):
    wines = [s.wine_id for s in await cellar.suggest("margaux") if s.kind == "wine"]

    assert wines[0] == "m1"


# ---------------------------------------------------------------- rebuild
async def test_rebuild_swaps_in_the_new_catalog(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert([make_doc(id="old", name="Vieux Stock")])
    seen: list[int] = []

    n = await search_index.rebuild(
        [make_doc(id=f"n{i}", name=f"Nouveau {i}") for i in range(5)], total=5, progress=seen.append
    )

    assert n == 5 and seen[-1] == 5
    assert await search_index.count() == 5
    assert await ids(search_index, q="vieux") == []
    assert len(await ids(search_index, q="nouveau")) == 5


async def test_search_keeps_answering_during_a_rebuild_and_no_write_is_lost(search_index: SearchIndex, make_doc: Make):
    await search_index.upsert([make_doc(id="old", name="Vieux Stock")])
    halfway, resume = asyncio.Event(), asyncio.Event()

    async def source() -> AsyncIterator[WineSearchDoc]:
        yield make_doc(id="n0", name="Nouveau")
        halfway.set()
        await resume.wait()
        yield make_doc(id="n1", name="Nouveau")

    rebuild = asyncio.create_task(search_index.rebuild(source()))
    await halfway.wait()
    assert await ids(search_index, q="vieux") == ["old"]  # the old index still answers
    await search_index.upsert([make_doc(id="late", name="Arrivée Tardive")])
    await search_index.delete(["n0"])
    resume.set()
    await rebuild

    assert await ids(search_index, q="tardive") == ["late"]
    assert await ids(search_index, q="nouveau") == ["n1"]


async def test_price_quantiles_are_the_listed_wines_own(search_index: SearchIndex, make_doc: Make):
    assert await search_index.price_quantiles((25, 50, 75)) == {}  # nothing listed: nothing to read
    await search_index.upsert(
        [make_doc(id=f"p{i}", price_cents=1000 * i) for i in range(1, 11)]
        + [make_doc(id="gone", price_cents=900_000, listed=False)]
    )

    quantiles = await search_index.price_quantiles((25, 50, 75))

    assert list(quantiles) == [25, 50, 75]
    assert 2000 <= quantiles[25] < quantiles[50] < quantiles[75] <= 9000  # the delisted bottle is not counted
