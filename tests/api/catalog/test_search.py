"""Search through HTTP on the embedded engine: matching, filters, facets, sorting, paging, suggestions."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.catalog.search_service import Boosts, SearchService
from documents import Dietary, Style
from search import Boost, SearchQuery
from tests.conftest import SEARCH_URL, Shopper
from tests.factories import insert_wines, make_wine

Client = AsyncTestClient[Litestar]

CELLAR: list[dict[str, Any]] = [
    dict(
        id="margaux",
        name="Château Margaux",
        winery="Château Margaux",
        price_cents=12000,
        grapes=["Cabernet Sauvignon", "Merlot"],
        region="Bordeaux",
        vintage=2015,
        stock=5,
        tasting_notes="Cassis, cedar and violets with firm tannins.",
    ),
    dict(
        id="barossa",
        name="Barossa Valley Shiraz",
        winery="Kangaroo Ridge",
        price_cents=2500,
        grapes=["Shiraz"],
        region="Barossa Valley",
        country="Australia",
        vintage=2019,
        stock=0,
        tasting_notes="Blackberry jam, pepper and chocolate.",
    ),
    dict(
        id="hermitage",
        name="Hermitage Rouge",
        winery="Domaine Rocher",
        price_cents=6000,
        grapes=["Syrah"],
        region="Rhône",
        vintage=2017,
        stock=3,
        dietary=[Dietary.organic],
        tasting_notes="Smoked meat, black olive and violet.",
    ),
    dict(
        id="grigio",
        name="Alto Adige Pinot Grigio",
        winery="Cantina Sud",
        style=Style.white,
        price_cents=1400,
        grapes=["Pinot Grigio"],
        region="Alto Adige",
        country="Italy",
        vintage=2021,
        stock=20,
        dietary=[Dietary.vegan],
        tasting_notes="Pear and almond, crisp and light.",
    ),
    dict(
        id="gris",
        name="Alsace Pinot Gris",
        winery="Maison Kreyer",
        style=Style.white,
        price_cents=1800,
        grapes=["Pinot Gris"],
        region="Alsace",
        vintage=2020,
        stock=7,
        tasting_notes="Ripe pear, honey, spice.",
    ),
    dict(
        id="napa",
        name="Napa Cabernet Sauvignon",
        winery="Oak Creek",
        price_cents=4500,
        grapes=["Cabernet Sauvignon"],
        region="Napa Valley",
        country="USA",
        vintage=2018,
        stock=9,
        tasting_notes="Blackberry, mocha and firm tannins.",
    ),
    dict(
        id="sancerre",
        name="Sancerre Les Caillottes",
        winery="Domaine Vacheron",
        style=Style.white,
        price_cents=2900,
        grapes=["Sauvignon Blanc"],
        region="Loire",
        vintage=2022,
        stock=12,
        dietary=[Dietary.vegan, Dietary.organic],
        tasting_notes="Crisp citrus, gooseberry and flint.",
    ),
]


@pytest.fixture
async def cellar(client: Client) -> None:
    wines = await insert_wines(*(make_wine(**w) for w in CELLAR))
    assert await client.app.state.services.catalog.sync_to_index([w.id for w in wines])


async def search(client: Client, **params: Any) -> dict[str, Any]:
    response = await client.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(body: dict[str, Any]) -> list[str]:
    return [h["wine"]["id"] for h in body["items"]]


@pytest.mark.usefixtures("cellar")
async def test_typos_accents_and_grape_synonyms_find_the_wine(client: Client) -> None:
    typo = await search(client, q="cabernay sauvignon")
    assert set(ids(typo)) == {"napa", "margaux"}
    accents = await search(client, q="chateau")
    assert ids(accents) == ["margaux"]
    assert accents["items"][0]["highlights"]["name"] == "<mark>Château</mark> Margaux"
    assert set(ids(await search(client, q="syrah"))) == {"barossa", "hermitage"}
    assert set(ids(await search(client, q="pinot grigio"))) == {"grigio", "gris"}


@pytest.mark.usefixtures("cellar")
async def test_a_hit_is_a_wine_card_with_money_a_score_and_highlights(client: Client) -> None:
    body = await search(client, q="blackberry")
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 20
    hit = next(h for h in body["items"] if h["wine"]["id"] == "napa")
    wine = hit["wine"]
    assert wine["price"] == {"amount": "45.00", "amount_minor": 4500, "currency": "EUR"}
    assert wine["in_stock"] is True and wine["winery"] == "Oak Creek" and wine["grapes"] == ["Cabernet Sauvignon"]
    assert (
        wine
        == (await client.get("/v1/wines", params={"per_page": 100})).json()["items"][
            [w["id"] for w in (await client.get("/v1/wines", params={"per_page": 100})).json()["items"]].index("napa")
        ]
    )  # the one wine card: the same as the catalog list's
    assert hit["score"] > 0
    assert "<mark>Blackberry</mark>" in hit["highlights"]["tasting_notes"]


@pytest.mark.usefixtures("cellar")
async def test_filters_narrow_the_results_with_prices_in_currency_units(client: Client) -> None:
    assert set(ids(await search(client, style="white"))) == {"grigio", "gris", "sancerre"}
    assert set(ids(await search(client, country="France", style="red"))) == {"margaux", "hermitage"}
    assert set(ids(await search(client, price_min="20", price_max="45"))) == {"barossa", "napa", "sancerre"}
    assert set(ids(await search(client, vintage_min=2020))) == {"grigio", "gris", "sancerre"}
    assert set(ids(await search(client, grape="Shiraz"))) == {"barossa", "hermitage"}
    assert set(ids(await search(client, region="Loire"))) == {"sancerre"}
    assert set(ids(await search(client, dietary=["vegan", "organic"]))) == {"sancerre"}
    assert "barossa" not in ids(await search(client, q="shiraz", in_stock="true"))
    assert ids(await search(client, in_stock="false")) == ["barossa"]


@pytest.mark.usefixtures("cellar")
async def test_an_empty_query_with_filters_is_a_faceted_browse(client: Client) -> None:
    body = await search(client, style="red")
    assert body["total"] == 4
    facets = body["facets"]
    assert facets["style"] == [{"value": "red", "count": 4}]
    assert facets["country"][0] == {"value": "France", "count": 2}
    assert {f["value"] for f in facets["grape"]} == {"Cabernet Sauvignon", "Merlot", "Syrah"}  # Shiraz is Syrah
    assert (facets["price_min"]["amount"], facets["price_max"]["amount"]) == ("25.00", "120.00")


@pytest.mark.usefixtures("cellar")
async def test_results_sort_by_price_and_field_sorts_carry_no_score(client: Client) -> None:
    cheap_first = await search(client, style="white", sort="price_asc")
    assert ids(cheap_first) == ["grigio", "gris", "sancerre"]
    assert all(h["score"] is None for h in cheap_first["items"])
    assert ids(await search(client, style="white", sort="price_desc")) == ["sancerre", "gris", "grigio"]


@pytest.mark.usefixtures("cellar")
async def test_pages_are_served_up_to_the_cap(client: Client) -> None:
    first = await search(client, per_page=3, sort="price_asc")
    second = await search(client, per_page=3, page=2, sort="price_asc")
    assert first["total"] == 7 and len(first["items"]) == 3
    assert not set(ids(first)) & set(ids(second))


async def test_bad_search_parameters_are_a_422_naming_the_parameter(client: Client) -> None:
    cases = [
        ({"per_page": 101}, "per_page"),
        ({"page": 11, "per_page": 100}, "page"),
        ({"page": 0}, "page"),
        ({"price_min": "30", "price_max": "10"}, "price_min"),
        ({"price_min": "-1"}, "price_min"),
        ({"price_max": "NaN"}, "price_max"),
        ({"vintage_min": 2020, "vintage_max": 2010}, "vintage_min"),
        ({"sort": "cheapest"}, "sort"),
        ({"style": "blue"}, "style"),
        ({"dietary": "halal"}, "dietary"),
        ({"q": "x" * 201}, "q"),
    ]
    for params, name in cases:
        response = await client.get("/v1/search", params=params)
        assert response.status_code == 422, (params, response.text)
        body = response.json()
        assert name in body["detail"], params
        assert body["errors"][0]["field"] == name, params


@pytest.mark.usefixtures("cellar")
async def test_a_misspelling_that_finds_nothing_gets_a_did_you_mean(client: Client) -> None:
    body = await search(client, q="sanserr")
    assert body["total"] == 0 and body["did_you_mean"] == "sancerre"
    assert (await search(client, q="sancerre"))["did_you_mean"] is None


@pytest.mark.usefixtures("cellar")
async def test_suggestions_complete_prefixes_with_their_kind(client: Client) -> None:
    response = await client.get("/v1/search/suggest", params={"q": "cab"})
    assert response.status_code == 200
    suggestions = response.json()["items"]
    assert {"text": "Cabernet Sauvignon", "kind": "grape", "wine": None} in suggestions
    napa = {"id": "napa", "name": "Napa Cabernet Sauvignon"}
    assert {"text": "Napa Cabernet Sauvignon", "kind": "wine", "wine": napa} in suggestions
    typo = (await client.get("/v1/search/suggest", params={"q": "barosa"})).json()["items"]
    assert {"text": "Barossa Valley", "kind": "region", "wine": None} in typo
    assert (await client.get("/v1/search/suggest", params={"q": " "})).json() == {"items": []}
    many = (await client.get("/v1/search/suggest", params={"q": "a"})).json()["items"]
    assert len(many) <= 8


@pytest.mark.usefixtures("cellar")
class LikesWhite:
    """A recommender that favours white wines, and remembers whom it was asked about."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def boost_for(self, principal: Any, query: SearchQuery) -> Boost | None:
        self.seen.append((principal.user_id, query.q))
        return Boost(styles={"white": 5.0})


