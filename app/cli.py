"""The `cuvee` command: serve the API, seed and reindex the catalog, and operator chores."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from app import __version__
from app.backends import BackendUnavailable, open_backends, probe_backends
from app.container import Services, build_services
from app.settings import Settings

T = TypeVar("T")


log = logging.getLogger("cuvee.cli")
MAX_STARTUP_BACKOFF_S = 10.0


def run(coro: Awaitable[T]) -> T:
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except BackendUnavailable as exc:
        raise click.ClickException(str(exc)) from exc


async def wait_for_backends(open_: Callable[[], Awaitable[T]], wait_s: float) -> T:
    """`open_()`, retried with exponential backoff while a backend does not answer, for up to `wait_s`
    (CUVEE_STARTUP_WAIT_S): services started together come up in any order."""
    loop = asyncio.get_running_loop()
    deadline, delay = loop.time() + wait_s, 1.0
    while True:
        try:
            return await open_()
        except BackendUnavailable as exc:
            left = deadline - loop.time()
            if not exc.retryable:
                raise
            if left <= 0:
                if wait_s > 0:
                    raise BackendUnavailable(f"{exc} (gave up after {wait_s:g} s: CUVEE_STARTUP_WAIT_S)") from exc
                raise
            pause = min(delay, left)
            log.warning("waiting for %s; retrying in %g s", exc.waiting_for, pause)
            await asyncio.sleep(pause)
            delay = min(delay * 2, MAX_STARTUP_BACKOFF_S)


@asynccontextmanager
async def open_services(settings: Settings | None = None) -> Any:
    """The same services the API builds, for one command; closed (and snapshotted) afterwards."""
    settings = settings or Settings()
    backends = await wait_for_backends(lambda: open_backends(settings, batch=True), settings.startup_wait_s)
    try:
        yield build_services(settings, backends)
    finally:
        await backends.close()


def progress_bar(total: int | None, desc: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, unit="doc", file=sys.stderr)
    return bar.update, bar.close


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


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--reload", is_flag=True, help="Restart on code changes (development; uses uvicorn).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=int,
    help="Worker processes (only with real MongoDB: the in-process one lives in one process).",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Serve HTTPS with this certificate chain (PEM; default CUVEE_TLS_CERT).",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The certificate's private key (PEM; default CUVEE_TLS_KEY).",
)
def serve(
    host: str, port: int, reload: bool, workers: int, ssl_certfile: Path | None, ssl_keyfile: Path | None
) -> None:
    """Serve the API (and, in the embedded mode, the clickstream worker) until interrupted."""
    settings = Settings()
    if workers > 1 and settings.embedded:
        raise click.ClickException("--workers > 1 needs a real MongoDB: set CUVEE_MONGODB_URL")
    cert, key = ssl_certfile or settings.tls_cert, ssl_keyfile or settings.tls_key
    if (cert is None) != (key is None):
        raise click.ClickException("HTTPS needs both a certificate and its key (--ssl-certfile and --ssl-keyfile)")
    for path in (cert, key):
        if path is not None and not path.is_file():
            raise click.ClickException(f"TLS file {path} does not exist")
    run(wait_for_backends(lambda: probe_backends(settings), settings.startup_wait_s))
    base = f"{'https' if cert else 'http'}://{host}:{port}"
    click.echo(f"Cuvée {__version__} on {base}/  (API docs: {base}/schema)")
    if reload:
        import uvicorn

        # proxy_headers off: the app alone decides whom a forwarding header is believed from (CUVEE_TRUSTED_PROXIES)
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            reload=True,
            proxy_headers=False,
            ssl_certfile=str(cert) if cert else None,
            ssl_keyfile=str(key) if key else None,
        )
        return
    from granian import Granian
    from granian.constants import Interfaces

    Granian(
        "app.cli:served_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=host,
        port=port,
        workers=workers,
        log_access=False,
        ssl_cert=cert,
        ssl_key=key,
    ).serve()


def served_app() -> Any:
    """The app as a granian worker process builds it. The worker dies with `cuvee serve` even on kill -9:
    an orphaned worker would keep the data directory's lock and its journal open with nobody to stop it."""
    from app.main import create_app

    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent was already gone before the line above
            os._exit(1)
    return create_app()


@cli.group("data-key")
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


