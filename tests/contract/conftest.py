"""Search engines for the contract suite: tantivy always, Elasticsearch when CUVEE_SEARCH_URL is an http URL.
Each test gets its own index directory (tantivy) or namespace (Elasticsearch), removed afterwards."""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from search import SearchIndex, WineSearchDoc, open_index

ES_URL = os.environ.get("CUVEE_SEARCH_URL", "")
ENGINES = [
    "tantivy",
    pytest.param(
        "elasticsearch",
        marks=pytest.mark.skipif(
            not ES_URL.startswith("http"), reason="set CUVEE_SEARCH_URL=http://host:9200 to run against Elasticsearch"
        ),
    ),
]

TMPFS = "/dev/shm" if Path("/dev/shm").is_dir() else None
_ids = itertools.count(1)
_START = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(params=ENGINES)
async def search_index(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SearchIndex]:
    if request.param == "tantivy":
        # tmpfs when there is one: a tantivy commit fsyncs, which costs ~150 ms a write on a VM disk.
        with tempfile.TemporaryDirectory(dir=TMPFS or tmp_path) as root:
            index = open_index(f"tantivy://{root}/search")
            yield index
            await index.close()
        return
    namespace = f"t{uuid4().hex[:12]}"
    index = open_index(ES_URL, namespace=namespace)
    await index.ping()
    try:
        yield index
    finally:
        es = index._es  # type: ignore[attr-defined]
        await es.indices.delete(index=f"{namespace}-wines*", ignore_unavailable=True, allow_no_indices=True)
        await index.close()


@pytest.fixture
def make_doc() -> Callable[..., WineSearchDoc]:
    """A valid wine for the index with sensible defaults; each call a new id and a later created_at."""

    def make(**overrides: Any) -> WineSearchDoc:
        n = next(_ids)
        values: dict[str, Any] = {
            "id": f"w{n}",
            "name": f"Plain Table {n}",
            "winery": f"Cellar {n}",
            "style": "red",
            "price_cents": 1500,
            "grapes": ["Gamay"],
            "region": "Beaujolais",
            "country": "France",
            "vintage": 2019,
            "tasting_notes": "Fresh and light.",
            "stock": 10,
            "created_at": _START + timedelta(minutes=n),
        }
        values.update(overrides)
        return WineSearchDoc(**values)

    return make
