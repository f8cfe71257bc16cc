"""Highlighting without engine help: which words are marked, escaping, fragments of long notes."""

from __future__ import annotations

from search.analysis import parse
from search.highlight import TermMatcher, highlight


def test_marks_exact_words_case_and_accent_blind():
    matcher = TermMatcher(parse("chateau margaux"))

    assert highlight("Château MARGAUX 2015", matcher) == "<mark>Château</mark> <mark>MARGAUX</mark> 2015"


def test_escapes_html_outside_and_inside_marks():
    matcher = TermMatcher(parse("pear"))

    assert highlight("<b>Pear</b> & quince", matcher) == "&lt;b&gt;<mark>Pear</mark>&lt;/b&gt; &amp; quince"


def test_returns_none_when_nothing_matched():
    assert highlight("Plum and cedar", TermMatcher(parse("citrus"))) is None


def test_marks_words_sharing_a_stem_when_given_a_stemmer():
    matcher = TermMatcher(parse("tannins"), stem=lambda w: w.rstrip("s"))

    assert highlight("Firm tannin.", matcher) == "Firm <mark>tannin</mark>."


def test_marks_typo_matches_only_for_words_searched_with_typo_tolerance():
    fuzzy = TermMatcher(parse("cabernay"), fuzzy={"cabernay"})
    exact = TermMatcher(parse("cabernay"))

    assert highlight("Cabernet Franc", fuzzy) == "<mark>Cabernet</mark> Franc"
    assert highlight("Cabernet Franc", exact) is None


def test_marks_synonyms():
    assert highlight("Barossa Shiraz", TermMatcher(parse("syrah"))) == "Barossa <mark>Shiraz</mark>"


def test_long_text_is_cut_to_a_window_around_the_matches():
    text = "Start. " + "filler words here " * 40 + "a hint of saffron and more saffron " + "tail " * 40

    fragment = highlight(text, TermMatcher(parse("saffron")), max_chars=120)

    assert fragment is not None
    assert fragment.count("<mark>saffron</mark>") == 2
    assert fragment.startswith("…") and fragment.endswith("…")
    assert len(fragment.replace("<mark>", "").replace("</mark>", "")) <= 140
