"""Known wine vocabulary for preferences: styles, dietary needs, grapes, countries, regions, spelt one way."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TypeVar

from documents import Dietary, Style

T = TypeVar("T", bound=str)

_SPECIAL_FOLDS = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l"})
_NON_WORD = re.compile(r"[\W_]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Lower-case inside a place or grape name ("Côtes du Rhône", "Ribera del Duero"), unless first.
_PARTICLES = frozenset(
    ["de", "du", "des", "del", "della", "di", "da", "do", "dos", "das", "la", "le", "les", "y", "e", "et",
     "en", "sur", "am", "an", "der", "von", "im"]
)


def fold(text: str) -> str:
    """A comparison key without case, accents or punctuation: "Saint-Émilion" → "saint emilion"."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL_FOLDS))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", text).strip()


def _cap(word: str) -> str:
    for elision in ("d'", "l'", "d\u2019", "l\u2019"):
        if word.startswith(elision) and len(word) > 2:
            return elision + word[2:3].upper() + word[3:]
    return word[:1].upper() + word[1:]


def title_case(text: str) -> str:
    """Title-case a name typed in one case ("napa valley" → "Napa Valley"); mixed case is kept as typed."""
    text = " ".join(text.split())
    if text != text.lower() and text != text.upper():
        return text
    parts = re.split(r"([ \-/])", text.lower())
    out = []
    for i, part in enumerate(parts):
        out.append(part if (i > 0 and part in _PARTICLES) else _cap(part))
    return "".join(out)


def _table(spec: str) -> dict[str, str]:
    """`Canonical: alias, alias` lines → {folded name or alias: canonical}."""
    index: dict[str, str] = {}
    for line in spec.strip().splitlines():
        name, _, aliases = line.partition(":")
        name = name.strip()
        for key in [name, *aliases.split(",")]:
            if key.strip():
                index[fold(key)] = name
    return index


# Canonical grape names (as the catalog spells them) and the other names customers type.
GRAPES = _table("""
Cabernet Sauvignon: cab sauv, cabernet
Cabernet Franc: bouchet
Merlot:
Malbec: cot, côt, auxerrois noir
Pinot Noir: spätburgunder, pinot nero, blauburgunder
Syrah: shiraz, syrah/shiraz
Grenache: garnacha, garnatxa, cannonau, grenache noir
Mourvèdre: monastrell, mataro
Tempranillo: tinta roriz, aragonez, tinto fino, tinta del pais, tinta de toro, cencibel
Sangiovese: sangioveto, morellino
Nebbiolo: spanna, chiavennasca
Zinfandel: primitivo
Carignan: cariñena, mazuelo, carignano, carignan/cariñena
Cinsault: cinsaut
Carmenère: carmenere, carménère
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
Corvina: corvinone
Montepulciano:
Aglianico:
Nero d'Avola: calabrese
Negroamaro:
Blaufränkisch: lemberger, kékfrankos, frankovka
Zweigelt:
Saperavi:
Alicante Bouschet:
País: mission, listán prieto, país/mission
Chardonnay:
Sauvignon Blanc: fumé blanc, sauvignon
Riesling: rhine riesling, johannisberg riesling
Pinot Gris: pinot grigio, grauburgunder, ruländer
Pinot Blanc: pinot bianco, weissburgunder
Chenin Blanc: steen, pineau de la loire
Sémillon: semillon
Viognier:
Gewürztraminer: gewurztraminer, traminer
Grüner Veltliner: gruner veltliner, grüner
Muscat: moscato, moscatel, muscatel, muscat/moscato, muscat blanc, moscato bianco, muscat/moscato bianco
Albariño: alvarinho, albarino
Glera: prosecco, glera/prosecco
Trebbiano: ugni blanc
Vermentino: rolle
Müller-Thurgau: rivaner, muller thurgau
Torrontés: torrontes
Verdejo:
Godello:
Macabeo: viura, macabeu
Xarel-lo: xarello
Parellada:
Palomino: listán blanco
Pedro Ximénez: pedro ximenez, px
Assyrtiko:
Furmint:
Marsanne:
Roussanne:
Garganega:
Fiano:
Cortese:
Loureiro:
Arinto: pedernã
Verdelho:
Malvasia:
Colombard:
Chasselas: fendant, gutedel
Aligoté:
""")

