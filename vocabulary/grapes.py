"""Grapes: the catalog's spelling, the synonyms that name the same vine, and shoppers' shorthand."""

from __future__ import annotations

from functools import lru_cache

from vocabulary.text import fold, fold_key, words

# `Canonical: synonym, synonym | shorthand, shorthand`. Synonyms name the same vine (searched as one, both ways);
# shorthand is what shoppers type for the canonical grape only ("cab sauv"), never offered as a synonym.
# X-Wines spells some grapes as "A/B" ("Syrah/Shiraz"): those spellings are synonyms too.
_GRAPES = """
Cabernet Sauvignon: | cab sauv, cab sav, cabsav, cab, cabernet, cabernets
Cabernet Franc: bouchet | cab franc
Merlot:
Malbec: cot, côt, auxerrois noir
Pinot Noir: spätburgunder, pinot nero, blauburgunder | pn
Syrah: shiraz, syrah/shiraz
Grenache: garnacha, garnatxa, cannonau, grenache noir
Mourvèdre: mourvedre, monastrell, mataro
Tempranillo: tinta roriz, aragonez, tinto fino, tinta del pais, tinta de toro, cencibel | tempranilla
Sangiovese: sangioveto, brunello, morellino
Nebbiolo: spanna, chiavennasca
Zinfandel: primitivo | zin
Carignan: cariñena, mazuelo, carignano, carignan/cariñena
Cinsault: cinsaut
Carmenère: carmenere
Petit Verdot:
Petite Sirah: durif
Gamay:
Barbera:
Dolcetto:
Tannat:
Pinotage:
Pinot Meunier: meunier
Touriga Nacional:
Touriga Franca: touriga francesa
Tinta Barroca:
Tinto Cão:
Tinta Amarela: trincadeira
Corvina:
Montepulciano:
Aglianico:
Nero d'Avola: calabrese
Negroamaro:
Blaufränkisch: lemberger, kékfrankos, frankovka
Zweigelt:
Saperavi:
Alicante Bouschet:
País: mission, listán prieto, país/mission
Chardonnay: | chard, chardy
Sauvignon Blanc: fumé blanc | sauv blanc, savvy b, sav blanc, savvy
Riesling: rhine riesling, johannisberg riesling
Pinot Gris: pinot grigio, grauburgunder | ruländer
Pinot Blanc: pinot bianco, weissburgunder
Chenin Blanc: steen, pineau de la loire | chenin
Sémillon: semillon
Viognier:
Gewürztraminer: traminer | gewurz
Grüner Veltliner: | gruner, grüner, gruvee
Muscat: moscato, moscatel, muscatel, muscat/moscato, muscat blanc, moscato bianco, muscat/moscato bianco, muscat/moscato giallo, muscat/muscatel, moscato giallo
Albariño: alvarinho
Glera: prosecco, glera/prosecco
Trebbiano: ugni blanc
Vermentino: rolle, rolle/rollo
Silvaner: sylvaner, silvaner/sylvaner
Friulano: sauvignonasse, friulano/sauvignonasse, tocai friulano
Müller-Thurgau: rivaner
Torrontés:
Verdejo:
Godello:
Macabeo: viura, macabeu
Xarel-lo: xarello
Parellada:
Palomino: listán blanco
Pedro Ximénez: | px
Assyrtiko:
Furmint:
Marsanne:
Roussanne:
Garganega:
Fiano:
Cortese:
Loureiro:
Arinto: pedernã, arinto de bucelas
Verdelho:
Malvasia:
Colombard:
Chasselas: fendant, gutedel
Aligoté:
"""


def _build() -> tuple[dict[str, str], dict[str, tuple[str, ...]], dict[str, str]]:
    canonical: dict[str, str] = {}  # folded name, synonym or shorthand -> canonical name
    groups: dict[str, tuple[str, ...]] = {}  # canonical -> every folded spelling of the vine (no shorthand)
    shorthand: dict[str, str] = {}
    for line in _GRAPES.strip().splitlines():
        name, _, rest = line.partition(":")
        same, _, short = rest.partition("|")
        members = [name.strip(), *(s.strip() for s in same.split(",") if s.strip())]
        groups[name.strip()] = tuple(dict.fromkeys(fold(m) for m in members))
        for m in members:
            canonical[fold_key(m)] = name.strip()
        for s in (s.strip() for s in short.split(",") if s.strip()):
            canonical.setdefault(fold_key(s), name.strip())
            shorthand[fold_key(s)] = name.strip()
    return canonical, groups, shorthand


GRAPE_NAMES, GRAPE_GROUPS, GRAPE_SHORTHAND = _build()


@lru_cache(maxsize=4096)
def find_grape(name: str) -> str | None:
    """The canonical grape a name means ("syrah/shiraz", "Spatburgunder", "cab sauv"), or None when unknown."""
    found = GRAPE_NAMES.get(fold_key(name))
    if found is None and "/" in name:
        for half in name.split("/"):
            found = GRAPE_NAMES.get(fold_key(half))
            if found:
                break
    return found


def grape_group(value: str) -> str:
    """The grape a spelling belongs to, as facets count it and filters match it: the canonical name for every
    known spelling ("Syrah/Shiraz", "shiraz", "Syrah" -> "Syrah"), the value itself otherwise. Facets and filters
    both go through this one function, so a facet value always filters to exactly its count."""
    return find_grape(value) or value.strip()


def synonym_groups() -> list[tuple[str, ...]]:
    """Groups of word spellings that name one vine (slash forms left out: the engines split them into words)."""
    out = []
    for members in GRAPE_GROUPS.values():
        plain = tuple(dict.fromkeys(" ".join(words(m)) for m in members if "/" not in m))
        if len(plain) > 1:
            out.append(plain)
    return out