class Broken:
    async def boost_for(self, principal: Any, query: SearchQuery) -> Boost | None:
        raise RuntimeError("model not loaded")


def use_boosts(client: Client, boosts: Boosts) -> None:
    """Serve search with another personalisation provider (the composition root passes the recommender)."""
    services = client.app.state.services
    services.search = SearchService(services.backends.search, needs=services.accounts, boosts=boosts)


@pytest.mark.usefixtures("cellar")
async def test_a_boost_provider_reorders_vague_searches_for_signed_in_callers(client: Client, shopper: Shopper) -> None:
    likes_white = LikesWhite()
    use_boosts(client, likes_white)
    anonymous = await search(client, q="crisp")
    response = await client.get("/v1/search", params={"q": "pear"}, headers=shopper.headers)
    assert response.status_code == 200
    assert likes_white.seen == [(shopper.id, "pear")] and anonymous["total"] >= 1
    browse = (await client.get("/v1/search", headers=shopper.headers)).json()
    assert {h["wine"]["style"] for h in browse["items"][:3]} == {"white"}

    use_boosts(client, Broken())
    assert (await client.get("/v1/search", headers=shopper.headers)).json()["total"] == 7


@pytest.mark.skipif(SEARCH_URL.startswith("http"), reason="stops the embedded engine")
async def test_search_answers_503_with_a_clear_detail_when_the_engine_is_down(client: Client) -> None:
    await client.app.state.services.backends.search.close()
    for url in ("/v1/search?q=merlot", "/v1/search/suggest?q=mer"):
        response = await client.get(url)
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["code"] == "search_unavailable" and "try again" in body["detail"]


