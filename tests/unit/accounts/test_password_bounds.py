"""A password's length bound holds for what was sent: spaces around it count (found by schemathesis: a
maxLength-violating password was accepted once stripped)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.accounts.schemas import MAX_PASSWORD, LoginInput, RegisterInput


@pytest.mark.parametrize("model", [RegisterInput, LoginInput])
def test_a_password_longer_than_the_bound_as_sent_is_refused_even_if_its_spaces_would_be_stripped(model: type) -> None:
    padded = " " * 10 + "p" * (MAX_PASSWORD - 5)
    with pytest.raises(ValidationError, match=f"at most {MAX_PASSWORD}"):
        model.model_validate({"email": "a@example.com", "password": padded})
    fitting = model.model_validate({"email": "a@example.com", "password": "  " + "p" * 20 + "  "})
    assert fitting.password == "p" * 20  # surrounding spaces are still not part of the password
