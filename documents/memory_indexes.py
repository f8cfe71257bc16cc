"""Secondary indexes for the in-process MongoDB: equality lookups that stay flat as collections grow.

mongomock keeps index definitions but scans every document for every query (357 ms for one user's
history among 100k interactions). For the first field of every index declared on a collection we keep
a map value -> document ids, in step with every write: the store's own `__setitem__`/`__delitem__`/`drop`
(insert, replace, rollback, delete, TTL expiry, snapshot load) and, because mongomock's `_update` mutates
stored documents in place, a re-index of every document an update looked at. A filter that pins an
indexed field by equality or `$in` (also inside `$and`, or in every branch of an `$or`) reads only the
candidates, in the store's natural order, then applies the full filter as before: results are the ones
mongomock's scan gives. The maps hold every document (partial or sparse options only narrow what MongoDB
stores), so they serve any query on the field. Arrays are indexed per element, as MongoDB does.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

import mongomock.aggregate
import mongomock.collection
import mongomock.store
from mongomock import filtering, helpers
from sentinels import NOTHING

from documents.mending import replace_method

_OTHER = object()  # the bucket of documents whose value the maps cannot key (sub-documents, exotic types)
_KEYABLE = (str, int, float, type(None), datetime, bytes)


def _keyable(value: Any) -> bool:
    return isinstance(value, _KEYABLE) and not (isinstance(value, float) and math.isnan(value))


def _canonical(value: Any) -> Any:
    """Subclasses (str enums, Beanie's expression fields) keyed as their plain value, whatever their hash."""
    if type(value) in (str, int, float, bool) or not isinstance(value, str | int | float) or isinstance(value, bool):
        return value
    return str.__str__(value) if isinstance(value, str) else int(value) if isinstance(value, int) else float(value)


def _keys_of(path: str, doc: dict[str, Any]) -> frozenset[Any]:
    """Every key under which `doc` must be found for an equality on `path` (mongomock's own traversal)."""
    keys: set[Any] = set()
    for value in filtering.iter_key_candidates(path, doc):
        for item in value if isinstance(value, list | tuple) else (value,):
            if item is NOTHING:
                keys.add(None)  # {path: None} matches a missing field
            elif _keyable(item):
                keys.add(_canonical(item))
            else:
                keys.add(_OTHER)
    return frozenset(keys)


class _Field:
    """value -> ids for one path, and id -> values so a document can be taken out exactly."""

    __slots__ = ("buckets", "keys")

    def __init__(self) -> None:
        self.buckets: dict[Any, set[Any]] = {}
        self.keys: dict[Any, frozenset[Any]] = {}

    def put(self, doc_id: Any, keys: frozenset[Any]) -> None:
        old = self.keys.get(doc_id)
        if old == keys:
            return
        if old is not None:
            self.take(doc_id)
        self.keys[doc_id] = keys
        for key in keys:
            self.buckets.setdefault(key, set()).add(doc_id)

    def take(self, doc_id: Any) -> None:
        for key in self.keys.pop(doc_id, ()):
            bucket = self.buckets[key]
            bucket.discard(doc_id)
            if not bucket:
                del self.buckets[key]

    def lookup(self, values: list[Any]) -> list[set[Any]]:
        """The buckets to read (not copied: a query on a common value must not cost a copy of it)."""
        keys = dict.fromkeys([_OTHER, *values])
        return [bucket for key in keys if (bucket := self.buckets.get(key))]


class StoreIndexes:
    """The maps of one collection store, plus each document's place in the store's natural order."""

    def __init__(self) -> None:
        self.fields: dict[str, _Field] = {}
        self.seq: dict[Any, int] = {}
        self.counter = 0

    def added(self, doc_id: Any, doc: dict[str, Any], is_new: bool) -> None:
        if is_new:
            self.counter += 1
            self.seq[doc_id] = self.counter
        for path, field in self.fields.items():
            field.put(doc_id, _keys_of(path, doc))

    def removed(self, doc_id: Any) -> None:
        self.seq.pop(doc_id, None)
        for field in self.fields.values():
            field.take(doc_id)

    def reconcile(self, store: Any) -> None:
        """Maintain exactly the first fields of the store's declared indexes (built on first need)."""
        wanted = {spec["key"][0][0] for spec in store.indexes.values() if spec.get("key")} - {"_id"}
        for path in set(self.fields) - wanted:
            del self.fields[path]
        for path in wanted - set(self.fields):
            field = self.fields[path] = _Field()
            for doc_id, doc in store._documents.items():
                field.put(doc_id, _keys_of(path, doc))

    def candidates(self, filter: Any) -> set[Any] | None:
        """Ids of a superset of the documents `filter` matches, or None when no map narrows it."""
        plan = self.plan(filter)
        if plan is None:
            return None
        return set(plan[0]) if len(plan) == 1 else set().union(*plan)

    def plan(self, filter: Any) -> list[set[Any]] | None:
        """The smallest union of buckets that holds every match (None: no map narrows the filter)."""
        if not isinstance(filter, dict):
            return None
        best: list[set[Any]] | None = None
        for key, spec in filter.items():
            found: list[set[Any]] | None = None
            if key == "$and" and isinstance(spec, list) and spec:
                for part in spec:
                    sub = self.plan(part)
                    if sub is not None and (found is None or _size(sub) < _size(found)):
                        found = sub
            elif key == "$or" and isinstance(spec, list) and spec:
                branches = [branch for part in spec if (branch := self.plan(part)) is not None]
                if len(branches) == len(spec):
                    found = [bucket for branch in branches for bucket in branch]
            elif key in self.fields and (values := _equality_values(spec)) is not None:
                found = self.fields[key].lookup(values)
            if found is not None and (best is None or _size(found) < _size(best)):
                best = found
        return best


def _size(plan: list[set[Any]]) -> int:
    return sum(len(bucket) for bucket in plan)


def _equality_values(spec: Any) -> list[Any] | None:
    """The values a clause pins its field to (`v`, `{"$eq": v}`, `{"$in": [...]}`), None otherwise."""
    if isinstance(spec, dict):
        if len(spec) != 1:
            return None
        ((op, arg),) = spec.items()
        if op == "$eq":
            spec = arg
        elif op == "$in" and isinstance(arg, list | tuple) and all(_keyable(v) for v in arg):
            return [_canonical(v) for v in arg]
        else:
            return None
    return [_canonical(spec)] if _keyable(spec) else None


def _indexes(store: Any) -> StoreIndexes:
    indexes: StoreIndexes | None = store.__dict__.get("_cuvee_indexes")
    if indexes is None:
        indexes = store._cuvee_indexes = StoreIndexes()
        for doc_id, doc in store._documents.items():
            indexes.added(doc_id, doc, True)
    return indexes


def _mend_store() -> None:
    store_class = mongomock.store.CollectionStore
    setitem: Callable[..., Any] = store_class.__setitem__
    delitem: Callable[..., Any] = store_class.__delitem__
    drop: Callable[..., Any] = store_class.drop

    def __setitem__(self: Any, key: Any, val: Any) -> None:
        is_new = key not in self._documents
        setitem(self, key, val)
        _indexes(self).added(key, val, is_new)

    def __delitem__(self: Any, key: Any) -> None:
        delitem(self, key)
        _indexes(self).removed(key)

    def _drop(self: Any) -> None:
        drop(self)
        self._cuvee_indexes = StoreIndexes()

    replace_method(store_class, "__setitem__", __setitem__)
    replace_method(store_class, "__delitem__", __delitem__)
    replace_method(store_class, "drop", _drop)


def _mend_queries() -> None:
    collection_class = mongomock.collection.Collection
    iter_documents: Callable[..., Any] = collection_class._iter_documents
    update: Callable[..., Any] = collection_class._update
    aggregate: Callable[..., Any] = collection_class.aggregate

    def _iter_documents(self: Any, filter: Any) -> Any:
        store = self._store
        touched = store.__dict__.get("_cuvee_touched")
        if touched:  # an update is under way: its unique re-check must see the documents it changed
            _reindex(store, touched)
            touched.clear()
        found = _indexed(self, filter)
        docs = iter_documents(self, filter) if found is None else found
        return docs if touched is None else _recording(docs, touched)

    def _update(self: Any, *args: Any, **kwargs: Any) -> Any:
        store = self._store
        outer = store.__dict__.get("_cuvee_touched")
        touched: list[Any] = [] if outer is None else outer
        store._cuvee_touched = touched
        try:
            return update(self, *args, **kwargs)
        finally:
            if outer is None:
                store._cuvee_touched = None
                _reindex(store, touched)

    def _aggregate(self: Any, pipeline: Any, *args: Any, **kwargs: Any) -> Any:
        # mongomock copies the whole collection before the first stage: copy only what a leading $match finds
        if (
            pipeline
            and isinstance(pipeline[0], dict)
            and list(pipeline[0]) == ["$match"]
            and not kwargs.get("session")
            and _narrows(self._store, pipeline[0]["$match"])
        ):
            in_collection = list(self.find(pipeline[0]["$match"]))
            return mongomock.aggregate.process_pipeline(in_collection, self.database, pipeline, None)
        return aggregate(self, pipeline, *args, **kwargs)

    replace_method(collection_class, "_iter_documents", _iter_documents)
    replace_method(collection_class, "_update", _update)
    replace_method(collection_class, "aggregate", _aggregate)


def _narrows(store: Any, filter: Any) -> bool:
    indexes = _indexes(store)
    indexes.reconcile(store)
    return indexes.plan(filter) is not None


def _indexed(collection: Any, filter: Any) -> Any:
    """The documents `filter` matches, read through the maps; None when they cannot narrow it."""
    store = collection._store
    if store._ttl_indexes or not store._documents or not isinstance(filter, dict) or "_id" in filter:
        return None  # TTL expiry and filter validation stay mongomock's; `_id` has its own fast path
    indexes = _indexes(store)
    indexes.reconcile(store)
    plan = indexes.plan(filter)
    if plan is None:
        return None
    ids = plan[0] if len(plan) == 1 else set().union(*plan)
    if not ids:
        filtering.filter_applies(filter, {})  # a malformed filter raises as on a scan
        return iter(())
    seq, documents = indexes.seq, store._documents
    ordered = sorted(ids, key=seq.__getitem__)
    return (doc for doc in [documents[i] for i in ordered] if filtering.filter_applies(filter, doc))


def _recording(docs: Any, touched: list[Any]) -> Any:
    for doc in docs:
        touched.append(doc)
        yield doc


def _reindex(store: Any, touched: list[Any]) -> None:
    """Re-key the documents an update may have changed in place (even when it raised half-way)."""
    indexes = _indexes(store)
    for doc in touched:
        doc_id = doc.get("_id") if isinstance(doc, dict) else None
        key = helpers.hashdict(doc_id) if isinstance(doc_id, dict) else doc_id
        current = store._documents.get(key) if key is not None else None
        if current is not None:
            indexes.added(key, current, False)


_INSTALLED = False


def install() -> None:
    """Hook the maps into mongomock; idempotent. Call after the other menders (it wraps their lookups)."""
    global _INSTALLED
    if not _INSTALLED:
        _mend_store()
        _mend_queries()
        _INSTALLED = True
