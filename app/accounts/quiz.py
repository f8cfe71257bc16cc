"""The onboarding taste quiz: everyday questions whose answers point at the five taste axes.

The mapping is documented in docs/taste-quiz.md; a unit test keeps the two in step.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from documents.models import TASTE_AXES

QUIZ_VERSION = 1


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: str
    # Where this answer places each axis it says something about (0..1); axes it is silent on are absent.
    points: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    options: tuple[Option, ...]

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "coffee",
        "How do you take your coffee?",
        (
            Option("black", "Black, no sugar", {"tannin": 0.8, "sweetness": 0.1}),
            Option("milk", "With milk", {"tannin": 0.4, "body": 0.6}),
            Option("sweet", "Sweet, with sugar or syrup", {"sweetness": 0.8, "tannin": 0.3}),
            Option("none", "I don't drink coffee"),
        ),
    ),
    Question(
        "tea",
        "How strong do you like your tea?",
        (
            Option("light", "Light, a quick dip", {"tannin": 0.2}),
            Option("medium", "Medium", {"tannin": 0.5}),
            Option("strong", "Strong, left to brew", {"tannin": 0.9}),
            Option("none", "I don't drink tea"),
        ),
    ),
    Question(
        "citrus",
        "Grapefruit, lemon, sour sweets: how do you feel about sour things?",
        (
            Option("love", "Love them", {"acidity": 0.9}),
            Option("fine", "They're fine", {"acidity": 0.6}),
            Option("avoid", "I avoid them", {"acidity": 0.2}),
        ),
    ),
    Question(
        "chocolate",
        "Which chocolate do you reach for?",
        (
            Option("dark", "Dark, 70% or more", {"sweetness": 0.1, "tannin": 0.7}),
            Option("milk", "Milk chocolate", {"sweetness": 0.5}),
            Option("white", "White chocolate or caramel", {"sweetness": 0.9}),
            Option("none", "None of these"),
        ),
    ),
    Question(
        "texture",
        "Which feels best in the mouth?",
        (
            Option("skimmed", "Skimmed milk", {"body": 0.2}),
            Option("whole", "Whole milk", {"body": 0.55}),
            Option("cream", "Cream", {"body": 0.9}),
        ),
    ),
    Question(
        "bubbles",
        "How often do you choose sparkling drinks?",
        (
            Option("often", "Often, the more bubbles the better", {"fizz": 0.9}),
            Option("sometimes", "Sometimes", {"fizz": 0.5}),
            Option("rarely", "Rarely; I prefer still drinks", {"fizz": 0.1}),
        ),
    ),
    Question(
        "wine",
        "Which glass sounds best tonight?",
        (
            Option("big_red", "A big, bold red", {"body": 0.9, "tannin": 0.8, "sweetness": 0.1}),
            Option("light_red", "A light, fruity red", {"body": 0.4, "tannin": 0.4, "acidity": 0.6}),
            Option("crisp_white", "A crisp, zesty white", {"acidity": 0.85, "body": 0.3, "sweetness": 0.1}),
            Option("rich_white", "A rich, creamy white", {"body": 0.75, "acidity": 0.4}),
            Option("sweet", "Something sweet", {"sweetness": 0.9}),
            Option("bubbles", "Bubbles", {"fizz": 0.95, "acidity": 0.7}),
            Option("unsure", "Not sure yet"),
        ),
    ),
)
QUESTIONS_BY_ID: dict[str, Question] = {q.id: q for q in QUESTIONS}


class QuizError(ValueError):
    """Answers that do not fit the quiz; `field` names the offending answer."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def score(answers: dict[str, str]) -> dict[str, float]:
    """Each axis is the mean of what the answered questions say about it; silent axes are left out.

    Questions may be skipped; an unknown question or option raises QuizError naming it.
    """
    votes: dict[str, list[float]] = defaultdict(list)
    for question_id, option_id in answers.items():
        question = QUESTIONS_BY_ID.get(question_id)
        if question is None:
            raise QuizError(f"no quiz question {question_id!r}", f"answers.{question_id}")
        option = question.option(option_id)
        if option is None:
            allowed = ", ".join(o.id for o in question.options)
            raise QuizError(
                f"{option_id!r} is not an answer to {question_id!r}; use one of {allowed}", f"answers.{question_id}"
            )
        for axis, value in option.points.items():
            votes[axis].append(value)
    return {axis: round(sum(votes[axis]) / len(votes[axis]), 2) for axis in TASTE_AXES if votes[axis]}
