"""Catalog unit tests build `Wine` documents, which Beanie only allows once it is bound to a database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import uuid4

import pytest

from documents.database import Database, connect


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    """A fresh in-process MongoDB database of its own, with every document bound to it."""
    database = await connect("memory://", name=f"catalog_{uuid4().hex[:12]}")
    yield database
    await database.close()
