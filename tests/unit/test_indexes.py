"""MongoDB's index rules, checked on the declarations: the in-process engine does not enforce them."""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from documents import ALL_DOCUMENTS


def _arrays_on_path(model: type[BaseModel], path: str) -> int:
    """How many list-typed steps the dotted `path` crosses in `model` (a dict step ends the walk: free-form)."""
    arrays = 0
    current: Any = model
    for step in path.split("."):
        if step == "_id":
            return arrays
        annotation = current.model_fields[step].annotation
        inner = (
            [a for a in typing.get_args(annotation) if a is not type(None)]
            if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union
            else [annotation]
        )
        (annotation,) = inner
        if typing.get_origin(annotation) is list:
            arrays += 1
            (annotation,) = typing.get_args(annotation)
        if typing.get_origin(annotation) is dict:
            return arrays
        current = annotation
    return arrays


INDEXES = [
    pytest.param(document, index, id=f"{document.Settings.name}.{index.document['name']}")
    for document in ALL_DOCUMENTS
    for index in document.Settings.indexes
]


@pytest.mark.parametrize(("document", "index"), INDEXES)
def test_no_compound_index_covers_two_array_fields(document: type[BaseModel], index: Any) -> None:
    """MongoDB refuses to index a document in which two keys of one compound index are arrays ("cannot index
    parallel arrays", code 171; MongoDB manual, Multikey Indexes > Compound Multikey Indexes): one such index
    made every sign-up fail on a real server."""
    keys = list(index.document["key"])
    arrays = [key for key in keys if _arrays_on_path(document, key)]
    assert len(arrays) <= 1, f"{keys} has more than one array field: {arrays}"


def test_the_path_walk_sees_arrays_inside_embedded_documents() -> None:
    from documents import Order, User

    assert _arrays_on_path(Order, "items.wine_id") == 1
    assert _arrays_on_path(User, "preferences.styles") == 1
    assert _arrays_on_path(User, "email") == 0
