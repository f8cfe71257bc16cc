"""Opening MongoDB (a real server or the in-process engine) and binding the Beanie documents to it."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse, urlsplit, urlunsplit

import pymongo
from beanie import init_beanie
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from documents import memory, memory_journaling, memory_snapshot
from documents.encryption import NO_KEYS, DataKeys
from documents.journal import Journal, journal_files, journal_key_id
from documents.models import ALL_DOCUMENTS

log = logging.getLogger(__name__)


# Indexes an earlier version created that must go: init_beanie never drops an index by itself.
# users.pref_style_region indexed two arrays together ("preferences.styles", "preferences.regions"), which a
# real MongoDB refuses for every document holding both ("cannot index parallel arrays", code 171: MongoDB
# manual, Multikey Indexes > Compound Multikey Indexes), and no query read it.
RETIRED_INDEXES = {"users": ("pref_style_region",)}
SETUP_TIMEOUT_S = 300.0


class DatabaseUnavailable(RuntimeError):
    """The configured MongoDB did not answer."""


class DataDirLocked(DatabaseUnavailable):
    """Another process owns the embedded data directory."""


@dataclass
class Database:
    """An open database: the client, the database handle, and (in-process only) its journal and snapshot."""

    url: str
    name: str
    # PyMongo's async API: a server's client, or the in-process engine that imitates it (documents/memory.py)
    client: AsyncMongoClient[Any]
    db: AsyncDatabase[Any]
    snapshot_path: Path | None = None
    journal: Journal | None = None
    keys: DataKeys = NO_KEYS  # the embedded files' data keys (docs/security.md)
    _lock: DirectoryLock | None = field(default=None, repr=False)
    _compaction_task: asyncio.Task[None] | None = field(default=None, repr=False)
    _compacting: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def in_process(self) -> bool:
        return self.snapshot_path is not None or self.url.startswith("memory://")

    async def ping(self) -> None:
        if self.in_process:
            return
        await self.client.admin.command("ping")

    async def compact(self) -> int:
        """Fold the journal into a new snapshot; returns the documents written (0 without a data directory)."""
        if self.snapshot_path is None or self.journal is None:
            return 0
        async with self._compacting:
            # Switch writers to a new journal and capture the engine in one synchronous step, so the snapshot
            # holds exactly what the older journals hold; their files go only once it is on disk.
            generation = self.journal.rotate()
            data, written = memory_snapshot.capture_snapshot(self.client, self.name, generation)
            await asyncio.to_thread(memory_snapshot.write_snapshot, data, self.snapshot_path, self.keys)
            self.journal.remove_before(generation)
            return written

    def start_compaction(self, interval_s: float) -> None:
        """Compact the in-process journal into a snapshot every `interval_s` seconds (0 disables)."""
        if self.journal is None or interval_s <= 0:
            return

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval_s)
                try:
                    await self.compact()
                except Exception:  # the journal still holds everything: try again next time
                    log.exception("compaction of the in-process MongoDB failed")

        self._compaction_task = asyncio.get_running_loop().create_task(loop())

    async def close(self) -> None:
        if self._compaction_task is not None:
            self._compaction_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._compaction_task
        if self.journal is not None:
            n = await self.compact()
            self.journal.close()
            memory_journaling.attach_journal(self.client, self.name, None)
            log.info("in-process MongoDB snapshot: %d documents written to %s", n, self.snapshot_path)
        if self._lock is not None:
            self._lock.release()
        if not self.in_process:
            await self.client.close()


class DirectoryLock:
    """An exclusive flock on `<data dir>/cuvee.lock`, naming its holder, for the life of a process's store."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / "cuvee.lock"
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = self.path.read_text(errors="replace").strip() or "another process"
            os.close(self._fd)
            raise DataDirLocked(
                f"the data directory {directory} is in use by {holder}: stop that process first, or do this "
                "through its admin API (see docs/durability.md)"
            ) from None
        os.ftruncate(self._fd, 0)
        command = " ".join(Path(a).name for a in sys.argv[:2])
        os.write(self._fd, f"pid {os.getpid()} ({command}, started by pid {os.getppid()})".encode())

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # closing drops the flock
            self._fd = -1


