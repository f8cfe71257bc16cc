"""Wine-aware text analysis shared by both engines: folding, grape synonyms, query clauses, edit distance."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# fold, grape_group and words are re-exported: the engines take all their text analysis from here
from vocabulary import fold as fold
from vocabulary import grape_group as grape_group
from vocabulary import synonym_groups
from vocabulary import words as words

# Grape names that mean the same vine (the vocabulary's): a query for any member finds all.
GRAPE_SYNONYMS: tuple[tuple[str, ...], ...] = tuple(synonym_groups())

# Where a word is found decides how much it counts: a name match must outrank a tasting-note match.
FIELD_WEIGHTS = {
    "name": 4.0,
    "grapes": 3.0,
    "winery": 2.5,
    "region": 2.0,
    "country": 1.5,
    "tasting_notes": 1.0,
    "food_pairings": 0.7,
}
FUZZY_FIELDS = ("name", "winery", "grapes", "region", "country", "tasting_notes")
FUZZY_WEIGHT = 0.3  # a typo match scores below the same word spelled right
TIE_BREAKER = 0.1  # a word found in several fields counts a little more than in one
# A synonym scores a constant (times the field weight) rather than by its own rarity: otherwise a rare
# synonym ("spatburgunder") would outrank the common name the shopper typed ("pinot noir").
SYNONYM_SCORE = 1.0
VINTAGE_WEIGHT = 2.0  # a typed year matching the vintage

# Lucene's English stop set plus words every wine text has; a query keeps them only if nothing else is left.
STOPWORDS = frozenset(
    (
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
        "wine",
        "wines",
    )
)


def fuzziness(word: str) -> int:
    """Edit distance a word may be off by (Elasticsearch "AUTO:4,8"); numbers (vintages) must be exact."""
    if word.isdigit() or len(word) < 4:
        return 0
    return 1 if len(word) < 8 else 2


def as_vintage(word: str) -> int | None:
    """A typed year ("2015") also matches the vintage: shoppers write "margaux 2015"."""
    return int(word) if len(word) == 4 and word.isdigit() and 1800 <= int(word) <= 2100 else None


def min_should_match(clauses: int) -> int:
    """Up to two words must all match; longer queries may miss a quarter ("2<-25%" in Elasticsearch)."""
    return clauses if clauses <= 2 else clauses - clauses // 4


@dataclass(frozen=True, slots=True)
class Clause:
    """One thing the query asks for: alternative word sequences (a word, or a grape and its synonyms)."""

    alternatives: tuple[tuple[str, ...], ...]

    @property
    def words(self) -> tuple[str, ...]:
        return self.alternatives[0]

    @property
    def is_synonym(self) -> bool:
        return len(self.alternatives) > 1


def _synonym_index() -> dict[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    index: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
    for group in GRAPE_SYNONYMS:
        phrases = tuple(tuple(member.split()) for member in group)
        for phrase in phrases:
            index[phrase] = (phrase, *(p for p in phrases if p != phrase))
    return index


_SYNONYMS = _synonym_index()
_MAX_SYNONYM_WORDS = max(len(p) for p in _SYNONYMS)


@lru_cache(maxsize=4096)
def parse(q: str) -> tuple[Clause, ...]:
    """Split user text into clauses: synonym phrases matched greedily (longest first), stop words dropped."""
    tokens = words(q)
    clauses: list[Clause] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_MAX_SYNONYM_WORDS, len(tokens) - i), 0, -1):
            phrase = tuple(tokens[i : i + size])
            if phrase in _SYNONYMS:
                clauses.append(Clause(_SYNONYMS[phrase]))
                i += size
                break
        else:
            clauses.append(Clause(((tokens[i],),)))
            i += 1
    kept = [c for c in clauses if c.is_synonym or c.words[0] not in STOPWORDS]
    return tuple(kept or clauses)


def _last_row(a: str, b: str, limit: int) -> list[int] | None:
    """Last row of the edit-distance table of a against b (adjacent transpositions cost one), or None as
    soon as every cell exceeds limit: no ending of b can then come within limit of a."""
    previous: list[int] | None = None
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            value = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if previous is not None and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return None
        previous, row = row, current
    return row


def _missing(a: str, b: str) -> int:
    """Distinct letters of a absent from b: each needs its own edit, so a cheap lower bound."""
    return len(set(a).difference(b))


def levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent transpositions counted once, or limit + 1 when it exceeds limit."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit or _missing(a, b) > limit or _missing(b, a) > limit:
        return limit + 1
    row = _last_row(a, b, limit)
    return row[-1] if row is not None and row[-1] <= limit else limit + 1


def prefix_distance(prefix: str, word: str, limit: int) -> int:
    """Smallest edit distance between `prefix` and any beginning of `word` (typo-tolerant as-you-type)."""
    if word.startswith(prefix):
        return 0
    if limit == 0:
        return 1
    head = word[: len(prefix) + limit]
    if _missing(prefix, head) > limit:
        return limit + 1
    row = _last_row(prefix, head, limit)
    return min(min(row), limit + 1) if row is not None else limit + 1


def correction_limit(word: str) -> int:
    """Did-you-mean looks one edit further than matching does (matching already forgave the nearer ones)."""
    if word.isdigit() or len(word) < 4:
        return 0
    return 1 if len(word) < 5 else 2


def best_correction(word: str, candidates: Iterable[tuple[str, int]]) -> str | None:
    """The closest known word (then the most frequent) within the correction limit, or None."""
    limit = correction_limit(word)
    best: tuple[int, int, str] | None = None
    for term, freq in candidates:
        if term == word or abs(len(term) - len(word)) > limit or term.isdigit():
            continue
        d = levenshtein(word, term, limit)
        if d <= limit and (best is None or (d, -freq) < best[:2]):
            best = (d, -freq, term)
    return best[2] if best else None
