"""Who is calling: JWT bearer tokens, password hashing, and the one guard that denies by default.

Every route handler declares `opt={"access": "public" | "user" | "admin"}` (directly or on its controller);
a route that declares nothing is refused with 403, so a forgotten rule fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from app.errors import Forbidden, Unauthorized

PUBLIC = {"access": "public"}
USER = {"access": "user"}
ADMIN = {"access": "admin"}
ACCESS_LEVELS = ("public", "user", "admin")


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in caller, taken from the token alone (no database read per request)."""

    user_id: str
    roles: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


class TokenCodec:
    """Issues and checks short-lived HS256 access tokens."""

    def __init__(self, secret: str, ttl_s: int) -> None:
        self._secret = secret
        self.ttl_s = ttl_s

    def issue(self, user_id: str, roles: list[str], now: datetime) -> str:
        claims = {"sub": user_id, "roles": roles, "iat": now, "exp": now + timedelta(seconds=self.ttl_s)}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def decode(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("the access token has expired; log in again", code="token_expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("the access token is not valid; log in again", code="token_invalid") from exc
        roles = claims.get("roles") or []
        return Principal(user_id=str(claims["sub"]), roles=tuple(str(r) for r in roles))


class Passwords:
    """argon2id hashing; verification never raises for a wrong password."""

    def __init__(self) -> None:
        self._hasher = PasswordHasher()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def bearer_principal(
    connection: ASGIConnection[Any, Any, Any, Any], codec: TokenCodec, allow_basic: bool = False
) -> Principal | None:
    header = connection.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if allow_basic and scheme.lower() == "basic":
        return None  # a Segment write key (the route reads it), never a user's credential
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("use an Authorization: Bearer <token> header", code="token_invalid")
    return codec.decode(token.strip())


async def authorize(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The app-wide guard: resolves the caller and applies the route's declared access level."""
    access = handler.opt.get("access")
    if access not in ACCESS_LEVELS:
        raise Forbidden("this route declares no access rule", code="access_undeclared")
    codec: TokenCodec = connection.app.state.services.tokens
    principal = bearer_principal(connection, codec, allow_basic=bool(handler.opt.get("write_key_auth")))
    connection.scope["user"] = principal
    if access == "public":
        return
    if principal is None:
        raise Unauthorized()
    if access == "admin" and not principal.is_admin:
        raise Forbidden("this route is for administrators", code="admin_only")
