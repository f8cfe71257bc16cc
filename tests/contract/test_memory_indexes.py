"""The in-process engine's secondary indexes answer exactly what mongomock's scan answers, after any writes.

Oracle: the same writes applied to a twin collection with no declared index, which mongomock scans.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import mongomock
import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo import DeleteMany, DeleteOne, InsertOne, ReplaceOne, ReturnDocument, UpdateMany, UpdateOne

from documents.memory import _mend_mongomock, memory_client
from documents.memory_indexes import _indexes
from documents.memory_snapshot import load_snapshot, save_snapshot

INDEXES = [[("user_id", 1), ("at", -1)], [("type", 1)], [("tags", 1)], [("items.wine_id", 1)], [("n", 1)]]
T0 = datetime(2026, 1, 1)

users = st.sampled_from(["u1", "u2", "u3", None])
scalars = st.one_of(users, st.sampled_from(["view", "search", 1, 1.0, 2, True, 0]))
fields = st.fixed_dictionaries(
    {},
    optional={
        "user_id": users,
        "type": st.sampled_from(["view", "search", "cart"]),
        "tags": st.lists(st.sampled_from(["a", "b", "c", 1]), max_size=3),
        "items": st.lists(
            st.fixed_dictionaries({}, optional={"wine_id": st.sampled_from(["w1", "w2", None])}), max_size=3
        ),
        "n": st.one_of(st.integers(0, 3), st.sampled_from([1.0, 2.5, "1"])),
        "at": st.integers(0, 5).map(lambda m: T0 + timedelta(minutes=m)),
    },
)
paths = st.sampled_from(["user_id", "type", "tags", "items.wine_id", "n"])
clauses = st.one_of(
    st.builds(lambda p, v: {p: v}, paths, scalars),
    st.builds(lambda p, v: {p: {"$in": v}}, paths, st.lists(scalars, max_size=3)),
    st.builds(lambda p, v: {p: {"$eq": v}}, paths, scalars),
    st.builds(lambda m: {"at": {"$gte": T0 + timedelta(minutes=m)}}, st.integers(0, 5)),
    st.builds(lambda p: {p: {"$exists": False}}, paths),
)
filters = st.one_of(
    clauses,
    st.builds(lambda a, b: {**b, **a}, clauses, clauses),
    st.builds(lambda a, b: {"$or": [a, b]}, clauses, clauses),
    st.builds(lambda a, b: {"$and": [a, b]}, clauses, clauses),
)
updates = st.one_of(
    st.builds(lambda d: {"$set": d}, fields.filter(bool)),
    st.builds(lambda p: {"$unset": {p: ""}}, paths),
    st.builds(lambda v: {"$push": {"tags": v}}, st.sampled_from(["a", "d"])),
    st.builds(lambda v: {"$pull": {"tags": v}}, st.sampled_from(["a", "b"])),
    st.builds(lambda v: {"$push": {"items": {"wine_id": v}}}, st.sampled_from(["w1", "w3"])),
    st.just({"$inc": {"n": 1}}),
)
ids = st.sampled_from([f"d{i}" for i in range(8)])
writes = st.one_of(
    st.tuples(st.just("insert_one"), ids, fields),
    st.tuples(st.just("insert_many"), st.lists(st.tuples(ids, fields), min_size=1, max_size=4)),
    st.tuples(st.just("update_one"), filters, updates, st.booleans()),
    st.tuples(st.just("update_many"), filters, updates),
    st.tuples(st.just("replace_one"), filters, fields, st.booleans()),
    st.tuples(st.just("delete_one"), filters),
    st.tuples(st.just("delete_many"), filters),
    st.tuples(st.just("find_one_and_update"), filters, updates),
    st.tuples(st.just("find_one_and_replace"), filters, fields),
    st.tuples(st.just("find_one_and_delete"), filters),
    st.tuples(st.just("bulk"), filters, updates, ids, fields),
    st.tuples(st.just("drop")),
)
sorts = st.sampled_from([None, [("at", -1), ("_id", -1)], [("at", 1)], [("n", 1)], [("type", -1)]])


def apply(collection: Any, write: tuple[Any, ...]) -> Any:
    kind, *args = write
    if kind == "insert_one":
        return collection.insert_one({"_id": args[0], **args[1]}).inserted_id
    if kind == "insert_many":
        return collection.insert_many([{"_id": i, **f} for i, f in args[0]], ordered=False).inserted_ids
    if kind == "update_one":
        return collection.update_one(args[0], args[1], upsert=args[2]).raw_result
    if kind == "update_many":
        return collection.update_many(args[0], args[1]).raw_result
    if kind == "replace_one":
        return collection.replace_one(args[0], args[1], upsert=args[2]).raw_result
    if kind in ("delete_one", "delete_many"):
        return getattr(collection, kind)(args[0]).deleted_count
    if kind == "find_one_and_update":
        return collection.find_one_and_update(args[0], args[1], return_document=ReturnDocument.AFTER)
    if kind == "find_one_and_replace":
        return collection.find_one_and_replace(args[0], args[1])
    if kind == "find_one_and_delete":
        return collection.find_one_and_delete(args[0])
    if kind == "bulk":
        flt, update, doc_id, doc = args
        return collection.bulk_write(
            [
                UpdateMany(flt, update),
                InsertOne({"_id": doc_id, **doc}),
                UpdateOne({"user_id": "u1"}, update),
                ReplaceOne(flt, doc),
                DeleteOne({"type": "cart"}),
                DeleteMany({"tags": "c"}),
            ],
            ordered=False,
        ).bulk_api_result
    collection.drop()
    for keys in INDEXES:
        collection.create_index(keys)
    return None


def outcome(collection: Any, write: tuple[Any, ...], step: int) -> Any:
    """The write's result or error; upserted ids are drawn from the step number, the same on both twins."""
    made = iter(range(step * 100, step * 100 + 100))
    mongomock.collection.ObjectId = lambda: ObjectId(f"{next(made):024x}")
    try:
        return apply(collection, write)
    except Exception as error:
        return type(error).__name__


