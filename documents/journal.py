"""The in-process MongoDB's write-ahead journal: every write is on disk before its await returns.

Each write operation appends one record — the post-images of the documents it changed and the ids it
deleted, never the command, so replay depends on no clock and no generated id and is idempotent — and its
caller awaits one shared fsync (group commit: every writer that appended while a flush ran waits for the
next one). At start the journal files newer than the snapshot are replayed over it; a torn last record
(short, or a checksum that does not match) was never acknowledged and is dropped whole.

Files: `mongodb.journal.<generation>`; a snapshot of generation G holds everything written to journals
below G, so compaction switches writers to journal G, writes the snapshot, then deletes the older files.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bson

log = logging.getLogger(__name__)

_FRAME = struct.Struct("<II")  # payload length, crc32 of the payload
_PREFIX = "mongodb.journal."
_CODEC: bson.CodecOptions[dict[str, Any]] = bson.CodecOptions(tz_aware=True)


def journal_files(directory: Path) -> list[tuple[int, Path]]:
    """The journal files in `directory`, oldest generation first."""
    found = []
    for path in directory.glob(_PREFIX + "*"):
        suffix = path.name[len(_PREFIX) :]
        if suffix.isdigit():
            found.append((int(suffix), path))
    return sorted(found)


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """The whole records of one journal file; stops at the first torn or corrupt one."""
    data = path.read_bytes()
    offset = 0
    while offset + _FRAME.size <= len(data):
        size, crc = _FRAME.unpack_from(data, offset)
        start = offset + _FRAME.size
        payload = data[start : start + size]
        if len(payload) != size or zlib.crc32(payload) != crc:
            log.warning("journal %s: dropped a torn record at byte %d (never acknowledged)", path.name, offset)
            return
        yield bson.decode(payload, codec_options=_CODEC)
        offset = start + size
    if offset != len(data):
        log.warning("journal %s: dropped a torn record at byte %d (never acknowledged)", path.name, offset)


def encode_record(collection: str, puts: list[dict[str, Any]], deletes: list[Any], dropped: bool) -> bytes:
    payload = bson.encode({"c": collection, "p": puts, "d": deletes, "x": dropped}, codec_options=_CODEC)
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


class Journal:
    """Appends records to the current journal file and makes them durable with group commit."""

    def __init__(self, directory: Path, generation: int) -> None:
        self.directory = directory
        self.generation = generation
        self._fd = create_private(self._path(generation))
        _fsync_dir(directory)
        self._buffer: list[bytes] = []
        self._appended = 0  # records appended so far
        self._durable = 0  # records known to be on disk
        self._flush: asyncio.Task[None] | None = None
        self.flushes = 0  # fsyncs done: appended / flushes is the group-commit factor

    def _path(self, generation: int) -> Path:
        return self.directory / f"{_PREFIX}{generation}"

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

    async def _flush_all(self) -> None:
        while self._buffer:
            data, upto, fd = b"".join(self._buffer), self._appended, self._fd
            self._buffer.clear()
            await asyncio.to_thread(_write_and_sync, fd, data)
            self.flushes += 1
            self._durable = max(self._durable, upto)

    def flush_sync(self) -> None:
        """Write and fsync what is queued, from synchronous code (shutdown, compaction)."""
        if self._buffer:
            data, upto = b"".join(self._buffer), self._appended
            self._buffer.clear()
            _write_and_sync(self._fd, data)
            self.flushes += 1
            self._durable = max(self._durable, upto)

    def rotate(self) -> int:
        """Send the next records to a new file (generation + 1); returns the new generation.

        What is still queued goes to the new file: replaying a post-image twice is harmless."""
        old_fd = self._fd
        self.generation += 1
        self._fd = create_private(self._path(self.generation))
        _fsync_dir(self.directory)
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
