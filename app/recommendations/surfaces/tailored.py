"""Tailored notes for one wine: how it sits against this shopper's palate, which of their foods it suits, and
where it crosses a need or dislike they stated — in words, from the wine's taste structure and X-Wines
pairings and the shopper's own profile only (nothing here is a fact about the wine we do not hold)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.recommendations.surfaces.content import TasteIntent
from app.recommendations.surfaces.explain import Reason
from app.recommendations.surfaces.filters import HardFilters
from documents import Preferences, User, Wine
from documents.models import TASTE_AXES
from vocabulary import find_food

NOTICEABLE = 0.15  # a difference on one axis smaller than this is "close" (the match's CLOSE)
MARKED = 0.35  # from here on a difference is "much"

# axis: (word when the wine has less of it, word when it has more)
_COMPARATIVES = {
    "body": ("lighter", "fuller-bodied"),
    "tannin": ("less tannic", "more tannic"),
    "sweetness": ("drier", "sweeter"),
    "acidity": ("softer", "crisper"),
    "fizz": ("less sparkling", "more sparkling"),
}
_NAMES = {"body": "body", "tannin": "tannin", "sweetness": "sweetness", "acidity": "acidity", "fizz": "bubbles"}


@dataclass(frozen=True)
class FoodMatch:
    food: str  # as the shopper named it
    pairings: list[str]  # the wine's X-Wines pairings that dish calls for


@dataclass(frozen=True)
class BasedOn:
    """What the tailored part was made from, so the page can say so (and nothing else was used)."""

    taste_profile: list[str] = field(default_factory=list)  # the profile's axes compared
    purchases: int = 0  # own (non-gift) purchases whose mean taste was compared
    foods: list[str] = field(default_factory=list)
    dietary: list[str] = field(default_factory=list)
    dislikes: list[str] = field(default_factory=list)  # kinds stated: styles, grapes, wineries, wine_ids


@dataclass(frozen=True)
class Brief:
    """The short form for a wine's card: one line, and whether it warns (a stated need or dislike crossed)."""

    line: str | None
    warning: bool


@dataclass
class Tailored:
    palate: list[str] = field(default_factory=list)
    foods: list[FoodMatch] = field(default_factory=list)
    warnings: list[Reason] = field(default_factory=list)


def compare(wine: Mapping[str, float], reference: Mapping[str, float], against: str) -> str | None:
    """One sentence: "Lighter and much less tannic than what you usually buy; close on acidity." (None: no axes)."""
    axes = [a for a in TASTE_AXES if a in reference and a in wine]
    if not axes:
        return None
    differences = _gaps(wine, reference, axes)
    words = [_word(gap, axis) for gap, axis in differences if abs(gap) >= NOTICEABLE]
    close = [_NAMES[a] for gap, a in differences if abs(gap) < NOTICEABLE]
    if not words:
        return f"Close to {against} on {_join(close)}."
    sentence = f"{_join(words[:3]).capitalize()} than {against}"
    return f"{sentence}; close on {_join(close)}." if close else f"{sentence}."


def briefly(wine: Mapping[str, float], reference: Mapping[str, float], against: str) -> str | None:
    """A card's few words: the two largest gaps ("lighter and less tannic than what you usually buy"), or
    "close to …" when none is noticeable (None: no axes to compare)."""
    axes = [a for a in TASTE_AXES if a in reference and a in wine]
    if not axes:
        return None
    words = [_word(gap, axis) for gap, axis in _gaps(wine, reference, axes) if abs(gap) >= NOTICEABLE]
    return f"{_join(words[:2])} than {against}" if words else f"close to {against}"


def _gaps(wine: Mapping[str, float], reference: Mapping[str, float], axes: Sequence[str]) -> list[tuple[float, str]]:
    return sorted(((wine[a] - reference[a], a) for a in axes), key=lambda d: -abs(d[0]))


def _word(gap: float, axis: str) -> str:
    word = _COMPARATIVES[axis][gap > 0]
    return f"much {word}" if abs(gap) >= MARKED else word


def food_matches(foods: Sequence[str], pairings: Sequence[str]) -> list[FoodMatch]:
    """The shopper's foods this wine's pairings cover: "steak" → Beef (vocabulary/food.py)."""
    offered = {p.casefold(): p for p in pairings}
    out = []
    for food in foods:
        hits = [offered[c.casefold()] for c in find_food(food) if c.casefold() in offered]
        if hits:
            out.append(FoodMatch(food, list(dict.fromkeys(hits))))
    return out


_WARNINGS = {
    "dietary": "not marked {} — one of your dietary needs",
    "style": "a style you said you avoid: {}",
    "grape": "made with {}, a grape you said you avoid",
    "winery": "from {}, a winery you said you avoid",
}