async def test_a_price_phrase_in_the_box_filters_like_the_fields_would(client: Client, cellar: None) -> None:
    body = await search(client, q="white under 20")
    assert body["understood"] == {"price_max": "20", "style": "white"}
    assert set(ids(body)) == {"grigio", "gris"}
    assert (await search(client, q="Margaux"))["understood"] == {}


@pytest.mark.usefixtures("cellar")
async def test_the_words_shoppers_use_become_filters_and_say_what_was_understood(client: Client) -> None:
    body = await search(client, q="american cab")
    assert body["understood"] == {"country": "United States", "grape": "Cabernet Sauvignon"}
    assert ids(body) == ["napa"]  # stored as "USA": every spelling of the country matches
    assert ids(await search(client, country="United States")) == ["napa"]
    assert ids(await search(client, country="usa")) == ["napa"]


@pytest.mark.usefixtures("cellar")
async def test_a_query_of_known_words_relaxes_instead_of_answering_an_empty_page(client: Client) -> None:
    body = await search(client, q="spanish red under 20")
    assert body["total"] > 0
    assert body["understood"]["relaxed"]  # there is no Spanish wine: the reading let go is named
    assert "country" in body["understood"]["relaxed"] or "price" in body["understood"]["relaxed"]


@pytest.mark.usefixtures("cellar")
async def test_a_removed_chip_is_not_read_again(client: Client) -> None:
    body = await search(client, q="white under 20", ignore="price")
    assert body["understood"] == {"style": "white"}
    assert set(ids(body)) == {"grigio", "gris", "sancerre"}
    assert (await client.get("/v1/search", params={"q": "red", "ignore": "colour"})).status_code == 422


