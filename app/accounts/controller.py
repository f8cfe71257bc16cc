"""Accounts API: sign-up and login, the caller's own profile, preferences, taste and consent, and the quiz."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, patch, post, put
from litestar.di import Provide

from app.accounts.profile import ProfileService
from app.accounts.profile_schemas import ProfileRead
from app.accounts.quiz import QUESTIONS, QUIZ_VERSION
from app.accounts.schemas import (
    ConsentInput,
    ConsentRead,
    LoginInput,
    PreferencesRead,
    PreferencesUpdate,
    QuizAnswersInput,
    QuizOptionRead,
    QuizQuestionRead,
    QuizRead,
    QuizResultRead,
    RegisteredRead,
    RegisterInput,
    TasteProfileInput,
    TasteProfileRead,
    TokenRead,
)
from app.accounts.service import AccountService
from app.client_address import client_address
from app.deps import provide_accounts, provide_principal, provide_profile
from app.errors import problems
from app.security import ADMIN, PUBLIC, USER, Principal


class AuthController(Controller):
    path = "/v1/auth"
    tags = ["accounts"]
    opt = PUBLIC
    dependencies = {"accounts": Provide(provide_accounts, sync_to_thread=False)}

    @post(
        "/register",
        status_code=201,
        responses=problems("email_invalid", "email_taken", "too_many_requests", "redis_unavailable"),
    )
    async def register(
        self, accounts: AccountService, data: RegisterInput, request: Request[Any, Any, Any]
    ) -> RegisteredRead:
        """Create a customer account and sign it in. Emails are case-insensitive and unique (409 on reuse).
        Successful sign-ups from one client address are limited per hour (429 with Retry-After)."""
        client = client_address(request.scope)
        user = await accounts.register(data.email, data.password, data.username, client_address=client)
        return RegisteredRead(user_id=user.id, access_token=accounts.issue_token(user), expires_in=accounts.token_ttl_s)

    @post("/login", status_code=200, responses=problems("login_failed", "too_many_requests", "redis_unavailable"))
    async def login(self, accounts: AccountService, data: LoginInput, request: Request[Any, Any, Any]) -> TokenRead:
        """Exchange email and password for a short-lived bearer token. After repeated wrong passwords from one
        client address, its next attempts must wait, growing from 1 s to 15 min by default (429 with Retry-After); a
        correct password clears the wait. Attempts from other addresses are not slowed down."""
        client = client_address(request.scope)
        _, token = await accounts.login(data.email, data.password, client)
        return TokenRead(access_token=token, expires_in=accounts.token_ttl_s)


class TasteQuizController(Controller):
    path = "/v1/taste-quiz"
    tags = ["accounts"]
    opt = PUBLIC

    @get("/")
    async def get_quiz(self) -> QuizRead:
        """The onboarding quiz: answer any of the questions, then POST the answers to /v1/me/taste-quiz."""
        return QuizRead(
            version=QUIZ_VERSION,
            questions=[
                QuizQuestionRead(
                    id=q.id, text=q.text, options=[QuizOptionRead(id=o.id, label=o.label) for o in q.options]
                )
                for q in QUESTIONS
            ],
        )


class MeController(Controller):
    """Everything here acts on the signed-in caller only."""

    path = "/v1/me"
    tags = ["accounts"]
    opt = USER
    dependencies = {
        "accounts": Provide(provide_accounts, sync_to_thread=False),
        "profiles": Provide(provide_profile, sync_to_thread=False),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }

    @get("/profile", responses=problems("user_not_found"))
    async def get_profile(self, profiles: ProfileService, principal: Principal) -> ProfileRead:
        """Your account, preferences, taste profile, consent, recent orders, wishlist and recently viewed wines."""
        return ProfileRead.of(await profiles.get_profile(principal.user_id))

    @patch("/preferences", responses=problems("invalid", "user_not_found", "concurrent_update"))
    async def update_preferences(
        self, accounts: AccountService, principal: Principal, data: PreferencesUpdate
    ) -> PreferencesRead:
        """Change some preferences: only the fields sent change. Names are normalised ("shiraz" → "Syrah");
        prices are in currency units."""
        return PreferencesRead.of(await accounts.update_preferences(principal.user_id, data.to_patch()))

    @put("/taste-profile", responses=problems("invalid", "user_not_found", "concurrent_update"))
    async def state_taste(
        self, accounts: AccountService, principal: Principal, data: TasteProfileInput
    ) -> TasteProfileRead:
        """State your taste (each axis 0..1). Stated axes are never replaced by the quiz or by learning."""
        return TasteProfileRead.of(await accounts.state_taste(principal.user_id, data.axes()))

    @post(
        "/taste-quiz",
        status_code=200,
        responses=problems("quiz_answer_invalid", "invalid", "user_not_found", "concurrent_update"),
    )
    async def take_quiz(self, accounts: AccountService, principal: Principal, data: QuizAnswersInput) -> QuizResultRead:
        """Score quiz answers into your taste profile. Axes you stated are kept unless `override_stated`."""
        scored, result = await accounts.take_quiz(principal.user_id, data.answers, override_stated=data.override_stated)
        return QuizResultRead(
            scored=scored,
            applied=result.applied,
            kept_stated=result.kept_stated,
            taste_profile=TasteProfileRead.of(result.profile),
        )

    @put("/consent", responses=problems("invalid", "user_not_found", "concurrent_update", "stream_unavailable"))
    async def set_consent(self, accounts: AccountService, principal: Principal, data: ConsentInput) -> ConsentRead:
        """Give or withdraw consent; every change is kept with its time."""
        return ConsentRead.of(await accounts.set_consent(principal.user_id, data.changes()))


class AdminUserController(Controller):
    path = "/v1/admin/users"
    tags = ["admin"]
    opt = ADMIN
    dependencies = {"profiles": Provide(provide_profile, sync_to_thread=False)}

    @get("/{user_id:str}", responses=problems("user_not_found"))
    async def get_user_profile(self, profiles: ProfileService, user_id: str) -> ProfileRead:
        """Any customer's profile, for support."""
        return ProfileRead.of(await profiles.get_profile(user_id))