@cli.command()
def seed() -> None:
    """Load the demo catalog (idempotent: wines already present are left as they are) and index it."""
    from app.catalog.demo import seed_demo_catalog
    from app.catalog.seeding import reindex

    async def main() -> None:
        async with open_services() as services:
            report = await seed_demo_catalog(progress=True)
            click.echo(f"demo catalog: {report}")
            update, close = progress_bar(None, "indexing")
            n = await reindex(services.backends.search, update)
            close()
            click.echo(f"search index: {n} wines")

    run(main())


@cli.command()
def reindex() -> None:
    """Rebuild the search index from MongoDB; search keeps answering until the new index is swapped in."""
    from app.catalog.seeding import reindex as rebuild

    async def main() -> None:
        from documents import Wine

        async with open_services() as services:
            update, close = progress_bar(await Wine.find({}).count(), "reindexing")
            n = await rebuild(services.backends.search, update)
            close()
            click.echo(f"search index rebuilt: {n} wines")

    run(main())


@cli.command("recount-ratings")
def recount_ratings() -> None:
    """Rebuild every wine's rating aggregate from its reviews (verified and not), then the search index: once
    after upgrading to verified-weighted ratings, or to repair a crash between a review and its count."""
    from app.catalog.seeding import reindex as rebuild

    async def main() -> None:
        async with open_services() as services:
            n = await services.commerce.reviews.recount_all()
            click.echo(f"ratings recounted: {n} wines")
            click.echo(f"search index rebuilt: {await rebuild(services.backends.search, None)} wines")

    run(main())


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default=None,
    help="File format (default: from the name: .csv, .jsonl or .ndjson, optionally .gz).",
)
def import_(file: Path, fmt: str | None) -> None:
    """Add or update wines from an X-Wines CSV or a JSON Lines file (upsert by id or source_id)."""
    from app.catalog.importer import ImportFormat, decode_upload

    suffixes = [s.lower() for s in file.suffixes if s.lower() != ".gz"]
    guessed = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(suffixes[-1] if suffixes else "")
    named = fmt or guessed
    if named is None:
        raise click.UsageError("cannot tell the format from the file name: pass --format csv|jsonl")
    chosen = ImportFormat(named)
    try:
        text = decode_upload(file.read_bytes(), limit=2**31)
    except Exception as exc:  # an AppError from decoding: show its detail, not a traceback
        raise click.ClickException(getattr(exc, "detail", str(exc))) from exc
    rows = max(0, text.count("\n") - (chosen is ImportFormat.csv))

    async def main() -> None:
        async with open_services() as services:
            update, close = progress_bar(rows, f"importing {file.name}")
            try:
                report = await services.catalog.import_wines(
                    text, chosen, None, source=f"cli:{file.name}", progress=update
                )
            finally:
                close()
            click.echo(f"import: {report}")
            for line, reason in report.rejected:
                click.echo(f"  line {line}: {reason}")
            if report.rejected_count > len(report.rejected):
                click.echo(f"  … and {report.rejected_count - len(report.rejected)} more rejected rows")

    run(main())


@cli.command()
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


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password for the new admin", hide_input=True, confirmation_prompt=True))


@cli.command("create-admin")
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


@cli.group()
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


@cli.command("search-report")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 366))
@click.option("--limit", default=15, show_default=True, type=click.IntRange(1, 100), help="Queries per list.")
def search_report(days: int, limit: int) -> None:
    """Where search lets shoppers down: top queries, queries that found nothing or that nobody clicked, and what
    search understands of each today (the same report as GET /v1/admin/analytics/search)."""
    from datetime import UTC, datetime, timedelta

    async def main() -> None:
        async with open_services() as services:
            report = await services.search.report(datetime.now(UTC) - timedelta(days=days), limit)
        click.echo(
            f"last {days} days: {report.searches} searches, {report.distinct_queries} distinct queries, "
            f"{report.empty_searches} found nothing, click-through {report.click_through:.0%}"
        )
        for title, rows in (
            ("top queries", report.top),
            ("found nothing", report.no_results),
            ("nothing clicked", report.no_clicks),
        ):
            click.echo(f"\n{title}:")
            if not rows:
                click.echo("  (none)")
            for r in rows:
                now = "n/a" if r.found_now is None else r.found_now
                read = ", ".join(f"{k}={v}" for k, v in r.understood.items()) or "plain text"
                click.echo(
                    f"  {r.query[:40]:<40} {r.searches:>6} searches {r.empty:>5} empty {r.clicks:>5} clicks"
                    f"  finds now {now}  read as: {read}"
                )

    run(main())


