"""Our own tasting notes, written from a wine's attributes with a vocabulary of grape-typical descriptors."""

from __future__ import annotations

import functools
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from documents.models import Style, TasteStructure
from vocabulary import find_grape, fold


class WineFacts(Protocol):
    """What the note writer reads; a `documents.Wine` has all of it."""

    id: str
    name: str
    grapes: list[str]
    style: Style
    taste: TasteStructure
    food_pairings: list[str]
    region: str
    country: str
    abv: float | None


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


def stable_fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by `parts` forever: unlike hash(), the same in every process and version."""
    digest = hashlib.blake2b(":".join([str(p) for p in parts]).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class _Dice:
    """Deterministic choices for one wine (random.Random(int).random() is stable across Python versions)."""

    def __init__(self, seed: str) -> None:
        self._rng = random.Random(int(stable_fraction("notes", seed) * 2**63))

    def index(self, n: int) -> int:
        return min(int(self._rng.random() * n), n - 1)

    def pick(self, options: Sequence[str]) -> str:
        return options[self.index(len(options))]

    def sample(self, options: Sequence[str], k: int) -> list[str]:
        pool = list(options)
        return [pool.pop(self.index(len(pool))) for _ in range(min(k, len(pool)))]


# Name hints add the flavours a style word promises ("tawny", "late harvest") ahead of the grapes'.
_NAME_AROMAS: list[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = [
    (
        ("tawny", "colheita port", "colheita porto", "porto colheita"),
        ("walnut", "caramel", "dried fig"),
        ("toffee", "orange peel"),
    ),
    (
        ("ruby", "vintage port", "lbv", "late bottled"),
        ("ripe plum", "blackberry", "black cherry"),
        ("dark chocolate", "sweet spice"),
    ),
    (("fino", "manzanilla"), ("almond", "green apple", "lemon peel"), ("sea salt", "bread dough")),
    (("oloroso", "amontillado", "cream"), ("walnut", "toffee", "dried fig"), ("orange peel", "caramel")),
    (("grappa", "marc "), ("grape pomace", "dried fruit", "white flowers"), ("warming spirit", "spice")),
    (("icewine", "ice wine", "eiswein"), ("candied pineapple", "apricot", "honey"), ("candied citrus",)),
    (
        ("late harvest", "auslese", "aszú", "aszu", "sauternes", "botrytis", "noble", "tardia", "tardía"),
        ("honey", "apricot", "marmalade"),
        ("saffron", "candied orange"),
    ),
    (("vin santo", "recioto", "passito"), ("dried apricot", "raisin", "honey"), ("hazelnut", "caramel")),
]
_OAK_HINTS = ("reserva", "reserve", "riserva", "crianza", "barrique", "oak", "gran ")
_SPARKLING_HINTS = ("champagne", "brut", "cava", "crémant", "cremant", "franciacorta", "espumante")

_PAIRING_WORDS = {
    "game meat": "game",
    "rich fish": "rich fish dishes",
    "lean fish": "lean white fish",
    "maturated cheese": "aged cheese",
    "cured meat": "charcuterie",
    "sweet dessert": "sweet desserts",
    "fruit dessert": "fruit desserts",
    "appetizer": "appetisers",
    "snack": "snacks",
    "vegetarian": "vegetarian dishes",
    "mushrooms": "mushroom dishes",
}
_NOUN = {
    Style.red: "red",
    Style.white: "white",
    Style.rose: "rosé",
    Style.sparkling: "sparkling wine",
    Style.dessert: "dessert wine",
    Style.fortified: "fortified wine",
}


def _profiles(wine: WineFacts) -> list[GrapeProfile]:
    """The known grapes first (in the wine's order), then the style's fallback so there is always one."""
    found = [p for p in (grape_profile(g) for g in wine.grapes) if p is not None]
    unique = list(dict.fromkeys(found))
    return [*unique[:3], STYLE_FALLBACK[wine.style]]


def _vocabulary(wine: WineFacts, dice: _Dice) -> tuple[list[str], list[str]]:
    """Three aromas and two accents: the lead grape always speaks first, so its words are in the note."""
    profiles = _profiles(wine)
    name = wine.name.casefold()
    aromas: list[str] = []
    accents: list[str] = []
    for hints, hint_aromas, hint_accents in _NAME_AROMAS:
        if any(h in name for h in hints):
            aromas += dice.sample(hint_aromas, 1)
            accents += dice.sample(hint_accents, 1)
            break
    for profile in profiles:
        aromas += dice.sample(profile.aromas, 2 if not aromas else 1)
        accents += dice.sample(profile.accents, 1)
    if any(h in name for h in _OAK_HINTS) and wine.style in (Style.red, Style.white, Style.fortified):
        accents.insert(1, dice.pick(("toasted oak", "vanilla and oak", "oak spice")))
    if wine.style is Style.sparkling and any(h in name for h in _SPARKLING_HINTS):
        accents.insert(0, dice.pick(("brioche", "toast", "chalky minerality")))
    return list(dict.fromkeys(aromas))[:3], list(dict.fromkeys(a for a in accents if a not in aromas))[:2]


def _grape_label(grape: str) -> str:
    profile = grape_profile(grape)
    return profile.name if profile else grape.split("/")[0].strip()


def _describe(wine: WineFacts) -> str:
    """How a note names the wine: "Cabernet Sauvignon", "red blend of Merlot and Malbec", "rosé"…"""
    noun = _NOUN[wine.style]
    grapes = list(dict.fromkeys(_grape_label(g) for g in wine.grapes))
    if not grapes:
        return noun if wine.style is not Style.red else "red wine"
    if len(grapes) > 1:
        listed = _join(grapes[:3])
        return f"{noun} blend of {listed}" if len(grapes) <= 3 else f"{noun} blend led by {listed}"
    grape = grapes[0]
    return {
        Style.red: grape,
        Style.white: grape,
        Style.rose: f"{grape} rosé",
        Style.sparkling: f"sparkling {grape}",
        Style.dessert: f"sweet {grape}",
        Style.fortified: f"fortified {grape}",
    }[wine.style]


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _place(wine: WineFacts) -> str:
    parts = [p for p in (wine.region, wine.country) if p]
    if len(parts) == 2 and parts[0] == parts[1]:
        parts = parts[:1]
    return f" from {', '.join(parts)}" if parts else ""


def _opening(wine: WineFacts, aromas: list[str], dice: _Dice) -> str:
    a, b, c = [*aromas, "ripe fruit", "fresh fruit", "spice"][:3]
    subject = f"{_describe(wine)}{_place(wine)}"
    return dice.pick(
        (
            f"This {subject} offers aromas of {a}, {b} and {c}.",
            f"This {subject} opens with {a} and {b}, with hints of {c}.",
            f"On the nose, {a} and {b} lead in this {subject}, followed by {c}.",
            f"Expect {a}, {b} and a touch of {c} from this {subject}.",
            f"{a.capitalize()} and {b} define the bouquet of this {subject}, with {c} in the background.",
        )
    )


_Bands = tuple[tuple[float, ...], tuple[tuple[str, ...], ...]]


def _levels(value: float, bands: _Bands, dice: _Dice) -> str:
    """A word for `value` from the band it falls in."""
    cuts, words = bands
    band = next((i for i, cut in enumerate(cuts) if value < cut), len(cuts))
    return dice.pick(words[band])


# Word bands: (upper bounds of every band but the last, the words for each band).
_BODY = (
    (0.2, 0.4, 0.6, 0.8),
    (
        ("feather-light",),
        ("light-bodied", "lightweight"),
        ("medium-bodied",),
        ("full-bodied",),
        ("rich, full-bodied", "opulent, full-bodied"),
    ),
)
_SWEETNESS = (
    (0.03, 0.12, 0.3, 0.6),
    (("bone-dry", "dry"), ("dry",), ("off-dry",), ("medium-sweet",), ("lusciously sweet", "richly sweet")),
)
_ACIDITY = (
    (0.35, 0.6),
    (
        ("soft acidity", "gentle acidity"),
        ("balanced acidity", "fresh acidity"),
        ("crisp acidity", "bright, zesty acidity", "lively acidity", "mouth-watering acidity"),
    ),
)
_TANNIN = (
    (0.3, 0.55, 0.75),
    (
        ("silky tannins", "supple tannins"),
        ("smooth tannins", "fine-grained tannins"),
        ("firm tannins", "structured tannins"),
        ("powerful, grippy tannins", "firm, muscular tannins"),
    ),
)
_TEXTURE = (
    (0.4, 0.7),
    (
        ("a delicate texture",),
        ("a smooth texture", "a juicy texture"),
        ("a creamy, rounded texture", "a rich, textured palate"),
    ),
)
_FINISH = (
    (0.6, 1.0, 1.4),
    (
        ("clean and refreshing", "short and refreshing"),
        ("clean", "persistent"),
        ("lingering", "persistent"),
        ("long", "long and complex"),
    ),
)


def _palate(wine: WineFacts, dice: _Dice) -> str:
    t = wine.taste
    body = _levels(t.body, _BODY, dice)
    sweet = _levels(t.sweetness, _SWEETNESS, dice)
    acid = _levels(t.acidity, _ACIDITY, dice)
    if t.fizz >= 0.6:
        second = dice.pick(("a lively mousse", "fine, persistent bubbles", "a creamy mousse"))
    elif t.tannin >= 0.2:
        second = _levels(t.tannin, _TANNIN, dice)
        if t.fizz >= 0.2:
            second += " under a light spritz"
    elif t.fizz >= 0.2:
        second = dice.pick(("a gentle sparkle", "a light spritz"))
    else:
        second = _levels(t.body, _TEXTURE, dice)
    return dice.pick(
        (
            f"The palate is {body} and {sweet}, with {acid} and {second}.",
            f"{body.capitalize()} and {sweet} on the palate, it shows {acid} and {second}.",
            f"In the mouth it is {sweet} and {body}, with {second} and {acid}.",
        )
    )


def _finish(wine: WineFacts, accents: list[str], dice: _Dice) -> str:
    x, y = [*accents, "spice", "minerality"][:2]
    finish = _levels(wine.taste.body + wine.taste.tannin, _FINISH, dice)
    if wine.abv is not None and wine.abv >= 15:
        finish = "long and warming"
    return dice.pick(
        (
            f"Notes of {x} and {y} carry through to a {finish} finish.",
            f"{x.capitalize()} and {y} carry the {finish} finish.",
            f"The finish is {finish}, marked by {x} and {y}.",
        )
    )


def _pairing(wine: WineFacts, dice: _Dice) -> str:
    foods = [_PAIRING_WORDS.get(p.casefold(), p.casefold()) for p in dice.sample(wine.food_pairings, 3)]
    listed = _join(foods)
    options = [f"Pair it with {listed}.", f"A natural partner for {listed}.", f"Serve it alongside {listed}."]
    if wine.abv is not None:
        options.append(f"At {wine.abv:g}% alcohol, it suits {listed}.")
    return dice.pick(options)


def tasting_notes(wine: WineFacts, *, seed: str | None = None) -> str:
    """Two to four sentences about `wine`, the same every time for it (`seed` defaults to its id)."""
    dice = _Dice(seed if seed is not None else wine.id)
    aromas, accents = _vocabulary(wine, dice)
    sentences = [_opening(wine, aromas, dice), _palate(wine, dice)]
    shape = dice.index(4)  # 0: finish only, 1: pairing only, 2-3: both
    if shape != 1 or not wine.food_pairings:
        sentences.append(_finish(wine, accents, dice))
    if shape != 0 and wine.food_pairings:
        sentences.append(_pairing(wine, dice))
    return " ".join(sentences)
