"""Our own tasting notes, written from a wine's attributes with a vocabulary of grape-typical descriptors."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from typing import Protocol

from app.catalog.grape_profiles import STYLE_FALLBACK, GrapeProfile, grape_profile
from documents.models import Style, TasteStructure


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
