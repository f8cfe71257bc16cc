"""Who an event belongs to and whether it may be stored: analytics consent, linked and issued anonymous ids.

Both answers are cached for a few seconds per process, because the beacon endpoint and the worker ask for
every batch; a withdrawn consent therefore takes effect within `ttl_s` everywhere (at once in the process
that is told through `forget`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from typing import Generic, TypeVar

from app.accounts.service import AccountService
from app.errors import NotFound

CONSENT_TTL_S = 5.0
_MAX_ENTRIES = 50_000
V = TypeVar("V")


class _TtlCache(Generic[V]):
    """A small expiring map; cleared wholesale when it grows past its bound (simple, and rare)."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._entries: dict[str, tuple[float, V]] = {}

    def get(self, key: str) -> tuple[bool, V | None]:
        hit = self._entries.get(key)
        if hit is None or hit[0] < time.monotonic():
            return False, None
        return True, hit[1]

    def put(self, key: str, value: V) -> None:
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[key] = (time.monotonic() + self._ttl_s, value)

    def drop(self, key: str) -> None:
        self._entries.pop(key, None)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class AnonymousIds:
    """Anonymous ids the server issues: 128 random bits and an HMAC of them, so an id cannot be chosen or
    forged. Only the browser that was given one holds it, so only that browser can link it to an account."""

    def __init__(self, secret: str) -> None:
        self._key = hmac.new(secret.encode(), b"cuvee anonymous ids", hashlib.sha256).digest()

    def _sign(self, nonce: str) -> str:
        return _b64(hmac.new(self._key, nonce.encode(), hashlib.sha256).digest()[:16])

    def issue(self) -> str:
        nonce = _b64(secrets.token_bytes(16))
        return f"{nonce}.{self._sign(nonce)}"

    def is_issued(self, anonymous_id: str) -> bool:
        nonce, dot, signature = anonymous_id.partition(".")
        return bool(dot) and len(nonce) == 22 and hmac.compare_digest(signature, self._sign(nonce))


class ConsentGate:
    """Answers "may this user's events be stored?" and "whose is this anonymous id?"."""

    def __init__(self, accounts: AccountService, ttl_s: float = CONSENT_TTL_S) -> None:
        self._accounts = accounts
        self._consent = _TtlCache[bool](ttl_s)
        self._owners = _TtlCache[str | None](ttl_s)

    async def allows_analytics(self, user_id: str) -> bool:
        """True when the user exists and has granted analytics consent (erased users have not)."""
        known, value = self._consent.get(user_id)
        if known:
            return bool(value)
        try:
            allowed = bool((await self._accounts.get_consent(user_id)).analytics)
        except NotFound:
            allowed = False
        self._consent.put(user_id, allowed)
        return allowed

    async def owner_of(self, anonymous_id: str) -> str | None:
        """The user who linked this anonymous id at sign-in, if any."""
        return (await self.owners_of([anonymous_id]))[anonymous_id]

    async def owners_of(self, anonymous_ids: Iterable[str]) -> dict[str, str | None]:
        """The linked user of each anonymous id (None: nobody), with one query for those not cached."""
        owners: dict[str, str | None] = {}
        unknown = []
        for anonymous_id in dict.fromkeys(anonymous_ids):
            known, value = self._owners.get(anonymous_id)
            if known:
                owners[anonymous_id] = value
            else:
                unknown.append(anonymous_id)
        if unknown:
            linked = await self._accounts.owners_of_anonymous_ids(unknown)
            for anonymous_id in unknown:
                owners[anonymous_id] = linked.get(anonymous_id)
                self._owners.put(anonymous_id, owners[anonymous_id])
        return owners

    def forget(self, user_id: str | None = None, anonymous_id: str | None = None) -> None:
        """Drop cached answers (after a consent change or a new link) so they apply at once here."""
        if user_id:
            self._consent.drop(user_id)
        if anonymous_id:
            self._owners.drop(anonymous_id)
