"""Folding the current visit in: the visit's events as signals, "for you" and "similar" reasons, the replay."""

from __future__ import annotations

import numpy as np

from app.recommendations.model.signals import CART, VIEW, VIEWED_OFTEN, Bought, UserSignals, Visit
from app.recommendations.offline.replay import replay
from app.recommendations.offline.xwines import Ratings
from app.recommendations.refresh.build import TrainingData, build
from app.recommendations.serving.tables import table_from_docs
from app.recommendations.surfaces import for_you, similar
from app.recommendations.surfaces.content import TasteIntent
from app.recommendations.surfaces.filters import HardFilters
from tests.unit.recommendations.test_serving import NOW, doc


def test_a_visit_reads_views_clicks_carts_and_dismissals_newest_first() -> None:
    visit = Visit.of(
        [
            ("wine_viewed", "b"),
            ("recommendation_dismissed", "c"),
            ("cart_item_added", "a"),
            ("wine_viewed", "c"),
            ("wine_viewed", "a"),
            ("wine_viewed", "a"),
            ("search_performed", "z"),
        ]
    )
    assert visit.views == {"b": 1, "c": 1, "a": 2} and visit.carts == {"a"} and visit.dismissed == {"c"}
    assert visit.looked_at == ["b", "a"]  # a dismissed wine was no sign of liking
    assert Visit.of([]).empty and not Visit(dismissed={"x"}).empty


def test_folding_adds_the_visit_as_the_next_training_would_and_leaves_the_snapshot_alone() -> None:
    known = UserSignals(ratings={"r": 2.0}, views={"a": 1}, own={"p": Bought(times=1)}, any_bought={"p"})
    visit = Visit.of([("wine_viewed", "a"), ("wine_viewed", "a"), ("cart_item_added", "b"), ("wine_viewed", "r")])
    folded = known.with_visit(visit)
    strengths = folded.strengths()
    assert strengths["a"] == VIEWED_OFTEN  # one view before the training, two since: three
    assert strengths["b"] == CART and strengths["r"] == 2.0  # a rating speaks for itself
    assert known.views == {"a": 1} and "b" not in known.strengths()
    dismissed = folded.with_visit(Visit.of([("recommendation_dismissed", "a")]))
    assert "a" not in dismissed.strengths() and "a" in dismissed.dismissed
    assert UserSignals().with_visit(Visit.of([("wine_viewed", "x")])).strengths() == {"x": VIEW}


def _snapshot():  # type: ignore[no-untyped-def]
    """Six wines in two pairs bought together (0+1, 2+3) and two loners, fitted like a training."""
    table = table_from_docs([doc(n, "red" if n < 2 else "white", 0.2 + 0.1 * n) for n in range(6)])
    data = TrainingData()
    for n in range(12):
        signals = data.signals.setdefault(f"u{n}", UserSignals())
        pair = ("w0", "w1") if n % 2 else ("w2", "w3")
        for wine_id in pair:
            signals.add_purchase(f"o{n}", wine_id, 1, NOW, gift=False)
        if n < 4:
            signals.add_purchase(f"x{n}", f"w{4 + n % 2}", 1, NOW, gift=False)
    return build(table, data, NOW)


def test_for_you_names_the_looked_at_wine_that_leads_to_each_pick() -> None:
    snap = _snapshot()
    visit = Visit.of([("wine_viewed", "w0")])
    history = UserSignals().with_visit(visit).strengths()
    filters = HardFilters.of(None, {"w0"})
    picks = for_you.rank(snap, history, TasteIntent(), filters, 3, looked_at=[snap.table.index["w0"]])
    assert snap.table.ids[picks[0].row] == "w1"
    assert picks[0].reasons[0].code == "because_you_looked_at" and picks[0].reasons[0].values == ["W0"]
    cold = for_you.rank(snap, {}, TasteIntent(), filters, 3)
    assert all(r.code != "because_you_looked_at" for c in cold for r in c.reasons)


def test_similar_tilts_towards_the_visit_and_says_so_only_where_it_moved_a_wine() -> None:
    snap = _snapshot()
    index = snap.table.index
    filters = HardFilters.of(None, {"w2"})
    plain = similar.rank(snap, index["w2"], filters, 5)
    tilted = similar.rank(snap, index["w2"], filters, 5, looked_at=[index["w0"], index["w2"]])
    plain_rows, tilted_rows = [c.row for c in plain], [c.row for c in tilted]
    assert plain_rows[0] == tilted_rows[0] == index["w3"]  # the wine on the page still leads
    assert tilted_rows.index(index["w1"]) < plain_rows.index(index["w1"])
    for candidate in tilted:
        named = [r.values for r in candidate.reasons if r.code == "because_you_looked_at"]
        moved = tilted_rows.index(candidate.row) < plain_rows.index(candidate.row)
        assert named == ([["W0"]] if moved else [])


def test_the_replay_scores_both_arms_on_the_same_events_and_updating_finds_what_new_users_like() -> None:
    users, wines, stars, dates = [], [], [], []
    for user in range(40):
        camp = user % 2
        for n, wine in enumerate(range(camp, 20, 2)):  # each camp loves its own ten wines
            users.append(f"u{user}")
            wines.append(f"i{wine}")
            stars.append(5.0 if (n + user) % 3 else 3.0)
            dates.append(f"2020-01-{1 + user // 2:02d} 10:{n:02d}:00")
    ratings = Ratings(np.array(users), np.array(wines), np.array(stars), np.zeros(len(users)), np.array(dates))
    features = {f"i{n}": {f"type={n % 2}": 1.0} for n in range(20)}
    report = replay(ratings, features, train_share=0.6)
    assert report.train_rows == 240 and report.stream_rows == 160
    assert report.events["all"] == report.events["known users"] + report.events["new users"] > 0
    assert report.events["known users"] == 0  # the stream holds the later users only
    assert report.ndcg["updated"]["new users"] > report.ndcg["batch"]["new users"]
    assert report.hits["updated"]["all"] >= report.hits["batch"]["all"]
