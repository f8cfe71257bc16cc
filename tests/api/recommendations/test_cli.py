"""`cuvee train` (from MongoDB, with X-Wines ratings kept for later) and `cuvee evaluate` on tiny X-Wines files."""

from __future__ import annotations

import asyncio
import csv
import random
from pathlib import Path

from click.testing import CliRunner

from app.cli import cli
from app.main import create_app
from app.settings import Settings
from tests.api.accounts.test_cli import env_of
from tests.api.commerce.conftest import buy
from tests.api.recommendations.conftest import cellar_wines
from tests.conftest import running, sign_up
from tests.factories import insert_wines

WINE_COLUMNS = [
    "WineID",
    "WineName",
    "Type",
    "Elaborate",
    "Grapes",
    "Harmonize",
    "ABV",
    "Body",
    "Acidity",
    "Code",
    "Country",
    "RegionID",
    "RegionName",
    "WineryID",
    "WineryName",
    "Website",
    "Vintages",
]


def write_xwines(directory: Path, wines: int = 30, users: int = 80, seed: int = 7) -> tuple[Path, Path]:
    """A tiny X-Wines pair: two taste camps of users, each loving (5 stars) the wines of its own type."""
    rng = random.Random(seed)
    wines_path, ratings_path = directory / "wines.csv", directory / "ratings.csv"
    with wines_path.open("w", newline="") as out:
        writer = csv.DictWriter(out, WINE_COLUMNS)
        writer.writeheader()
        for n in range(wines):
            kind = "Red" if n % 2 else "White"
            writer.writerow(
                {
                    "WineID": 100 + n,
                    "WineName": f"W{n}",
                    "Type": kind,
                    "Elaborate": "Varietal",
                    "Grapes": "['Merlot']" if n % 2 else "['Riesling']",
                    "Harmonize": "['Beef']",
                    "ABV": "13",
                    "Body": "Full-bodied" if n % 2 else "Light-bodied",
                    "Acidity": "High",
                    "Code": "FR",
                    "Country": "France",
                    "RegionID": n % 4,
                    "RegionName": f"R{n % 4}",  # the shop keeps names, not X-Wines' ids
                    "WineryID": n % 5,
                    "WineryName": f"Y{n % 5}",
                    "Website": "",
                    "Vintages": "[2020]",
                }
            )
    with ratings_path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["RatingID", "UserID", "WineID", "Vintage", "Rating", "Date"])
        row = 0
        for user in range(users):
            for n in rng.sample(range(wines), 12):
                loved = (n % 2) == (user % 2)
                stars = 5.0 if loved and rng.random() < 0.7 else rng.choice([2.5, 3.0, 3.5, 4.0])
                row += 1
                writer.writerow([row, 1000 + user, 100 + n, 2020, stars, "2021-01-01"])
    return wines_path, ratings_path


