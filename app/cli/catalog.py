"""The catalog's commands: `cuvee seed`, `reindex`, `recount-ratings`, `import` and `search-report`."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli.common import open_services, progress_bar, run


@click.command("seed")
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


@click.command("reindex")
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


@click.command("recount-ratings")
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


@click.command("import")
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


@click.command("search-report")
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
