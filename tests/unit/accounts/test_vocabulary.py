"""Preference vocabulary: one spelling per grape, region, country, style and dietary need."""

from __future__ import annotations

import pytest

from app.accounts import vocabulary as vocab
from documents import Dietary, Style


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("shiraz", "Syrah"),
        ("SHIRAZ", "Syrah"),
        ("Syrah/Shiraz", "Syrah"),
        ("pinot grigio", "Pinot Gris"),
        ("Grauburgunder", "Pinot Gris"),
        ("spatburgunder", "Pinot Noir"),
        ("carmenere", "Carmenère"),
        ("  gewurztraminer ", "Gewürztraminer"),
        ("primitivo", "Zinfandel"),
        ("Muscat/Moscato Bianco", "Muscat"),
        ("nero d'avola", "Nero d'Avola"),
    ],
)
def test_known_grapes_are_canonicalised_whatever_the_case_accents_or_synonym(typed: str, canonical: str) -> None:
    assert vocab.canonical_grape(typed) == canonical


def test_an_unknown_grape_is_kept_but_title_cased() -> None:
    assert vocab.canonical_grape("xinomavro") == "Xinomavro"
    assert vocab.canonical_grape("Agiorgitiko") == "Agiorgitiko"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("saint emilion", "Saint-Émilion"),
        ("ST-EMILION", "Saint-Émilion"),
        ("chateauneuf du pape", "Châteauneuf-du-Pape"),
        ("tuscany", "Toscana"),
        ("burgundy", "Bourgogne"),
        ("rhone", "Rhône"),
        ("ribera del duero", "Ribera del Duero"),
        ("cote de beaune", "Cote de Beaune"),
        ("McLaren Vale", "McLaren Vale"),
    ],
)
def test_regions_are_accent_tolerant_and_title_cased(typed: str, canonical: str) -> None:
    assert vocab.canonical_region(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("usa", "United States"),
        ("U.S.A.", "United States"),
        ("espana", "Spain"),
        ("ESPAÑA", "Spain"),
        ("new zealand", "New Zealand"),
        ("Österreich", "Austria"),
        ("sealand", "Sealand"),
    ],
)
def test_countries_use_one_name(typed: str, canonical: str) -> None:
    assert vocab.canonical_country(typed) == canonical


def test_styles_accept_the_enum_values_without_accents_and_a_few_everyday_words() -> None:
    assert vocab.parse_style("Rose") is Style.rose
    assert vocab.parse_style("ROSÉ") is Style.rose
    assert vocab.parse_style("bubbly") is Style.sparkling
    with pytest.raises(ValueError, match="unknown wine style 'blue'"):
        vocab.parse_style("blue")


def test_dietary_needs_accept_spelling_variants_and_refuse_unknown_ones() -> None:
    assert vocab.parse_dietary("Sulphite free") is Dietary.sulfite_free
    assert vocab.parse_dietary("sulfite_free") is Dietary.sulfite_free
    assert vocab.parse_dietary("low alcohol") is Dietary.low_alcohol
    with pytest.raises(ValueError, match="use one of"):
        vocab.parse_dietary("keto")


def test_names_are_bounded_and_free_of_control_characters() -> None:
    assert vocab.check_name("  Napa   Valley ") == "Napa Valley"
    for bad, message in [
        ("", "empty"),
        ("   ", "empty"),
        ("---", "empty"),
        ("x" * 81, "at most 80"),
        ("bad\x00name", "control"),
    ]:
        with pytest.raises(ValueError, match=message):
            vocab.check_name(bad)


def test_repeats_that_differ_only_in_case_or_accents_are_dropped_keeping_the_first() -> None:
    assert vocab.unique(["Rhône", "rhone", "RHONE", "Loire"]) == ["Rhône", "Loire"]
