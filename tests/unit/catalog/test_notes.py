"""Our tasting notes: deterministic per wine, varied across the catalog, full of searchable wine words."""

from __future__ import annotations

import csv
import gzip
import io
import re
from pathlib import Path

import pytest

from app.catalog.demo import load_demo_wines
from app.catalog.grape_profiles import GRAPES, grape_profile
from app.catalog.notes import tasting_notes
from documents.models import Style, TasteStructure, Wine

pytestmark = pytest.mark.usefixtures("db")

WINEMAG = Path(__file__).resolve().parents[4] / "shared" / "data" / "winemag"
SENTENCE_END = re.compile(r"[.!?](?:\s|$)")


@pytest.fixture
def catalog() -> list[Wine]:
    return load_demo_wines()


def words(text: str) -> list[str]:
    return re.findall(r"[a-zà-ÿ']+", text.lower())


def test_notes_are_the_same_every_time_for_a_wine(catalog: list[Wine]) -> None:
    for wine in catalog[:200]:
        assert tasting_notes(wine) == tasting_notes(wine) == wine.tasting_notes


def test_every_wine_of_the_catalog_gets_its_own_note_of_two_to_four_sentences(catalog: list[Wine]) -> None:
    notes = [w.tasting_notes for w in catalog]
    assert len(set(notes)) == len(notes)
    openings = {" ".join(words(n)[:2]) for n in notes}
    assert len(openings) > 100  # not one template with the blanks filled in
    for wine in catalog:
        if "." not in wine.region + wine.country + "".join(wine.grapes + wine.food_pairings):
            assert 2 <= len(SENTENCE_END.findall(wine.tasting_notes)) <= 4, wine.tasting_notes


@pytest.mark.parametrize(
    ("grape", "typical"),
    [
        ("Cabernet Sauvignon", {"blackcurrant", "blackberry", "cherry", "cedar", "tobacco", "graphite", "mint"}),
        ("Sauvignon Blanc", {"gooseberry", "grapefruit", "lime", "grass", "passion", "citrus"}),
        ("Riesling", {"lime", "apple", "peach", "petrol", "minerality", "honeysuckle", "slate"}),
        ("Pinot Noir", {"cherry", "raspberry", "cranberry", "forest", "earthy", "clove"}),
    ],
)
def test_single_grape_wines_are_described_with_that_grapes_words(
    catalog: list[Wine], grape: str, typical: set[str]
) -> None:
    varietals = [w for w in catalog if w.grapes == [grape] and w.style in (Style.red, Style.white)]
    assert len(varietals) >= 10
    for wine in varietals:
        assert typical & set(words(wine.tasting_notes)), wine.tasting_notes


def test_the_catalog_notes_hold_the_words_shoppers_search_for(catalog: list[Wine]) -> None:
    counts = {
        w: sum(w in words(n.tasting_notes) for n in catalog)
        for w in ["blackberry", "citrus", "minerality", "oak", "tannins", "cherry", "honey", "crisp"]
    }
    assert all(count >= 20 for count in counts.values()), counts


def test_notes_describe_the_structure_of_the_wine(catalog: list[Wine]) -> None:
    for wine in catalog:
        text = wine.tasting_notes
        if wine.style is Style.red:
            assert "tannins" in text
        if wine.style is Style.sparkling:
            assert re.search(r"bubbles|mousse|sparkle|spritz", text), text
        if wine.taste.sweetness >= 0.6:
            assert "sweet" in text
        if wine.taste.sweetness < 0.12 and wine.style is not Style.sparkling:
            assert "dry" in text


def test_a_wine_with_unknown_grapes_and_no_pairings_still_gets_a_note() -> None:
    wine = Wine(
        id="x1", name="Mystery", winery="Nobody", grapes=["Unheard-of Grape"], style=Style.white,
        taste=TasteStructure(acidity=0.8, body=0.3), price_cents=1000,
    )  # fmt: skip
    note = tasting_notes(wine)
    assert 2 <= len(SENTENCE_END.findall(note)) <= 3
    assert {"citrus", "apple", "pear", "minerality", "flowers"} & set(words(note))


def test_the_seed_changes_the_note_and_defaults_to_the_wine_id(catalog: list[Wine]) -> None:
    wine = catalog[0]
    assert tasting_notes(wine, seed=wine.id) == tasting_notes(wine)
    assert len({tasting_notes(wine, seed=str(i)) for i in range(20)}) > 10


def test_grape_names_resolve_through_synonyms_and_x_wines_pairs() -> None:
    assert len({p.name for p in GRAPES.values()}) >= 40
    for name, canonical in [
        ("Syrah/Shiraz", "Syrah"),
        ("Spätburgunder", "Pinot Noir"),
        ("spatburgunder", "Pinot Noir"),
        ("Tinta Roriz", "Tempranillo"),
        ("Muscat/Moscato Bianco", "Muscat"),
        ("Pinot Grigio", "Pinot Gris"),
    ]:
        profile = grape_profile(name)
        assert profile is not None
        assert profile.name == canonical
    assert grape_profile("Not A Grape") is None


def _winemag_texts() -> list[str]:
    texts = []
    for path in sorted(WINEMAG.glob("*.csv.gz")):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as src:
            texts += [row.get("description") or "" for row in csv.DictReader(io.StringIO(src.read()))]
    return texts


@pytest.mark.skipif(not WINEMAG.exists(), reason="WineEnthusiast reviews not available on this machine")
def test_notes_share_no_phrase_with_wine_enthusiast_reviews(catalog: list[Wine]) -> None:
    """Our notes are our own: no run of eight words in common with any review."""
    n = 8
    theirs = set()
    for text in _winemag_texts():
        w = words(text)
        theirs.update(tuple(w[i : i + n]) for i in range(len(w) - n + 1))
    assert len(theirs) > 100_000
    for wine in catalog:
        # Facts (grape, place and food names) may coincide; a run of our own prose must not.
        facts = set(words(" ".join([*wine.grapes, wine.region, wine.country, *wine.food_pairings])))
        w = [word if word not in facts else None for word in words(wine.tasting_notes)]
        shared = [g for g in (tuple(w[i : i + n]) for i in range(len(w) - n + 1)) if g in theirs]
        assert not shared, (wine.id, shared)
