"""“For you” blends content once: the history's content is in the model, so only taste it cannot know is added."""

from __future__ import annotations

from app.recommendations.surfaces import for_you
from app.recommendations.surfaces.content import TasteIntent
from app.recommendations.surfaces.filters import HardFilters
from tests.unit.recommendations.test_within_visit import _snapshot


def _order(intent: TasteIntent, history: dict[str, float]) -> list[str]:
    snap = _snapshot()  # w0..w5, body 0.2..0.7; w0 and w1 bought together
    picks = for_you.rank(snap, history, intent, HardFilters.of(None, set(history)), 5)
    return [snap.table.ids[c.row] for c in picks]


def test_taste_learned_from_the_history_is_not_blended_again_over_the_model() -> None:
    full_bodied = {"body": 0.7, "tannin": 0.5, "acidity": 0.5, "sweetness": 0.1}
    plain = _order(TasteIntent(), {"w0": 4.5})
    assert plain[0] == "w1"  # bought with w0
    learned = TasteIntent(axes={axis: (value, "learned") for axis, value in full_bodied.items()})
    assert _order(learned, {"w0": 4.5}) == plain
    stated = TasteIntent(axes={axis: (value, "stated") for axis, value in full_bodied.items()})
    assert _order(stated, {"w0": 4.5})[0] != "w1"  # what the shopper told us is new to the model: it counts


def test_without_a_history_the_learned_taste_is_all_there_is_and_it_leads() -> None:
    learned = TasteIntent(axes={"body": (0.7, "learned")})
    assert _order(learned, {})[0] == "w5"
