"""Encryption at rest of the in-process MongoDB's files: AES-256-GCM under data keys named by their id.

A key id is a hash of the key, written in the clear at the head of every encrypted file, so a reader knows which
key it needs without trying them all, and a key can be rotated: the current key seals what is written next, the
old ones are accepted for reading until the next compaction has rewritten everything under the current one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_SIZE = 32
KEY_ID_SIZE = 8
NONCE_SIZE = 12  # random per frame or snapshot: 2^32 seals under one key keep a collision below 2^-32


class DataKeyError(RuntimeError):
    """An encrypted file cannot be read: its key is not configured, or it fails authentication."""


def new_key() -> str:
    """A fresh data key, in the base64 form CUVEE_DATA_KEY takes."""
    return base64.b64encode(os.urandom(KEY_SIZE)).decode()


def parse_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except binascii.Error:
        key = b""
    if len(key) != KEY_SIZE:
        raise ValueError("a data key must be 32 random bytes in base64 (make one with `cuvee data-key new`)")
    return key


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"cuvee data key id\0" + key).digest()[:KEY_ID_SIZE]


class DataKeys:
    """The key new files are sealed with (None: written in the clear) and the keys accepted for reading."""

    def __init__(self, current: bytes | None = None, old: Iterable[bytes] = ()) -> None:
        self.current_id = key_id(current) if current is not None else None
        self._ciphers = {key_id(key): AESGCM(key) for key in old}
        if current is not None:
            self._ciphers[key_id(current)] = AESGCM(current)

    @classmethod
    def from_text(cls, current: str | None, old: str | None = None) -> DataKeys:
        """From CUVEE_DATA_KEY and CUVEE_DATA_KEY_OLD (comma-separated); raises ValueError on a malformed key."""
        olds = [parse_key(part) for part in (old or "").split(",") if part.strip()]
        return cls(parse_key(current) if current else None, olds)

    @property
    def sealing(self) -> bool:
        return self.current_id is not None

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        """nonce + ciphertext + tag under the current key; `aad` (authenticated, not stored) binds the place."""
        assert self.current_id is not None
        nonce = os.urandom(NONCE_SIZE)
        return nonce + self._ciphers[self.current_id].encrypt(nonce, plaintext, aad)

    def require(self, kid: bytes, what: str) -> None:
        """Raise the one-line DataKeyError that says which key `what` needs, unless it is configured."""
        if kid in self._ciphers:
            return
        if not self._ciphers:
            raise DataKeyError(
                f"{what} is encrypted (data key id {kid.hex()}) but CUVEE_DATA_KEY is not set: "
                "start with the key it was written with"
            )
        raise DataKeyError(
            f"{what} is encrypted with data key id {kid.hex()}, which is neither CUVEE_DATA_KEY "
            f"({self.current_id.hex() if self.current_id else 'not set'}) nor in CUVEE_DATA_KEY_OLD: "
            "start with the key it was written with"
        )

    def open(self, kid: bytes, sealed: bytes, aad: bytes, what: str) -> bytes:
        self.require(kid, what)
        try:
            return self._ciphers[kid].decrypt(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], aad)
        except InvalidTag:
            raise DataKeyError(
                f"{what} fails authentication under data key id {kid.hex()}: it was altered or damaged; "
                "nothing was loaded or changed (restore the file from a backup)"
            ) from None


NO_KEYS = DataKeys()
