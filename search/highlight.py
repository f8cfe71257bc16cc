"""Highlighting without engine help: marks the words a query matched (exactly, by stem or by typo)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection, Iterable

from search.analysis import Clause, fold, fuzziness, levenshtein

_WORD = re.compile(r"[^\W_]+")
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


class TermMatcher:
    """Decides whether a word of a document matches a query word, as the engine's query would."""

    def __init__(
        self, clauses: Iterable[Clause], fuzzy: Collection[str] = (), stem: Callable[[str], str] | None = None
    ) -> None:
        self._stem = stem or (lambda w: w)
        self._exact: set[str] = set()
        self._fuzzy: list[tuple[str, int]] = []
        for clause in clauses:
            for alternative in clause.alternatives:
                for word in alternative:
                    self._exact.add(word)
                    if word in fuzzy and not clause.is_synonym and fuzziness(word):
                        self._fuzzy.append((word, fuzziness(word)))
        self._stems = {self._stem(w) for w in self._exact}
        self._seen: dict[str, bool] = {}
        # Words that can match start with a query word's stem-common prefix, or (typos) with its first
        # letter and have about its length, so a C-level regex finds the few candidates and Python
        # checks those only. A typo in the first letter is found by the engine but not marked.
        prefixes = sorted({_common_prefix(w, self._stem(w)) for w in self._exact}, key=len, reverse=True)
        patterns = [re.escape(p) + r"[^\W_]*" for p in prefixes]
        patterns += [
            re.escape(q[0]) + f"[^\\W_]{{{max(0, len(q) - 1 - d)},{len(q) - 1 + d}}}\\b" for q, d in self._fuzzy
        ]
        ascii_only = all(p.isascii() for p in prefixes) and all(q.isascii() for q, _ in self._fuzzy)
        self._candidates = (
            re.compile(r"\b(?:" + "|".join(patterns) + ")", re.IGNORECASE) if patterns and ascii_only else None
        )

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the matching words are in `text`."""
        if self._candidates is not None and text.isascii():
            found = self._candidates.finditer(text)
        else:
            found = _WORD.finditer(text)
        return [m.span() for m in found if self(m.group())]

    def __call__(self, word: str) -> bool:
        hit = self._seen.get(word)  # keyed by the word as written: most words repeat, folding costs
        if hit is None:
            hit = self._decide(fold(word))
            self._seen[word] = hit
        return hit

    def _decide(self, word: str) -> bool:
        if word in self._exact or self._stem(word) in self._stems:
            return True
        return any(levenshtein(word, q, d) <= d for q, d in self._fuzzy if abs(len(word) - len(q)) <= d)


def highlight(text: str, matches: TermMatcher, max_chars: int | None = None) -> str | None:
    """`text` HTML-escaped with matched words in <mark>; cut to a window of ~max_chars around the
    matches when longer. None when nothing matched."""
    spans = matches.spans(text)
    if not spans:
        return None
    start, end = 0, len(text)
    if max_chars is not None and len(text) > max_chars:
        start, end = _window(text, spans, max_chars)
    out: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out += [_escape(text[cursor:s]), MARK_OPEN, _escape(text[s:e]), MARK_CLOSE]
        cursor = e
    out.append(_escape(text[cursor:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)


def _escape(text: str) -> str:
    """HTML-escape text content (quotes need no escaping outside attributes)."""
    return html.escape(text, quote=False) if ("&" in text or "<" in text or ">" in text) else text


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[: max(n, 1)]


def _window(text: str, spans: list[tuple[int, int]], max_chars: int) -> tuple[int, int]:
    """The window of max_chars holding the most matches, widened to word boundaries."""
    best_start, best_count, last = spans[0][0], 0, 0
    for first, (s, _) in enumerate(spans):  # spans are in order: slide the window's end along
        last = max(last, first)
        while last + 1 < len(spans) and spans[last + 1][1] <= s + max_chars:
            last += 1
        if last - first + 1 > best_count:
            best_start, best_count = s, last - first + 1
    # Start a little before the first match so the fragment reads as a sentence, not mid-word.
    start = max(0, best_start - max_chars // 5)
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    end = min(len(text), start + max_chars)
    while end < len(text) and not text[end].isspace():
        end += 1
    return start, end
