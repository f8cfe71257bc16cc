"""Folding and words: the one way every part of Cuvée compares wine words ("Château" = "chateau")."""

from __future__ import annotations

import re
import unicodedata

_SPECIAL_FOLDS = str.maketrans(
    {"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "\u0131": "i"}
)  # \u0131: dotless i
_WORD = re.compile(r"[^\W_]+")
_NON_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Lower-case and strip accents ("Château" -> "chateau"), as the engines' folding filters do."""
    text = text.lower().translate(_SPECIAL_FOLDS)
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Folded words: the tokens the engines index for names, wineries, grapes and regions."""
    return _WORD.findall(fold(text))


def fold_key(text: str) -> str:
    """A comparison key without case, accents or punctuation: "Saint-Émilion" -> "saint emilion"."""
    return _NON_WORD.sub(" ", fold(text.casefold())).strip()
