"""Opening MongoDB (a real server or the in-process engine) and binding the Beanie documents to it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlsplit, urlunsplit

from beanie import init_beanie
from pymongo import AsyncMongoClient

from documents import memory
from documents.models import ALL_DOCUMENTS

log = logging.getLogger(__name__)


# Indexes an earlier version created that must go: init_beanie never drops an index by itself.
# users.pref_style_region indexed two arrays together ("preferences.styles", "preferences.regions"), which a
# real MongoDB refuses for every document holding both ("cannot index parallel arrays", code 171: MongoDB
# manual, Multikey Indexes > Compound Multikey Indexes), and no query read it.
RETIRED_INDEXES = {"users": ("pref_style_region",)}


class DatabaseUnavailable(RuntimeError):
    """The configured MongoDB did not answer."""


@dataclass
class Database:
    """An open database: the client, the database handle, and (in-process only) its snapshot file."""

    url: str
    name: str
    client: Any
    db: Any
    snapshot_path: Path | None = None
    _snapshot_task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def in_process(self) -> bool:
        return self.snapshot_path is not None or self.url.startswith("memory://")

    async def ping(self) -> None:
        if self.in_process:
            return
        await self.client.admin.command("ping")

    def snapshot(self) -> int:
        if self.snapshot_path is None:
            return 0
        return memory.save_snapshot(self.client, self.name, self.snapshot_path)

    def start_snapshots(self, interval_s: float) -> None:
        """Snapshot the in-process engine every `interval_s` seconds (0 disables)."""
        if self.snapshot_path is None or interval_s <= 0:
            return

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval_s)
                try:
                    self.snapshot()
                except Exception:  # a failed snapshot must not stop the next one
                    log.exception("snapshot of the in-process MongoDB failed")

        self._snapshot_task = asyncio.get_running_loop().create_task(loop())

    async def close(self) -> None:
        if self._snapshot_task is not None:
            self._snapshot_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._snapshot_task
        if self.snapshot_path is not None:
            n = self.snapshot()
            log.info("in-process MongoDB snapshot: %d documents written to %s", n, self.snapshot_path)
        if not self.in_process:
            await self.client.close()


def redacted_url(url: str) -> str:
    """`url` with its password masked: for logs and error messages, which must never carry a secret."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{parts.netloc.rsplit('@', 1)[1]}"))


def database_name(url: str, default: str = "cuvee") -> str:
    path = urlparse(url).path.strip("/")
    return path or default


async def connect(
    url: str,
    *,
    name: str | None = None,
    snapshot_path: Path | None = None,
    timeout_s: float = 5.0,
) -> Database:
    """Open `url` (`memory://` or `mongodb://…`), bind every document, and create their indexes.

    `snapshot_path` (in-process only) is loaded now and written again on `close()`.
    """
    db_name = name or database_name(url)
    if url.startswith("memory://"):
        client: Any = memory.memory_client()
        if snapshot_path is not None:
            n = memory.load_snapshot(client, db_name, snapshot_path)
            if n:
                log.info("in-process MongoDB: %d documents loaded from %s", n, snapshot_path)
    elif url.startswith(("mongodb://", "mongodb+srv://")):
        client = AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=int(timeout_s * 1000))
        try:
            await client.admin.command("ping")
        except Exception as exc:
            await client.close()
            raise DatabaseUnavailable(f"MongoDB at {redacted_url(url)} did not answer: {exc.__class__.__name__}") \
                from exc
        snapshot_path = None
    else:
        raise DatabaseUnavailable(f"CUVEE_MONGODB_URL must be memory:// or mongodb://…, not {redacted_url(url)!r}")
    db = client[db_name]
    await drop_retired_indexes(db)
    await init_beanie(database=db, document_models=ALL_DOCUMENTS)
    return Database(url=url, name=db_name, client=client, db=db, snapshot_path=snapshot_path)


async def drop_retired_indexes(db: Any) -> None:
    for collection, names in RETIRED_INDEXES.items():
        present = {index["name"] async for index in await db[collection].list_indexes()}
        for name in present.intersection(names):
            log.warning("dropping retired index %s.%s", collection, name)
            await db[collection].drop_index(name)
