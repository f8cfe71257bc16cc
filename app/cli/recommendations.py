"""The recommender's commands: `cuvee train` (from MongoDB, as the API retrains) and `evaluate` (offline: one
split, the within-visit replay, or the study over seeds and user halves)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app.cli.common import open_services, progress_bar, run
from app.settings import Settings

if TYPE_CHECKING:
    from app.recommendations.offline.xwines import Ratings


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
    from app.recommendations.offline.xwines import read_xwines_ratings
    from app.recommendations.refresh.sources import pack_ratings
    from app.recommendations.refresh.trainer import extra_ratings_path

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
@click.option(
    "--seeds",
    default=None,
    help="The generalisation study instead: every model on each of these seeds' splits of --ratings (e.g. 1-10 "
    "or 1,2,5), then the pseudo-other-half check (docs/recommendations.md)",
)
@click.option("--half-seed", default=2024, show_default=True, type=int, help="With --seeds: seed of the user halves")
@click.option("--tune-seeds", default="1-4", show_default=True, help="With --seeds: splits of half A to tune on")
@click.option("--other-half-only", is_flag=True, help="With --seeds: only the pseudo-other-half check")
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
    seeds: str | None,
    half_seed: int,
    tune_seeds: str,
    other_half_only: bool,
) -> None:
    """Offline evaluation on X-Wines (Cornac RatioSplit protocol): most-popular, tuned EASE and ours, with
    ours re-ranked for diversity too; NDCG and the other ranking metrics beside list diversity and coverage.
    With --replay, the time-ordered replay of within-visit updates instead; with --seeds, the table over seeds
    and the pseudo-other-half check (docs/recommendations.md)."""
    from app.recommendations.offline.evaluation import evaluate as run_evaluation
    from app.recommendations.offline.evaluation import format_report
    from app.recommendations.offline.xwines import read_ratings, read_wines

    if replay or seeds is not None:
        if ratings is None:
            raise click.UsageError("--replay and --seeds need --ratings")
        if replay:
            _replay(read_ratings(ratings), read_wines(wines), train_share, relevance, k)
        else:
            study = (seeds or "", tune_seeds, half_seed, other_half_only, test_size, relevance, k)
            _generalisation(read_ratings(ratings), read_wines(wines), *study)
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


def _replay(
    ratings: Ratings, features: Mapping[str, Mapping[str, float]], share: float, relevance: float, k: int
) -> None:
    """`cuvee evaluate --replay`: the time-ordered replay of within-visit updates."""
    from app.recommendations.offline.replay import format_replay, replay

    try:
        result = replay(ratings, features, train_share=share, relevance=relevance, k=k, progress=sys.stderr.isatty())
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(format_replay(result))


def _generalisation(
    ratings: Ratings,
    features: Mapping[str, Mapping[str, float]],
    seeds: str,
    tune_seeds: str,
    half_seed: int,
    other_half_only: bool,
    test_size: float,
    relevance: float,
    k: int,
) -> None:
    """`cuvee evaluate --seeds`: the table over seeds and the pseudo-other-half check, in markdown."""
    from app.recommendations.offline.generalisation import parse_seeds, run

    try:
        chosen, tuning = parse_seeds(seeds), parse_seeds(tune_seeds)
    except ValueError as exc:
        raise click.UsageError(f"--seeds and --tune-seeds take 1-10 or 1,2,5 ({exc})") from exc
    run(
        ratings,
        features,
        chosen,
        half_seed=half_seed,
        tune_seeds=tuning,
        other_half_only=other_half_only,
        test_size=test_size,
        relevance=relevance,
        k=k,
        echo=click.echo,
        progress=(lambda line: click.echo(line, err=True)) if sys.stderr.isatty() else None,
    )
