"""The in-process MongoDB keeps what it acknowledged: the journal replays every kind of write over the snapshot,
drops a torn tail, and one process owns a data directory. A crash is simulated by dropping the process's lock
without the shutdown compaction, so the next open sees only the files on disk."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from pymongo import DeleteOne, InsertOne, ReturnDocument, UpdateOne

from app.settings import Settings
from documents.database import Database, DataDirLocked, connect
from documents.journal import journal_files


def crash(database: Database) -> None:
    """What kill -9 leaves behind: the files as they are, no compaction, the lock gone with the process."""
    assert database._lock is not None
    database._lock.release()


async def contents(database: Database, name: str = "things") -> list[dict[str, Any]]:
    return await database.db[name].find({}).sort("_id", 1).to_list(None)


async def test_every_kind_of_acknowledged_write_survives_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "mongodb.snapshot"
    database = await connect("memory://", name="shop", snapshot_path=path)
    things = database.db["things"]
    await things.insert_one({"_id": 1, "n": 1, "tags": ["a"]})
    await things.insert_many([{"_id": i, "n": i} for i in range(2, 8)])
    await things.update_one({"_id": 1}, {"$set": {"n": 10}, "$push": {"tags": "b"}})
    await things.update_many({"n": {"$lt": 5}}, {"$inc": {"n": 100}})
    await things.replace_one({"_id": 5}, {"_id": 5, "replaced": True})
    await things.update_one({"_id": 42}, {"$set": {"upserted": True}}, upsert=True)
    await things.delete_one({"_id": 6})
    await things.find_one_and_update({"_id": 7}, {"$set": {"seen": 1}}, return_document=ReturnDocument.AFTER)
    await things.find_one_and_delete({"_id": 3})
    await things.bulk_write(
        [InsertOne({"_id": 8}), UpdateOne({"_id": 8}, {"$set": {"bulk": 1}}), DeleteOne({"_id": 4})]
    )
    await database.db["gone"].insert_one({"_id": "x"})
    await database.db["gone"].drop()
    before = await contents(database)
    crash(database)

    reopened = await connect("memory://", name="shop", snapshot_path=path)
    assert await contents(reopened) == before
    assert [doc["_id"] for doc in before] == [1, 2, 5, 7, 8, 42]
    assert await reopened.db["gone"].count_documents({}) == 0
    await reopened.close()


async def test_a_crash_after_a_compaction_keeps_the_writes_on_both_sides_of_it(tmp_path: Path) -> None:
    path = tmp_path / "mongodb.snapshot"
    database = await connect("memory://", name="shop", snapshot_path=path)
    await database.db["things"].insert_one({"_id": "before"})
    await database.compact()
    await database.db["things"].insert_one({"_id": "after"})
    await database.db["things"].delete_one({"_id": "before"})
    crash(database)

    reopened = await connect("memory://", name="shop", snapshot_path=path)
    assert [doc["_id"] for doc in await contents(reopened)] == ["after"]
    await reopened.close()
    assert len(journal_files(tmp_path)) == 1  # the shutdown compaction folded the older journals away


async def test_a_torn_last_record_is_dropped_whole_and_the_rest_replayed(tmp_path: Path) -> None:
    path = tmp_path / "mongodb.snapshot"
    database = await connect("memory://", name="shop", snapshot_path=path)
    await database.db["things"].insert_one({"_id": 1})
    await database.db["things"].insert_one({"_id": 2, "big": "x" * 1000})
    crash(database)
    ((_, journal),) = journal_files(tmp_path)
    data = journal.read_bytes()
    journal.write_bytes(data[:-500])  # the second record was being written when the power went

    reopened = await connect("memory://", name="shop", snapshot_path=path)
    assert [doc["_id"] for doc in await contents(reopened)] == [1]
    await reopened.db["things"].insert_one({"_id": 3})
    crash(reopened)
    again = await connect("memory://", name="shop", snapshot_path=path)
    assert [doc["_id"] for doc in await contents(again)] == [1, 3]
    await again.close()


async def test_a_corrupt_record_is_not_applied(tmp_path: Path) -> None:
    path = tmp_path / "mongodb.snapshot"
    database = await connect("memory://", name="shop", snapshot_path=path)
    await database.db["things"].insert_one({"_id": 1, "v": "good"})
    crash(database)
    ((_, journal),) = journal_files(tmp_path)
    data = bytearray(journal.read_bytes())
    data[-3] ^= 0xFF  # a flipped bit in the payload: the checksum no longer matches
    journal.write_bytes(bytes(data))

    reopened = await connect("memory://", name="shop", snapshot_path=path)
    assert await contents(reopened) == []
    await reopened.close()


async def test_a_second_process_cannot_open_a_data_directory_in_use(tmp_path: Path) -> None:
    path = tmp_path / "mongodb.snapshot"
    database = await connect("memory://", name="shop", snapshot_path=path)
    with pytest.raises(DataDirLocked, match=f"in use by pid {os.getpid()} "):
        await connect("memory://", name="shop", snapshot_path=path)
    await database.close()
    reopened = await connect("memory://", name="shop", snapshot_path=path)  # free again once closed
    await reopened.close()


async def test_the_store_files_are_private_to_their_owner(tmp_path: Path) -> None:
    path = tmp_path / "mongodb.snapshot"
    database = await connect("memory://", name="shop", snapshot_path=path)
    await database.db["users"].insert_one({"_id": 1, "email": "a@example.com", "password_hash": "h"})
    await database.compact()
    await database.db["users"].insert_one({"_id": 2})
    files = [path, *(p for _, p in journal_files(tmp_path))]
    await database.close()
    secret = Settings(data_dir=tmp_path, secret_key=None).resolved_secret()
    assert secret
    for file in [*files, path, tmp_path / "secret_key"]:
        if file.exists():
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file


def test_two_data_directories_never_share_a_stream_prefix(tmp_path: Path) -> None:
    def embedded(name: str) -> Settings:
        return Settings(mongodb_url="memory://", data_dir=tmp_path / name, stream_prefix="")

    assert embedded("one").stream_prefix != embedded("two").stream_prefix
    assert embedded("one").stream_prefix == embedded("one").stream_prefix
    assert Settings(mongodb_url="mongodb://db.example/shop", mongodb_db=None, stream_prefix="").stream_prefix == "shop"
    assert Settings(data_dir=tmp_path, stream_prefix="mine").stream_prefix == "mine"
