"""The diversity re-ranking (MMR over winery, style, grapes, region) and the list measures of the evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from app.recommendations.model.diversity import Attributes, Focus, diversify, intra_list_diversity, one_style, pool_size
from app.recommendations.offline.protocol import list_metrics, mmr_rerank, user_metrics
from app.recommendations.serving.tables import table_from_docs


def wine(n: int, winery: str, style: str = "red", grapes: tuple[str, ...] = ("Merlot",)) -> dict[str, object]:
    return {
        "_id": f"w{n:03d}",
        "name": f"W{n}",
        "winery": winery,
        "style": style,
        "grapes": list(grapes),
        "region": f"region of {winery}",
        "country": "France",
        "taste": {"sweetness": 0.1, "acidity": 0.5, "tannin": 0.5, "body": 0.5, "fizz": 0.0},
        "price_cents": 1500,
        "stock": 3,
        "listed": True,
    }


def attributes_of(docs: list[dict[str, object]]) -> Attributes:
    return Attributes.of_tokens(table_from_docs(docs).tokens)


def test_a_list_from_one_winery_gets_other_wineries() -> None:
    # the 20 best candidates all come from one winery, the next ten from ten others
    docs = [wine(n, "Dom A") for n in range(20)] + [wine(20 + n, f"Dom {n}", grapes=("Syrah",)) for n in range(10)]
    attributes = attributes_of(docs)
    shown = diversify(attributes, list(range(30)), 10)
    wineries = {docs[n]["winery"] for n in shown}
    assert len(wineries) >= 4
    assert shown[0] == 0  # the best candidate still leads
    assert intra_list_diversity(attributes, shown) > intra_list_diversity(attributes, list(range(10)))


def test_a_single_style_shopper_keeps_every_place_of_that_style() -> None:
    # sparkling from one house is what the relevance order shows; still wines of other houses wait behind
    docs = [wine(n, "Dom A", "sparkling", ("Chardonnay",)) for n in range(15)]
    docs += [wine(15 + n, f"Dom {n}", "red" if n % 2 else "white", ("Syrah",)) for n in range(15)]
    attributes = attributes_of(docs)
    rows = list(range(30))
    unfocused = diversify(attributes, rows, 10)
    assert any(docs[n]["style"] != "sparkling" for n in unfocused)  # others are varied away from it
    focus = attributes.focus(styles={"sparkling"})
    assert focus.style is not None
    shown = diversify(attributes, rows, 10, focus)
    assert [docs[n]["style"] for n in shown] == ["sparkling"] * 10


def test_a_mixed_relevance_order_keeps_its_focus_places_and_varies_the_rest() -> None:
    styles = ["sparkling", "red", "sparkling", "sparkling", "red", "red", "white", "sparkling", "red", "white"]
    docs = [wine(n, f"Dom {n % 3}", style) for n, style in enumerate(styles * 3)]
    attributes = attributes_of(docs)
    focus = attributes.focus(styles={"sparkling"})
    shown = diversify(attributes, list(range(30)), 10, focus)
    assert [docs[n]["style"] == "sparkling" for n in shown] == [s == "sparkling" for s in styles]


def test_the_only_style_is_stated_or_learned_from_three_liked_wines_alike() -> None:
    docs = [wine(0, "A", "sparkling"), wine(1, "B", "sparkling"), wine(2, "C", "sparkling"), wine(3, "D", "red")]
    attributes = attributes_of(docs)
    sparkling = attributes.codes["style"]["sparkling"]
    assert attributes.focus(liked=[0, 1, 2]) == Focus(style=sparkling)
    assert attributes.focus(liked=[0, 1]).style is None  # too little to tell
    assert attributes.focus(liked=[0, 1, 2, 3]).style is None
    # what the shopper says beats what they did: two styles named, no focus
    assert attributes.focus(styles={"sparkling", "red"}, liked=[0, 1, 2]).style is None
    assert attributes.focus(styles={"red"}, liked=[0, 1, 2]).style == attributes.codes["style"]["red"]
    assert attributes.focus(wineries={"a"}).winery == attributes.codes["winery"]["a"]


@pytest.mark.parametrize("seed", range(20))
def test_mmr_keeps_the_top_item_and_returns_distinct_candidates(seed: int) -> None:
    rng = np.random.default_rng(seed)
    docs = [
        wine(n, f"Dom {rng.integers(4)}", str(rng.choice(["red", "white", "sparkling"])), ("Merlot", "Syrah")[:2])
        for n in range(int(rng.integers(1, 40)))
    ]
    attributes = attributes_of(docs)
    rows = rng.permutation(len(docs))
    focus = attributes.focus(styles={"red"}) if seed % 2 else None
    shown = diversify(attributes, rows, 10, focus, trade_off=float(rng.uniform(0.0, 1.0)))
    assert shown[0] == 0
    assert len(shown) == len(set(shown)) == min(10, len(docs))


def test_a_trade_off_of_one_keeps_the_relevance_order() -> None:
    attributes = attributes_of([wine(n, "Dom A") for n in range(12)])
    assert diversify(attributes, list(range(12)), 5, trade_off=1.0) == [0, 1, 2, 3, 4]


def test_the_pool_is_three_times_the_list_up_to_a_hundred_more() -> None:
    assert (pool_size(10), pool_size(100)) == (30, 200)


def test_list_measures_diversity_coverage_and_one_style_lists() -> None:
    docs = [wine(0, "A"), wine(1, "A"), wine(2, "B", "white", ("Riesling",)), wine(3, "C", "rose", ("Grenache",))]
    attributes = attributes_of(docs)
    assert intra_list_diversity(attributes, [0, 1]) == pytest.approx(0.0)  # same winery, style, grape, region
    assert intra_list_diversity(attributes, [2, 3]) == pytest.approx(1.0)  # nothing shared
    assert one_style(attributes, [0, 1]) and not one_style(attributes, [0, 2])
    measured = list_metrics(attributes, [np.array([0, 1]), np.array([2, 3])], k=2)
    assert measured == {"ILD@2": pytest.approx(0.5), "Cov@2": 1.0, "1-style": 0.5}
    assert list_metrics(attributes, [np.array([0, 1]), np.array([0, 1])], k=2)["Cov@2"] == 0.5


def test_the_evaluation_judges_the_reranked_order() -> None:
    # ten wines of one house score best, a positive from another house comes 6th
    docs = [wine(n, "Dom A") for n in range(10)] + [wine(10 + n, f"Dom {n}", "white", ("Riesling",)) for n in range(5)]
    attributes = attributes_of(docs)
    scores = np.array([30.0 - n for n in range(15)])
    scores[10] = 24.5
    train_row = np.zeros(15)
    positives = np.array([10])
    plain = user_metrics(scores, train_row, positives, relevance=5.0, k=3)
    rerank = mmr_rerank(attributes, 3, trade_off=0.75)
    ranked = rerank(np.argsort(-scores, kind="stable"), train_row)
    assert sorted(ranked.tolist()) == list(range(15))  # a permutation: nothing lost, nothing twice
    assert ranked[0] == 0 and 10 in ranked[:3]
    diverse = user_metrics(scores, train_row, positives, relevance=5.0, k=3, rerank=rerank)
    assert plain[2] == 0.0 and diverse[2] > 0.0  # NDCG@3
    assert diverse[4] > plain[4]  # the reciprocal rank follows the order shown
