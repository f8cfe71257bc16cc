"""`cuvee privacy …`: a customer's export or erasure, for operators."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import open_services, run


@click.group("privacy")
def privacy() -> None:
    """Privacy requests for operators: a customer's export or erasure, by email.

    In the embedded mode run these with the server stopped: its in-process database would not see them.
    """


@privacy.command("export")
@click.argument("email")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON document to this file (readable by its owner only) instead of standard output.",
)
def privacy_export(email: str, output: Path | None) -> None:
    """Everything held about the customer with EMAIL, as the JSON document GET /v1/me/export returns."""
    from app.errors import AppError

    async def main() -> str:
        async with open_services() as services:
            try:
                export = await services.privacy.export_by_email(email)
            except AppError as exc:
                raise click.ClickException(exc.detail) from exc
            return str(export.model_dump_json(indent=2))

    text = run(main())
    if output is None:
        click.echo(text)
        return
    output.touch(mode=0o600)
    output.write_text(text + "\n")
    click.echo(f"export of {email} written to {output}", err=True)


@privacy.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def privacy_erase(email: str, yes: bool) -> None:
    """Erase the customer with EMAIL and everything derived from them (orders stay, anonymised)."""
    from app.errors import AppError

    if not yes:
        click.confirm(f"Erase {email} and everything derived from it? This cannot be undone", abort=True)

    async def main() -> None:
        async with open_services() as services:
            try:
                receipt = await services.privacy.erase_by_email(email, actor="cli")
            except AppError as exc:
                raise click.ClickException(exc.detail) from exc
        removed = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in receipt.removed.items() if n)
        click.echo(f"erased: request {receipt.request_id}; removed {removed or 'nothing'}")

    run(main())
