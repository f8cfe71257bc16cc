"""Account rules: sign-up and login, roles, and the customer's preferences, taste profile and consent."""

from __future__ import annotations

import asyncio
import random
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel
from pymongo.errors import DuplicateKeyError

from app.accounts import MIN_PASSWORD
from app.accounts.preferences import PreferenceError, apply_patch
from app.accounts.quiz import QuizError, score
from app.accounts.taste import TasteChange, apply_axes
from app.accounts.throttle import LoginThrottle
from app.client_address import address_bucket
from app.errors import Conflict, Invalid, NotFound, Unauthorized
from app.events import ConsentChanged, Publisher
from app.ratelimit import RateLimiter
from app.security import Passwords, TokenCodec
from documents import ConsentChange, ConsentState, Preferences, TasteProfile, User, utcnow

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CONSENT_KINDS = ("personalisation", "analytics", "marketing")
# Consent changes are rare; the cap only stops a scripted toggle loop from growing the user document forever.
MAX_CONSENT_LEDGER = 1000
_SWAP_ATTEMPTS = 20  # writers of one unit (e.g. `extra`) each win once: room for a burst of them
R = TypeVar("R")


def fold_email(raw: str) -> str:
    """The key an email is stored and looked up by: Unicode-normalised, trimmed, lower-case."""
    return unicodedata.normalize("NFKC", raw).strip().lower()


def normalise_email(raw: str) -> str:
    email = fold_email(raw)
    if not _EMAIL.match(email):
        raise Invalid(
            "email must look like name@example.com",
            code="email_invalid",
            errors=[{"field": "email", "source": "body", "message": "not an email address"}],
        )
    return email


def _invalid(field: str, message: str, code: str = "invalid") -> Invalid:
    return Invalid(
        f"invalid value for {field}: {message}",
        code=code,
        errors=[{"field": field, "source": "body", "message": message}],
    )


# Sub-documents of preferences whose fields change independently; price_range (min <= max) and extra (bounded
# as a whole) are compared and set whole.
_INDEPENDENT_PREFERENCES = ("dislikes",)


def _paths(field: str, value: dict[str, Any], split: tuple[str, ...]) -> dict[str, Any]:
    """`value` as dotted paths under `field`: one per field, and one per field of the sub-documents in `split`."""
    paths: dict[str, Any] = {}
    for name, item in value.items():
        if name in split and isinstance(item, dict):
            paths.update({f"{field}.{name}.{key}": sub for key, sub in item.items()})
        else:
            paths[f"{field}.{name}"] = item
    return paths


