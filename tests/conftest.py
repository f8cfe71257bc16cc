"""Backends for the tests: real Redis, the in-process MongoDB and tantivy by default; real MongoDB and
Elasticsearch join when CUVEE_MONGODB_URL / CUVEE_SEARCH_URL are set. Every test gets its own database name,
Redis key prefix and index directory (or Elasticsearch namespace)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from app.main import create_app
from app.settings import Settings

REDIS_URL = os.environ.get("CUVEE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
MONGODB_URL = os.environ.get("CUVEE_MONGODB_URL", "memory://")
SEARCH_URL = os.environ.get("CUVEE_SEARCH_URL", "")


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for one test, isolated from every other test and from the developer's environment."""
    ns = f"t{uuid4().hex[:12]}"
    search_url = SEARCH_URL if SEARCH_URL.startswith("http") else f"tantivy://{tmp_path / 'search'}"
    values: dict[str, object] = {
        "mongodb_url": MONGODB_URL,
        "mongodb_db": ns,
        "search_url": search_url,
        "search_namespace": ns,
        "redis_url": REDIS_URL,
        "stream_prefix": f"cuvee-test:{ns}",
        "data_dir": tmp_path / "data",
        "secret_key": "test-secret-" + ns + "-0123456789abcdef0123456789",
        "seed_demo": False,
        "run_worker": False,
        "snapshot_interval_s": 0,
        "cors_origins": [],
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as c:
        yield c