# Countries as the catalog names them, with local and short names.
COUNTRIES = _table("""
France:
Italy: italia
Spain: españa
Portugal:
Germany: deutschland
Austria: österreich
Switzerland: schweiz, suisse, svizzera
Greece: hellas
Hungary: magyarország
Slovenia:
Croatia: hrvatska
Georgia: sakartvelo
Romania:
Moldova:
Bulgaria:
Lebanon:
Israel:
Malta:
Czech Republic: czechia
Russia:
Ukraine:
United Kingdom: uk, great britain, britain, england
United States: usa, us, u s a, united states of america, america
Canada:
Mexico: méxico
Chile:
Argentina:
Uruguay:
Brazil: brasil
Australia:
New Zealand: nz, aotearoa
South Africa: rsa
China:
Japan:
""")

# Well-known regions, spelt as the catalog (X-Wines) spells them; English names lead there too.
REGIONS = _table("""
Bordeaux:
Bourgogne: burgundy
Champagne:
Alsace:
Loire: loire valley, val de loire
Rhône: rhone, rhone valley, vallée du rhône
Côtes du Rhône: cotes du rhone
Châteauneuf-du-Pape: chateauneuf du pape
Saint-Émilion: st emilion, saint emilion
Saint-Émilion Grand Cru: st emilion grand cru
Pauillac:
Médoc: medoc
Sancerre:
Chablis:
Beaujolais:
Provence:
Languedoc: languedoc roussillon
Toscana: tuscany
Piemonte: piedmont
Veneto:
Barolo:
Chianti:
Chianti Classico:
Langhe:
Sicilia: sicily
Rioja: la rioja
Ribera del Duero:
Priorat: priorato
Douro: douro valley
Porto: oporto, port
Vinho Verde:
Alentejo:
Mosel: moselle, mosel saar ruwer
Rheingau:
Pfalz: palatinate
Wachau:
Tokaj: tokaji
Napa Valley: napa
Sonoma: sonoma county
California:
Willamette Valley: willamette
Mendoza:
Marlborough:
Barossa Valley: barossa
Stellenbosch:
Serra Gaúcha: serra gaucha
Vale dos Vinhedos:
Colchagua Valley: colchagua
Niagara Peninsula: niagara
""")

STYLE_ALIASES: dict[str, Style] = {
    **{fold(s.value): s for s in Style},
    "rosado": Style.rose, "rosato": Style.rose, "pink": Style.rose,
    "bubbly": Style.sparkling, "fizzy": Style.sparkling, "sweet": Style.dessert,
}
DIETARY_ALIASES: dict[str, Dietary] = {
    **{fold(d.value): d for d in Dietary},
    "sulphite free": Dietary.sulfite_free, "no sulfites": Dietary.sulfite_free,
    "no added sulfites": Dietary.sulfite_free, "low abv": Dietary.low_alcohol, "bio": Dietary.organic,
}


def canonical_grape(name: str) -> str:
    key = fold(name)
    if key in GRAPES:
        return GRAPES[key]
    if "/" in name:
        halves = [fold(h) for h in name.split("/")]
        for half in halves:
            if half in GRAPES:
                return GRAPES[half]
    return title_case(name)


def canonical_country(name: str) -> str:
    return COUNTRIES.get(fold(name)) or title_case(name)


def canonical_region(name: str) -> str:
    return REGIONS.get(fold(name)) or title_case(name)


def canonical_winery(name: str) -> str:
    """Wineries are proper names: keep the user's spelling, only tidy spaces and an all-one-case entry."""
    return title_case(name)


def _parse(value: str, aliases: dict[str, T], choices: Iterable[T], what: str) -> T:
    found = aliases.get(fold(value))
    if found is None:
        raise ValueError(f"unknown {what} {value!r}; use one of {', '.join(choices)}")
    return found


def parse_style(value: str) -> Style:
    return _parse(value, STYLE_ALIASES, Style, "wine style")


def parse_dietary(value: str) -> Dietary:
    return _parse(value, DIETARY_ALIASES, Dietary, "dietary need")


def check_name(value: str, max_length: int = 80) -> str:
    """A free-text name: non-empty, bounded, no control characters."""
    value = " ".join(unicodedata.normalize("NFC", value).split())
    if not value or not fold(value):
        raise ValueError("must not be empty")
    if len(value) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def unique(values: Sequence[T]) -> list[T]:
    """Drop repeats that differ only in case or accents; the first spelling wins, order is kept."""
    seen: set[str] = set()
    out = []
    for value in values:
        key = fold(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out
