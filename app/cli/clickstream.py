"""`cuvee worker`: the clickstream worker for deployments with a shared MongoDB and Redis."""

from __future__ import annotations

import click

from app.cli.common import open_services, run
from app.settings import Settings


@click.command("worker")
@click.option("--consumer", default=None, help="Consumer name in the group (default: host-pid-random).")
@click.option(
    "--batch", default=200, show_default=True, type=click.IntRange(1, 10_000), help="Events read and written per batch."
)
@click.option(
    "--claim-idle",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds after which another consumer's unacknowledged events are taken over.",
)
def worker(consumer: str | None, batch: int, claim_idle: float) -> None:
    """Run the clickstream worker until SIGTERM/SIGINT (the batch in hand is finished first)."""
    from app.clickstream.worker import WorkerConfig, run_until_signalled

    settings = Settings()
    if settings.embedded:
        raise click.ClickException(
            "the worker needs a shared MongoDB (set CUVEE_MONGODB_URL); "
            "in the embedded mode it runs inside `cuvee serve`"
        )

    async def main() -> None:
        async with open_services(settings) as services:
            if services.backends.redis_kind == "in-process":
                raise click.ClickException("the worker needs a Redis server: set CUVEE_REDIS_URL")
            config = WorkerConfig(batch_size=batch, claim_idle_ms=int(claim_idle * 1000))
            await run_until_signalled(services.clickstream.new_worker(config, consumer))

    run(main())