def redacted_url(url: str) -> str:
    """`url` with its password masked: for logs and error messages, which must never carry a secret."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{parts.netloc.rsplit('@', 1)[1]}"))


def server_client(url: str, timeout_s: float, reply_timeout_s: float | None = None) -> AsyncMongoClient[Any]:
    """A client whose every call gives up after `timeout_s` finding a server and connecting, and after
    `reply_timeout_s` (default: the same) waiting for each reply: a hung server costs a request one timeout.
    Options given in the URL win."""
    ms = int(timeout_s * 1000)
    reply_ms = int((reply_timeout_s or timeout_s) * 1000)
    options: dict[str, Any] = {"serverSelectionTimeoutMS": ms, "connectTimeoutMS": ms, "socketTimeoutMS": reply_ms}
    given = {key.lower() for key in parse_qs(urlsplit(url).query)}
    return AsyncMongoClient(url, tz_aware=True, **{k: v for k, v in options.items() if k.lower() not in given})


def database_name(url: str, default: str = "cuvee") -> str:
    path = urlparse(url).path.strip("/")
    return path or default


async def connect(
    url: str,
    *,
    name: str | None = None,
    snapshot_path: Path | None = None,
    keys: DataKeys = NO_KEYS,
    timeout_s: float = 5.0,
    reply_timeout_s: float | None = None,
) -> Database:
    """Open `url` (`memory://` or `mongodb://…`), bind every document, and create their indexes.

    `snapshot_path` (in-process only): its directory is locked for this process, the snapshot and the
    journals after it are loaded now, every write is journaled, and `close()` compacts them. With a current
    data key in `keys` the files are written encrypted; a file sealed with another key (or none) is rewritten
    under it at once. DataKeyError (nothing loaded, nothing written) when a file's key is not in `keys`.
    """
    db_name = name or database_name(url)
    lock: DirectoryLock | None = None
    journal: Journal | None = None
    stale = False
    if url.startswith("memory://"):
        client: AsyncMongoClient[Any] = memory.memory_client()
        if snapshot_path is not None:
            lock = DirectoryLock(snapshot_path.parent)
            try:
                journal, stale = _recover(client, db_name, snapshot_path, keys)
            except BaseException:
                lock.release()
                raise
    elif url.startswith(("mongodb://", "mongodb+srv://")):
        client = server_client(url, timeout_s, reply_timeout_s)
        try:
            await client.admin.command("ping")
        except Exception as exc:
            await client.close()
            raise DatabaseUnavailable(
                f"MongoDB at {redacted_url(url)} did not answer: {exc.__class__.__name__}"
            ) from exc
        snapshot_path = None
    else:
        raise DatabaseUnavailable(f"CUVEE_MONGODB_URL must be memory:// or mongodb://…, not {redacted_url(url)!r}")
    db = client[db_name]
    with pymongo.timeout(SETUP_TIMEOUT_S):  # building a new index on a large collection takes a while
        await drop_retired_indexes(db)
        await init_beanie(database=db, document_models=ALL_DOCUMENTS)
    if journal is not None:
        memory_journaling.attach_journal(client, db_name, journal)
    database = Database(
        url=url,
        name=db_name,
        client=client,
        db=db,
        snapshot_path=snapshot_path,
        journal=journal,
        keys=keys,
        _lock=lock,
    )
    if stale:
        await database.compact()
        key = keys.current_id.hex() if keys.current_id else "none (in the clear)"
        log.warning("in-process MongoDB: the data files were rewritten under data key id %s", key)
    return database


def check_data_keys(snapshot_path: Path, keys: DataKeys) -> None:
    """Raise the one-line DataKeyError if the snapshot or a journal is sealed with a key not in `keys` (the
    files' headers only: a fast check before start-up; tampering shows when they are read)."""
    kid = memory_snapshot.snapshot_key_id(snapshot_path)
    if kid is not None:
        keys.require(kid, f"the snapshot {snapshot_path}")
    for _, path in journal_files(snapshot_path.parent):
        kid = journal_key_id(path)
        if kid is not None:
            keys.require(kid, f"journal {path}")


def _recover(client: AsyncMongoClient[Any], db_name: str, snapshot_path: Path, keys: DataKeys) -> tuple[Journal, bool]:
    """Load the snapshot, replay the journals written after it, and open the next journal file; also says
    whether a file read was sealed with another key than the current one (or none), so must be rewritten."""
    loaded, generation = memory_snapshot.load_snapshot(client, db_name, snapshot_path, keys)
    stale = snapshot_path.exists() and memory_snapshot.snapshot_key_id(snapshot_path) != keys.current_id
    replayed, newest = 0, generation
    for gen, path in journal_files(snapshot_path.parent):
        if gen >= generation:
            replayed += memory_journaling.replay_journal(client, db_name, path, keys)
            stale = stale or journal_key_id(path) != keys.current_id
        newest = max(newest, gen)
    if loaded or replayed:
        log.info(
            "in-process MongoDB: %d documents loaded from %s, %d journaled writes replayed",
            loaded,
            snapshot_path,
            replayed,
        )
    journal = Journal(snapshot_path.parent, newest + 1, keys)
    journal.remove_before(generation)
    return journal, stale


async def drop_retired_indexes(db: AsyncDatabase[Any]) -> None:
    for collection, names in RETIRED_INDEXES.items():
        present = {index["name"] async for index in await db[collection].list_indexes()}
        for name in present.intersection(names):
            log.warning("dropping retired index %s.%s", collection, name)
            await db[collection].drop_index(name)
