"""Snapshots of the in-process MongoDB: the journal compacted into one file (BSON, optionally sealed)."""

from __future__ import annotations

import contextlib
import io
import os
import struct
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import bson
from pymongo_async_mock import AsyncMongoMockClient

from documents.encryption import KEY_ID_SIZE, NO_KEYS, DataKeys

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
