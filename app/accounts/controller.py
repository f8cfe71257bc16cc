"""Sign-up and login."""

from __future__ import annotations

from litestar import Controller, Request, post
from litestar.di import Provide

from app.accounts.schemas import LoginInput, RegisteredRead, RegisterInput, TokenRead
from app.accounts.service import AccountService
from app.deps import provide_accounts
from app.security import PUBLIC


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["accounts"]
    opt = PUBLIC
    dependencies = {"accounts": Provide(provide_accounts, sync_to_thread=False)}

    @post("/register", status_code=201)
    async def register(self, accounts: AccountService, data: RegisterInput) -> RegisteredRead:
        """Create a customer account and sign it in. Emails are case-insensitive and unique (409 on reuse)."""
        user = await accounts.register(data.email, data.password, data.username)
        return RegisteredRead(user_id=user.id, access_token=accounts.issue_token(user),
                              expires_in=accounts.token_ttl_s)

    @post("/login", status_code=200)
    async def login(self, accounts: AccountService, data: LoginInput, request: Request) -> TokenRead:
        """Exchange email and password for a short-lived bearer token. Repeated failures answer 429."""
        client = request.client.host if request.client else "unknown"
        _, token = await accounts.login(data.email, data.password, client)
        return TokenRead(access_token=token, expires_in=accounts.token_ttl_s)
