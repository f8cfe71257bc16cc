"""The `cuvee` command: serve the API, seed and reindex the catalog, and operator chores (one module a group)."""

from __future__ import annotations

import logging

import click

from app import __version__
from app.cli import accounts, catalog, clickstream, data_key, privacy, recommendations, serve
from app.cli.common import open_services, progress_bar, run, wait_for_backends
from app.cli.pricing import price_rules
from app.settings import Settings


@click.group()
@click.option("--log-level", default=None, help="DEBUG, INFO, WARNING (default from CUVEE_LOG_LEVEL).")
def cli(log_level: str | None) -> None:
    """Cuvée: the backend of a wine shop that remembers each customer's taste."""
    level = log_level or Settings().log_level
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@cli.command()
def version() -> None:
    """Print the version."""
    click.echo(f"cuvee {__version__}")


for command in (
    serve.serve,
    data_key.data_key,
    catalog.seed,
    catalog.reindex,
    catalog.recount_ratings,
    catalog.import_,
    catalog.search_report,
    clickstream.worker,
    accounts.create_admin,
    privacy.privacy,
    recommendations.train,
    recommendations.evaluate,
    price_rules,
):
    cli.add_command(command)


def main() -> None:
    cli(prog_name="cuvee")


__all__ = ["cli", "main", "open_services", "progress_bar", "run", "wait_for_backends"]
