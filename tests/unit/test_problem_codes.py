"""Every problem code the app can raise is in the one registry (app.errors.PROBLEM_CODES) with its status, so
the OpenAPI document can list it; read from the source, since a code is often chosen far from where it is raised."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import errors
from app.errors import PROBLEM_CODES, AppError, Conflict, Invalid, NotFound, problems

APP = Path(errors.__file__).resolve().parent
SOURCES = {path: path.read_text() for path in APP.rglob("*.py")}


def test_every_code_raised_in_the_app_is_registered() -> None:
    raised = {
        code: path.name
        for path, text in SOURCES.items()
        for code in re.findall(r"""\bcode\s*=\s*["']([a-z_]+)["']""", text)
        + re.findall(r"""_invalid\([^()]*,\s*["']([a-z_]+)["']\)""", text)
    }
    assert len(raised) > 40
    missing = {code: where for code, where in raised.items() if code not in PROBLEM_CODES}
    assert not missing, f"add these to app.errors.PROBLEM_CODES: {missing}"


def test_every_not_found_kind_is_registered() -> None:
    kinds = {kind for text in SOURCES.values() for kind in re.findall(r"""NotFound\(\s*["']([a-z ]+)["']""", text)}
    assert "wine" in kinds
    for kind in kinds:
        assert NotFound(kind).code in PROBLEM_CODES, kind


def test_each_error_class_answers_with_the_status_its_default_code_is_registered_under() -> None:
    classes = [cls for cls in vars(errors).values() if isinstance(cls, type) and issubclass(cls, AppError)]
    assert Conflict in classes and Invalid in classes
    for cls in classes:
        assert PROBLEM_CODES[cls.code] == cls.status_code, cls.__name__


def test_problems_groups_codes_by_status_and_refuses_an_unknown_one() -> None:
    responses = problems("insufficient_stock", "cart_empty", "idempotency_key_reused")
    assert sorted(responses) == [409, 422]
    assert responses[409].codes == ("insufficient_stock", "cart_empty")  # type: ignore[attr-defined]
    with pytest.raises(KeyError):
        problems("no_such_code")
