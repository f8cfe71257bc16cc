"""Issue 19 fixes: reasons that are good signs, reorder conflicts, co-purchases only, stable segments."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from app.recommendations.model.model import HybridRecommender
from app.recommendations.refresh.build import TrainingData, build
from app.recommendations.serving import snapshot
from app.recommendations.serving.segments import MIN_MEMBERS, build_segments, merge_small
from app.recommendations.serving.snapshot import load_segments, loved_counts
from app.recommendations.serving.tables import table_from_docs
from app.recommendations.surfaces import bought_together
from app.recommendations.surfaces.explain import conflict_reasons, rating_reason, trending_reason
from app.recommendations.surfaces.filters import HardFilters
from documents import Dietary, Dislikes, Preferences

NOW = datetime(2026, 3, 1, tzinfo=UTC)
RED = {"sweetness": 0.05, "acidity": 0.45, "tannin": 0.8, "body": 0.85, "fizz": 0.0}
WHITE = {"sweetness": 0.05, "acidity": 0.85, "tannin": 0.0, "body": 0.3, "fizz": 0.0}


def doc(n: int, style: str, taste: dict[str, float], **extra: object) -> dict[str, object]:
    return {
        "_id": f"w{n}",
        "name": f"W{n}",
        "winery": f"Winery {n}",
        "style": style,
        "grapes": [],
        "region": "",
        "country": "France",
        "taste": taste,
        "price_cents": 1500,
        "stock": 3,
        "listed": True,
        **extra,
    }


TABLE = table_from_docs([doc(n, "red", RED) for n in range(3)] + [doc(n, "white", WHITE) for n in range(3, 6)])


def fans(prefix: str, wine: str, n: int) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    return {f"{prefix}{k}": ({wine: 1.0}, {}) for k in range(n)}


# ------------------------------------------------------------ reasons
def test_a_popularity_reason_is_given_only_when_the_five_star_share_is_well_above_the_usual() -> None:
    table = table_from_docs([doc(0, "red", RED)])
    good = rating_reason(table, 0, raters=311, loved=44, typical_share=0.076)
    assert good is not None and good.code == "loved_by_raters"
    assert good.text == "5 stars from 44 of 311 raters, 1.9 times the usual share"
    assert rating_reason(table, 0, raters=311, loved=44, typical_share=0.14) is None  # 14%: merely usual
    assert rating_reason(table, 0, raters=12, loved=10, typical_share=0.076) is None  # too few raters
    assert rating_reason(table, 0, raters=311, loved=0, typical_share=0.0) is None


def test_five_star_counts_are_recovered_exactly_from_the_models_smoothed_share() -> None:
    users = [f"u{n}" for n in range(40) for _ in range(3)]
    items = [f"w{(n + k) % 6}" for n in range(40) for k in range(3)]
    rng = np.random.default_rng(7)
    stars = rng.integers(1, 6, len(users)).astype(float)
    model = HybridRecommender().fit(users, items, stars)
    counts, share = loved_counts(model)
    truth = {key: sum(1 for i, s in zip(items, stars, strict=True) if i == key and s >= 5) for key in model.item_keys}
    assert counts.tolist() == [truth[key] for key in model.item_keys]
    assert abs(share - float((stars >= 5).mean())) < 1e-9


def test_customers_like_you_is_said_only_to_a_member_of_that_segment() -> None:
    segments = build_segments(TABLE, fans("r", "w0", 4) | fans("w", "w3", 3))
    reds = segments.segments[0]
    assert trending_reason(2.0, reds, yours=True).text == "trending among customers like you"
    named = trending_reason(2.0, reds)
    assert named.code == "trending_in_segment" and "like you" not in named.text
    assert named.text == f"trending among {reds.label.lower()}" and "red" in named.text


# ------------------------------------------------------------ reorder conflicts
def test_conflicts_name_each_need_or_dislike_stated_since_in_words() -> None:
    prefs = Preferences(
        dietary=[Dietary.vegan, Dietary.organic], dislikes=Dislikes(grapes=["Shiraz"], wineries=["winery 1"])
    )
    wine = {"_id": "w1", "style": "red", "grapes": ["Syrah"], "winery": "Winery 1", "dietary": ["organic"]}
    reasons = conflict_reasons(HardFilters.of(prefs).conflicts(wine))
    assert [(r.code, r.values) for r in reasons] == [
        ("conflicts_dietary", ["vegan"]),
        ("conflicts_grape", ["Syrah"]),
        ("conflicts_winery", ["Winery 1"]),
    ]
    assert reasons[0].text == "no longer matches your 'vegan' need"
    assert HardFilters.of(prefs).conflicts({**wine, "dietary": ["vegan", "organic"], "grapes": [], "winery": "X"}) == []


# ------------------------------------------------------------ bought together
def test_bought_together_lists_co_purchases_only_and_nothing_without_them() -> None:
    snap = build(TABLE, TrainingData(baskets=[["w0", "w3"], ["w0", "w3"], ["w0", "w4"]]), NOW)
    together = bought_together.rank(snap, TABLE.index["w0"], HardFilters(), 10)
    assert [TABLE.ids[c.row] for c in together] == ["w3", "w4"]
    assert all([r.code for r in c.reasons] == ["bought_with"] for c in together)
    assert bought_together.rank(snap, TABLE.index["w1"], HardFilters(), 10) == []


# ------------------------------------------------------------ segments
def test_segment_ids_survive_a_retraining_where_the_sizes_change_order() -> None:
    first = build_segments(TABLE, fans("r", "w0", 4) | fans("w", "w3", 3))
    red, white = first.members["r0"], first.members["w0"]
    assert (red, white) == (0, 1)  # numbered by size the first time
    second = build_segments(TABLE, fans("r", "w0", 4) | fans("w", "w3", 6), previous=first)
    assert second.members["r0"] == red and second.members["w5"] == white  # whites are now the larger
    assert {s.id: s.size for s in second.segments} == {red: 4, white: 6}
    assert second.segments[1].label == "Crisp white lovers" and second.segments[0].label == "Full-bodied red lovers"


def test_new_customers_with_the_same_tastes_inherit_the_ids_through_the_segment_centres() -> None:
    first = build_segments(TABLE, fans("r", "w0", 3) | fans("w", "w3", 4))
    assert first.members["w0"] == 0
    other = build_segments(TABLE, fans("R", "w1", 5) | fans("W", "w4", 3), previous=first.carried())
    assert other.members["R0"] == first.members["r0"] and other.members["W0"] == first.members["w0"]


def test_a_segment_unlike_any_before_gets_a_new_id_and_ids_are_never_reused() -> None:
    sweet = table_from_docs(
        [doc(0, "red", RED), doc(3, "white", WHITE), doc(6, "dessert", {**WHITE, "sweetness": 0.95, "acidity": 0.3})]
    )
    first = build_segments(sweet, fans("r", "w0", 3) | fans("w", "w3", 3))
    second = build_segments(sweet, fans("r", "w0", 3) | fans("w", "w3", 3) | fans("s", "w6", 3), previous=first)
    assert second.members["s0"] == 2 and second.next_id == 3
    third = build_segments(sweet, fans("r", "w0", 3) | fans("s", "w6", 3), previous=second)
    assert third.members["r0"] == first.members["r0"] and third.members["s0"] == 2 and third.next_id == 3


def test_segments_always_have_the_minimum_size() -> None:
    rng = np.random.default_rng(3)
    sizes = np.bincount(merge_small(rng.normal(size=(8, 2)), np.array([0, 0, 0, 1, 1, 2, 3, 3])))
    assert min(sizes[sizes > 0]) >= MIN_MEMBERS and sizes.sum() == 8
    wines = [f"w{n}" for n in range(6)]
    for trial in range(40):
        users = {
            f"u{n}": ({w: 1.0 for w in rng.choice(wines, rng.integers(1, 4), replace=False)}, {})
            for n in range(int(rng.integers(6, 30)))
        }
        users |= {f"odd{trial}": ({}, {"sweetness": 1.0, "body": 0.0})}  # an outlier of its own
        segments = build_segments(TABLE, users)
        assert all(s.size >= MIN_MEMBERS for s in segments.segments), trial
        assert sum(s.size for s in segments.segments) == len(segments.members)


def test_segment_centres_are_saved_without_user_ids_and_read_back(tmp_path: Path) -> None:
    snap = build(TABLE, TrainingData(), NOW)
    snap.segments = build_segments(TABLE, fans("r", "w0", 4) | fans("w", "w3", 3))
    snapshot.save(snap, tmp_path)
    assert "r0" not in (tmp_path / snapshot.SEGMENTS_FILE).read_text()
    loaded = load_segments(tmp_path)
    assert loaded is not None and loaded.members == {} and loaded.next_id == 2
    again = build_segments(TABLE, fans("x", "w3", 5) | fans("y", "w0", 3), previous=loaded)
    assert again.members["x0"] == snap.segments.members["w0"] and again.members["y0"] == snap.segments.members["r0"]
    (tmp_path / snapshot.SEGMENTS_FILE).write_text("{not json")
    assert load_segments(tmp_path) is None
