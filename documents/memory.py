"""The in-process MongoDB (mongomock behind PyMongo's async API) and the menders of mongomock's gaps.

Its journal hooks are in documents/memory_journaling.py, its secondary indexes in documents/memory_indexes.py,
its snapshots in documents/memory_snapshot.py. See docs/durability.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bson
import mongomock.collection
import mongomock.database
from mongomock import filtering as mongomock_filtering
from mongomock import helpers as mongomock_helpers
from mongomock.mongo_client import MongoClient as MockMongoClient
from pymongo.errors import DuplicateKeyError
from pymongo_async_mock import AsyncMongoMockClient

from documents import memory_indexes
from documents.memory_journaling import mend_journaling
from documents.mending import replace_method

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
    original: Callable[..., Any] = mongomock.database.Database.list_collection_names

    def list_collection_names(self: Any, filter: Any = None, session: Any = None, **_options: Any) -> Any:
        return original(self, filter=filter, session=session)

    replace_method(mongomock.database.Database, "list_collection_names", list_collection_names)

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

    replace_method(mongomock.collection.Collection, "create_indexes", create_indexes)
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

    original: Callable[..., Any] = BulkOperationBuilder.add_update

    def add_update(*args: Any, **kwargs: Any) -> Any:
        kwargs.pop("sort", None)  # PyMongo passes sort for update_one in bulk; mongomock does not know it
        return original(*args, **kwargs)

    replace_method(BulkOperationBuilder, "add_update", add_update)
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
    insert_many: Callable[..., Any] = collection_class.insert_many
    ensure_uniques: Callable[..., Any] = collection_class._ensure_uniques

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

    replace_method(collection_class, "_ensure_uniques", checked_once)
    replace_method(collection_class, "insert_many", bulk_insert)


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
    update: Callable[..., Any] = collection_class._update

    def _update(self: Any, spec: Any, document: Any, upsert: bool = False, *args: Any, **kwargs: Any) -> Any:
        if upsert or _touches_unique_keys(self, document):
            return update(self, spec, document, upsert, *args, **kwargs)
        self._cuvee_batch_checked = True  # read by checked_once; the engine is synchronous
        try:
            return update(self, spec, document, upsert, *args, **kwargs)
        finally:
            self._cuvee_batch_checked = False

    replace_method(collection_class, "_update", _update)


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
    iter_documents: Callable[..., Any] = collection_class._iter_documents

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

    replace_method(collection_class, "_iter_documents", by_id)


def memory_client() -> AsyncMongoMockClient:
    _mend_mongomock()
    mend_journaling()
    return AsyncMongoMockClient(mock_mongo_client=MockMongoClient(tz_aware=True))
