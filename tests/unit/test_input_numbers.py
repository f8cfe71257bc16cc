"""Numbers in request bodies are JSON numbers as JSON Schema counts them (app.schemas): the document says
`integer`, and 3.0 is one; "3", true and 3.5 are not."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

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
