"""Typeahead on tantivy: candidate values from the term dictionaries and the top wines, checked against live ones."""

from __future__ import annotations

import tantivy

from search.analysis import words
from search.base import Suggestion, SuggestionKind
from search.suggest import Candidate
from search.tantivy_query import QueryBuilder
from search.tantivy_schema import SUGGEST_FIELDS, SUGGEST_SEPARATOR, source

FUZZY_SAMPLE = 30  # wines whose values feed typo-tolerant suggestions
VERIFY_BELOW = 20  # a suggested value carried by at most this many wines is checked for live ones


def candidates(
    searcher: tantivy.Searcher, queries: QueryBuilder, typed: list[str], limit: int, *, fuzzy: bool
) -> list[Candidate]:
    """The most-rated wines whose name matches, and (as typed) the values under the prefix or (fuzzy) the
    values of the wines matching with typos: rank() orders them."""
    query = queries.suggest(("name",), typed, fuzzy=fuzzy)
    out = []
    for _, address in searcher.search(query, limit=limit, order_by_field="rating_count").hits:
        src = source(searcher, address)
        out.append(Candidate(src["name"], "wine", src["rating_count"], src["id"]))
    if not fuzzy:
        prefix = " ".join(typed)
        for kind, field in SUGGEST_FIELDS.items():
            top = searcher.terms_with_prefix(field, prefix, limit=2 * limit)  # the most frequent first
            out += [Candidate(t.split(SUGGEST_SEPARATOR, 1)[1], kind, n, distance=0) for t, n in top]
        return out
    # Typo path: the values of the most popular wines matching in any of the three fields (a sample
    # is cheaper than aggregating every fuzzy match); rank() drops values that only came along.
    query = queries.suggest(("winery", "grapes", "region"), typed, fuzzy=True)
    counts: dict[tuple[SuggestionKind, str], int] = {}
    for _, address in searcher.search(query, limit=FUZZY_SAMPLE, order_by_field="rating_count").hits:
        src = source(searcher, address)
        fields: tuple[tuple[SuggestionKind, list[str]], ...] = (
            ("winery", [src["winery"]]),
            ("grape", src["grapes"]),
            ("region", [src["region"]]),
        )
        for kind, values in fields:
            for value in values:
                counts[kind, value] = counts.get((kind, value), 0) + 1
    out += [Candidate(value, kind, n) for (kind, value), n in counts.items()]
    return out


def live(
    searcher: tantivy.Searcher,
    queries: QueryBuilder,
    ranked: list[Suggestion],
    limit: int,
    counts: dict[tuple[SuggestionKind, str], int],
) -> list[Suggestion]:
    """The first `limit` suggestions. Term counts read from the dictionary (`counts`) include deleted
    wines until segments merge, so a value that few wines carried is checked against the live listed
    ones (cheap for a short posting list); one that many carried is taken as still there, and values
    read from live wines (the typo path) need no check."""
    out: list[Suggestion] = []
    for s in ranked:
        if s.kind != "wine" and counts.get((s.kind, s.text), VERIFY_BELOW + 1) <= VERIFY_BELOW:
            term = " ".join(words(s.text)) + SUGGEST_SEPARATOR + s.text
            query = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, tantivy.Query.term_query(queries.schema, SUGGEST_FIELDS[s.kind], term)),
                    (tantivy.Occur.MustNot, queries.unlisted()),
                ]
            )
            if not searcher.search(query, 1, count=False).hits:
                continue
        out.append(s)
        if len(out) == limit:
            break
    return out
