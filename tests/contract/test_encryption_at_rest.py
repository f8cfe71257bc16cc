"""The embedded store's files under CUVEE_DATA_KEY: nothing readable on disk, every acknowledged write kept, an
altered file or a missing key refused in one line with the files left as they were, keys rotated on start."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.backends import BackendUnavailable, probe_backends
from app.settings import Settings
from documents.database import Database, connect
from documents.encryption import DataKeyError, DataKeys, key_id, new_key, parse_key
from documents.journal import journal_files, journal_key_id
from documents.memory_snapshot import snapshot_key_id
from tests.conftest import ON_SERVER

# The embedded store's own files: with CUVEE_MONGODB_URL set the data lives in the server (its own encryption at rest).
pytestmark = pytest.mark.skipif(ON_SERVER, reason="encrypts the embedded store's files; a MongoDB server has its own")

KEY_A, KEY_B = new_key(), new_key()
ID_A, ID_B = key_id(parse_key(KEY_A)), key_id(parse_key(KEY_B))
SECRET = "very-private@example.com"
HEADER = len(b"CUVEE-JOURNAL-E1\n") + 8


def keys(current: str | None, *old: str) -> DataKeys:
    return DataKeys.from_text(current, ",".join(old))


async def open_store(tmp_path: Path, data_keys: DataKeys) -> Database:
    return await connect("memory://", name="shop", snapshot_path=tmp_path / "mongodb.snapshot", keys=data_keys)


def crash(database: Database) -> None:
    """What kill -9 leaves behind: the files as they are, no compaction, the lock gone with the process."""
    assert database._lock is not None
    database._lock.release()


async def ids(database: Database) -> list[Any]:
    return [doc["_id"] for doc in await database.db["notes"].find({}).sort("_id", 1).to_list(None)]


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.glob("mongodb.*"))}


def frames(data: bytes, offset: int) -> list[tuple[int, int]]:
    """(start, size) of each frame's payload from `offset` on."""
    found = []
    while offset + 8 <= len(data):
        (size,) = struct.unpack_from("<I", data, offset)
        found.append((offset + 8, size))
        offset += 8 + size
    return found


def reframe(payload: bytes) -> bytes:
    return struct.pack("<II", len(payload), zlib.crc32(payload)) + payload


async def encrypted_store_with_two_writes(tmp_path: Path) -> Path:
    """A crashed store under key A: a snapshot holding user 1, a journal holding users 2 and 3."""
    database = await open_store(tmp_path, keys(KEY_A))
    await database.db["notes"].insert_one({"_id": 1, "text": SECRET})
    await database.compact()
    await database.db["notes"].insert_one({"_id": 2, "text": SECRET})
    await database.db["notes"].insert_one({"_id": 3, "text": SECRET})
    crash(database)
    ((_, journal),) = journal_files(tmp_path)
    return journal


async def test_an_encrypted_store_keeps_every_acknowledged_write_and_shows_nothing_on_disk(tmp_path: Path) -> None:
    await encrypted_store_with_two_writes(tmp_path)
    on_disk = files_of(tmp_path)
    assert all(SECRET.encode() not in data for data in on_disk.values())
    assert snapshot_key_id(tmp_path / "mongodb.snapshot") == ID_A
    assert [journal_key_id(p) for _, p in journal_files(tmp_path)] == [ID_A]

    reopened = await open_store(tmp_path, keys(KEY_A))
    assert await ids(reopened) == [1, 2, 3]
    assert (await reopened.db["notes"].find_one({"_id": 2}))["text"] == SECRET
    await reopened.close()
    again = await open_store(tmp_path, keys(KEY_A))
    assert await ids(again) == [1, 2, 3]
    await again.close()
    assert all(SECRET.encode() not in data for data in files_of(tmp_path).values())


