"""Accounts API models."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.schemas import Input

MIN_PASSWORD = 10


class RegisterInput(Input):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=MIN_PASSWORD, max_length=256,
                          description=f"At least {MIN_PASSWORD} characters.")
    username: str | None = Field(default=None, min_length=1, max_length=60)


class LoginInput(Input):
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class RegisteredRead(TokenRead):
    user_id: str
