"""The taste quiz: scoring and its documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.accounts.quiz import QUESTIONS, QuizError, score
from documents.models import TASTE_AXES

NO_POINTS = "\u2013"  # the en dash the tables use for "says nothing"
DOC = Path(__file__).resolve().parents[3] / "docs" / "taste-quiz.md"


def test_each_axis_is_the_mean_of_what_the_answers_say_about_it() -> None:
    scored = score({"coffee": "black", "tea": "light", "wine": "big_red"})
    assert scored["tannin"] == round((0.8 + 0.2 + 0.8) / 3, 2)
    assert scored["sweetness"] == 0.1  # black coffee 0.1, big red 0.1
    assert scored["body"] == 0.9
    assert "acidity" not in scored and "fizz" not in scored  # no answer spoke about them


def test_skipped_questions_and_neutral_answers_leave_axes_unscored() -> None:
    assert score({"coffee": "none", "wine": "unsure"}) == {}
    assert set(score({"bubbles": "often"})) == {"fizz"}


def test_unknown_questions_and_answers_are_refused_naming_them() -> None:
    with pytest.raises(QuizError) as exc:
        score({"coffee": "espresso"})
    assert exc.value.field == "answers.coffee" and "black" in str(exc.value)
    with pytest.raises(QuizError) as exc:
        score({"horoscope": "leo"})
    assert exc.value.field == "answers.horoscope"


def test_every_axis_can_be_reached_and_every_point_is_within_bounds() -> None:
    reached = {axis for q in QUESTIONS for o in q.options for axis in o.points}
    assert reached == set(TASTE_AXES)
    for q in QUESTIONS:
        assert len({o.id for o in q.options}) == len(q.options)
        for o in q.options:
            assert all(0.0 <= v <= 1.0 for v in o.points.values()), (q.id, o.id)


def documented_points() -> dict[tuple[str, str], dict[str, float]]:
    """(question, answer) → points, read from the tables in docs/taste-quiz.md."""
    table: dict[tuple[str, str], dict[str, float]] = {}
    question = ""
    for line in DOC.read_text().splitlines():
        if line.startswith("### `"):
            question = line.split("`")[1]
        elif question and line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            values = cells[2:]
            table[(question, cells[0].strip("`"))] = {
                axis: float(v) for axis, v in zip(TASTE_AXES, values, strict=True) if v != NO_POINTS
            }
    return table


def test_the_documented_points_are_the_points_the_code_scores() -> None:
    in_code = {(q.id, o.id): o.points for q in QUESTIONS for o in q.options}
    assert documented_points() == in_code
