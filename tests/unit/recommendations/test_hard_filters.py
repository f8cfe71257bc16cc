"""Property: whatever the catalog, profile and history, no ranking ever offers a wine a hard filter forbids."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.recommendations.model.signals import UserSignals
from app.recommendations.refresh.build import TrainingData, build
from app.recommendations.serving.tables import table_from_docs
from app.recommendations.surfaces import bought_together, for_you, popular, similar, trending
from app.recommendations.surfaces.content import TasteIntent
from app.recommendations.surfaces.filters import HardFilters, allowed_rows
from documents import Dietary, Dislikes, Preferences, PriceRange, Style, TasteAxis, TasteProfile

GRAPES = ["Merlot", "Syrah", "Shiraz", "Pinot Noir", "Riesling", "Chardonnay", "Glera"]
WINERIES = ["Alpha", "Beta", "Gamma", "Delta"]
NOW = datetime(2026, 6, 1, tzinfo=UTC)
unit = st.floats(0, 1)


def random_catalog(rng: random.Random) -> list[dict[str, Any]]:
    """A catalog from a seed: hypothesis explores seeds (drawing each field would cost seconds per run)."""
    return [
        {
            "_id": f"w{n}",
            "name": f"Wine {n}",
            "winery": rng.choice(WINERIES),
            "grapes": rng.sample(GRAPES, rng.randint(0, 2)),
            "region": rng.choice(["Rioja", "Mosel", "Barossa"]),
            "country": "Spain",
            "style": rng.choice([s.value for s in Style]),
            "taste": {a: rng.random() for a in ("sweetness", "acidity", "tannin", "body", "fizz")},
            "dietary": rng.sample([d.value for d in Dietary], rng.randint(0, 3)),
            "price_cents": rng.randint(500, 9000),
            "stock": rng.choice([0, 1, 5]),
            "listed": rng.random() > 0.2,
            "rating": {"count": 0, "total": 0.0},
        }
        for n in range(rng.randint(2, 25))
    ]


@st.composite
def profile(draw: st.DrawFn, ids: list[str]) -> tuple[Preferences, TasteProfile]:
    some_ids = st.lists(st.sampled_from(ids), max_size=4, unique=True)
    low = draw(st.none() | st.integers(0, 4000))
    prefs = Preferences(
        styles=draw(st.lists(st.sampled_from(list(Style)), max_size=2, unique=True)),
        grapes=draw(st.lists(st.sampled_from(GRAPES), max_size=2, unique=True)),
        dietary=draw(st.lists(st.sampled_from(list(Dietary)), max_size=2, unique=True)),
        price_range=PriceRange(min_cents=low, max_cents=draw(st.none() | st.integers(low or 0, 9000))),
        dislikes=Dislikes(
            styles=draw(st.lists(st.sampled_from(list(Style)), max_size=2, unique=True)),
            grapes=draw(st.lists(st.sampled_from(GRAPES), max_size=2, unique=True)),
            wineries=draw(st.lists(st.sampled_from(WINERIES), max_size=2, unique=True)),
            wine_ids=draw(some_ids),
        ),
    )
    axes = {
        a: TasteAxis(value=draw(unit), source=draw(st.sampled_from(["quiz", "stated", "learned"])))
        for a in draw(st.lists(st.sampled_from(["sweetness", "acidity", "tannin", "body", "fizz"]), unique=True))
    }
    return prefs, TasteProfile(**axes)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_surface_ever_serves_a_wine_that_breaks_a_hard_filter(data: st.DataObject) -> None:
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    docs = random_catalog(rng)
    ids = [d["_id"] for d in docs]
    table = table_from_docs(docs)
    raters = {
        f"u{n}": UserSignals(ratings={w: rng.choice([1.0, 3.0, 4.5, 5.0]) for w in rng.sample(ids, min(6, len(ids)))})
        for n in range(rng.randint(0, 6))
    }
    snap = build(table, TrainingData(signals=raters, baskets=[ids[:3], ids[1:4]]), NOW)
    prefs, taste = data.draw(profile(ids))
    bought = rng.sample(ids, min(len(ids), rng.randint(0, 3)))
    history = {w: rng.choice([2.5, 4.0, 5.0]) for w in rng.sample(ids, min(len(ids), rng.randint(0, 5)))}
    personal = HardFilters.of(prefs, bought)
    general = HardFilters.of(prefs)
    seed = table.index[data.draw(st.sampled_from(ids))]
    surfaces = {
        "for_you": (personal, for_you.rank(snap, history, TasteIntent.of(taste, prefs), personal, 10)),
        "popular": (general, popular.rank(snap, general, 7, 10)),
        "similar": (general, similar.rank(snap, seed, general, 10)),
        "bought_together": (general, bought_together.rank(snap, seed, general, 10)),
        "trending": (general, trending.rank(snap, None, general, 10)),
    }
    by_id = {d["_id"]: d for d in docs}
    for name, (filters, candidates) in surfaces.items():
        for candidate in candidates:
            doc = by_id[table.ids[candidate.row]]
            assert filters.violations(doc) == [], (name, doc)
            assert 0.0 <= candidate.score <= 1.0 + 1e-9
        if name in ("for_you", "popular", "trending"):
            assert len(candidates) == min(10, int(allowed_rows(table, filters).sum()))


def test_violations_name_each_broken_rule() -> None:
    prefs = Preferences(
        dietary=[Dietary.vegan],
        dislikes=Dislikes(styles=[Style.red], grapes=["Shiraz"], wineries=["alpha"], wine_ids=["w1"]),
    )
    doc = {
        "_id": "w1",
        "style": "red",
        "grapes": ["Syrah"],
        "winery": "Alpha",
        "dietary": [],
        "stock": 0,
        "listed": False,
    }
    assert HardFilters.of(prefs, ["w1"]).violations(doc) == [
        "not listed",
        "out of stock",
        "not vegan",
        "disliked style red",
        "disliked grape",
        "disliked winery",
        "dismissed as not for me",
        "already bought or rated",
    ]
