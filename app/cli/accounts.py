"""`cuvee create-admin`: an operator's account from the command line."""

from __future__ import annotations

import asyncio
import sys

import click

from app.cli.common import open_services, run


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password for the new admin", hide_input=True, confirmation_prompt=True))


@click.command("create-admin")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--username", default=None, help="Display name of a new account.")
def create_admin(email: str, password_stdin: bool, username: str | None) -> None:
    """Make EMAIL an administrator: promote its account, or create one (asking for the password).

    An existing account keeps its password; its new role is in the tokens issued from its next login.
    """
    from app.errors import AppError

    async def main() -> None:
        async with open_services() as services:
            accounts = services.accounts
            password = None
            if await accounts.find_user_by_email(email) is None:
                password = await asyncio.to_thread(_read_password, password_stdin)
            try:
                user, created = await accounts.ensure_admin(email, password, username)
            except AppError as exc:
                raise click.ClickException(exc.detail) from exc
            what = "created admin" if created else "promoted to admin (password unchanged)"
            click.echo(f"{user.email}: {what}; user id {user.id}")

    run(main())
