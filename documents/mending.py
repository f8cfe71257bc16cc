"""How the in-process MongoDB's menders (documents/memory*.py) put their fixes on mongomock's classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def replace_method(owner: type, name: str, replacement: Callable[..., Any]) -> None:
    """Put `replacement` in place of `owner.<name>` for every instance, existing or future.

    mongomock and pymongo-async-mock build their collection and store objects themselves, so a fix cannot
    be a subclass we hand them: it goes on their classes. Assigning to a method is what mypy's
    `method-assign` check exists to catch, so the menders do it through this one place.
    """
    setattr(owner, name, replacement)
