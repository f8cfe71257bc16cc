"""The in-process MongoDB's write-ahead journal: every write is on disk before its await returns.

Each write operation appends one record — the post-images of the documents it changed and the ids it
deleted, never the command, so replay depends on no clock and no generated id and is idempotent — and its
caller awaits one shared fsync (group commit: every writer that appended while a flush ran waits for the
next one). At start the journal files newer than the snapshot are replayed over it; a torn last record
(short, or a checksum that does not match) was never acknowledged and is dropped whole.

Files: `mongodb.journal.<generation>`; a snapshot of generation G holds everything written to journals
below G, so compaction switches writers to journal G, writes the snapshot, then deletes the older files.

Encrypted (a data key is set): the file starts with a header naming the key id, and each frame's payload is
the record sealed with AES-GCM, its generation and position in the file authenticated with it — so a record
that was altered, moved or dropped from the middle is refused, while the torn-tail rule stays the checksum's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bson

from documents.encryption import KEY_ID_SIZE, NO_KEYS, DataKeys

log = logging.getLogger(__name__)

_FRAME = struct.Struct("<II")  # payload length, crc32 of the payload
_PREFIX = "mongodb.journal."
_CODEC: bson.CodecOptions[dict[str, Any]] = bson.CodecOptions(tz_aware=True)
_SEALED = b"CUVEE-JOURNAL-E1\n"
_HEADER_SIZE = len(_SEALED) + KEY_ID_SIZE
_POSITION = struct.Struct("<QQ")  # generation, record number in the file: authenticated with each record


def journal_files(directory: Path) -> list[tuple[int, Path]]:
    """The journal files in `directory`, oldest generation first."""
    found = []
    for path in directory.glob(_PREFIX + "*"):
        suffix = path.name[len(_PREFIX) :]
        if suffix.isdigit():
            found.append((int(suffix), path))
    return sorted(found)


def journal_key_id(path: Path) -> bytes | None:
    """The data key id a journal file is sealed with (None: written in the clear)."""
    with path.open("rb") as src:
        head = src.read(_HEADER_SIZE)
    return head[len(_SEALED) :] if len(head) == _HEADER_SIZE and head.startswith(_SEALED) else None


def read_records(path: Path, keys: DataKeys = NO_KEYS) -> Iterator[dict[str, Any]]:
    """The whole records of one journal file; stops at the first torn one (short, or a checksum that does not
    match). Raises DataKeyError when the file's key is not in `keys` or a whole record fails authentication."""
    data = path.read_bytes()
    offset, kid, header = 0, None, b""
    if data.startswith(_SEALED) or (0 < len(data) < len(_SEALED) and _SEALED.startswith(data)):
        if len(data) < _HEADER_SIZE:  # created, header not yet on disk: nothing in it was acknowledged
            log.warning("journal %s: dropped a torn header (never acknowledged)", path.name)
            return
        header, kid = data[:_HEADER_SIZE], data[len(_SEALED) : _HEADER_SIZE]
        keys.require(kid, f"journal {path}")
        offset = _HEADER_SIZE
    generation, number = int(path.name[len(_PREFIX) :]), 0
    while offset + _FRAME.size <= len(data):
        size, crc = _FRAME.unpack_from(data, offset)
        start = offset + _FRAME.size
        payload = data[start : start + size]
        if len(payload) != size or zlib.crc32(payload) != crc:
            log.warning("journal %s: dropped a torn record at byte %d (never acknowledged)", path.name, offset)
            return
        if kid is not None:
            aad = header + _POSITION.pack(generation, number)
            payload = keys.open(kid, payload, aad, f"journal {path} (record at byte {offset})")
        yield bson.decode(payload, codec_options=_CODEC)
        offset, number = start + size, number + 1
    if offset != len(data):
        log.warning("journal %s: dropped a torn record at byte %d (never acknowledged)", path.name, offset)


def encode_record(collection: str, puts: list[dict[str, Any]], deletes: list[Any], dropped: bool) -> bytes:
    """One record's payload (BSON); the journal frames (and seals) it when it writes it."""
    return bson.encode({"c": collection, "p": puts, "d": deletes, "x": dropped}, codec_options=_CODEC)