def warnings(wine: Wine, filters: HardFilters) -> list[Reason]:
    """Where this wine crosses a stated dietary need or dislike (the hard filters' own rule)."""
    found = [
        Reason(f"crosses_{kind}", _WARNINGS[kind].format(value), [value])
        for kind, value in filters.conflicts(wine.model_dump(mode="json"))
    ]
    if wine.id in filters.wine_ids:
        found.append(Reason("crosses_not_for_me", "you marked this wine “not for me”", []))
    return found


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def tailor(
    wine: Wine,
    *,
    profile: Mapping[str, float],
    purchased: Mapping[str, float],
    foods: Sequence[str],
    filters: HardFilters,
) -> Tailored:
    """Everything the wine page says to this shopper; `purchased` is the mean taste of their own purchases."""
    taste = wine.taste.model_dump()
    palate = [
        sentence
        for sentence in (
            compare(taste, purchased, "what you usually buy"),
            compare(taste, profile, "your taste profile"),
        )
        if sentence
    ]
    return Tailored(palate, food_matches(foods, wine.food_pairings), warnings(wine, filters))


@dataclass
class ForMe:
    wine: Wine
    personalised: bool
    tailored: Tailored
    based_on: BasedOn


def for_me(wine: Wine, user: User, filters: HardFilters, bought: Mapping[str, tuple[Wine, int]]) -> ForMe:
    """The wine against the shopper's palate, foods and stated needs; `bought`: their own purchases but this
    wine, with how often each was bought. Without personalisation consent only the warnings (stated needs and
    dislikes hold without it, as on every list); no palate, no foods."""
    prefs = user.preferences
    dietary, dislikes = [str(d) for d in prefs.dietary], _dislike_kinds(prefs)
    if not user.consent.personalisation:
        return ForMe(
            wine, False, Tailored(warnings=warnings(wine, filters)), BasedOn(dietary=dietary, dislikes=dislikes)
        )
    profile = _taste_profile(user)
    purchased = usual_taste(bought.values())
    result = tailor(wine, profile=profile, purchased=purchased, foods=prefs.foods, filters=filters)
    return ForMe(wine, True, result, BasedOn(list(profile), len(bought), list(prefs.foods), dietary, dislikes))


def usual_taste(bought: Iterable[tuple[Wine, int]]) -> dict[str, float]:
    """The mean taste of what the shopper bought, weighted by how often (empty without purchases)."""
    pairs = list(bought)
    total = sum(times for _, times in pairs)
    if not total:
        return {}
    return {axis: sum(getattr(wine.taste, axis) * times for wine, times in pairs) / total for axis in TASTE_AXES}


def _taste_profile(user: User) -> dict[str, float]:
    """The axes the shopper's taste profile knows (quiz, stated, learned), each its value."""
    return {axis: value for axis, (value, _) in TasteIntent.of(user.taste_profile, None).axes.items()}


def _dislike_kinds(prefs: Preferences) -> list[str]:
    d = prefs.dislikes
    named = {"styles": d.styles, "grapes": d.grapes, "wineries": d.wineries, "wine_ids": d.wine_ids}
    return [kind for kind, values in named.items() if values]


def brief(
    wine: Wine,
    *,
    profile: Mapping[str, float],
    purchased: Mapping[str, float],
    foods: Sequence[str],
    filters: HardFilters,
) -> Brief:
    """A card's line, the wine page's notes cut short: the warnings first, then the palate against what the
    shopper usually buys (else their taste profile), then up to two of their foods it suits —
    "lighter than what you usually buy · suits your roast chicken". Empty references and foods (no
    personalisation consent) leave only the warnings."""
    crossed = warnings(wine, filters)
    taste = wine.taste.model_dump()
    palate = briefly(taste, purchased, "what you usually buy") or briefly(taste, profile, "your taste profile")
    suited = [match.food for match in food_matches(foods, wine.food_pairings)][:2]
    parts = [w.text for w in crossed]
    if palate:
        parts.append(palate)
    if suited:
        parts.append(f"suits your {_join(suited)}")
    return Brief(" · ".join(parts) or None, bool(crossed))


def cards(
    wines: Sequence[Wine], user: User, filters: HardFilters, bought: Mapping[str, tuple[Wine, int]]
) -> list[tuple[Wine, Brief]]:
    """Each wine's card line (`brief`), from the same sources and under the same consent rule as `for_me`;
    each wine is compared with the shopper's purchases but itself."""
    if not user.consent.personalisation:
        return [(wine, brief(wine, profile={}, purchased={}, foods=[], filters=filters)) for wine in wines]
    profile = _taste_profile(user)
    foods = user.preferences.foods
    return [
        (
            wine,
            brief(
                wine,
                profile=profile,
                purchased=usual_taste(pair for w, pair in bought.items() if w != wine.id),
                foods=foods,
                filters=filters,
            ),
        )
        for wine in wines
    ]
