"""The recommender's commands: `cuvee train` (from MongoDB, as the API retrains) and `evaluate` (offline)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli.common import open_services, progress_bar, run
from app.settings import Settings


@click.command("train")
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


@click.command("evaluate")
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
