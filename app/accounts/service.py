"""Account rules: who may sign up and log in, and how users are found."""

from __future__ import annotations

import re
import unicodedata

from pymongo.errors import DuplicateKeyError

from app.errors import Conflict, Invalid, NotFound, Unauthorized
from app.ratelimit import RateLimiter
from app.security import Passwords, TokenCodec
from documents import User, utcnow

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(raw: str) -> str:
    email = unicodedata.normalize("NFKC", raw).strip().lower()
    if not _EMAIL.match(email):
        raise Invalid("email must look like name@example.com", code="email_invalid",
                      errors=[{"field": "email", "source": "body", "message": "not an email address"}])
    return email


class AccountService:
    def __init__(self, tokens: TokenCodec, passwords: Passwords, limiter: RateLimiter,
                 login_attempts_per_minute: int, clock=utcnow) -> None:  # type: ignore[no-untyped-def]
        self._tokens = tokens
        self._passwords = passwords
        self._limiter = limiter
        self._login_limit = login_attempts_per_minute
        self._clock = clock

    async def register(self, email: str, password: str, username: str | None, *,
                       roles: list[str] | None = None) -> User:
        user = User(email=normalise_email(email), username=username, password_hash=self._passwords.hash(password),
                    roles=roles or ["customer"])
        try:
            await user.insert()
        except DuplicateKeyError as exc:
            raise Conflict("an account with this email already exists; log in instead",
                           code="email_taken") from exc
        return user

    def issue_token(self, user: User) -> str:
        return self._tokens.issue(user.id, user.roles, self._clock())

    @property
    def token_ttl_s(self) -> int:
        return self._tokens.ttl_s

    async def login(self, email: str, password: str, client_address: str) -> tuple[User, str]:
        """Check the password; failures are limited per email and per client address."""
        email = email.strip().lower()
        await self._limiter.hit("login-email", email, limit=self._login_limit, window_s=60, what="login attempts")
        await self._limiter.hit("login-ip", client_address, limit=self._login_limit * 3, window_s=60,
                                what="login attempts")
        user = await User.find_one({"email": email})
        if user is None or not self._passwords.verify(user.password_hash, password):
            raise Unauthorized("wrong email or password", code="login_failed")
        await self._limiter.reset("login-email", email)
        return user, self.issue_token(user)

    async def get_user(self, user_id: str) -> User:
        user = await User.get(user_id)
        if user is None:
            raise NotFound("user", user_id)
        return user

    async def find_user_by_email(self, email: str) -> User | None:
        return await User.find_one({"email": email.strip().lower()})

    async def verify_password(self, user: User, password: str) -> bool:
        return self._passwords.verify(user.password_hash, password)
