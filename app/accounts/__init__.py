"""Accounts: sign-up, login, roles, preferences, taste profile, consent and the profile."""

MIN_PASSWORD = 10
