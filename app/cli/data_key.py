"""`cuvee data-key …`: encryption at rest of the embedded store's files."""

from __future__ import annotations

import click

from app.cli.common import open_services, run
from app.settings import Settings


@click.group("data-key")
def data_key() -> None:
    """Encryption at rest of the embedded store (CUVEE_DATA_KEY; see docs/security.md)."""


@data_key.command("new")
def data_key_new() -> None:
    """Print a fresh random data key (base64), for CUVEE_DATA_KEY."""
    from documents.encryption import key_id, new_key, parse_key

    key = new_key()
    click.echo(key)
    click.echo(f"key id {key_id(parse_key(key)).hex()}", err=True)


@data_key.command("rewrite")
def data_key_rewrite() -> None:
    """Rewrite the embedded store's files under CUVEE_DATA_KEY now (in the clear without one); the previous
    key must be in CUVEE_DATA_KEY_OLD. Every start does the same when it finds a file under another key."""
    settings = Settings()
    if not settings.embedded:
        raise click.ClickException("only the embedded store has data files: a MongoDB server encrypts its own")

    async def main() -> None:
        async with open_services(settings) as services:
            await services.backends.db.compact()

    run(main())
    current = settings.data_keys().current_id
    click.echo(
        f"data files in {settings.data_dir} written under "
        + (f"data key id {current.hex()}" if current else "no key (in the clear)")
    )