@cli.command()
@click.option(
    "--xwines-ratings",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Also learn from an X-Wines ratings CSV(.gz) for the demo wines (ids xw<WineID>); kept in the "
    "data dir so later retrainings use it too.",
)
def train(xwines_ratings: Path | None) -> None:
    """Train the recommenders from MongoDB now and save the model in the data dir (the API loads it at start)."""
    from app.recommendations.trainer import extra_ratings_path
    from app.recommendations.training import pack_ratings, read_xwines_ratings

    settings = Settings()
    if xwines_ratings is not None:
        rows = read_xwines_ratings(xwines_ratings)
        path = extra_ratings_path(settings.data_dir / "recommendations")
        path.parent.mkdir(parents=True, exist_ok=True)
        click.echo(f"{pack_ratings(rows, path)} X-Wines ratings kept in {path}")

    async def main() -> None:
        async with open_services(settings) as services:
            update, close = progress_bar(None, "reading")
            try:
                report = await services.recommendations.trainer.retrain(progress=update)
            finally:
                close()
        click.echo(f"model {report.version} trained in {report.seconds:.1f} s; saved to {report.saved_to}")
        click.echo("learned from: " + ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in report.counts.items()))
        click.echo(f"learned taste profiles written: {report.learned_tastes}")

    run(main())


@cli.command()
@click.option("--wines", required=True, type=click.Path(exists=True, dir_okay=False), help="X-Wines wines CSV")
@click.option("--ratings", type=click.Path(exists=True, dir_okay=False), help="X-Wines ratings CSV(.gz), split here")
@click.option(
    "--train",
    "train_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Training ratings of a fixed split (with --test)",
)
@click.option(
    "--test",
    "test_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Test ratings of a fixed split (with --train)",
)
@click.option("--test-size", default=0.2, show_default=True, type=click.FloatRange(0, 1, min_open=True))
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--relevance", default=5.0, show_default=True, type=float, help="Ratings at least this are positives")
@click.option("--k", default=10, show_default=True, type=click.IntRange(1))
@click.option(
    "--trade-off",
    type=click.FloatRange(0, 1),
    help="MMR λ of the diversity re-ranking (share of relevance; 1 = off)  [default: the served 0.8]",
)
@click.option(
    "--replay",
    is_flag=True,
    help="Time-ordered replay of --ratings instead: the batch model beside updating the user on each event",
)
@click.option(
    "--train-share",
    default=0.8,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="With --replay: the earliest share of the ratings the batch model is fitted on",
)
def evaluate(
    wines: str,
    ratings: str | None,
    train_file: str | None,
    test_file: str | None,
    test_size: float,
    seed: int,
    relevance: float,
    k: int,
    trade_off: float | None,
    replay: bool,
    train_share: float,
) -> None:
    """Offline evaluation on X-Wines (Cornac RatioSplit protocol): most-popular, tuned EASE and ours, with
    ours re-ranked for diversity too; NDCG and the other ranking metrics beside list diversity and coverage.
    With --replay, the time-ordered replay of within-visit updates instead (docs/recommendations.md)."""
    from app.recommendations.evaluation import evaluate as run_evaluation
    from app.recommendations.evaluation import format_report, read_ratings, read_wines

    if replay:
        from app.recommendations.replay import format_replay
        from app.recommendations.replay import replay as run_replay

        if ratings is None:
            raise click.UsageError("--replay needs --ratings (with their Date column)")
        try:
            result = run_replay(
                read_ratings(ratings),
                read_wines(wines),
                train_share=train_share,
                relevance=relevance,
                k=k,
                progress=sys.stderr.isatty(),
            )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        click.echo(format_replay(result))
        return
    if (ratings is None) == (train_file is None or test_file is None):
        raise click.UsageError("give --ratings, or both --train and --test")
    report = run_evaluation(
        wines,
        ratings,
        train_path=train_file,
        test_path=test_file,
        test_size=test_size,
        seed=seed,
        relevance=relevance,
        k=k,
        progress=sys.stderr.isatty(),
        trade_off=trade_off,
    )
    click.echo(format_report(report))


def main() -> None:
    cli(prog_name="cuvee")


__all__ = ["Services", "cli", "main", "open_services", "progress_bar", "run"]


from app.pricing.cli import price_rules  # noqa: E402  (its commands import open_services lazily)

cli.add_command(price_rules)
