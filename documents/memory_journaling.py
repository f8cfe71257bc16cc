"""Journal hooks of the in-process MongoDB: which documents each write touched, and their commit to disk.

Durability: every write is journaled (documents/journal.py) and fsynced before its await returns, or with
the other writes of its HTTP exchange before the response starts (`deferred_commits`). See docs/durability.md.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mongomock.collection
import mongomock.store
from pymongo_async_mock import AsyncMongoMockClient, AsyncMongoMockCollection, AsyncMongoMockDatabase

from documents.encryption import NO_KEYS, DataKeys
from documents.journal import Journal, encode_record, read_records
from documents.mending import replace_method

_WRITE_METHODS = (
    "bulk_write",
    "delete_many",
    "delete_one",
    "find_one_and_delete",
    "find_one_and_replace",
    "find_one_and_update",
    "insert_many",
    "insert_one",
    "replace_one",
    "update_many",
    "update_one",
    "drop",
)
_touched: list[tuple[Any, Any]] | None = None  # (collection store, _id) seen by the write now running
_dropped: list[Any] | None = None  # collection stores dropped by it
_JOURNALING = False


def mend_journaling() -> None:
    """Record the documents every write touches, so its post-images reach the journal before its await returns.

    Updates mutate stored documents in place, so besides the store's own set/delete the documents a write
    *iterates* are recorded (a superset of those it changed; an unchanged post-image is harmless)."""
    global _JOURNALING
    if _JOURNALING:
        return
    store_class = mongomock.store.CollectionStore
    setitem: Callable[..., Any] = store_class.__setitem__
    delitem: Callable[..., Any] = store_class.__delitem__
    drop: Callable[..., Any] = store_class.drop

    def recording_setitem(self: Any, key: Any, value: Any) -> None:
        setitem(self, key, value)
        if _touched is not None:
            _touched.append((self, key))

    def recording_delitem(self: Any, key: Any) -> None:
        delitem(self, key)
        if _touched is not None:
            _touched.append((self, key))

    def recording_drop(self: Any) -> None:
        drop(self)
        if _dropped is not None:
            _dropped.append(self)

    replace_method(store_class, "__setitem__", recording_setitem)
    replace_method(store_class, "__delitem__", recording_delitem)
    replace_method(store_class, "drop", recording_drop)

    collection_class = mongomock.collection.Collection
    iter_documents: Callable[..., Any] = collection_class._iter_documents

    def recording_iter(self: Any, filter: Any) -> Any:
        found = iter_documents(self, filter)
        touched = _touched
        if touched is None:
            return found
        store = self._store

        def recorded() -> Any:
            for doc in found:
                touched.append((store, doc["_id"]))
                yield doc

        return recorded()

    replace_method(collection_class, "_iter_documents", recording_iter)

    for name in _WRITE_METHODS:
        method = getattr(AsyncMongoMockCollection, name)
        replace_method(AsyncMongoMockCollection, name, _journaled(method, lambda coll: coll.database.delegate))
    drop_collection = AsyncMongoMockDatabase.drop_collection
    replace_method(AsyncMongoMockDatabase, "drop_collection", _journaled(drop_collection, lambda db: db.delegate))
    _JOURNALING = True


def _journaled(method: Any, database_of: Any) -> Any:
    async def write(self: Any, *args: Any, **kwargs: Any) -> Any:
        global _touched, _dropped
        database = database_of(self)
        journal = getattr(database._store, "cuvee_journal", None)
        if journal is None:
            return await method(self, *args, **kwargs)
        outer = _touched, _dropped
        _touched, _dropped = [], []
        try:
            return await method(self, *args, **kwargs)  # synchronous inside: nothing else runs meanwhile
        finally:
            touched, dropped = _touched, _dropped
            _touched, _dropped = outer
            record = _journal_records(database._store, journal, touched, dropped)
            if record:
                deferred = _deferred.get()
                if deferred is not None and not deferred.closed:
                    deferred.records.append((journal, record))
                else:
                    await journal.commit(record)

    write.__name__ = getattr(method, "__name__", "write")
    return write


def _journal_records(db_store: Any, journal: Journal, touched: list[tuple[Any, Any]], dropped: list[Any]) -> int:
    """Append one record per collection the write changed; returns the last record's number (0: none)."""
    names = {id(store): name for name, store in db_store._collections.items()}
    last = 0
    for store in dropped:
        if id(store) in names:
            last = journal.append(encode_record(names[id(store)], [], [], True))
    by_store: dict[int, tuple[Any, dict[Any, None]]] = {}
    for store, key in touched:
        by_store.setdefault(id(store), (store, {}))[1][key] = None
    for store_id, (store, keys) in by_store.items():
        if store_id not in names:
            continue
        documents = store._documents
        puts = [documents[key] for key in keys if key in documents]
        deletes = [key for key in keys if key not in documents]
        last = journal.append(encode_record(names[store_id], puts, deletes, False))
    return last


class DeferredCommits:
    """The journal records one HTTP exchange wrote, made durable together before its response starts."""

    def __init__(self) -> None:
        self.records: list[tuple[Journal, int]] = []
        self.closed = False  # set once committed: later writes (tasks the request spawned) commit inline

    async def commit(self) -> None:
        self.closed = True
        newest: dict[int, tuple[Journal, int]] = {}
        for journal, record in self.records:
            newest[id(journal)] = (journal, max(record, newest.get(id(journal), (journal, 0))[1]))
        for journal, record in newest.values():
            await journal.commit(record)


_deferred: contextvars.ContextVar[DeferredCommits | None] = contextvars.ContextVar("cuvee_deferred", default=None)


@contextlib.contextmanager
def deferred_commits() -> Iterator[DeferredCommits]:
    """Within this block writes do not wait for the disk one by one; `commit()` waits once for all of them.

    For a request: its several writes share one fsync, awaited before the response says they happened."""
    pending = DeferredCommits()
    token = _deferred.set(pending)
    try:
        yield pending
    finally:
        _deferred.reset(token)


def attach_journal(client: AsyncMongoMockClient, db_name: str, journal: Journal | None) -> None:
    """From now on every write to `db_name` is journaled (None: no longer)."""
    client.get_database(db_name).delegate._store.cuvee_journal = journal


def replay_journal(client: AsyncMongoMockClient, db_name: str, path: Path, keys: DataKeys = NO_KEYS) -> int:
    """Apply one journal file's whole records to `db_name`; returns the documents written or deleted."""
    database = client.get_database(db_name).delegate
    applied = 0
    for record in read_records(path, keys):
        store = database._store[record["c"]]
        if record.get("x"):
            store.drop()
        store.create()
        for doc in record["p"]:
            store[doc["_id"]] = doc
        for key in record["d"]:
            if key in store:
                del store[key]
        applied += len(record["p"]) + len(record["d"])
    return applied
