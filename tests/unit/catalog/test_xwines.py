"""The X-Wines row converter: styles, taste structure, list parsing, derived shop data and bad rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from app.catalog.demo import demo_wine_from_xwines, dump_wine, read_demo_rows, xwines_rating_means
from app.catalog.xwines import COLUMNS, RowError, convert_xwines_row, wine_from_xwines_row
from documents.models import Style

pytestmark = pytest.mark.usefixtures("db")

XWINES_CSV = Path(__file__).resolve().parents[4] / "shared" / "data" / "xwines" / "XWines_Slim_1K_wines.csv"


def row(**overrides: str) -> dict[str, str]:
    values = {
        "WineID": "100003",
        "WineName": "Cabernet Sauvignon",
        "Type": "Red",
        "Elaborate": "Varietal/100%",
        "Grapes": "['Cabernet Sauvignon']",
        "Harmonize": "['Beef', 'Lamb', 'Poultry']",
        "ABV": "12.0",
        "Body": "Full-bodied",
        "Acidity": "High",
        "Code": "BR",
        "Country": "Brazil",
        "RegionID": "1001",
        "RegionName": "Serra Gaúcha",
        "WineryID": "10002",
        "WineryName": "Castellamare",
        "Website": "https://example.com",
        "Vintages": "[2021, 2020, 2019, 2018, 2005, 'N.V.']",
    }
    values.update(overrides)
    assert set(values) == set(COLUMNS)
    return values


def facts(wine: Any) -> dict[str, Any]:
    return dump_wine(wine)


def test_a_red_row_becomes_a_wine_with_stable_ids_and_its_facts() -> None:
    wine = wine_from_xwines_row(row())
    assert wine.id == "xw100003"
    assert wine.source_id == "xwines:100003"
    assert (wine.name, wine.winery, wine.region, wine.country) == (
        "Cabernet Sauvignon",
        "Castellamare",
        "Serra Gaúcha",
        "Brazil",
    )
    assert wine.style is Style.red
    assert wine.grapes == ["Cabernet Sauvignon"]
    assert wine.food_pairings == ["Beef", "Lamb", "Poultry"]
    assert wine.abv == 12.0
    assert wine.currency == "EUR"
    assert wine.vintage in {2021, 2020, 2019}


def test_a_row_states_no_price_stock_dietary_flag_or_note_so_none_is_made_up() -> None:
    converted = convert_xwines_row(row(WineID="800001", ABV="9.0"))
    wine = converted.wine
    assert (wine.price_cents, wine.stock, wine.dietary, wine.tasting_notes) == (None, 0, [], "")
    assert converted.missing == ["price", "stock"]
    assert {"price_cents", "stock", "dietary", "tasting_notes"} <= set(converted.empty)
    assert converted.derived == ["taste", "vintage"]


def test_price_and_stock_columns_are_read_when_a_shop_adds_them() -> None:
    converted = convert_xwines_row({**row(), "Price": "32.90", "Stock": "12"})
    assert (converted.wine.price_cents, converted.wine.stock, converted.missing) == (3290, 12, [])
    with pytest.raises(RowError) as caught:
        convert_xwines_row({**row(Type="Orange", ABV="strong"), "Price": "cheap", "Stock": "-1"})
    assert [r.split()[0] for r in caught.value.reasons] == ["ABV", "Type", "Price", "Stock"]  # every error


def test_converting_the_same_row_twice_gives_the_same_wine() -> None:
    assert facts(wine_from_xwines_row(row())) == facts(wine_from_xwines_row(row()))


def test_demo_shop_data_is_marked_as_demo_and_plausible_for_the_wine() -> None:
    wines = [demo_wine_from_xwines(row(WineID=str(100_000 + i)), {}) for i in range(60)]
    assert len({w.price_cents for w in wines}) > 5
    assert len({w.stock for w in wines}) > 20
    assert len({w.tasting_notes for w in wines}) == 60
    assert all(w.demo_fields == ["price_cents", "stock", "tasting_notes"] and w.dietary == [] for w in wines)
    grange = row(
        WineID="174184",
        WineName="Grange",
        RegionName="South Australia",
        WineryName="Penfolds",
        Grapes="['Syrah/Shiraz']",
        Country="Australia",
    )
    plain = row(
        WineID="174185",
        WineName="Shiraz",
        RegionName="Riverland",
        WineryName="Some Co-op",
        Grapes="['Syrah/Shiraz']",
        Country="Australia",
    )
    ratings = {"174184": 4.6, "174185": 3.4}
    icon, everyday = (demo_wine_from_xwines(r, ratings).price_cents or 0 for r in (grange, plain))
    assert icon >= 15_000 and everyday <= 2_500


@pytest.mark.parametrize(
    ("type_", "name", "abv", "style"),
    [
        ("Red", "Merlot", "13", Style.red),
        ("White", "Chablis", "12.5", Style.white),
        ("Rosé", "Côtes de Provence", "12.5", Style.rose),
        ("Sparkling", "Brut", "12", Style.sparkling),
        ("Dessert", "Late Harvest Riesling", "9.5", Style.dessert),
        ("Dessert/Port", "Tawny Port", "20", Style.fortified),
        ("Dessert", "Medium Dry Sherry", "16.5", Style.fortified),
        ("Dessert", "Grappa di Nebbiolo", "45", Style.fortified),
    ],
)
def test_types_map_onto_our_styles(type_: str, name: str, abv: str, style: Style) -> None:
    assert wine_from_xwines_row(row(Type=type_, WineName=name, ABV=abv)).style is style


def test_body_and_acidity_labels_order_the_taste_axes() -> None:
    bodies = ["Very light-bodied", "Light-bodied", "Medium-bodied", "Full-bodied", "Very full-bodied"]
    body = [wine_from_xwines_row(row(Body=b)).taste.body for b in bodies]
    acidity = [wine_from_xwines_row(row(Acidity=a)).taste.acidity for a in ["Low", "Medium", "High"]]
    assert body == sorted(body)
    assert len(set(body)) == 5
    assert acidity == sorted(acidity)
    assert len(set(acidity)) == 3
    assert 0 <= body[0] < 0.2
    assert 0.8 < body[-1] <= 1


def test_tannin_follows_the_grapes_and_the_style() -> None:
    def tannin(**kw: str) -> float:
        return wine_from_xwines_row(row(Body="Medium-bodied", **kw)).taste.tannin

    nebbiolo = tannin(Grapes="['Nebbiolo']")
    pinot = tannin(Grapes="['Pinot Noir']")
    chardonnay = tannin(Type="White", Grapes="['Chardonnay']")
    assert nebbiolo > 0.7 > pinot > 0.3 > 0.1 > chardonnay


def test_fizz_is_for_sparkling_wines_only() -> None:
    sparkling = wine_from_xwines_row(row(Type="Sparkling", WineName="Brut", Grapes="['Chardonnay']"))
    still = wine_from_xwines_row(row())
    assert sparkling.taste.fizz > 0.7
    assert still.taste.fizz == 0.0


@pytest.mark.parametrize(
    ("type_", "name", "grapes", "low", "high"),
    [
        ("Dessert", "Late Harvest Sauvignon Blanc", "['Sauvignon Blanc']", 0.65, 1.0),
        ("Dessert", "Tokaji Aszú 6 Puttonyos", "['Furmint']", 0.8, 1.0),
        ("Dessert", "Dulcis Moscato d'Asti", "['Muscat/Moscato']", 0.6, 0.8),
        ("Dessert/Port", "10 Year Old Tawny Port", "['Touriga Nacional']", 0.6, 0.8),
        ("Dessert", "Don Fino Superior Fino Sherry", "['Palomino']", 0.0, 0.05),
        ("Dessert", "Grappa Riserva", "['Nebbiolo']", 0.0, 0.05),
        ("Sparkling", "Brut Nature", "['Chardonnay']", 0.0, 0.05),
        ("White", "Riesling Spätlese", "['Riesling']", 0.4, 0.5),
        ("Red", "Cabernet Sauvignon", "['Cabernet Sauvignon']", 0.0, 0.1),
    ],
)
def test_sweetness_comes_from_style_and_name_hints(type_: str, name: str, grapes: str, low: float, high: float) -> None:
    abv = "45" if "Grappa" in name else "12"
    wine = wine_from_xwines_row(row(Type=type_, WineName=name, Grapes=grapes, ABV=abv))
    assert low <= wine.taste.sweetness <= high


def test_vintage_is_one_of_the_three_most_recent_and_none_when_only_non_vintage() -> None:
    vintages = {wine_from_xwines_row(row(WineID=str(200_000 + i))).vintage for i in range(40)}
    assert vintages == {2021, 2020, 2019}
    assert wine_from_xwines_row(row(Vintages="['N.V.']")).vintage is None
    assert wine_from_xwines_row(row(Vintages="")).vintage is None


def test_lists_are_parsed_as_literals_and_deduplicated() -> None:
    wine = wine_from_xwines_row(row(Grapes="['Merlot', ' Merlot ', 'Malbec']", Harmonize="[]"))
    assert wine.grapes == ["Merlot", "Malbec"]
    assert wine.food_pairings == []


@pytest.mark.parametrize(
    ("overrides", "column"),
    [
        ({"WineID": ""}, "WineID"),
        ({"WineID": "12a"}, "WineID"),
        ({"WineName": "  "}, "WineName"),
        ({"WineryName": ""}, "WineryName"),
        ({"Type": "Orange"}, "Type"),
        ({"Grapes": "['Merlot'"}, "Grapes"),
        ({"Grapes": "__import__('os').system('true')"}, "Grapes"),
        ({"Grapes": "'Merlot'"}, "Grapes"),
        ({"Grapes": str([f"Grape {i}" for i in range(21)])}, "Grapes"),
        ({"Harmonize": "[1, 2]"}, "Harmonize"),
        ({"ABV": "strong"}, "ABV"),
        ({"ABV": "120"}, "ABV"),
        ({"ABV": "nan"}, "ABV"),
        ({"Body": "Chewy"}, "Body"),
        ({"Acidity": "Very high"}, "Acidity"),
        ({"Vintages": "[2019, 'soon']"}, "Vintages"),
        ({"WineName": "x" * 201}, "WineName"),
    ],
)
def test_rows_that_cannot_be_wines_raise_row_error_naming_the_column(overrides: dict[str, str], column: str) -> None:
    with pytest.raises(RowError) as caught:
        wine_from_xwines_row(row(**overrides))
    assert isinstance(caught.value, ValueError)
    assert column in caught.value.reason


def test_a_short_csv_row_with_missing_columns_is_a_row_error() -> None:
    with pytest.raises(RowError, match="WineName is missing"):
        wine_from_xwines_row({"WineID": "1"})


@pytest.mark.skipif(not XWINES_CSV.exists(), reason="X-Wines CSV not available on this machine")
def test_the_shipped_catalog_is_what_the_converter_makes_of_x_wines_today() -> None:
    """Fails when the converter or the notes changed without `scripts/build_demo_catalog.py` being rerun."""
    ratings = xwines_rating_means(XWINES_CSV.with_name("XWines_Slim_dev_ratings.csv.gz"))
    with XWINES_CSV.open(encoding="utf-8", newline="") as src:
        converted = [json.loads(json.dumps(dump_wine(demo_wine_from_xwines(r, ratings)))) for r in csv.DictReader(src)]
    assert converted == read_demo_rows()
