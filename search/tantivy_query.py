"""Building tantivy queries from a SearchQuery: wine-aware text matching, filters, boosts, suggestions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import tantivy
from tantivy import FieldType, Occur, Query

from search.analysis import (
    FIELD_WEIGHTS,
    FUZZY_FIELDS,
    FUZZY_WEIGHT,
    SYNONYM_SCORE,
    TIE_BREAKER,
    VINTAGE_WEIGHT,
    Clause,
    as_vintage,
    fuzziness,
    grape_group,
    min_should_match,
)
from search.base import SearchQuery
from search.suggest import engine_words
from search.tantivy_schema import FILTER_FIELDS, STEMMED_FIELDS, analyze, keyword
from vocabulary import country_spellings


class QueryBuilder:
    """Holds the schema; every method returns a tantivy Query."""

    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema

    def text(self, clauses: Sequence[Clause], fuzzy: Collection[str]) -> Query:
        """Each clause may match in any field; most clauses must match (see min_should_match). Words in
        `fuzzy` also match within their typo distance."""
        queries = [self._clause(c, c.words[0] in fuzzy) for c in clauses]
        if len(queries) == 1:
            return queries[0]
        return Query.boolean_query([(Occur.Should, q) for q in queries], min_should_match(len(queries)))

    def _clause(self, clause: Clause, fuzzy: bool) -> Query:
        alternatives: list[Query] = []
        for field, weight in FIELD_WEIGHTS.items():
            for i, words in enumerate(clause.alternatives):
                terms: list[Any] = [t for w in words for t in analyze(field, w)]
                if not terms:
                    continue
                if len(terms) == 1:
                    q = Query.term_query(self.schema, field, terms[0])
                else:
                    q = Query.phrase_query(self.schema, field, terms)
                typed = i == 0
                alternatives.append(
                    Query.boost_query(q, weight) if typed else Query.const_score_query(q, weight * SYNONYM_SCORE)
                )
            word = clause.words[0]
            distance = fuzziness(word)
            if fuzzy and distance and not clause.is_synonym and field in FUZZY_FIELDS:
                term = analyze(field, word)
                if term:
                    # The notes' vocabulary is large: two edits there cost more than they find.
                    reach = min(distance, 1) if field in STEMMED_FIELDS else distance
                    typo = Query.fuzzy_term_query(self.schema, field, term[0], reach)
                    alternatives.append(Query.boost_query(typo, weight * FUZZY_WEIGHT))
        year = as_vintage(clause.words[0]) if not clause.is_synonym else None
        if year is not None:
            alternatives.append(Query.const_score_query(Query.term_query(self.schema, "vintage", year), VINTAGE_WEIGHT))
        return Query.disjunction_max_query(alternatives, TIE_BREAKER)

    def unlisted(self) -> Query:
        """Delisted wines, excluded from every query. As a must-not it costs the few delisted wines'
        postings; as a must ("listed = 1") it would walk every wine of the catalog."""
        return Query.term_query(self.schema, "listed", 0)

    def filters(self, query: SearchQuery) -> list[Query]:
        s = self.schema
        out: list[Query] = []
        for name in ("style", "region"):
            value = getattr(query, name)
            if value:
                out.append(Query.term_query(s, FILTER_FIELDS[name], keyword(value)))
        if query.country:  # "USA" finds "United States" and the other way round
            out.append(
                Query.term_set_query(
                    s, FILTER_FIELDS["country"], [keyword(c) for c in country_spellings(query.country)]
                )
            )
        if query.grape:
            out.append(Query.term_query(s, FILTER_FIELDS["grape"], keyword(grape_group(query.grape))))
        out += [Query.term_query(s, FILTER_FIELDS["dietary"], keyword(d)) for d in query.dietary]
        if query.regions:
            out.append(Query.term_set_query(s, FILTER_FIELDS["region"], [keyword(r) for r in query.regions]))
        if query.pairings:
            out.append(Query.boolean_query([(Occur.Should, self._phrase("food_pairings", p)) for p in query.pairings]))
        for axis, (low, high) in query.taste.items():
            out.append(self._range(f"taste_{axis}", round(low * 100), round(high * 100)))
        if query.price_min_cents is not None or query.price_max_cents is not None:
            out.append(self._range("price_cents", query.price_min_cents, query.price_max_cents))
        if query.vintage_min is not None or query.vintage_max is not None:
            out.append(self._range("vintage", query.vintage_min, query.vintage_max))
        if query.in_stock is True:
            out.append(self._range("stock", 1, None))
        elif query.in_stock is False:
            out.append(Query.term_query(s, "stock", 0))
        return out

    def _phrase(self, field: str, text: str) -> Query:
        terms: list[Any] = [t for w in text.split() for t in analyze(field, w)]
        return (
            Query.term_query(self.schema, field, terms[0])
            if len(terms) == 1
            else Query.phrase_query(self.schema, field, terms)
        )

    def _range(self, field: str, low: int | None, high: int | None) -> Query:
        # Open ends are spelled as the i64 limits: the binding wants both bounds.
        return Query.range_query(
            self.schema, field, FieldType.Integer, -(2**63) if low is None else low, 2**63 - 1 if high is None else high
        )

    def search(self, query: SearchQuery, clauses: Sequence[Clause], fuzzy: Collection[str] = ()) -> Query:
        """The full query: text (or everything), filters that do not score, boosts that only score."""
        main = self.text(clauses, fuzzy) if clauses else Query.all_query()
        parts = [(Occur.Must, main), (Occur.MustNot, self.unlisted())]
        parts += [(Occur.Must, Query.const_score_query(f, 0.0)) for f in self.filters(query)]
        if query.boost is not None:
            for name, value, weight in query.boost.items():
                term = Query.term_query(
                    self.schema, FILTER_FIELDS[name], keyword(grape_group(value) if name == "grape" else value)
                )
                parts.append((Occur.Should, Query.const_score_query(term, weight)))
            if (price := query.boost.price_range()) is not None:
                low, high, weight = price
                parts.append((Occur.Should, Query.const_score_query(self._range("price_cents", low, high), weight)))
        return Query.boolean_query(parts)

    def suggest(self, fields: Sequence[str], typed: list[str], *, fuzzy: bool) -> Query:
        """Listed wines where one of `fields` has the whole words and a word beginning with the prefix
        (see engine_words); each within its typo distance when fuzzy."""
        per_field = [self._suggest_field(f, typed, fuzzy) for f in fields]
        main = per_field[0] if len(per_field) == 1 else Query.boolean_query([(Occur.Should, q) for q in per_field])
        return Query.boolean_query([(Occur.Must, main), (Occur.MustNot, self.unlisted())])

    def _suggest_field(self, field: str, typed: list[str], fuzzy: bool) -> Query:
        whole, prefix = engine_words(typed)
        parts = []
        for word, is_prefix in [(w, False) for w in whole] + ([(prefix, True)] if prefix else []):
            terms = analyze(field, word)
            if not terms:
                continue
            distance = fuzziness(word) if fuzzy else 0
            if distance == 0 and not is_prefix:
                q = Query.term_query(self.schema, field, terms[0])
            else:
                q = Query.fuzzy_term_query(self.schema, field, terms[0], distance, prefix=is_prefix)
            parts.append((Occur.Must, q))
        return Query.boolean_query(parts)