async def test_a_slash_grape_facet_value_filters_to_its_count(client: Client) -> None:
    await insert_wines(
        make_wine(id="s1", name="Estate Red", grapes=["Syrah/Shiraz"]),
        make_wine(id="s2", name="Hill Red", grapes=["Shiraz"]),
        make_wine(id="s3", name="Other", grapes=["Merlot"]),
    )
    assert await client.app.state.services.catalog.sync_to_index(["s1", "s2", "s3"])
    facets = {f["value"]: f["count"] for f in (await search(client))["facets"]["grape"]}
    assert facets == {"Syrah": 2, "Merlot": 1}  # one vine, counted once under its name
    assert set(ids(await search(client, grape="Syrah"))) == {"s1", "s2"}
    assert set(ids(await search(client, grape="Syrah/Shiraz"))) == {"s1", "s2"}  # any spelling of it


@pytest.mark.usefixtures("cellar")
async def test_cheap_and_premium_mean_this_catalogs_own_price_quartiles(client: Client) -> None:
    # The cellar's prices: 14, 18, 25, 29, 45, 60, 120 (median 29; a fixed "cheap" of 12 would find no white).
    cheap = await search(client, q="cheap white")
    assert "relaxed" not in cheap["understood"] and cheap["total"] >= 1
    limit = float(cheap["understood"]["price_max"])
    assert 14 <= limit < 29 and all(float(h["wine"]["price"]["amount"]) <= limit for h in cheap["items"])
    premium = await search(client, q="premium red")
    assert "relaxed" not in premium["understood"] and premium["total"] >= 1
    floor = float(premium["understood"]["price_min"])
    assert 29 < floor <= 120 and all(float(h["wine"]["price"]["amount"]) >= floor for h in premium["items"])


@pytest.mark.usefixtures("cellar")
async def test_a_signed_in_shoppers_dietary_needs_apply_until_she_includes_everything(
    client: Client, shopper: Shopper
) -> None:
    response = await client.patch("/v1/me/preferences", json={"dietary": ["vegan"]}, headers=shopper.headers)
    assert response.status_code == 200, response.text
    mine = (await client.get("/v1/search", params={"q": "pinot"}, headers=shopper.headers)).json()
    assert ids(mine) == ["grigio"] and mine["understood"]["your_needs"] == "vegan"
    everything = (
        await client.get("/v1/search", params={"q": "pinot", "include_all": "true"}, headers=shopper.headers)
    ).json()
    assert set(ids(everything)) == {"grigio", "gris"} and "your_needs" not in everything["understood"]
    assert set(ids(await search(client, q="pinot"))) == {"grigio", "gris"}  # anonymous: no needs