async def test_a_missing_or_wrong_key_is_refused_in_one_line_and_nothing_is_written(tmp_path: Path) -> None:
    await encrypted_store_with_two_writes(tmp_path)
    before = files_of(tmp_path)
    with pytest.raises(DataKeyError, match=f"data key id {ID_A.hex()}.* CUVEE_DATA_KEY is not set") as missing:
        await open_store(tmp_path, keys(None))
    with pytest.raises(DataKeyError, match=f"data key id {ID_A.hex()}, which is neither CUVEE_DATA_KEY") as wrong:
        await open_store(tmp_path, keys(KEY_B))
    assert "\n" not in str(missing.value) and "\n" not in str(wrong.value)
    assert files_of(tmp_path) == before  # never started empty, never overwrote

    reopened = await open_store(tmp_path, keys(KEY_A))  # the lock was given back; the data is all there
    assert await ids(reopened) == [1, 2, 3]
    await reopened.close()


async def test_the_server_refuses_to_start_with_the_wrong_key_naming_it(tmp_path: Path) -> None:
    await encrypted_store_with_two_writes(tmp_path)
    settings = Settings(data_dir=tmp_path, data_key=KEY_B, redis_url=None, stream_prefix="t")
    with pytest.raises(BackendUnavailable, match=f"encrypted with data key id {ID_A.hex()}"):
        await probe_backends(settings)
    await probe_backends(Settings(data_dir=tmp_path, data_key=KEY_B, data_key_old=KEY_A, stream_prefix="t"))


def test_a_malformed_data_key_stops_the_settings(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="32 random bytes in base64"):
        Settings(data_dir=tmp_path, data_key="too-short")
    with pytest.raises(ValidationError, match="32 random bytes in base64"):
        Settings(data_dir=tmp_path, data_key=KEY_A, data_key_old=f"{KEY_B},not base64!")


async def test_an_altered_journal_record_is_refused_not_dropped(tmp_path: Path) -> None:
    journal = await encrypted_store_with_two_writes(tmp_path)
    data = bytearray(journal.read_bytes())
    start, size = frames(bytes(data), HEADER)[0]
    payload = bytearray(data[start : start + size])
    payload[20] ^= 0x01  # an attacker's edit: the checksum is recomputed, so only the authentication sees it
    journal.write_bytes(bytes(data[: start - 8]) + reframe(bytes(payload)) + bytes(data[start + size :]))
    before = files_of(tmp_path)

    with pytest.raises(DataKeyError, match=r"fails authentication.*altered or damaged"):
        await open_store(tmp_path, keys(KEY_A))
    assert files_of(tmp_path) == before


async def test_a_journal_record_removed_from_the_middle_is_refused(tmp_path: Path) -> None:
    journal = await encrypted_store_with_two_writes(tmp_path)
    data = journal.read_bytes()
    (first_start, first_size), _ = frames(data, HEADER)
    journal.write_bytes(data[:HEADER] + data[first_start + first_size :])  # record 1 now sits at place 0

    with pytest.raises(DataKeyError, match="fails authentication"):
        await open_store(tmp_path, keys(KEY_A))


async def test_a_torn_encrypted_tail_follows_the_torn_tail_rule(tmp_path: Path) -> None:
    journal = await encrypted_store_with_two_writes(tmp_path)
    data = bytearray(journal.read_bytes())
    data[-3] ^= 0xFF  # a half-written last record: its checksum does not match
    journal.write_bytes(bytes(data))

    reopened = await open_store(tmp_path, keys(KEY_A))
    assert await ids(reopened) == [1, 2]
    await reopened.close()


async def test_a_journal_torn_inside_its_header_holds_nothing(tmp_path: Path) -> None:
    journal = await encrypted_store_with_two_writes(tmp_path)
    journal.write_bytes(journal.read_bytes()[:10])  # crashed right after creating the file

    reopened = await open_store(tmp_path, keys(KEY_A))
    assert await ids(reopened) == [1]
    await reopened.close()