@pytest.fixture(autouse=True)
def _restore_object_ids() -> Any:
    made = mongomock.collection.ObjectId
    yield
    mongomock.collection.ObjectId = made


def twins() -> tuple[Any, Any]:
    _mend_mongomock()
    database = mongomock.MongoClient(tz_aware=True)["twins"]
    indexed, scanned = database["indexed"], database["scanned"]
    for keys in INDEXES:
        indexed.create_index(keys)
    return indexed, scanned


def assert_same_answers(indexed: Any, scanned: Any, queries: list[tuple[dict[str, Any], Any, int]]) -> None:
    for flt, sort, limit in queries:
        assert list(indexed.find(flt, sort=sort, limit=limit)) == list(scanned.find(flt, sort=sort, limit=limit))
        assert indexed.count_documents(flt) == scanned.count_documents(flt)
        pipeline = [{"$match": flt}, {"$group": {"_id": "$type", "n": {"$sum": 1}, "last": {"$last": "$_id"}}}]
        assert sorted(indexed.aggregate(pipeline), key=repr) == sorted(scanned.aggregate(pipeline), key=repr)
    assert list(indexed.find()) == list(scanned.find())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(writes, st.lists(st.tuples(filters, sorts, st.integers(0, 3)), max_size=3)), min_size=1, max_size=12
    )
)
def test_indexed_finds_equal_the_scan_after_any_writes(steps: list[Any]) -> None:
    indexed, scanned = twins()
    for step, (write, queries) in enumerate(steps):
        assert outcome(indexed, write, step) == outcome(scanned, write, step)
        assert_same_answers(indexed, scanned, queries)


def test_the_maps_narrow_a_query_to_its_candidates() -> None:
    """Proof the index is used at all: the candidates of one user's query are that user's documents only."""
    indexed, _ = twins()
    indexed.insert_many([{"_id": i, "user_id": f"u{i % 50}", "tags": ["x", f"t{i}"]} for i in range(500)])
    maps = _indexes(indexed._store)
    maps.reconcile(indexed._store)
    assert len(maps.candidates({"user_id": "u7"})) == 10
    assert maps.candidates({"tags": "t3"}) == {3}  # each array element is a key
    assert maps.candidates({"$or": [{"user_id": "u1"}, {"tags": "t2"}]}) == {*range(1, 500, 50), 2}
    assert maps.candidates({"at": {"$gte": 1}}) is None  # a range pins nothing: mongomock scans