def test_evaluate_prints_every_metric_for_the_three_models_and_ours_diversified(tmp_path: Path) -> None:
    wines, ratings = write_xwines(tmp_path)
    args = ["evaluate", "--wines", str(wines), "--ratings", str(ratings), "--test-size", "0.25", "--seed", "3"]
    result = CliRunner().invoke(cli, [*args, "--k", "5", "--trade-off", "0.5"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("RatioSplit(test_size=0.25, seed=3); relevance ≥ 5; k = 5")
    header = next(line for line in lines if line.startswith("model"))
    assert header.split()[1:] == ["P@5", "R@5", "NDCG@5", "MAP", "MRR", "AUC", "ILD@5", "Cov@5", "1-style"]
    rows = {line.split("  ")[0]: line for line in lines}
    names = {"most-popular", "EASE (tuned)", "ours (hybrid)", "ours (hybrid) + MMR"}
    assert names | {"ours / EASE", "ours / most-popular", "+ MMR / ours"} <= set(rows)
    ours = [float(x) for x in rows["ours (hybrid)"].split()[2:11]]
    popular = [float(x) for x in rows["most-popular"].split()[1:10]]
    diverse = [float(x) for x in rows["ours (hybrid) + MMR"].split()[4:13]]
    assert ours[2] > popular[2]  # the camps are learnable; popularity cannot tell them apart
    assert diverse[6] >= ours[6]  # more varied lists...
    assert diverse[7] >= ours[7]  # ...covering at least as much of the catalog
    assert "MMR λ=0.5" in rows["ours (hybrid) + MMR"]


def test_evaluate_takes_a_fixed_split_and_refuses_half_of_one(tmp_path: Path) -> None:
    wines, ratings = write_xwines(tmp_path)
    rows = ratings.read_text().splitlines()
    (tmp_path / "train.csv").write_text("\n".join(rows[:800]) + "\n")
    (tmp_path / "test.csv").write_text("\n".join([rows[0], *rows[800:]]) + "\n")
    ok = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--wines",
            str(wines),
            "--train",
            str(tmp_path / "train.csv"),
            "--test",
            str(tmp_path / "test.csv"),
        ],
    )
    assert ok.exit_code == 0, ok.output
    assert ok.output.startswith("given split (train.csv / test.csv)")
    half = CliRunner().invoke(cli, ["evaluate", "--wines", str(wines), "--train", str(tmp_path / "train.csv")])
    assert half.exit_code == 2 and "give --ratings, or both --train and --test" in half.output


async def _shop_with_orders(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        wines = await insert_wines(*cellar_wines())
        buyer = await sign_up(client)
        await buy(client, buyer.headers, (wines[0], 1), (wines[1], 1))
        await buy(client, buyer.headers, (wines[2], 1), gift={"recipient_name": "Sam"})


async def _served_version(settings: Settings) -> str:
    async with running(create_app(settings)) as client:
        response = await client.get("/v1/recommendations/popular")
        assert response.status_code == 200, response.text
        return str(response.json()["model_version"])


def test_train_learns_from_mongodb_and_xwines_ratings_and_the_api_serves_that_model(
    tmp_path: Path, settings: Settings
) -> None:
    settings = settings.model_copy(update={"retrain_interval_s": 0.0})  # only the command trains here
    asyncio.run(_shop_with_orders(settings))
    ratings = tmp_path / "xw.csv"
    ratings.write_text("RatingID,UserID,WineID,Vintage,Rating,Date\n1,7,111415,2019,5.0,2020-01-01\n")
    result = CliRunner().invoke(cli, ["train", "--xwines-ratings", str(ratings)], env=env_of(settings))
    assert result.exit_code == 0, result.output
    assert "1 X-Wines ratings kept in" in result.output
    assert "learned from: 0 ratings, 2 purchases, 1 gift purchases left out of taste, 0 views" in result.output
    version = result.output.split("model ", 1)[1].split()[0]
    assert version.startswith("hybrid-") and (settings.data_dir / "recommendations" / "model.npz").exists()
    assert asyncio.run(_served_version(settings)) == version


def test_evaluate_replay_prints_the_batch_model_beside_updating_on_each_event(tmp_path: Path) -> None:
    wines, ratings = write_xwines(tmp_path)
    result = CliRunner().invoke(cli, ["evaluate", "--wines", str(wines), "--ratings", str(ratings), "--replay"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("time-ordered replay; relevance ≥ 5; k = 10")
    rows = {line.split("  ")[0]: line.split() for line in result.output.splitlines()}
    new = rows["new users"]
    assert int(new[2]) > 0 and float(new[4]) > float(new[3])  # updated beats batch where the batch knows nothing
    undated = tmp_path / "undated.csv"
    undated.write_text("\n".join(line.rsplit(",", 1)[0] for line in ratings.read_text().splitlines()) + "\n")
    refused = CliRunner().invoke(cli, ["evaluate", "--wines", str(wines), "--ratings", str(undated), "--replay"])
    assert refused.exit_code == 2 and "Date" in refused.output
