"""Numbers in request bodies are JSON numbers as JSON Schema counts them (app.schemas): the document says
`integer`, and 3.0 is one; "3", true and 3.5 are not."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, get_args, get_origin

import pytest
from pydantic import BeforeValidator, ValidationError

from app.schemas import Input, StrictInt


class Bottles(Input):
    quantity: StrictInt


def test_an_integral_float_is_an_integer() -> None:
    assert Bottles.model_validate({"quantity": 3.0}).quantity == 3
    assert type(Bottles.model_validate({"quantity": 3.0}).quantity) is int


@pytest.mark.parametrize("value", [3.5, "3", True])
def test_a_fraction_a_string_or_a_boolean_is_refused(value: object) -> None:
    with pytest.raises(ValidationError, match="must be a JSON integer"):
        Bottles.model_validate({"quantity": value})


def _input_models() -> list[type[Input]]:
    import app.main  # noqa: F401  (imports every domain's input models)

    found: list[type[Input]] = []
    todo = list(Input.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def _lax_leaves(annotation: Any, guarded: bool = False) -> list[Any]:
    """The int/float/bool/Decimal types inside an annotation that no BeforeValidator guards."""
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        return _lax_leaves(base, guarded or any(isinstance(m, BeforeValidator) for m in meta))
    if annotation in (int, float, bool, Decimal):
        return [] if guarded else [annotation]
    return [leaf for arg in get_args(annotation) for leaf in _lax_leaves(arg, guarded)]


def test_every_number_flag_and_amount_of_every_input_model_is_strict() -> None:
    """Lax coercion would take "4" for 4 and true for 1: each such field carries one of app.schemas' strict types."""
    lax = [
        f"{model.__name__}.{name}"
        for model in _input_models()
        for name, field in model.model_fields.items()
        if _lax_leaves(field.annotation, any(isinstance(m, BeforeValidator) for m in field.metadata))
    ]
    assert lax == []
