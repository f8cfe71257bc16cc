"""Ranking as-you-type suggestions, shared by both engines: which candidates match, and in what order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from search.analysis import fold, fuzziness, levenshtein, prefix_distance, words
from search.base import Suggestion, SuggestionKind

KIND_ORDER: tuple[SuggestionKind, ...] = ("grape", "region", "winery", "wine")
MAX_SUGGESTIONS = 20


@dataclass(frozen=True, slots=True)
class Candidate:
    text: str
    kind: SuggestionKind
    popularity: float  # wines carrying the value, or a wine's rating count
    wine_id: str | None = None
    distance: int | None = None  # known already (0: found by exact prefix), else computed by rank()


def engine_words(typed: list[str]) -> tuple[list[str], str | None]:
    """What an engine query asks for: (whole words, prefix of the last word). A one- or two-letter last
    word after others is left to rank(): "cabernet s" would match half the catalog and narrow little."""
    if len(typed) > 1 and len(typed[-1]) < 3:
        return typed[:-1], None
    return typed[:-1], typed[-1]


def distance(query_words: list[str], text: str) -> int | None:
    """How far `text` is from what was typed: every word but the last must match a word of `text`, the
    last must begin one; each within its typo allowance. None when it does not match at all."""
    value_words = words(text)
    total = 0
    for i, q in enumerate(query_words):
        limit = fuzziness(q)
        last = i == len(query_words) - 1
        best = limit + 1
        for w in value_words:
            if w == q or (last and w.startswith(q)):
                best = 0
                break
            if not limit or (not last and abs(len(w) - len(q)) > limit) or len(w) < len(q) - limit:
                continue
            d = prefix_distance(q, w, limit) if last else levenshtein(q, w, limit)
            best = min(best, d)
            if best == 0:
                break
        if best > limit:
            return None
        total += best
    return total


def rank(prefix: str, candidates: Iterable[Candidate], limit: int | None = None) -> list[Suggestion]:
    """Closest spelling first; within a spelling distance the kinds take turns (a grape, a region, a
    winery, a wine …) so one kind cannot crowd out the others; within a kind the most popular first."""
    query_words = words(prefix)
    if not query_words:
        return []
    scored: dict[tuple[str, str], tuple[int, Candidate]] = {}
    for c in candidates:
        d = c.distance if c.distance is not None else distance(query_words, c.text)
        key = (c.kind, fold(c.text))
        if d is None or (key in scored and (scored[key][0], -scored[key][1].popularity) <= (d, -c.popularity)):
            continue
        scored[key] = (d, c)
    by_kind: dict[str, list[tuple[int, Candidate]]] = {}
    for d, c in sorted(scored.values(), key=lambda x: (x[0], -x[1].popularity, x[1].text)):
        by_kind.setdefault(c.kind, []).append((d, c))
    ordered: list[tuple[int, int, int, Candidate]] = []
    for kind, items in by_kind.items():
        for turn, (d, c) in enumerate(items):
            ordered.append((d, turn, KIND_ORDER.index(kind), c))
    ordered.sort(key=lambda x: x[:3])
    return [Suggestion(text=c.text, kind=c.kind, wine_id=c.wine_id) for *_, c in ordered[:limit]]