def _plain(value: Any) -> Any:
    """A document fragment as MongoDB stores it: enums as their values, everything else as is."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.value if isinstance(value, Enum) else value


class AccountService:
    def __init__(
        self,
        tokens: TokenCodec,
        passwords: Passwords,
        limiter: RateLimiter,
        throttle: LoginThrottle,
        clock: Callable[[], datetime] = utcnow,
        *,
        events: Publisher,
        registrations_per_hour: int | None = None,
    ) -> None:
        self._tokens = tokens
        self._passwords = passwords
        self._limiter = limiter
        self.throttle = throttle
        self._registration_limit = registrations_per_hour
        self._clock = clock
        self._events = events  # ConsentChanged: app/container.py says who applies a consent change

    # ------------------------------------------------------------ sign-up, login, roles
    async def register(
        self,
        email: str,
        password: str,
        username: str | None,
        *,
        roles: list[str] | None = None,
        client_address: str | None = None,
    ) -> User:
        """A new account; successful sign-ups from one client address are limited per hour when it is given
        (a slot is taken first, so parallel sign-ups cannot overrun the limit, and given back on failure)."""
        email = normalise_email(email)
        if client_address is None or self._registration_limit is None:
            return await self._insert_user(email, password, username, roles)
        bucket = address_bucket(client_address)
        await self._limiter.hit(
            "register-ip", bucket, limit=self._registration_limit, window_s=3600, what="sign-ups from this address"
        )
        try:
            return await self._insert_user(email, password, username, roles)
        except Exception:
            await self._limiter.give_back("register-ip", bucket)
            raise

    async def _insert_user(self, email: str, password: str, username: str | None, roles: list[str] | None) -> User:
        taken = Conflict("an account with this email already exists; log in instead", code="email_taken")
        if await self.find_user_by_email(email) is not None:
            raise taken  # before hashing: a known email costs no argon2 (the insert still catches a race)
        user = User(
            email=email, username=username, password_hash=self._passwords.hash(password), roles=roles or ["customer"]
        )
        try:
            await user.insert()
        except DuplicateKeyError as exc:
            raise taken from exc
        return user

    def issue_token(self, user: User) -> str:
        return self._tokens.issue(user.id, user.roles, self._clock())

    @property
    def token_ttl_s(self) -> int:
        return self._tokens.ttl_s

    async def login(self, email: str, password: str, client_address: str) -> tuple[User, str]:
        """Check the password; failures slow down their (address, account) pair and their address, never the
        account from elsewhere (see app/accounts/throttle.py)."""
        email = fold_email(email)
        await self.throttle.before_attempt(client_address, email)
        user = await User.find_one({"email": email})
        if user is None or not self._passwords.verify(user.password_hash, password):
            await self.throttle.failed(client_address)
            raise Unauthorized("wrong email or password", code="login_failed")
        await self.throttle.succeeded(client_address, email)
        return user, self.issue_token(user)

    async def ensure_admin(self, email: str, password: str | None, username: str | None = None) -> tuple[User, bool]:
        """Promote the account with this email to admin, or create it (then `password` is required).

        Returns the user and whether it was created. An existing account keeps its password.
        """
        existing = await self.find_user_by_email(email)
        if existing is not None:
            await User.get_pymongo_collection().update_one(
                {"_id": existing.id}, {"$addToSet": {"roles": "admin"}, "$set": {"updated_at": self._clock()}}
            )
            return await self.get_user(existing.id), False
        if password is None or len(password) < MIN_PASSWORD:
            raise _invalid("password", f"at least {MIN_PASSWORD} characters are needed", "password_too_short")
        return await self.register(email, password, username, roles=["customer", "admin"]), True

    async def get_user(self, user_id: str) -> User:
        user = await User.get(user_id)
        if user is None:
            raise NotFound("user", user_id)
        return user

    async def dietary_needs(self, user_id: str) -> list[str]:
        """The shopper's stated dietary needs (vegan, organic …): search applies them unless told not to."""
        user = await User.get(user_id)
        return [str(d) for d in user.preferences.dietary] if user is not None else []

    async def account_exists(self, user_id: str) -> bool:
        """One indexed lookup, nothing loaded: whether a token's account is still there (not erased)."""
        return await User.get_pymongo_collection().find_one({"_id": user_id}, {"_id": 1}) is not None

    async def find_user_by_email(self, email: str) -> User | None:
        return await User.find_one({"email": fold_email(email)})

    async def verify_password(self, user: User, password: str) -> bool:
        return self._passwords.verify(user.password_hash, password)

    # ------------------------------------------------------------ embedded parts, changed atomically
    def _now(self) -> datetime:
        """The clock at MongoDB's precision (milliseconds), so a response and a later read agree."""
        now = self._clock()
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    async def _swap(
        self,
        user_id: str,
        field: str,
        change: Callable[[Any], tuple[BaseModel, R]],
        *,
        split: tuple[str, ...] | None = None,
    ) -> R:
        """Compare-and-set one embedded part of the user: re-read and retry when another write got there first.

        The in-process MongoDB has no transactions; matching on the exact old value makes the read-modify-write
        safe on any MongoDB. With `split` (the sub-documents whose fields are independent) only the fields that
        change are matched and `$set`, one by one: concurrent writes of different fields never conflict.
        """
        collection = User.get_pymongo_collection()
        for attempt in range(_SWAP_ATTEMPTS):
            if attempt:  # lost the race: step aside a little (jittered), so the contenders do not collide again
                await asyncio.sleep(random.uniform(0, 0.002 * attempt))
            raw = await collection.find_one({"_id": user_id}, {field: 1})
            if raw is None:
                raise NotFound("user", user_id)
            old = raw.get(field)
            new, result = change(old)
            stored = _plain(new.model_dump())
            if split is None:
                was, now = {field: old}, {field: stored}
            else:
                was, now = _paths(field, old or {}, split), _paths(field, stored, split)
            changed = {path: value for path, value in now.items() if path not in was or was[path] != value}
            if not changed:
                return result  # nothing changes: no write, no new updated_at
            guard = {path: was.get(path, {"$exists": False}) for path in changed}
            done = await collection.update_one(
                {"_id": user_id, **guard}, {"$set": {**changed, "updated_at": self._now()}}
            )
            if done.matched_count:
                return result
        raise Conflict(f"your {field.replace('_', ' ')} changed at the same time; try again", code="concurrent_update")

    async def update_preferences(self, user_id: str, patch: dict[str, Any]) -> Preferences:
        """Apply a partial update (storage field names; only those present change) and return the result."""

        def change(old: Any) -> tuple[Preferences, Preferences]:
            try:
                new = apply_patch(Preferences.model_validate(old or {}), patch)
            except PreferenceError as exc:
                raise _invalid(exc.field, str(exc)) from exc
            return new, new

        return await self._swap(user_id, "preferences", change, split=_INDEPENDENT_PREFERENCES)

    async def dislike_wine(self, user_id: str, wine_id: str, *, keep_last: int = 500) -> Preferences:
        """ "Not for me" on a wine: appended to `dislikes.wine_ids` (moved to the end if already there), keeping
        the last `keep_last`. Safe against concurrent dismissals, unlike a read followed by a patch."""

        def change(old: Any) -> tuple[Preferences, Preferences]:
            prefs = Preferences.model_validate(old or {})
            kept = [w for w in prefs.dislikes.wine_ids if w != wine_id] + [wine_id]
            try:
                new = apply_patch(prefs, {"dislikes": {"wine_ids": kept[-keep_last:]}})
            except PreferenceError as exc:
                raise _invalid(exc.field, str(exc)) from exc
            return new, new

        return await self._swap(user_id, "preferences", change, split=_INDEPENDENT_PREFERENCES)

    async def _set_taste(
        self,
        user_id: str,
        axes: dict[str, float | None],
        source: str,
        *,
        override_stated: bool = False,
        learned_from: int | None = None,
    ) -> TasteChange:
        now = self._now()

        def change(old: Any) -> tuple[TasteProfile, TasteChange]:
            try:
                result = apply_axes(
                    TasteProfile.model_validate(old or {}), axes, source, now, override_stated=override_stated
                )
            except ValueError as exc:
                raise _invalid("taste_profile", str(exc)) from exc
            if learned_from is not None:
                result.profile.learned_from = learned_from
            return result.profile, result

        return await self._swap(user_id, "taste_profile", change)

    async def state_taste(self, user_id: str, axes: dict[str, float | None]) -> TasteProfile:
        """The customer's own values: they replace any source; None clears an axis."""
        return (await self._set_taste(user_id, axes, "stated")).profile

    async def take_quiz(
        self, user_id: str, answers: dict[str, str], *, override_stated: bool = False
    ) -> tuple[dict[str, float], TasteChange]:
        """Score the quiz into the profile; axes the customer stated are kept unless `override_stated`."""
        try:
            scored = score(answers)
        except QuizError as exc:
            raise _invalid(exc.field, str(exc), "quiz_answer_invalid") from exc
        return scored, await self._set_taste(user_id, dict(scored), "quiz", override_stated=override_stated)

    async def set_learned_taste(self, user_id: str, axes: dict[str, float], learned_from: int) -> TasteChange:
        """For the recommendations engine: axes learned from `learned_from` ratings/purchases.

        They replace quiz and earlier learned values, never what the customer stated (see `kept_stated`).
        Raises Invalid for an unknown axis or a value outside 0..1, NotFound for an unknown user.
        """
        if learned_from < 0:
            raise _invalid("learned_from", "must not be negative")
        if any(value is None for value in axes.values()):
            raise _invalid("taste_profile", "learned axes need a value")
        return await self._set_taste(user_id, dict(axes), "learned", learned_from=learned_from)

    async def set_consent(self, user_id: str, changes: dict[str, bool]) -> ConsentState:
        """Set the consents given; each real change is appended to the ledger with its time."""
        unknown = sorted(set(changes) - set(CONSENT_KINDS))
        if unknown:
            raise _invalid(unknown[0], f"use one of {', '.join(CONSENT_KINDS)}")
        now = self._now()

        def change(old: Any) -> tuple[ConsentState, ConsentState]:
            state = ConsentState.model_validate(old or {})
            for kind, granted in changes.items():
                if getattr(state, kind) != granted:
                    setattr(state, kind, granted)
                    state.ledger.append(ConsentChange(kind=kind, granted=granted, at=now))
            state.ledger = state.ledger[-MAX_CONSENT_LEDGER:]
            return state, state

        state = await self._swap(user_id, "consent", change)
        # Every request, changed or not: a withdrawal asked again re-runs its clean-up (which may have failed).
        await self._events.publish(ConsentChanged(user_id, dict(changes), state))
        return state

    async def get_consent(self, user_id: str) -> ConsentState:
        """For other domains: what the user has agreed to (personalisation, analytics, marketing) and when."""
        return (await self.get_user(user_id)).consent

    # ------------------------------------------------------------ anonymous ids (linked by the clickstream)
    async def link_anonymous_id(self, user_id: str, anonymous_id: str, *, keep: int) -> None:
        """Add a browser's anonymous id to the account, as its newest (moved there if it was already
        linked); only the newest `keep` stay."""
        users = User.get_pymongo_collection()
        await users.update_one({"_id": user_id}, {"$pull": {"anonymous_ids": anonymous_id}})
        await users.update_one(
            {"_id": user_id}, {"$push": {"anonymous_ids": {"$each": [anonymous_id], "$slice": -keep}}}
        )

    async def unlink_anonymous_ids(self, user_id: str) -> None:
        """Forget every anonymous id of the account: later beacons from those browsers are nobody's."""
        await User.get_pymongo_collection().update_one({"_id": user_id}, {"$set": {"anonymous_ids": []}})

    async def owners_of_anonymous_ids(self, anonymous_ids: Iterable[str]) -> dict[str, str]:
        """The account each anonymous id is linked to, in one query (ids linked to none are left out)."""
        found = User.get_pymongo_collection().find(
            {"anonymous_ids": {"$in": list(anonymous_ids)}}, {"_id": 1, "anonymous_ids": 1}
        )
        return {anon: doc["_id"] async for doc in found for anon in doc.get("anonymous_ids", ())}

    # ------------------------------------------------------------ privacy requests
    async def export_user(self, user_id: str) -> dict[str, Any]:
        """The account as stored, JSON-ready: everything but the password hash (a credential, not data about
        the person, and useless to them)."""
        user = await self.get_user(user_id)
        account: dict[str, Any] = user.model_dump(mode="json", exclude={"password_hash"})
        return account

    async def erase_user(self, user_id: str) -> bool:
        """Delete the account and its login throttle records; False when there was no such account."""
        user = await User.get(user_id)
        if user is None:
            return False
        await self.throttle.forget_account(user.email)
        deleted = await User.get_pymongo_collection().delete_one({"_id": user_id})
        return bool(deleted.deleted_count)
