"""The in-process MongoDB (mongomock behind PyMongo's async API), its menders, its journal hooks and snapshots.

Durability: every write is journaled (documents/journal.py) and fsynced before its await returns; the
snapshot is the journal compacted. See docs/durability.md.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import logging
import os
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import bson
import mongomock.collection
import mongomock.database
import mongomock.store
from mongomock import filtering as mongomock_filtering
from mongomock import helpers as mongomock_helpers
from mongomock.mongo_client import MongoClient as MockMongoClient
from pymongo.errors import DuplicateKeyError
from pymongo_async_mock import AsyncMongoMockClient

from documents import memory_indexes
from documents.encryption import KEY_ID_SIZE, NO_KEYS, DataKeys
from documents.journal import Journal, encode_record, read_records

log = logging.getLogger(__name__)

_MENDED = False


def _mend_mongomock() -> None:
    """Route around mongomock gaps that Beanie 2 hits; idempotent.

    - Beanie 2 calls `list_collection_names(authorizedCollections=True, nameOnly=True)`, which
      mongomock rejects: accept and ignore the two options (they only filter what a real server returns).
    - `create_indexes(IndexModel…)` loses `partialFilterExpression`: pass every option through.
    - pymongo-async-mock re-wraps bulk updates per collection handle until the stack overflows: wrap once.
    Sort keys passed as Beanie `ExpressionField` (a `str` subclass) are normalised to plain `str` by
    pymongo-async-mock itself; our conformance suite pins that the pages come out right.
    """
    global _MENDED
    if _MENDED:
        return
    original = mongomock.database.Database.list_collection_names

    def list_collection_names(self: Any, filter: Any = None, session: Any = None, **_options: Any) -> Any:
        return original(self, filter=filter, session=session)

    mongomock.database.Database.list_collection_names = list_collection_names  # type: ignore[method-assign]

    def create_indexes(self: Any, indexes: list[Any], session: Any = None) -> list[str]:
        # mongomock's own create_indexes drops partialFilterExpression, which create_index understands
        names = []
        for index in indexes:
            options = {k: v for k, v in index.document.items() if k != "key"}
            keys = list(index.document["key"].items())
            if options.get("unique") and options.get("partialFilterExpression") is not None:
                names.append(_create_partial_unique_index(self, keys, options))
            else:
                names.append(self.create_index(keys, session=session, **options))
        return names

    mongomock.collection.Collection.create_indexes = create_indexes  # type: ignore[method-assign]
    _mend_bulk_update_sort()
    _mend_bulk_unique_checks()
    _mend_id_lookups()
    _mend_update_unique_checks()
    memory_indexes.install()
    _MENDED = True


def _create_partial_unique_index(collection: Any, keys: list[tuple[str, int]], options: dict[str, Any]) -> str:
    """mongomock checks the documents already stored against a new unique index ignoring its partial filter
    (so two wines without a source_id clash when a snapshot is reloaded): check only the matching ones."""
    partial = options["partialFilterExpression"]
    seen: set[str] = set()
    for doc in collection._iter_documents(partial):
        values = []
        for path, _ in keys:
            try:
                values.append(mongomock_helpers.get_value_by_dot(doc, path))
            except KeyError:
                values.append(None)
        key = repr(values)
        if key in seen:
            raise DuplicateKeyError(f"E11000 duplicate key on {keys}: {values}", 11000)
        seen.add(key)
    name = options.get("name") or mongomock_helpers.gen_index_name(keys)
    collection._store.create_index(name, {"key": keys, "unique": True, "partialFilterExpression": partial})
    return str(name)


def _mend_bulk_update_sort() -> None:
    """pymongo-async-mock 0.1.3 wraps `BulkOperationBuilder.add_update` again for every collection handle (its
    "already patched" check compares the wrapper's copied `__name__`), so after ~1,000 handles a bulk update
    overflows the stack. Wrap it once ourselves and turn the per-handle patch into a no-op."""
    from mongomock.collection import BulkOperationBuilder
    from pymongo_async_mock import patches

    original = BulkOperationBuilder.add_update

    def add_update(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("sort", None)  # PyMongo passes sort for update_one in bulk; mongomock does not know it
        return original(*args, **kwargs)

    BulkOperationBuilder.add_update = add_update  # type: ignore[method-assign]
    patches._patch_bulk_update_sort = lambda collection: collection


def _batch_keys_are_new(collection: Any, documents: list[Any]) -> bool:
    """True when no document of the batch can clash on a unique index (with the collection or the batch).

    False whenever in doubt (an array or sub-document value, any clash): mongomock's own per-document
    check then decides and raises the exact error.
    """
    for index in collection._store.indexes.values():
        if not index.get("unique"):
            continue
        partial = index.get("partialFilterExpression")
        paths = [path for path, _ in index["key"]]
        seen: set[tuple[Any, ...]] = set()
        for doc in [*collection._store.documents, *documents]:
            if partial is not None and not mongomock_filtering.filter_applies(partial, doc):
                continue
            values = []
            for path in paths:
                try:
                    values.append(mongomock_helpers.get_value_by_dot(doc, path))
                except KeyError:
                    values.append(None)
            if index.get("sparse") and all(v is None for v in values):
                continue
            if any(isinstance(v, dict | list | tuple) for v in values):
                return False
            key = tuple(values)
            if key in seen:
                return False
            seen.add(key)
    return True


def _mend_bulk_unique_checks() -> None:
    """mongomock checks unique indexes on each insert by scanning the whole collection, so insert_many is
    quadratic (2 s for 1,000 wines): check the batch once against the existing keys instead."""
    collection_class = mongomock.collection.Collection
    insert_many = collection_class.insert_many
    ensure_uniques = collection_class._ensure_uniques

    def checked_once(self: Any, new_data: Any) -> None:
        if not getattr(self, "_cuvee_batch_checked", False):
            ensure_uniques(self, new_data)

    def bulk_insert(self: Any, documents: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(documents, list) or len(documents) < 2 or not _batch_keys_are_new(self, documents):
            return insert_many(self, documents, *args, **kwargs)
        self._cuvee_batch_checked = True  # the engine is synchronous: no other insert runs meanwhile
        try:
            return insert_many(self, documents, *args, **kwargs)
        finally:
            self._cuvee_batch_checked = False

    collection_class._ensure_uniques = checked_once  # type: ignore[method-assign]
    collection_class.insert_many = bulk_insert  # type: ignore[method-assign]


def _touches_unique_keys(collection: Any, update: Any) -> bool:
    """True unless `update` is made of operators none of which touches a field of a unique index."""
    if not isinstance(update, dict) or not all(str(op).startswith("$") for op in update):
        return True
    unique_roots = {
        path.split(".")[0]
        for index in collection._store.indexes.values()
        if index.get("unique")
        for path, _ in index["key"]
    }
    touched = {str(path).split(".")[0] for fields in update.values() if isinstance(fields, dict) for path in fields}
    return bool(touched & unique_roots) or any(not isinstance(f, dict) for f in update.values())


def _mend_update_unique_checks() -> None:
    """mongomock re-checks every unique index after each update by scanning the collection (40 ms for one
    `$inc` among 500 wines): skip that check when the update cannot change a unique key (no upsert, and
    no operator touches a field of a unique index)."""
    collection_class = mongomock.collection.Collection
    update = collection_class._update

    def _update(self: Any, spec: Any, document: Any, upsert: bool = False, *args: Any, **kwargs: Any) -> Any:
        if upsert or _touches_unique_keys(self, document):
            return update(self, spec, document, upsert, *args, **kwargs)
        self._cuvee_batch_checked = True  # read by checked_once; the engine is synchronous
        try:
            return update(self, spec, document, upsert, *args, **kwargs)
        finally:
            self._cuvee_batch_checked = False

    collection_class._update = _update  # type: ignore[method-assign]


def _id_keys(filter: Any) -> list[Any] | None:
    """The _ids a filter pins down by `_id: value` or `_id: {"$in": [...]}` (None when it does not)."""
    if not isinstance(filter, dict) or "_id" not in filter:
        return None
    wanted = filter["_id"]
    if isinstance(wanted, dict):
        if set(wanted) != {"$in"} or not isinstance(wanted["$in"], list | tuple):
            return None
        keys = list(wanted["$in"])
    else:
        keys = [wanted]
    if not all(isinstance(key, str | int | bson.ObjectId) and not isinstance(key, bool) for key in keys):
        return None
    return keys


def _mend_id_lookups() -> None:
    """mongomock scans the whole collection for every query, `_id` lookups included (100 ms for one user
    among 10,000): take the documents a filter names by `_id` straight from the store, then apply the rest
    of the filter to them as before, so results are unchanged."""
    collection_class = mongomock.collection.Collection
    iter_documents = collection_class._iter_documents

    def by_id(self: Any, filter: Any) -> Any:
        keys = _id_keys(filter)
        if keys is None or self._store._ttl_indexes:
            return iter_documents(self, filter)
        store = self._store._documents
        found = [store[key] for key in dict.fromkeys(keys) if key in store]
        found.sort(key=lambda doc: (type(doc["_id"]).__name__, doc["_id"]))  # _id order, as an _id index gives
        # The `_id` clause holds for every document found by it: applying it again would cost each document
        # a scan of the `$in` list (O(n^2) for a batch).
        rest = {key: value for key, value in filter.items() if key != "_id"}
        return (doc for doc in found if mongomock_filtering.filter_applies(rest, doc))

    collection_class._iter_documents = by_id  # type: ignore[method-assign]


def memory_client() -> AsyncMongoMockClient:
    _mend_mongomock()
    _mend_journaling()
    return AsyncMongoMockClient(mock_mongo_client=MockMongoClient(tz_aware=True))


# --- journaling: which documents each write touched --------------------------------------------------------

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


def _mend_journaling() -> None:
    """Record the documents every write touches, so its post-images reach the journal before its await returns.

    Updates mutate stored documents in place, so besides the store's own set/delete the documents a write
    *iterates* are recorded (a superset of those it changed; an unchanged post-image is harmless)."""
    global _JOURNALING
    if _JOURNALING:
        return
    store_class = mongomock.store.CollectionStore
    setitem, delitem, drop = store_class.__setitem__, store_class.__delitem__, store_class.drop

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

    store_class.__setitem__ = recording_setitem  # type: ignore[method-assign]
    store_class.__delitem__ = recording_delitem  # type: ignore[method-assign]
    store_class.drop = recording_drop  # type: ignore[method-assign]

    collection_class = mongomock.collection.Collection
    iter_documents = collection_class._iter_documents

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

    collection_class._iter_documents = recording_iter  # type: ignore[method-assign]

    from pymongo_async_mock import AsyncMongoMockCollection, AsyncMongoMockDatabase

    for name in _WRITE_METHODS:
        setattr(
            AsyncMongoMockCollection,
            name,
            _journaled(getattr(AsyncMongoMockCollection, name), lambda coll: coll.database.delegate),
        )
    AsyncMongoMockDatabase.drop_collection = _journaled(  # type: ignore[method-assign]
        AsyncMongoMockDatabase.drop_collection, lambda db: db.delegate
    )
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


_MAGIC_V1 = b"CUVEE-SNAPSHOT-1\n"
_MAGIC = b"CUVEE-SNAPSHOT-2\n"
_SEALED = b"CUVEE-SNAPSHOT-E1\n"  # + key id, then a version-2 snapshot sealed whole (nonce + ciphertext + tag)


def capture_snapshot(client: AsyncMongoMockClient, db_name: str, generation: int) -> tuple[bytes, int]:
    """Every collection of `db_name` as snapshot bytes (BSON, length-prefixed) and the documents in it.

    Runs synchronously, so it is one consistent moment of the engine."""
    database = client.get_database(db_name).delegate
    parts = [_MAGIC, _frame({"generation": generation})]
    written = 0
    for name, store in database._store._collections.items():
        if not store.is_created:
            continue
        docs = list(store._documents.values())
        parts.append(_frame({"collection": name, "count": len(docs)}))
        parts.extend(_frame(doc) for doc in docs)
        written += len(docs)
    return b"".join(parts), written


def _frame(doc: Any) -> bytes:
    raw = bson.encode(doc)
    return struct.pack("<I", len(raw)) + raw


def snapshot_key_id(path: Path) -> bytes | None:
    """The data key id a snapshot is sealed with (None: written in the clear, or no snapshot)."""
    if not path.exists():
        return None
    with path.open("rb") as src:
        head = src.read(len(_SEALED) + KEY_ID_SIZE)
    return head[len(_SEALED) :] if head.startswith(_SEALED) else None


def write_snapshot(data: bytes, path: Path, keys: DataKeys = NO_KEYS) -> None:
    """Write snapshot bytes atomically (sealed under the current data key if there is one): a unique
    temporary file (0600), fsync, rename, fsync the directory."""
    if keys.current_id is not None:
        header = _SEALED + keys.current_id
        data = header + keys.seal(data, header)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_snapshot(
    client: AsyncMongoMockClient, db_name: str, path: Path, generation: int = 0, keys: DataKeys = NO_KEYS
) -> int:
    """Write every collection of `db_name` to `path`; return documents written."""
    data, written = capture_snapshot(client, db_name, generation)
    write_snapshot(data, path, keys)
    return written


def load_snapshot(client: AsyncMongoMockClient, db_name: str, path: Path, keys: DataKeys = NO_KEYS) -> tuple[int, int]:
    """Load a snapshot into `db_name`; return (documents loaded, its generation); (0, 0) if there is none.

    Raises DataKeyError, having loaded nothing, when it is sealed with a key not in `keys` or was altered."""
    if not path.exists():
        return 0, 0
    with path.open("rb") as src:
        if src.read(len(_SEALED)) != _SEALED:
            src.seek(0)
            return _load_plain(client.get_database(db_name).delegate, src, path)
        kid = src.read(KEY_ID_SIZE)
        keys.require(kid, f"the snapshot {path}")
        sealed = src.read()
    plain = keys.open(kid, sealed, _SEALED + kid, f"the snapshot {path}")
    return _load_plain(client.get_database(db_name).delegate, io.BytesIO(plain), path)


def _load_plain(database: Any, src: BinaryIO, path: Path) -> tuple[int, int]:
    options: bson.CodecOptions[dict[str, Any]] = bson.CodecOptions(tz_aware=True)
    loaded = generation = 0
    magic = src.read(len(_MAGIC))
    if magic not in (_MAGIC, _MAGIC_V1):
        raise ValueError(f"{path} is not a Cuvée snapshot; move it away to start empty")

    def read_one() -> dict[str, Any] | None:
        size_raw = src.read(4)
        if not size_raw:
            return None
        (size,) = struct.unpack("<I", size_raw)
        return bson.decode(src.read(size), codec_options=options)

    if magic == _MAGIC:
        generation = int((read_one() or {}).get("generation", 0))
    while (header := read_one()) is not None:
        docs = [read_one() for _ in range(header["count"])]
        collection = database.get_collection(header["collection"])
        collection._store.create()
        if docs:
            collection.insert_many(docs)
            loaded += len(docs)
    return loaded, generation