async def test_an_altered_snapshot_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    await encrypted_store_with_two_writes(tmp_path)
    snapshot = tmp_path / "mongodb.snapshot"
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0x01
    snapshot.write_bytes(bytes(data))
    before = files_of(tmp_path)

    with pytest.raises(DataKeyError, match=r"the snapshot .* fails authentication"):
        await open_store(tmp_path, keys(KEY_A))
    assert files_of(tmp_path) == before


async def test_rotation_reads_with_the_old_key_and_rewrites_everything_under_the_new_one(tmp_path: Path) -> None:
    await encrypted_store_with_two_writes(tmp_path)

    rotated = await open_store(tmp_path, keys(KEY_B, KEY_A))
    assert await ids(rotated) == [1, 2, 3]
    assert snapshot_key_id(tmp_path / "mongodb.snapshot") == ID_B  # rewritten at start, before any new write
    assert [journal_key_id(p) for _, p in journal_files(tmp_path)] == [ID_B]
    await rotated.db["notes"].insert_one({"_id": 4})
    crash(rotated)

    with pytest.raises(DataKeyError, match=ID_B.hex()):
        await open_store(tmp_path, keys(KEY_A))
    new_only = await open_store(tmp_path, keys(KEY_B))  # the old key is no longer needed
    assert await ids(new_only) == [1, 2, 3, 4]
    await new_only.close()


async def test_plain_files_open_without_a_key_and_are_encrypted_once_a_key_is_set(tmp_path: Path) -> None:
    plain = await open_store(tmp_path, keys(None))
    await plain.db["notes"].insert_one({"_id": 1, "text": SECRET})
    await plain.compact()
    await plain.db["notes"].insert_one({"_id": 2, "text": SECRET})
    crash(plain)
    assert any(SECRET.encode() in data for data in files_of(tmp_path).values())

    still_plain = await open_store(tmp_path, keys(None))
    assert await ids(still_plain) == [1, 2]
    crash(still_plain)

    encrypted = await open_store(tmp_path, keys(KEY_A))
    assert await ids(encrypted) == [1, 2]
    assert all(SECRET.encode() not in data for data in files_of(tmp_path).values())
    assert snapshot_key_id(tmp_path / "mongodb.snapshot") == ID_A
    await encrypted.close()


async def test_a_key_moved_to_the_old_list_alone_decrypts_the_store(tmp_path: Path) -> None:
    await encrypted_store_with_two_writes(tmp_path)
    decrypted = await open_store(tmp_path, keys(None, KEY_A))
    assert await ids(decrypted) == [1, 2, 3]
    await decrypted.close()
    assert snapshot_key_id(tmp_path / "mongodb.snapshot") is None
    reopened = await open_store(tmp_path, keys(None))
    assert await ids(reopened) == [1, 2, 3]
    await reopened.close()


def test_cuvee_data_key_new_and_rewrite_encrypt_a_plain_store(tmp_path: Path) -> None:
    import asyncio

    from click.testing import CliRunner

    from app.cli import cli
    from tests.conftest import REDIS_URL

    made = CliRunner().invoke(cli, ["data-key", "new"])
    assert made.exit_code == 0, made.output
    key = made.stdout.strip()
    assert len(parse_key(key)) == 32

    async def plain_store() -> None:
        plain = await open_store(tmp_path, keys(None))
        await plain.db["notes"].insert_one({"_id": 1, "text": SECRET})
        await plain.close()

    asyncio.run(plain_store())
    env = {"CUVEE_DATA_DIR": str(tmp_path), "CUVEE_DATA_KEY": key, "CUVEE_REDIS_URL": REDIS_URL}
    rewritten = CliRunner().invoke(cli, ["data-key", "rewrite"], env=env)
    assert rewritten.exit_code == 0, rewritten.output
    assert f"data key id {key_id(parse_key(key)).hex()}" in rewritten.output
    assert snapshot_key_id(tmp_path / "mongodb.snapshot") == key_id(parse_key(key))
    assert all(SECRET.encode() not in data for data in files_of(tmp_path).values())