class _OddStr(str):
    """A str subclass hashing unlike its value (as an enum or a Beanie field may)."""

    __slots__ = ()

    def __hash__(self) -> int:
        return 7


def test_string_subclasses_are_found_by_their_value() -> None:
    indexed, scanned = twins()
    for collection in (indexed, scanned):
        collection.insert_many([{"_id": 1, "user_id": _OddStr("u1")}, {"_id": 2, "user_id": "u2"}])
    for flt in ({"user_id": "u1"}, {"user_id": _OddStr("u2")}, {"user_id": {"$in": [_OddStr("u1"), "u2"]}}):
        assert list(indexed.find(flt)) == list(scanned.find(flt)) != []


def test_every_write_path_keeps_the_maps_in_step() -> None:
    indexed, _ = twins()
    maps = _indexes(indexed._store)
    indexed.insert_one({"_id": "a", "user_id": "u1", "tags": ["x"]})
    indexed.find_one({"user_id": "u1"})  # builds the maps
    indexed.update_one({"_id": "a"}, {"$set": {"user_id": "u2"}, "$push": {"tags": "y"}})  # in place
    assert maps.candidates({"user_id": "u1"}) == set()
    assert maps.candidates({"user_id": "u2"}) == maps.candidates({"tags": "y"}) == {"a"}
    indexed.replace_one({"user_id": "u2"}, {"user_id": "u3"})
    assert maps.candidates({"user_id": "u3"}) == {"a"}
    assert maps.candidates({"tags": "x"}) == set()
    indexed.find_one_and_update({"user_id": "u3"}, {"$unset": {"user_id": ""}})
    assert maps.candidates({"user_id": None}) == {"a"}  # a missing field is found by null
    indexed.bulk_write([UpdateOne({"_id": "a"}, {"$set": {"user_id": "u4"}}), InsertOne({"_id": "b", "user_id": "u4"})])
    assert maps.candidates({"user_id": "u4"}) == {"a", "b"}
    indexed.find_one_and_delete({"_id": "b"})
    indexed.delete_many({"user_id": "u4"})
    assert maps.candidates({"user_id": "u4"}) == set()
    indexed.insert_one({"_id": "c", "user_id": "u5"})
    indexed.drop()
    assert indexed.find_one({"user_id": "u5"}) is None
    assert _indexes(indexed._store).seq == {}


async def test_an_update_that_fails_half_way_leaves_the_maps_right() -> None:
    """mongomock may change a document before an operator fails on it; the maps follow what is stored."""
    collection = memory_client()["half"]["docs"]
    await collection.create_index([("user_id", 1)])
    await collection.insert_one({"_id": "a", "user_id": "u1", "n": "text"})
    with pytest.raises(Exception):  # noqa: B017, PT011 - mongomock's own error for $inc on a string
        await collection.update_one({"_id": "a"}, {"$set": {"user_id": "u2"}, "$inc": {"n": 1}})
    stored = await collection.find_one({"_id": "a"})
    assert await collection.find_one({"user_id": stored["user_id"]}) == stored


async def test_a_loaded_snapshot_is_indexed(tmp_path: Path) -> None:
    source = memory_client()
    await source["shop"]["interactions"].insert_many([{"_id": str(i), "user_id": f"u{i % 3}"} for i in range(9)])
    save_snapshot(source, "shop", tmp_path / "snap")
    target = memory_client()
    await target["shop"]["interactions"].create_index([("user_id", 1)])
    load_snapshot(target, "shop", tmp_path / "snap")
    found = await target["shop"]["interactions"].find({"user_id": "u1"}).to_list()
    assert [d["_id"] for d in found] == ["1", "4", "7"]
