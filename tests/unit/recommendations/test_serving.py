"""Pure serving pieces: rank ties, content match, reorder wording, trending decay, co-purchases, segments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from app.recommendations.model.signals import UserSignals
from app.recommendations.serving.popularity import Event, bought_with, co_purchases, trending_scores
from app.recommendations.serving.segments import build_segments, kmeans
from app.recommendations.serving.tables import table_from_docs
from app.recommendations.surfaces.candidates import percentiles
from app.recommendations.surfaces.content import TasteIntent, content_scores, price_factor
from app.recommendations.surfaces.explain import human_interval, reorder_reasons
from documents import Preferences, PriceRange, Style, TasteAxis, TasteProfile

NOW = datetime(2026, 3, 1, tzinfo=UTC)


def doc(n: int, style: str, body: float, price: int = 1500, country: str = "France") -> dict[str, object]:
    return {
        "_id": f"w{n}",
        "name": f"W{n}",
        "winery": "X",
        "style": style,
        "grapes": [],
        "region": "",
        "country": country,
        "taste": {"sweetness": 0.1, "acidity": 0.5, "tannin": 0.5, "body": body, "fizz": 0.0},
        "price_cents": price,
        "stock": 3,
        "listed": True,
    }


def test_equal_scores_share_one_rank_so_no_signal_orders_nothing() -> None:
    assert percentiles(np.array([1.0, 1.0, 1.0])).tolist() == [0.5, 0.5, 0.5]
    assert percentiles(np.array([3.0, 1.0, 2.0])).tolist() == [1.0, 0.0, 0.5]


def test_content_match_prefers_the_closest_structure_and_liked_attributes() -> None:
    table = table_from_docs([doc(0, "red", 0.9), doc(1, "red", 0.2), doc(2, "white", 0.9, country="Spain")])
    taste = TasteProfile(body=TasteAxis(value=0.9, source="quiz"))
    by_taste = content_scores(table, TasteIntent.of(taste, None))
    assert by_taste is not None and by_taste[0] == by_taste[2] == 1.0 and by_taste[1] < 0.5
    liked = TasteIntent.of(taste, Preferences(styles=[Style.red]))
    scores = content_scores(table, liked)
    assert scores is not None and scores[0] > scores[2] > scores[1]
    assert content_scores(table, TasteIntent()) is None


def test_the_price_range_is_soft() -> None:
    table = table_from_docs([doc(0, "red", 0.5, price=1000), doc(1, "red", 0.5, price=4000)])
    factor = price_factor(table, TasteIntent.of(None, Preferences(price_range=PriceRange(max_cents=2000))))
    assert factor[0] == 1.0 and 0.4 <= factor[1] < 1.0


def test_reorder_reasons_speak_in_days_weeks_and_months() -> None:
    assert [human_interval(timedelta(days=d)) for d in (3, 42, 120)] == ["~3 days", "~6 weeks", "~4 months"]
    due = reorder_reasons(3, timedelta(days=42), NOW - timedelta(days=50), NOW)
    assert [r.code for r in due] == ["reorder_interval", "reorder_due"] and "~8 days" in due[1].text
    soon = reorder_reasons(2, timedelta(days=42), NOW - timedelta(days=7), NOW)
    assert soon[1].text == "due in ~5 weeks"


def test_trending_halves_every_two_weeks_and_counts_per_segment() -> None:
    table = table_from_docs([doc(0, "red", 0.5), doc(1, "white", 0.5)])
    events = [Event("w0", NOW - timedelta(days=14), "view", "a"), Event("w1", NOW, "view", "b")]
    scores = trending_scores(table, events, NOW, {"a": 0, "b": 1})
    assert np.allclose(scores[None], [0.5, 1.0]) and np.allclose(scores[0], [0.5, 0.0])


def test_bought_with_ranks_by_shared_orders() -> None:
    table = table_from_docs([doc(n, "red", 0.5) for n in range(3)])
    matrix = co_purchases(table, [["w0", "w1"], ["w0", "w1"], ["w0", "w2"]])
    assert [(row, together) for row, _, together in bought_with(matrix, 0)] == [(1, 2), (2, 1)]


def test_kmeans_is_deterministic_and_segments_are_numbered_by_size() -> None:
    points = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [5.1, 5.0]])
    first, _ = kmeans(points, 2)
    assert first.tolist() == kmeans(points, 2)[0].tolist()
    assert len(set(first[:3])) == 1 and first[3] == first[4] != first[0]
    table = table_from_docs([doc(0, "red", 0.9), doc(1, "white", 0.2)])
    users = {f"r{n}": ({"w0": 1.0}, {}) for n in range(4)} | {f"w{n}": ({"w1": 1.0}, {}) for n in range(3)}
    segments = build_segments(table, users)
    assert [s.size for s in segments.segments] == [4, 3]
    assert next(iter(segments.segments[0].styles)) == "red" and segments.members["w0"] == 1


def test_gifts_count_as_bought_but_never_as_taste() -> None:
    signals = UserSignals()
    signals.add_purchase("o1", "w0", 1, NOW, gift=True)
    signals.add_purchase("o2", "w1", 2, NOW, gift=False)
    signals.add_purchase("o2", "w1", 2, NOW, gift=False)  # the same order told twice
    assert signals.any_bought == {"w0", "w1"} and signals.own["w1"].times == 1
    assert signals.taste_evidence() == {"w1": 1.5} and "w0" not in signals.strengths()
    signals.remove_order("o2")
    assert signals.own == {} and signals.any_bought == {"w0"}