def _frame(payload: bytes) -> bytes:
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_private(path: Path) -> int:
    """Open `path` for appending, created 0600 (the store holds emails and password hashes)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.fchmod(fd, 0o600)
    return fd


@dataclass
class _Batch:
    """Records taken from the queue for one write: the file they go to and the first one's place in it."""

    fd: int
    generation: int
    header: bytes  # the file's header: empty when it is written in the clear
    first: int
    records: list[bytes]
    upto: int  # the number of the last record in the batch

    def write(self, keys: DataKeys) -> None:
        if not self.header:
            frames = [_frame(record) for record in self.records]
        else:
            frames = [
                _frame(keys.seal(record, self.header + _POSITION.pack(self.generation, self.first + i)))
                for i, record in enumerate(self.records)
            ]
        _write_and_sync(self.fd, b"".join(frames))


class Journal:
    """Appends records to the current journal file and makes them durable with group commit."""

    def __init__(self, directory: Path, generation: int, keys: DataKeys = NO_KEYS) -> None:
        self.directory = directory
        self.generation = generation
        self._keys = keys
        self._fd, self._header = self._create(generation)
        self._numbered = 0  # records given a place in the current file
        self._buffer: list[bytes] = []
        self._appended = 0  # records appended so far
        self._durable = 0  # records known to be on disk
        self._flush: asyncio.Task[None] | None = None
        self.flushes = 0  # fsyncs done: appended / flushes is the group-commit factor

    def _path(self, generation: int) -> Path:
        return self.directory / f"{_PREFIX}{generation}"

    def _create(self, generation: int) -> tuple[int, bytes]:
        fd = create_private(self._path(generation))
        header = b""
        if self._keys.current_id is not None:
            header = _SEALED + self._keys.current_id
            _write_and_sync(fd, header)
        _fsync_dir(self.directory)
        return fd, header

    def append(self, record: bytes) -> int:
        """Queue one record (called synchronously, right after the write it describes); returns its number."""
        self._buffer.append(record)
        self._appended += 1
        return self._appended

    async def commit(self, upto: int) -> None:
        """Return once record `upto` and every record before it are on disk."""
        while self._durable < upto:
            if self._flush is None or self._flush.done():
                self._flush = asyncio.get_running_loop().create_task(self._flush_all())
            await asyncio.shield(self._flush)

    def _take(self) -> _Batch:
        """What is queued, with the file it goes to and its first record's place there (taken in one step,
        so a rotation in between sends it whole to one file)."""
        batch = _Batch(self._fd, self.generation, self._header, self._numbered, self._buffer, self._appended)
        self._buffer = []
        self._numbered += len(batch.records)
        return batch

    async def _flush_all(self) -> None:
        while self._buffer:
            batch = self._take()
            await asyncio.to_thread(batch.write, self._keys)
            self.flushes += 1
            self._durable = max(self._durable, batch.upto)

    def flush_sync(self) -> None:
        """Write and fsync what is queued, from synchronous code (shutdown, compaction)."""
        if self._buffer:
            batch = self._take()
            batch.write(self._keys)
            self.flushes += 1
            self._durable = max(self._durable, batch.upto)

    def rotate(self) -> int:
        """Send the next records to a new file (generation + 1); returns the new generation.

        What is still queued goes to the new file: replaying a post-image twice is harmless."""
        old_fd = self._fd
        self.generation += 1
        self._fd, self._header = self._create(self.generation)
        self._numbered = 0
        if self._flush is None or self._flush.done():
            os.close(old_fd)
        else:  # a flush is writing to the old file: close it when that flush is done
            self._flush.add_done_callback(lambda _task: os.close(old_fd))
        return self.generation

    def remove_before(self, generation: int) -> None:
        for gen, path in journal_files(self.directory):
            if gen < generation:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def close(self) -> None:
        self.flush_sync()
        os.close(self._fd)


def _write_and_sync(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)
