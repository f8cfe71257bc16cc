"""Grape-typical descriptors for tasting notes: each grape's tannin, aromas and accents, by any of its names."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from documents.models import Style
from vocabulary import find_grape, fold


@dataclass(frozen=True)
class GrapeProfile:
    name: str
    red: bool
    tannin: float  # typical tannin 0..1; whites are near zero
    aromas: tuple[str, ...]  # fruit and flowers, the first thing a note mentions
    accents: tuple[str, ...]  # earth, spice, oak, mineral: the second layer


# grape | typical tannin 0..1 | aromas (fruit, flowers) | accents (earth, spice, oak, mineral)
_TABLE = """
Cabernet Sauvignon | 0.80 | blackcurrant, blackberry, black cherry | cedar, tobacco, graphite, mint
Merlot | 0.55 | plum, black cherry, blackberry | milk chocolate, vanilla, bay leaf
Pinot Noir | 0.35 | red cherry, raspberry, cranberry | forest floor, earthy mushroom, clove
Syrah | 0.70 | blackberry, blueberry, plum | black pepper, smoked meat, violet, licorice
Cabernet Franc | 0.55 | raspberry, red currant, cherry | bell pepper, graphite, violet, dried herbs
Malbec | 0.65 | blackberry, plum, black cherry | violet, cocoa, sweet spice
Tempranillo | 0.60 | cherry, plum, dried fig | leather, tobacco, vanilla, dill
Grenache | 0.40 | strawberry, raspberry, red plum | white pepper, dried herbs, garrigue
Sangiovese | 0.65 | sour cherry, red plum, cranberry | dried herbs, tomato leaf, leather, damp earth
Nebbiolo | 0.90 | red cherry, rose petal, raspberry | tar, truffle, licorice
Zinfandel | 0.50 | blackberry jam, raspberry, plum | black pepper, sweet spice, licorice
Touriga Nacional | 0.75 | blackberry, blueberry, black plum | violet, bergamot, rockrose
Touriga Franca | 0.65 | raspberry, mulberry, black cherry | rose, sweet spice
Tinta Barroca | 0.50 | blackberry, ripe plum, black cherry | earthy spice, clove
Tinto Cão | 0.60 | red cherry, blackcurrant, raspberry | spice, violets
Tinta Amarela | 0.55 | plum, blackberry, red currant | dried herbs, spice
Baga | 0.80 | sour cherry, red currant, plum | tar, smoke, damp earth
Petit Verdot | 0.80 | blackberry, black plum, blueberry | violet, sage, leather
Carmenère | 0.55 | blackberry, plum, raspberry | green peppercorn, paprika, cocoa
Tannat | 0.95 | blackberry, plum, blackcurrant | licorice, smoke, cocoa
Barbera | 0.35 | sour cherry, red plum, blackberry | dried herbs, anise
Gamay | 0.30 | red cherry, raspberry, cranberry | violet, banana, damp earth
Pinotage | 0.60 | blackberry, mulberry, plum | smoke, coffee, damp earth
Carignan | 0.60 | black cherry, raspberry, dried cranberry | licorice, baking spice, savoury herbs
Mourvedre | 0.75 | blackberry, plum, black cherry | black pepper, game, cocoa, leather
Cinsault | 0.30 | strawberry, raspberry, red cherry | violets, white pepper
Corvina | 0.45 | sour cherry, dried cherry, red plum | almond, cinnamon, chocolate
Dolcetto | 0.55 | black cherry, plum, blackberry | licorice, almond
Zweigelt | 0.35 | red cherry, raspberry, cranberry | black pepper, spice
Blaufränkisch | 0.55 | blackberry, sour cherry, plum | pepper, damp earth, spice
Negroamaro | 0.55 | plum, black cherry, blackberry | tobacco, damp earth
Alicante Bouschet | 0.70 | blackberry, plum, black cherry | cocoa, spice
Saperavi | 0.75 | blackberry, dark plum, black cherry | licorice, smoke
Petite Sirah | 0.90 | blueberry, blackberry, plum | black pepper, dark chocolate
Aglianico | 0.85 | black cherry, plum, blackberry | smoke, leather, volcanic minerality
Nero d'Avola | 0.55 | black cherry, plum, blackberry | licorice, sweet spice
Montepulciano | 0.60 | black cherry, plum, blackberry | oregano, damp earth, tobacco
País | 0.35 | red cherry, strawberry, cranberry | damp earth, dried herbs
Ancellotta | 0.30 | blackberry, black cherry, violet | cocoa, spice
Pinot Meunier | 0.30 | red apple, raspberry, red cherry | brioche, spice
Malvasia Nera | 0.60 | black cherry, blackberry, plum | spice, damp earth
Chardonnay | 0.00 | yellow apple, lemon, pineapple | butter, vanilla, toasted oak, hazelnut
Sauvignon Blanc | 0.00 | gooseberry, grapefruit, lime | freshly cut grass, passion fruit, citrus zest
Riesling | 0.00 | lime, green apple, white peach | petrol, minerality, honeysuckle, slate
Chenin Blanc | 0.00 | quince, yellow apple, pear | honey, chamomile, wet stone
Viognier | 0.00 | apricot, peach, honeysuckle | orange blossom, ginger
Sémillon | 0.00 | lemon, fig, pear | beeswax, lanolin, honey, toast
Muscat | 0.00 | orange blossom, fresh grape, peach | rose, honeysuckle, candied citrus
Gewürztraminer | 0.00 | lychee, rose petal, grapefruit | ginger, sweet spice
Pinot Gris | 0.00 | pear, white peach, lemon | almond, spice
Pinot Blanc | 0.00 | green apple, pear, lemon | almond, white flowers
Grüner Veltliner | 0.00 | green apple, lime, white grapefruit | white pepper, minerality
Albariño | 0.00 | lemon, grapefruit, white peach | saline minerality, jasmine
Loureiro | 0.00 | lime, lemon blossom, green apple | lemon blossom, citrus zest
Trajadura | 0.00 | pear, lemon, apple | citrus, white flowers
Arinto | 0.00 | lemon, green apple, lime | minerality, citrus zest
Glera | 0.00 | green apple, pear, honeydew melon | white flowers, citrus
Malvasia | 0.00 | apricot, peach, orange peel | honey, almond
Trebbiano | 0.00 | lemon, green apple, pear | almond, minerality
Assyrtiko | 0.00 | lemon, lime, green apple | flinty minerality, sea salt
Furmint | 0.00 | pear, lime, quince | honey, smoke, minerality
Palomino | 0.00 | green apple, lemon, almond | sea salt, bread dough
Pedro Ximenez | 0.00 | raisin, fig, date | molasses, coffee, toffee
Colombard | 0.00 | lime, green apple, guava | citrus, white flowers
Cortese | 0.00 | lemon, green apple, pear | green almond, minerality
Müller-Thurgau | 0.00 | peach, lemon, green apple | white flowers, nutmeg
Verdelho | 0.00 | lime, green apple, pineapple | honey, citrus zest
Verdejo | 0.00 | lime, grapefruit, green apple | fennel, bitter almond
Torrontés | 0.00 | peach, lemon, grape | rose, jasmine
Vermentino | 0.00 | lime, grapefruit, green apple | sea salt, almond, herbs
Garganega | 0.00 | pear, lemon, melon | almond, white flowers
Marsanne | 0.00 | pear, apricot, honeydew melon | beeswax, almond, herbal tea
Petit Manseng | 0.00 | pineapple, quince, apricot | honey, candied citrus
Vidal Blanc | 0.00 | apricot, pineapple, peach | honey, citrus zest
Godello | 0.00 | apple, pear, lemon | minerality, hazelnut
Fiano | 0.00 | pear, hazelnut, lemon | honey, spice
Rabigato | 0.00 | lemon, green apple, pear | white flowers, minerality
"""

# Other names of the grapes above, as producers and X-Wines spell them.
_ALIASES = """
Pinot Noir: Spätburgunder, Pinot Nero
Syrah: Shiraz
Malbec: Cot
Tempranillo: Tinta Roriz, Aragonez, Tinto Fino, Tinta de Toro
Grenache: Garnacha, Cannonau
Sangiovese: Brunello
Zinfandel: Primitivo
Tinta Amarela: Trincadeira
Carignan: Cariñena, Mazuelo
Mourvedre: Mourvèdre, Monastrell, Mataro
Cinsault: Cinsaut
Corvina: Corvinone, Rondinella, Molinara
Blaufränkisch: Lemberger, Kékfrankos
Petite Sirah: Durif
País: Mission, Listán Prieto
Ancellotta: Lambrusco
Pinot Meunier: Meunier
Malvasia Nera: Vinhão, Sousão
Sauvignon Blanc: Fumé Blanc
Chenin Blanc: Steen
Sémillon: Semillon
Muscat: Moscato, Moscatel, Muscatel, Muscadel, Muscadelle, Muscat Blanc, Moscato Bianco
Muscat: Muscat of Alexandria, Muscat Blanc à Petits Grains, Moscato Giallo
Gewürztraminer: Traminer
Pinot Gris: Pinot Grigio, Grauburgunder
Pinot Blanc: Pinot Bianco, Weissburgunder
Albariño: Alvarinho
Trajadura: Treixadura
Arinto: Arinto de Bucelas, Pedernã
Glera: Prosecco
Malvasia: Malvasia Fina, Malvazija
Trebbiano: Ugni Blanc
Palomino: Listán Blanco
Pedro Ximenez: Pedro Ximénez
Müller-Thurgau: Rivaner
Vermentino: Rolle
Marsanne: Roussanne
Petit Manseng: Gros Manseng
Vidal Blanc: Vidal
Rabigato: Viosinho, Côdega de Larinho, Gouveio
"""


def _fold(text: str) -> str:
    return fold(text).strip()


def _build_index() -> dict[str, GrapeProfile]:
    """Every grape and each of its other names maps to one profile."""
    index: dict[str, GrapeProfile] = {}
    for line in _TABLE.strip().splitlines():
        name, tannin, aromas, accents = (field.strip() for field in line.split("|"))
        red = float(tannin) > 0.2
        index[_fold(name)] = GrapeProfile(
            name, red, float(tannin), tuple(aromas.split(", ")), tuple(accents.split(", "))
        )
    for line in _ALIASES.strip().splitlines():
        name, others = line.split(":")
        for alias in others.split(","):
            index[_fold(alias)] = index[_fold(name)]
    return index


GRAPES: dict[str, GrapeProfile] = _build_index()

STYLE_FALLBACK: dict[Style, GrapeProfile] = {
    Style.red: GrapeProfile("red", True, 0.55, ("red cherry", "plum", "blackberry"), ("spice", "oak", "earthy spice")),
    Style.white: GrapeProfile("white", False, 0.0, ("citrus", "green apple", "pear"), ("minerality", "white flowers")),
    Style.rose: GrapeProfile(
        "rosé", False, 0.1, ("strawberry", "watermelon", "red currant"), ("citrus zest", "dried herbs")
    ),
    Style.sparkling: GrapeProfile(
        "sparkling",
        False,
        0.0,
        ("green apple", "lemon", "white peach"),
        ("brioche", "toast", "chalky minerality"),
    ),
    Style.dessert: GrapeProfile(
        "dessert", False, 0.05, ("honey", "apricot", "candied orange"), ("marmalade", "saffron", "caramel")
    ),
    Style.fortified: GrapeProfile(
        "fortified", True, 0.5, ("raisin", "fig", "ripe plum"), ("walnut", "caramel", "dark chocolate")
    ),
}


@functools.lru_cache(maxsize=4096)  # a catalog repeats a few hundred grape names
def grape_profile(name: str) -> GrapeProfile | None:
    """The profile of a grape by any of its names; X-Wines pairs synonyms as "Syrah/Shiraz"."""
    folded = _fold(name)
    if folded in GRAPES:
        return GRAPES[folded]
    for part in folded.split("/"):
        if part.strip() in GRAPES:
            return GRAPES[part.strip()]
    canonical = find_grape(name)  # the shop's vocabulary knows more synonyms ("Côt", "Blauburgunder")
    return GRAPES.get(_fold(canonical)) if canonical else None
